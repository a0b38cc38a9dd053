"""`tap graph`: the stack's pipeline as a diagram."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tap.cli.options import NoCache, ProjectDir, StackOption
from tap.cli.output import user_errors
from tap.diagram import DiagramFormat


def graph(
    stack: StackOption = "dev",
    fmt: Annotated[
        DiagramFormat,
        typer.Option("--format", "-f", help="mermaid (for Markdown) or dot (for Graphviz)."),
    ] = DiagramFormat.MERMAID,
    no_cache: NoCache = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Draw the stack's pipeline: bucket → rule → function → table, DLQs, replica, alarms."""
    from tap.diagram import render
    from tap.synth.cache import synthesize_cached
    from tap.validation import validate_project

    with user_errors():
        project = validate_project(project_dir)
        resource_graph, _ = synthesize_cached(project, stack, use_cache=not no_cache)
    sys.stdout.write(render(resource_graph, fmt))
