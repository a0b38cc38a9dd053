"""The `tap` command: one module per command, each importing what it needs when it runs."""

from tap.cli.app import app, main

__all__ = ["app", "main"]
