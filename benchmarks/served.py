"""The dev stack served by a child process, for the day-2 benchmarks: one way to deploy it, fill
its bucket (and table) through moto's backends, say where it is, and reach it from the parent.

The child deploys dev into a kept emulator server, fills it, prints one JSON line (endpoint,
credentials, and what the caller adds) and serves until its stdin closes; the parent reads that
line (`child_server`) and closes stdin when its measurement is done.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tap.local.emulator import Emulator
    from tap.ops.stack import StackResources

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def deployed_dev() -> Iterator[tuple[Emulator, StackResources]]:
    """Dev deployed into a kept emulator server, with moto patched as the benchmarks need
    (`reconcile_scale.patch_moto`); the server stops when the block ends."""
    from benchmarks.reconcile_scale import patch_moto
    from tap.facts import tokens
    from tap.local.deploy import deploy
    from tap.local.emulator import running_emulator
    from tap.ops.stack import resolve
    from tap.packaging import build_artifact
    from tap.synth.stack import synthesize_stack

    patch_moto()
    graph = synthesize_stack(ROOT, "dev")
    resources = resolve(graph)
    function = graph.by_type(tokens.FUNCTION)[0]
    artifact = build_artifact(
        runtime=function.inputs["runtime"], architecture=function.inputs["architectures"][0]
    ).path.read_bytes()
    with running_emulator(
        account_id=resources.account_id, region=resources.region, keep_running=True
    ) as emulator:
        deploy(emulator, list(graph.resources), artifact=artifact)
        try:
            yield emulator, resources
        finally:
            emulator.stop()


def backends(resources: StackResources) -> tuple[Any, Any]:
    """moto's S3 and DynamoDB backends of the stack's account (its region's, for DynamoDB)."""
    from moto.backends import get_backend

    return (
        get_backend("s3")[resources.account_id]["global"],
        get_backend("dynamodb")[resources.account_id][resources.region],
    )


def processor_item(bucket: str, key: str, stored: Any) -> dict[str, Any]:
    """The processor's own item for a version moto stored (as a backfill would write it)."""
    from tap_processor.backfill import listing_event
    from tap_processor.state import ObjectState, Status
    from tap_processor.store import to_item

    state = ObjectState(Status.PRESENT, stored.version_id, stored.size, stored.etag.strip('"'))
    event = listing_event(bucket, key, state, event_time="2026-12-01T00:00:00.000Z")
    return dict(to_item(event, state, environment="dev", updated_at="2026-12-01T00:00:00.000Z"))


def announce_and_serve(emulator: Emulator, **extra: Any) -> None:
    """Print where the server is (one JSON line), then serve until stdin closes."""
    assert emulator.endpoint is not None
    where = {
        "endpoint": emulator.endpoint,
        "access_key_id": emulator.credentials.access_key_id,
        "secret_access_key": emulator.credentials.secret_access_key,
        **extra,
    }
    print(json.dumps(where), flush=True)
    sys.stdin.read()


@contextmanager
def child_server(script: str, *args: str, timeout: float = 300) -> Iterator[dict[str, Any]]:
    """Run `script serve ARGS` in a child process; yield the JSON line it announces; stop it
    (stdin closed) when the block ends."""
    server = subprocess.Popen(
        [sys.executable, script, "serve", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            raise RuntimeError(
                f"the server {Path(script).name} {' '.join(args)} ended first "
                f"(exit {server.wait()})"
            )
        yield json.loads(line)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=timeout)
