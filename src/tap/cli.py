"""The `tap` command: thin commands that call library code, print, and map errors to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from tap.config import ConfigError, ConfigReadError, load_stack
from tap.diagram import DiagramFormat, render
from tap.diff import DiffKind, diff_graphs
from tap.packaging import PackagingError, build_artifact
from tap.synth.errors import SynthError
from tap.synth.render import render_tree
from tap.synth.stack import synthesize_config, synthesize_stack
from tap.validation import validate_project

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="tap",
    help="Validate, synthesize, check, diff, package and run the tap pipeline, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-C",
        help="Directory holding Pulumi.yaml and the Pulumi.<stack>.yaml files.",
        file_okay=False,
    ),
]


@app.callback()
def _root() -> None:
    """Validate, synthesize, check, diff, package and run the tap pipeline, offline."""


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn tap's typed errors into one clear line and an exit code; never a traceback."""
    try:
        yield
    except ConfigReadError as exc:
        _fail(str(exc), EXIT_USAGE)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]✗[/red] {problem}")
        _fail(f"{len(exc.problems)} config problem(s)", EXIT_FINDINGS)
    except PackagingError as exc:
        _fail(f"packaging failed: {exc}", EXIT_FINDINGS)
    except SynthError as exc:
        _fail(f"synthesis failed: {exc}", EXIT_FINDINGS)


@app.command()
def validate(project_dir: ProjectDir = Path()) -> None:
    """Validate every stack's config, alone and together; one line per problem."""
    with user_errors():
        project = validate_project(project_dir)
    for problem in project.problems:
        out.print(f"[red]✗[/red] {problem}")
    stacks = ", ".join(sorted(project.files))
    if project.problems:
        bad = len({p.stack for p in project.problems})
        out.print(
            f"[red]{len(project.problems)} problem(s)[/red] in {bad} of "
            f"{len(project.files)} stacks ({stacks})"
        )
        raise typer.Exit(EXIT_FINDINGS)
    out.print(f"[green]✓[/green] {len(project.files)} stacks valid: {stacks}")


StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack (environment) name.")]


@app.command()
def package(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Copy the zip into this directory.", file_okay=False),
    ] = None,
    stack: StackOption = "dev",
    project_dir: ProjectDir = Path(),
) -> None:
    """Build the processor's deterministic zip; print its path and sha256."""
    with user_errors():
        _, config = load_stack(project_dir, stack)
        artifact = build_artifact(
            runtime=config.processor.runtime,
            architecture=config.processor.architecture,
            output_dir=output,
        )
    out.print(f"{artifact.path}")
    out.print(
        f"sha256 {artifact.sha256}  ({artifact.size} bytes{', cached' if artifact.cached else ''})"
    )


class SynthFormat(StrEnum):
    """`tap synth` output formats."""

    TABLE = "table"
    JSON = "json"


class ReportFormat(StrEnum):
    """Formats of reports meant for people or for machines."""

    TEXT = "text"
    JSON = "json"


@app.command()
def synth(
    stack: StackOption = "dev",
    fmt: Annotated[SynthFormat, typer.Option("--format", "-f")] = SynthFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead.")
    ] = None,
    project_dir: ProjectDir = Path(),
) -> None:
    """Run the program under a recording mock monitor and show its resource graph."""
    with user_errors():
        graph = synthesize_stack(project_dir, stack)
    if fmt is SynthFormat.JSON:
        text = graph.to_json()
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            err.print(f"wrote {len(graph.resources)} resources to {output}")
        return
    if output is None:
        out.print(render_tree(graph))
    else:
        with output.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=120, highlight=False).print(render_tree(graph))
    custom = sum(1 for r in graph.resources if r.custom)
    err.print(f"{stack}: {custom} resources, {len(graph.resources) - custom} components")


@app.command()
def graph(
    stack: StackOption = "dev",
    fmt: Annotated[DiagramFormat, typer.Option("--format", "-f")] = DiagramFormat.MERMAID,
    project_dir: ProjectDir = Path(),
) -> None:
    """Draw the stack's pipeline: bucket → rule → function → table, DLQs, replica, alarms."""
    with user_errors():
        resource_graph = synthesize_stack(project_dir, stack)
    sys.stdout.write(render(resource_graph, fmt))


_KIND_STYLE = {
    DiffKind.ONLY_IN_A: "[red]- only in {a}[/red]",
    DiffKind.ONLY_IN_B: "[green]+ only in {b}[/green]",
    DiffKind.CHANGED: "[yellow]~ changed[/yellow]",
}


@app.command()
def diff(
    stack_a: Annotated[str, typer.Argument(help="First stack, e.g. staging.")],
    stack_b: Annotated[str, typer.Argument(help="Second stack, e.g. prod.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.TEXT,
    fail_on_diff: Annotated[
        bool, typer.Option("--fail-on-diff", help="Exit 1 when the stacks differ.")
    ] = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Compare two stacks' graphs, with environment names, accounts and regions normalised."""
    with user_errors():
        graph_a, config_a = synthesize_config(project_dir, stack_a)
        graph_b, config_b = synthesize_config(project_dir, stack_b)
    differences = diff_graphs(graph_a, config_a, graph_b, config_b)
    if fmt is ReportFormat.JSON:
        document = {"a": stack_a, "b": stack_b, "differences": [d.to_dict() for d in differences]}
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    else:
        current = None
        for d in differences:
            if d.path != current:
                current = d.path
                kind = _KIND_STYLE[d.kind].format(a=stack_a, b=stack_b)
                if d.kind is DiffKind.CHANGED:
                    out.print(f"{kind} {d.path} [dim]({d.type})[/dim]")
                else:
                    out.print(f"{kind}: {d.path} [dim]({d.type})[/dim]")
            if d.kind is DiffKind.CHANGED:
                out.print(f"    {d.property}: {stack_a}={_show(d.a)}  {stack_b}={_show(d.b)}")
        resources = len({d.path for d in differences})
        out.print(
            f"{len(differences)} difference(s) in {resources} resource(s) "
            f"between {stack_a} and {stack_b}"
        )
    if differences and fail_on_diff:
        raise typer.Exit(EXIT_FINDINGS)


def _show(value: object) -> str:
    return "<absent>" if value is None else json.dumps(value, default=str)


def main() -> None:
    """Entry point for `python -m tap`."""
    app()
