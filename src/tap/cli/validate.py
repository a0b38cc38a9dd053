"""`tap validate`: every stack's config, alone and together; one line per problem."""

from __future__ import annotations

from pathlib import Path

import typer

from tap.cli.options import ProjectDir
from tap.cli.output import escape, out, print_problems, user_errors
from tap.errors import EXIT_FINDINGS


def validate(project_dir: ProjectDir = Path()) -> None:
    """Validate every stack's config, alone and together; one line per problem."""
    from tap.validation import validate_project

    with user_errors():
        project = validate_project(project_dir)
    if project.problems:
        print_problems(out(), project.problems, tuple(project.files))
        raise typer.Exit(EXIT_FINDINGS)
    stacks = ", ".join(sorted(project.files))
    out().print(f"[green]✓[/green] {len(project.files)} stacks valid: {escape(stacks)}")
