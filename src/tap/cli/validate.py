"""`tap validate`: every stack's config, alone and together; one line per problem.

The work is tap.cli.fastpath.validate, which the console script also calls without typer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tap.cli import fastpath
from tap.cli.options import ProjectDir


def validate(
    project_dir: ProjectDir = Path(),
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Fail (exit 1) when a stack holds an AWS documentation account id, as the "
            "shipped examples do; without it that is a warning.",
        ),
    ] = False,
) -> None:
    """Validate every stack's config, alone and together; one line per problem."""
    code = fastpath.validate(project_dir, strict=strict)
    if code:
        raise typer.Exit(code)
