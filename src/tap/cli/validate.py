"""`tap validate`: every stack's config, alone and together; one line per problem.

The work is tap.cli.fastpath.validate, which the console script also calls without typer.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tap.cli import fastpath
from tap.cli.options import ProjectDir


def validate(project_dir: ProjectDir = Path()) -> None:
    """Validate every stack's config, alone and together; one line per problem."""
    code = fastpath.validate(project_dir)
    if code:
        raise typer.Exit(code)
