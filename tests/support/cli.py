"""typer's test runner, building the app's click command once per process.

`typer.testing.CliRunner.invoke` builds the whole command tree (every parameter's converters)
on every call, about 40 ms, and the suite invokes the app several hundred times. The command
tree depends only on the app, so it is built once per app. Imported by tests/conftest.py.
"""

from __future__ import annotations

import functools

import typer.main
import typer.testing

if not callable(getattr(typer.testing, "_get_command", None)):
    raise RuntimeError(
        "typer.testing no longer builds the command through _get_command; "
        "update tests/support/cli.py (the cache is only a speed-up)"
    )
typer.testing._get_command = functools.cache(typer.main.get_command)  # type: ignore[attr-defined]
