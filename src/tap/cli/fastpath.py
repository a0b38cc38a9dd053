"""Commands the console script runs without loading typer or rich: today, `tap validate`.

Validating config costs little more than importing pydantic and yaml; typer and rich would
cost as much again. `dispatch` recognises only the plain forms of the command, and returns
None for anything else (help, a typo, a file where a directory belongs), so the typer app,
which owns the help and every usage error, parses it. The typer command calls the same
`validate`, so both paths print the same lines; tests/cli/test_validate.py compares them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from tap.cli import plain
from tap.errors import EXIT_FINDINGS, EXIT_OK, TapError

PROJECT_DIR_FLAGS = ("--project-dir", "-C")
"""The flags of `tap validate`'s project option (tap.cli.options.ProjectDir); a test holds them
equal."""
STRICT_FLAG = "--strict"
"""`tap validate --strict`: example accounts fail the run."""


def validate(project_dir: Path, *, strict: bool = False) -> int:
    """Validate the project in `project_dir`, print the result, and return the exit code:
    on a valid project, example accounts are a warning on stderr, and a failure (1) when
    `strict`."""
    from tap.accounts import example_accounts
    from tap.validation import validate_project

    try:
        project = validate_project(project_dir)
    except (TapError, OSError) as exc:
        return plain.report(sys.stderr, exc)
    if project.problems:
        plain.print_problems(sys.stdout, project.problems, tuple(project.files))
        return EXIT_FINDINGS
    # only on a valid project: its problems come first
    examples = example_accounts({s: c.account_id for s, c in project.configs.items()})
    if examples:
        message = (
            f"example accounts in {', '.join(examples)}: "
            f"{', '.join(dict.fromkeys(examples.values()))} are AWS documentation account ids, "
            "not yours; write your own with tap init (docs/deploy.md)"
        )
        (plain.print_error if strict else plain.print_warning)(sys.stderr, message)
    if strict and examples:
        return EXIT_FINDINGS
    stacks = ", ".join(sorted(project.files))
    tick = plain.paint(sys.stdout, "✓", "green")
    plain.say(sys.stdout, f"{tick} {len(project.files)} stacks valid: {stacks}")
    return EXIT_OK


def validate_arguments(args: Sequence[str]) -> Path | None:
    """The project directory when `args` (after `validate`) are none, `-C DIR`,
    `--project-dir DIR` or `--project-dir=DIR`, and DIR is not a file; otherwise None."""
    if not args:
        return Path()
    if len(args) == 2 and args[0] in PROJECT_DIR_FLAGS:
        value = args[1]
    elif len(args) == 1 and args[0].startswith("--project-dir="):
        value = args[0].partition("=")[2]
    else:
        return None
    if not value or value.startswith("-") or Path(value).is_file():
        return None
    return Path(value)


def dispatch(argv: Sequence[str]) -> int | None:
    """Run `tap argv` here and return its exit code, or None when the typer app must run it."""
    if not argv or argv[0] != "validate":
        return None
    args = list(argv[1:])
    strict = STRICT_FLAG in args
    if strict:
        args.remove(STRICT_FLAG)
    project_dir = validate_arguments(args)
    return None if project_dir is None else validate(project_dir, strict=strict)
