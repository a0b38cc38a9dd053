"""Fixtures for local runs: the dev stack's graph, the artifact, graph mutations, kept emulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tap.local import HandlerFactory, LocalOptions, run_local, stop_emulator
from tap.packaging import build_artifact
from tap.synth import ResourceGraph
from tap.synth.stack import synthesize_stack
from tests.support.local import KeptRun
from tests.support.paths import REPO_ROOT


@pytest.fixture(scope="session")
def dev_graph() -> ResourceGraph:
    """The shipped dev stack, synthesized once."""
    return synthesize_stack(REPO_ROOT, "dev")


@pytest.fixture(scope="session")
def artifact_path(dev_graph: ResourceGraph) -> Path:
    """The processor zip for the dev function's runtime and architecture."""
    function = dev_graph.by_type("aws:lambda/function:Function")[0]
    return build_artifact(
        runtime=function.inputs["runtime"], architecture=function.inputs["architectures"][0]
    ).path


@pytest.fixture
def run_kept(artifact_path: Path) -> Iterator[Callable[..., KeptRun]]:
    """Run with keep_running and stop every kept emulator afterwards."""
    endpoints: list[str] = []

    def run(
        graph: ResourceGraph, *, handler_factory: HandlerFactory | None = None, **options: Any
    ) -> KeptRun:
        report = run_local(
            graph,
            LocalOptions(keep_running=True, artifact_path=artifact_path, **options),
            handler_factory=handler_factory,
        )
        assert report.endpoint is not None
        assert report.credentials is not None
        endpoints.append(report.endpoint)
        session = boto3.session.Session(
            aws_access_key_id=report.credentials.access_key_id,
            aws_secret_access_key=report.credentials.secret_access_key,
            region_name=report.region,
        )
        return KeptRun(report, session)

    yield run
    for endpoint in endpoints:
        stop_emulator(endpoint)
