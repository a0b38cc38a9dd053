"""Options several commands share, and the output formats they choose between."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

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


EXAMPLE_URL = "http://127.0.0.1:4566"


def _endpoint_url(value: str | None) -> str | None:
    """An http(s) URL with a host; anything else (such as the next option, taken as the value
    of an option given none) is a usage error, not a traceback from botocore."""
    from urllib.parse import urlsplit

    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise typer.BadParameter(f"expected an http(s) URL such as {EXAMPLE_URL}, got {value!r}")
    return value


EndpointUrlOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        help="Act on a `tap local --keep-running` emulator at this URL, with the credentials in "
        "the environment (that command prints them), instead of the stack's AWS account.",
        callback=_endpoint_url,
    ),
]
RoleArnOption = Annotated[
    str | None,
    typer.Option(
        "--role-arn",
        help="Role to assume from your credentials instead of tap:deployRoleArn "
        "(tap:externalId is passed when the stack sets one).",
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Read and report; write, delete and invoke nothing.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as JSON (snake_case keys).")
]


@dataclass(frozen=True)
class OpsOptions:
    """The options every day-2 command (backfill, reconcile, redrive) takes: how to reach the
    stack's account, how to answer, and whether to write. Declared once, in `ops_options`."""

    endpoint_url: EndpointUrlOption = None
    role_arn: RoleArnOption = None
    json_output: JsonOption = False
    dry_run: DryRunOption = False
    project_dir: ProjectDir = Path()
    no_cache: NoCache = False


R = TypeVar("R")


def ops_options(command: Callable[..., R]) -> Callable[..., R]:
    """The command with OpsOptions' fields as its last options, handed to it as `ops=`.

    typer reads a command's options from its signature and has no parameter groups: the
    wrapper's `__signature__` is the command's own parameters, without `ops`, followed by one
    keyword-only parameter per OpsOptions field (its annotation carries the typer.Option).
    """
    own = inspect.signature(command, eval_str=True)
    if "ops" not in own.parameters:
        raise TypeError(f"{command.__name__} takes no ops parameter")
    hints = inspect.get_annotations(OpsOptions, eval_str=True)
    shared = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=hints[field.name],
            default=field.default,
        )
        for field in fields(OpsOptions)
    ]

    @functools.wraps(command)
    def with_ops(**values: Any) -> R:
        ops = OpsOptions(**{field.name: values.pop(field.name) for field in fields(OpsOptions)})
        return command(**values, ops=ops)

    kept = [parameter for name, parameter in own.parameters.items() if name != "ops"]
    with_ops.__signature__ = own.replace(parameters=[*kept, *shared])  # type: ignore[attr-defined]
    return with_ops
