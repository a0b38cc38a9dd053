"""Options several commands share, and the output formats they choose between."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-C",
        help="Directory holding Pulumi.yaml and the Pulumi.<stack>.yaml files.",
        file_okay=False,
    ),
]
StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack (environment) name.")]
NoCache = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Synthesize again instead of reading the graph cache under <project>/.tap/ "
        "(the cache is not written either).",
    ),
]


class ReportFormat(StrEnum):
    """Formats of reports meant for people or for machines."""

    TEXT = "text"
    JSON = "json"


ReportFormatOption = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", help="text for people; json (snake_case keys) for machines."),
]
