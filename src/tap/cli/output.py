"""Where commands write: the two consoles, JSON documents, and tap's errors as one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from tap.errors import EXIT_FINDINGS, EXIT_USAGE, TapError

if TYPE_CHECKING:
    from rich.console import Console

    from tap.config import ConfigProblem


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
    err().print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def write_json(document: Any) -> None:
    """A JSON document on stdout: sorted keys, two-space indent, snake_case keys by convention."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def print_problems(
    console: Console, problems: Sequence[ConfigProblem], stacks: Sequence[str]
) -> None:
    """Config problems as `tap validate` prints them: one line each, then how many and where."""
    for problem in problems:
        console.print(f"[red]✗[/red] {escape(str(problem))}")
    bad = len({p.stack for p in problems})
    console.print(
        f"[red]{len(problems)} problem(s)[/red] in {bad} of {len(stacks)} stacks "
        f"({escape(', '.join(sorted(stacks)))})"
    )


def report_error(exc: TapError) -> NoReturn:
    """Print a TapError as `tap` shows every error, then exit with its code."""
    from tap.config import ConfigError  # the config package is not loaded for `--help`

    if isinstance(exc, ConfigError):
        # The lines `tap validate` prints, on stderr: these commands' stdout is their output.
        print_problems(err(), exc.problems, exc.stacks)
        raise typer.Exit(EXIT_FINDINGS)
    for line in exc.details():
        err().print(f"[red]✗[/red] {escape(line)}")
    fail(exc.headline(), exc.exit_code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn tap's typed errors into one clear line and an exit code; never a traceback."""
    try:
        yield
    except TapError as exc:
        report_error(exc)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}", EXIT_USAGE)
