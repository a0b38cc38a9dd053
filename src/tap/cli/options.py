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

from tap.ops.session import ATTEMPTS, PROBE_ATTEMPTS, PROBE_READ_TIMEOUT, READ_TIMEOUT

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-C",
        metavar="DIR",
        help="Directory holding Pulumi.yaml and the Pulumi.<stack>.yaml files.",
        file_okay=False,
    ),
]
StackOption = Annotated[
    str, typer.Option("--stack", "-s", metavar="STACK", help="Stack (environment) name.")
]
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
MAX_KEY_BYTES = 1024
"""S3's longest key, in bytes of UTF-8."""


def endpoint_url_problem(value: str) -> str | None:
    """Why `value` is no endpoint botocore can use: an http(s) URL with a host and, if it names
    one, a port from 1 to 65535; None when it is one."""
    from urllib.parse import urlsplit

    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    expected = f"expected an http(s) URL such as {EXAMPLE_URL}"
    try:
        parts = urlsplit(value)
    except ValueError as error:  # "Invalid IPv6 URL"
        return f"{value!r} is not a URL ({error}); {expected}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{expected}, got {value!r}"
    try:
        port = parts.port
    except ValueError:  # not a number, or above 65535
        port = 0
    if port == 0:
        given = parts.netloc.rpartition(":")[2]
        return f"{value!r} has port {given!r}; a port is a number from 1 to 65535"
    if not (is_valid_endpoint_url(value) or is_valid_ipv6_endpoint_url(value)):
        return f"{value!r} has no valid host name; {expected}"
    return None


def role_arn_problem(value: str) -> str | None:
    """Why `value` is not an IAM role's ARN; None when it is one."""
    from tap.facts.arns import ROLE_ARN_SHAPE, is_role_arn

    return None if is_role_arn(value) else f"{value!r} is not an IAM role ARN ({ROLE_ARN_SHAPE})"


def utf8_problem(value: str) -> str | None:
    """Why `value` is not UTF-8 text (bytes the shell passed as they were, which Python keeps
    as surrogates); None when it is."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{value.encode('utf-8', 'surrogateescape')!r} is not UTF-8 text, and S3 keys are"
    return None


def key_prefix_problem(value: str) -> str | None:
    """Why `value` cannot start an S3 key (not UTF-8, or longer than a key); None when it can."""
    problem = utf8_problem(value)
    if problem is None and len(value.encode("utf-8")) > MAX_KEY_BYTES:
        size = len(value.encode("utf-8"))
        return f"it is {size} bytes of UTF-8; an S3 key has at most {MAX_KEY_BYTES}"
    return problem


def refuse(option: str, problem: str | None) -> None:
    """Exit 2 with one line, `error: invalid OPTION: problem`, when there is a problem."""
    if problem is not None:
        from tap.cli.output import fail

        fail(f"invalid {option}: {problem}")


EndpointUrlOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        help="Act on a `tap local --keep-running` emulator at this URL, with the credentials in "
        "the environment (that command prints them), instead of the stack's AWS account.",
    ),
]
RoleArnOption = Annotated[
    str | None,
    typer.Option(
        "--role-arn",
        metavar="ARN",
        help="Role to assume from your credentials instead of tap:deployRoleArn "
        "(tap:externalId is passed when the stack sets one); not with --endpoint-url.",
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=0.01,
        help=f"Wait at most this long for each answer of AWS (botocore's read timeout; the "
        f"default is botocore's own), {ATTEMPTS} attempts per request. The first request, which "
        f"proves the account, waits at most {PROBE_READ_TIMEOUT:g} s, {PROBE_ATTEMPTS} attempts.",
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
    timeout: TimeoutOption = READ_TIMEOUT

    def refuse_unusable(self) -> None:
        """Exit 2 with one line when these options cannot work, before anything is read."""
        if self.endpoint_url is not None:
            refuse("--endpoint-url", endpoint_url_problem(self.endpoint_url))
        if self.role_arn is not None:
            refuse("--role-arn", role_arn_problem(self.role_arn))
        if self.role_arn is not None and self.endpoint_url is not None:
            from tap.cli.output import fail

            fail(
                "--role-arn and --endpoint-url do not go together: a local stack is acted on "
                "with the credentials in the environment (those `tap local --keep-running` "
                "printed), and no role is assumed there"
            )


R = TypeVar("R")
G = TypeVar("G")


def option_group(
    group: type[G], name: str, check: Callable[[G], None] | None = None
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """A decorator: the command with `group`'s fields (a dataclass whose annotations carry the
    typer.Options) as its last options, handed to it as one `name=` value, `check`ed first.

    typer reads a command's options from its signature and has no parameter groups: the
    wrapper's `__signature__` is the command's own parameters, without `name`, followed by one
    keyword-only parameter per field.
    """
    hints = inspect.get_annotations(group, eval_str=True)
    shared = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=hints[field.name],
            default=field.default,
        )
        for field in fields(group)  # type: ignore[arg-type]
    ]

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        own = inspect.signature(command, eval_str=True)
        if name not in own.parameters:
            raise TypeError(f"{command.__name__} takes no {name} parameter")

        @functools.wraps(command)
        def with_group(**values: Any) -> R:
            value = group(**{f.name: values.pop(f.name) for f in fields(group)})  # type: ignore[arg-type]
            if check is not None:
                check(value)
            return command(**values, **{name: value})

        kept = [parameter for key, parameter in own.parameters.items() if key != name]
        with_group.__signature__ = own.replace(parameters=[*kept, *shared])  # type: ignore[attr-defined]
        return with_group

    return decorate


ops_options = option_group(OpsOptions, "ops", OpsOptions.refuse_unusable)
"""The day-2 commands' shared options, handed to the command as `ops=`."""
