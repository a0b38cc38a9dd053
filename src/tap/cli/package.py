"""`tap package`: the processor's deterministic zip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tap.cli.options import ProjectDir, StackOption
from tap.cli.output import out, user_errors


def package(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Copy the zip into this directory.",
            file_okay=False,
        ),
    ] = None,
    stack: StackOption = "dev",
    project_dir: ProjectDir = Path(),
) -> None:
    """Build the processor's deterministic zip; print its path and sha256."""
    from tap.packaging import build_artifact
    from tap.validation import load_stack

    with user_errors():
        _, config = load_stack(project_dir, stack)
        artifact = build_artifact(
            runtime=config.processor.runtime,
            architecture=config.processor.architecture,
            output_dir=output,
        )
    out().print(f"{artifact.path}")
    out().print(
        f"sha256 {artifact.sha256}  ({artifact.size} bytes{', cached' if artifact.cached else ''})"
    )
