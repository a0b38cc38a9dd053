"""The `tap` command: one module per command, each importing what it needs when it runs.

The typer app is `tap.cli.app.app`; this package imports nothing, so `tap validate`, which
runs on `tap.cli.fastpath` and `tap.cli.plain` alone (see tap.entry), never loads typer.
"""
