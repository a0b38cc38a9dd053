"""The `tap` command: thin commands that call library code, print, and map errors to exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from tap.config import ConfigError, ConfigReadError, load_stack
from tap.packaging import PackagingError, build_artifact
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


def main() -> None:
    """Entry point for `python -m tap`."""
    app()
