"""`tap local`: the stack's graph on an embedded emulator, objects pushed through, all accounted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tap import interrupts
from tap.cli.deploy_role import DeployAs, DeployAsOption, as_deploy_role
from tap.cli.options import NoCache, ProjectDir, StackOption
from tap.cli.output import err, out, user_errors, write_json
from tap.errors import EXIT_FINDINGS

if TYPE_CHECKING:
    from tap.local import LocalOptions, LocalReport
    from tap.ops.stack import StackResources
    from tap.synth import ResourceGraph


def _rate(help_text: str) -> Any:
    """A fraction from 0 to 1."""
    return typer.Option(metavar="RATE", min=0.0, max=1.0, help=help_text)


FailRate = Annotated[float, _rate("Fraction of table writes to throttle.")]
DuplicateRate = Annotated[float, _rate("Fraction of events to redeliver.")]
InvokeThrottleRate = Annotated[
    float,
    _rate(
        "Fraction of EventBridge Invoke calls Lambda refuses with 429 "
        "(retried, then dead-lettered)."
    ),
]


def local(
    stack: StackOption = "dev",
    objects: Annotated[int, typer.Option(metavar="N", min=1, help="Objects to upload.")] = 50,
    fail_rate: FailRate = 0.0,
    duplicate_rate: DuplicateRate = 0.0,
    reorder: Annotated[bool, typer.Option(help="Shuffle delivery order.")] = False,
    invoke_throttle_rate: InvokeThrottleRate = 0.0,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed for keys, sizes and faults.")] = 0,
    keep_running: Annotated[
        bool, typer.Option(help="Leave the emulator up afterwards, until Ctrl-C.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (snake_case keys).")
    ] = False,
    deploy_as: DeployAsOption = DeployAs.OPERATOR,
    project_dir: ProjectDir = Path(),
    no_cache: NoCache = False,
) -> None:
    """Deploy the stack's graph to an embedded emulator, push objects through, account for all."""
    from tap.extras import require_extra

    with user_errors():
        require_extra("local", "tap local")
    if deploy_as is DeployAs.DEPLOY_ROLE:
        as_deploy_role(stack, project_dir, no_cache=no_cache, json_output=json_output)
        return
    # The `local` extra's modules: imported only after the check, so a base install gets a line.
    from tap.local import LocalOptions
    from tap.synth.cache import synthesize_cached
    from tap.validation import validate_project

    with user_errors():
        options = LocalOptions(
            objects=objects,
            fail_rate=fail_rate,
            duplicate_rate=duplicate_rate,
            reorder=reorder,
            seed=seed,
            keep_running=keep_running,
            invoke_throttle_rate=invoke_throttle_rate,
        )
        interrupts.set_stage("synthesizing")
        resource_graph, _config = synthesize_cached(
            validate_project(project_dir), stack, use_cache=not no_cache
        )
        report = _run(resource_graph, options, bars=not json_output)
    _show(report, stack, json_output=json_output)
    if keep_running and report.endpoint:
        _serve_until_interrupted(report, resource_graph)
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)


def _run(resource_graph: ResourceGraph, options: LocalOptions, *, bars: bool) -> LocalReport:
    """run_local, with progress bars on stderr (stdout holds only the report) when `bars`."""
    from tap.cli.local_view import progress_bar
    from tap.local import run_local

    if not bars:
        return run_local(resource_graph, options, on_progress=_staged())
    with progress_bar(err()) as on_progress:
        return run_local(resource_graph, options, on_progress=_staged(on_progress))


def _show(report: LocalReport, stack: str, *, json_output: bool) -> None:
    """The report on stdout: JSON, or the summary panel."""
    from tap.cli.local_view import summary

    interrupts.set_stage("reporting")
    if json_output:
        write_json(report.to_dict())
    else:
        out().print(summary(report, stack), soft_wrap=False)


def _staged(
    on_progress: Callable[[int, int, str], None] | None = None,
) -> Callable[[int, int, str], None]:
    """A progress callback that also names the stage an interrupt would land in."""

    def update(done: int, total: int, stage: str) -> None:
        interrupts.set_stage(stage)
        if on_progress is not None:
            on_progress(done, total, stage)

    return update


def _serve_until_interrupted(report: LocalReport, resource_graph: ResourceGraph) -> None:
    """Print how to reach the live stack, then serve it until Ctrl-C."""
    from tap.local import stop_emulator

    assert report.endpoint is not None
    console = err()
    lines = live_stack_lines(report, _as_deployed(report, resource_graph))
    interrupts.set_stage("serving the emulator")
    try:  # here Ctrl-C (or SIGTERM) is how the user says "done", from the moment it is printed
        interrupts.wait_for_interrupt(
            ready=lambda: console.print(lines, markup=False, soft_wrap=True)
        )
    finally:
        stop_emulator(report.endpoint)
        console.print("emulator stopped")


def _as_deployed(report: LocalReport, resource_graph: ResourceGraph) -> StackResources:
    """The stack's resources with the emulator's own key (the graph's key id is made up)."""
    import boto3

    from tap.ops.stack import as_deployed, resolve

    assert report.credentials is not None
    resources = resolve(resource_graph)
    kms = boto3.client(
        "kms",
        endpoint_url=report.endpoint,
        region_name=resources.region,
        aws_access_key_id=report.credentials.access_key_id,
        aws_secret_access_key=report.credentials.secret_access_key,
    )
    return as_deployed(resources, kms)


def live_stack_lines(report: LocalReport, resources: StackResources) -> str:
    """What an operator needs to use the live stack: endpoint, environment, names, a scan."""
    import shlex

    assert report.endpoint is not None
    assert report.credentials is not None
    env = {
        "AWS_ENDPOINT_URL": report.endpoint,
        "AWS_ACCESS_KEY_ID": report.credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": report.credentials.secret_access_key,
        "AWS_DEFAULT_REGION": resources.region,
    }
    names = resources.to_dict()
    rows = [
        f"live stack {resources.stack} at {report.endpoint} (127.0.0.1 only): objects put to "
        "its buckets reach the table within a second or two.",
        "Point the AWS CLI and boto3 at it (aws-cli v1 ignores AWS_ENDPOINT_URL: give each "
        "`aws` command --endpoint-url, as below; v2 and boto3 read it):",
        *(f"  export {k}={shlex.quote(v)}" for k, v in env.items()),
        "Resources:",
        *(
            f"  {k:<14} {', '.join(v) if isinstance(v, list) else v}"
            for k, v in names.items()
            if k not in ("stack", "account_id", "region") and v
        ),
        "Then, for example:",
        f"  aws --endpoint-url {report.endpoint} s3 cp ./file.csv "
        f"s3://{resources.buckets[0]}/incoming/file.csv",
        f"  {report.scan_command}",
        f"  tap reconcile --stack {resources.stack} --endpoint-url {report.endpoint}",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(rows)
