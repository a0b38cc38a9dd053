"""Where commands write: the two consoles, JSON documents, and tap's errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from tap.cli import plain
from tap.errors import EXIT_USAGE, TapError

if TYPE_CHECKING:
    from rich.console import Console


@cache
def out() -> Console:
    """The console for a command's output (stdout); rich loads on first use, not for --help.

    No emoji codes: a type token such as `aws:x:Y` must print as written, not as a picture.
    """
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, emoji=False)


@cache
def err() -> Console:
    """The console for errors and progress (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def escape(text: str) -> str:
    """`text` with rich markup escaped."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `error: message` on stderr and exit `code`."""
    plain.print_error(sys.stderr, message)
    raise typer.Exit(code)


def write_json(document: Any) -> None:
    """A JSON document on stdout: sorted keys, two-space indent, snake_case keys by convention."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn tap's typed errors into one clear line and an exit code; never a traceback."""
    try:
        yield
    except (TapError, OSError) as exc:
        raise typer.Exit(plain.report(sys.stderr, exc)) from None
