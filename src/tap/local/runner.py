"""run_local: deploy a stack's graph onto an embedded emulator, drive objects through it, verify.

Each stage is its own module with a typed result (`deploy.Deployment`, `drive.Driven`,
`verify.Verification`); this one only sequences them and reports progress. The report's
emulator adaptations are collected from the stages: the standing ones every run makes, then
those the deployment and the workload needed, in the order they first did.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tap.facts import tokens
from tap.local.appliers import check_supported
from tap.local.artifact import LoadedArtifact, loaded_artifact
from tap.local.deploy import Deployment, deploy
from tap.local.drive import Driven, drive
from tap.local.emulator import ACCOUNT_NOTE, Emulator, running_emulator
from tap.local.errors import ArtifactError, GraphError, InvalidOptionsError
from tap.local.function import IN_PROCESS_NOTE, HandlerFactory, artifact_handler
from tap.local.graph import Graph, GraphResource
from tap.local.live import LIVE_NOTE, LiveStack, go_live
from tap.local.observer import STAMP_NOTE
from tap.local.options import LocalOptions
from tap.local.report import LocalReport, build_report
from tap.local.verify import IAM_NOTE, Verification, verify

ProgressCallback = Callable[[int, int, str], None]
"""(done, total, stage): called as each stage advances; the library never prints."""
STANDING_ADAPTATIONS: Final = (STAMP_NOTE, IN_PROCESS_NOTE, ACCOUNT_NOTE, IAM_NOTE)
"""Adaptations every run makes: the observer's stamps, the function, the account, IAM."""


def stack_identity(resources: Sequence[GraphResource]) -> tuple[str, str]:
    """(account id, region) of the stack, from its AWS provider's inputs."""
    for resource in resources:
        if resource.type != tokens.AWS_PROVIDER:
            continue
        region = resource.inputs.get("region")
        accounts: Any = resource.inputs.get("allowedAccountIds")
        if isinstance(accounts, str):
            accounts = json.loads(accounts)
        if isinstance(region, str) and isinstance(accounts, list) and accounts:
            return str(accounts[0]), region
    raise GraphError("the graph has no AWS provider with a region and allowedAccountIds")


def _artifact_path(resources: Sequence[GraphResource], options: LocalOptions) -> Path:
    if options.artifact_path is not None:
        return Path(options.artifact_path)
    return processor_artifact(resources)


def processor_artifact(resources: Sequence[GraphResource]) -> Path:
    """The processor zip for the graph's first function's runtime and architecture (built once
    per content, under .tap/artifacts)."""
    functions = [r for r in resources if r.type == tokens.FUNCTION]
    if not functions:
        raise GraphError("the graph has no Lambda function to run")
    from tap.packaging import PackagingError, build_artifact

    inputs = functions[0].inputs
    architectures = inputs.get("architectures") or ["x86_64"]
    try:
        return build_artifact(
            runtime=str(inputs.get("runtime") or "python3.12"), architecture=str(architectures[0])
        ).path
    except PackagingError as error:
        raise ArtifactError(f"cannot build the processor artifact: {error}") from error


def run_local(
    graph: Graph,
    options: LocalOptions,
    *,
    on_progress: ProgressCallback | None = None,
    handler_factory: HandlerFactory | None = None,
) -> LocalReport:
    """Apply the graph to a fresh emulator, upload and delete objects, and account for each one."""
    with local_run(graph, options, on_progress=on_progress, handler_factory=handler_factory) as (
        report,
        _emulator,
    ):
        return report


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a run needs before the emulator starts: the graph's resources, checked to be
    supported, the stack's account and region, and the processor artifact's path."""

    resources: list[GraphResource]
    account_id: str
    region: str
    zip_path: Path


def _plan(graph: Graph, options: LocalOptions) -> _Plan:
    """Refuse what cannot run (options of another type, an unsupported resource, a graph with no
    provider identity or function) before any emulator starts."""
    if not isinstance(options, LocalOptions):
        raise InvalidOptionsError(f"options must be LocalOptions, got {type(options).__name__}")
    resources = list(graph.resources)
    check_supported(resources)
    account_id, region = stack_identity(resources)
    return _Plan(resources, account_id, region, _artifact_path(resources, options))


def _staged(progress: ProgressCallback) -> Callable[[str], Callable[[int, int], None]]:
    """A stage's (done, total) callback, reporting under the stage's name."""
    return lambda name: lambda done, total: progress(done, total, name)


def _stages(
    emulator: Emulator,
    plan: _Plan,
    options: LocalOptions,
    artifact: LoadedArtifact,
    progress: ProgressCallback,
    factory: HandlerFactory,
) -> tuple[Deployment, Driven, Verification]:
    """Deploy the graph, drive the workload through it, and verify: the three stages in turn."""
    stage = _staged(progress)
    deployment = deploy(
        emulator,
        plan.resources,
        artifact=plan.zip_path.read_bytes(),
        on_resource=stage("applying graph"),
    )
    driven = drive(
        emulator,
        deployment,
        options,
        artifact=artifact,
        factory=factory,
        on_operation=stage("uploading objects"),
        on_delivery=stage("delivering events"),
    )
    progress(0, 1, "verifying")
    verification = verify(emulator, deployment, driven)
    progress(1, 1, "verifying")
    return deployment, driven, verification


@contextmanager
def local_run(
    graph: Graph,
    options: LocalOptions,
    *,
    on_progress: ProgressCallback | None = None,
    handler_factory: HandlerFactory | None = None,
) -> Iterator[tuple[LocalReport, Emulator]]:
    """`run_local`, yielding the report with the emulator still up, so a caller can read what
    S3, DynamoDB and SQS hold (in-process too); the emulator stops when the block ends, unless
    `options.keep_running`."""
    started = time.perf_counter()
    plan = _plan(graph, options)
    progress = on_progress or (lambda _done, _total, _stage: None)
    progress(0, 1, "starting emulator")
    with (
        running_emulator(
            account_id=plan.account_id, region=plan.region, keep_running=options.keep_running
        ) as emulator,
        ExitStack() as held,
    ):
        artifact = held.enter_context(loaded_artifact(plan.zip_path))
        progress(1, 1, "starting emulator")
        deployment, driven, verification = _stages(
            emulator, plan, options, artifact, progress, handler_factory or artifact_handler
        )
        adaptations = (*STANDING_ADAPTATIONS, *deployment.adaptations, *driven.adaptations)
        if options.keep_running and emulator.endpoint is not None:
            # The live stack keeps the extracted artifact until it stops.
            go_live(emulator.endpoint, LiveStack(emulator, driven.path, keep=held.pop_all()))
            adaptations = (*adaptations, LIVE_NOTE)
        report = build_report(
            emulator=emulator,
            deployment=deployment,
            driven=driven,
            verification=verification,
            adaptations=adaptations,
            keep_running=options.keep_running,
            duration_seconds=round(time.perf_counter() - started, 3),
        )
        yield report, emulator
