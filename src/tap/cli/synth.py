"""`tap synth`: run the program under the recording monitor and show its resource graph."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tap.cli.options import ProjectDir, StackOption
from tap.cli.output import err, out, user_errors


class SynthFormat(StrEnum):
    """`tap synth` output formats."""

    TABLE = "table"
    JSON = "json"


def synth(
    stack: StackOption = "dev",
    fmt: Annotated[
        SynthFormat,
        typer.Option(
            "--format",
            "-f",
            help="table: the component tree; json: the graph document "
            "(inputs and outputs keep Pulumi's camelCase names).",
        ),
    ] = SynthFormat.TABLE,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead."),
    ] = None,
    project_dir: ProjectDir = Path(),
) -> None:
    """Run the program under a recording mock monitor and show its resource graph.

    It always runs the program: `check`, `diff` and `graph` are the commands that reuse a graph.
    """
    from rich.console import Console

    from tap.synth.render import render_tree
    from tap.synth.stack import synthesize_stack

    with user_errors():
        graph = synthesize_stack(project_dir, stack)
    if fmt is SynthFormat.JSON:
        text = graph.to_json()
        if output is None:
            sys.stdout.write(text)
        else:
            with user_errors():
                output.write_text(text, encoding="utf-8")
            err().print(f"wrote {len(graph.resources)} resources to {output}")
        return
    if output is None:
        out().print(render_tree(graph))
    else:
        with user_errors(), output.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=120, highlight=False).print(render_tree(graph))
    custom = sum(1 for r in graph.resources if r.custom)
    components = len(graph.resources) - custom
    err().print(f"{stack}: {custom} custom resources (provider included), {components} components")
