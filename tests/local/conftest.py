"""Fixtures for local runs: the dev stack's graph, the artifact, graph mutations, kept emulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tap.local import HandlerFactory, LocalOptions, local_run, stop_emulator
from tap.packaging import build_artifact
from tap.synth import ResourceGraph
from tests.support.local import KeptRun
from tests.support.shipped import shipped


@pytest.fixture(scope="session")
def dev_graph() -> ResourceGraph:
    """The shipped dev stack, as tests.support.shipped reads it (through the graph cache)."""
    return shipped("dev")[0]


@pytest.fixture(scope="session")
def artifact_path(dev_graph: ResourceGraph) -> Path:
    """The processor zip for the dev function's runtime and architecture."""
    function = dev_graph.by_type("aws:lambda/function:Function")[0]
    return build_artifact(
        runtime=function.inputs["runtime"], architecture=function.inputs["architectures"][0]
    ).path


@pytest.fixture
def run_kept(artifact_path: Path) -> Iterator[Callable[..., KeptRun]]:
    """Runs whose emulators stay up until the test ends: in-process (moto's backends, no HTTP),
    or, with `keep_running=True`, a server with a live stack, as `tap local --keep-running`."""
    with ExitStack() as runs:

        def run(
            graph: ResourceGraph,
            *,
            handler_factory: HandlerFactory | None = None,
            keep_running: bool = False,
            **options: Any,
        ) -> KeptRun:
            report, emulator = runs.enter_context(
                local_run(
                    graph,
                    LocalOptions(keep_running=keep_running, artifact_path=artifact_path, **options),
                    handler_factory=handler_factory,
                )
            )
            if keep_running:
                assert report.endpoint is not None
                assert report.credentials is not None
                runs.callback(stop_emulator, report.endpoint)
            return KeptRun(report, emulator)

        yield run
