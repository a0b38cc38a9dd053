"""Lines every command prints the same way, without rich: config problems and tap's errors.

`tap validate` runs on this module alone (see tap.entry), so it loads neither rich nor typer;
the other commands print their errors through it too, so an error reads the same everywhere.
Colour follows the conventions rich follows: `NO_COLOR` turns it off, `FORCE_COLOR` on, and
otherwise a terminal that is not `dumb` gets it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from tap.errors import EXIT_FINDINGS, EXIT_USAGE, TapError

if TYPE_CHECKING:
    from tap.config import ConfigProblem

_CODES = {"red": "31", "green": "32", "yellow": "33"}


def colour(stream: TextIO) -> bool:
    """Whether `stream` gets ANSI colour."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty() and os.environ.get("TERM", "") not in {"dumb", "unknown"}


def paint(stream: TextIO, text: str, name: str) -> str:
    """`text` in colour `name` when `stream` gets colour, else as it is."""
    return f"\x1b[{_CODES[name]}m{text}\x1b[0m" if colour(stream) else text


def say(stream: TextIO, line: str) -> None:
    """One line on `stream`."""
    stream.write(line + "\n")


def print_problems(
    stream: TextIO, problems: Sequence[ConfigProblem], stacks: Sequence[str]
) -> None:
    """Config problems as `tap validate` prints them: one line each, then how many and where."""
    for problem in problems:
        say(stream, f"{paint(stream, '✗', 'red')} {problem}")
    bad = len({p.stack for p in problems})
    count = paint(stream, f"{len(problems)} problem(s)", "red")
    say(stream, f"{count} in {bad} of {len(stacks)} stacks ({', '.join(sorted(stacks))})")


def print_error(stream: TextIO, message: str) -> None:
    """`error: message`, the last line of every failed command."""
    say(stream, f"{paint(stream, 'error:', 'red')} {message}")


def print_warning(stream: TextIO, message: str) -> None:
    """`warning: message`: something to fix that does not fail the command."""
    say(stream, f"{paint(stream, 'warning:', 'yellow')} {message}")


def report(stream: TextIO, exc: TapError | OSError) -> int:
    """Print `exc` as `tap` shows every error, one line per problem; return its exit code."""
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        print_error(stream, f"{where}{exc.strerror or exc}")
        return EXIT_USAGE
    from tap.config import ConfigError  # the config package is not loaded for `--help`

    if isinstance(exc, ConfigError):
        # The lines `tap validate` prints, on stderr: these commands' stdout is their output.
        print_problems(stream, exc.problems, exc.stacks)
        return EXIT_FINDINGS
    for line in exc.details():
        say(stream, f"{paint(stream, '✗', 'red')} {line}")
    print_error(stream, exc.headline())
    return exc.exit_code
