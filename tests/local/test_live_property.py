"""A property of the live stack (issue 22): whatever S3 writes a few threads make at once on a few
keys, with no pause between calls, the table ends equal to S3 once the stack is idle."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap.ops.reconcile import Reconciler
from tap.ops.stack import resolve
from tap.synth import ResourceGraph
from tests.support.bounds import WAIT
from tests.support.local import KeptRun, disagreements
from tests.support.properties import examples

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kept-emulator")]

KEYS = 3
KINDS = ("put", "delete", "delete_version", "delete_marker")
"""A put (an overwrite once the key has a version); a delete (S3 adds a delete marker); a
DeleteObject with the VersionId of a version the thread put; one with a marker's VersionId."""
Op = tuple[str, int, int]
"""(kind, key, which of the thread's own versions or markers a by-id delete removes)."""

ops = st.tuples(st.sampled_from(KINDS), st.integers(0, KEYS - 1), st.integers(0, 7))
bursts = st.lists(st.lists(ops, min_size=1, max_size=10), min_size=2, max_size=4)
"""One list of operations per thread."""


@dataclass
class _Thread:
    """What one writing thread put, as S3 answered it, so its by-id deletes name real ids."""

    versions: dict[str, list[str]] = field(default_factory=dict)
    markers: dict[str, list[str]] = field(default_factory=dict)
    error: BaseException | None = None

    def run(self, s3: Any, bucket: str, prefix: str, burst: list[Op]) -> None:
        try:
            self._write(s3, bucket, prefix, burst)
        except BaseException as error:  # the test judges it, on its own thread
            self.error = error

    def _write(self, s3: Any, bucket: str, prefix: str, burst: list[Op]) -> None:
        for kind, index, pick in burst:
            key = f"{prefix}{index}"
            if kind == "put":
                answer = s3.put_object(Bucket=bucket, Key=key, Body=b"x" * (pick + 1))
                self.versions.setdefault(key, []).append(answer["VersionId"])
            elif kind == "delete":
                answer = s3.delete_object(Bucket=bucket, Key=key)
                if "VersionId" in answer:  # moto adds no marker to a key it never held
                    self.markers.setdefault(key, []).append(answer["VersionId"])
            else:
                held = (self.versions if kind == "delete_version" else self.markers).get(key)
                if held:
                    version = held.pop(pick % len(held))
                    s3.delete_object(Bucket=bucket, Key=key, VersionId=version)


_examples = itertools.count()


@given(bursts=bursts)
@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_concurrent_bursts_on_few_keys_leave_the_table_equal_to_s3(
    kept_live: KeptRun, dev_graph: ResourceGraph, bursts: list[list[Op]]
) -> None:
    run = kept_live
    resources = resolve(dev_graph)
    bucket = resources.buckets[0]
    prefix = f"prop/{next(_examples)}/"  # one stack for every example, a key space for each
    # GIVEN threads writing their bursts at once, with no pause between calls
    writers = [_Thread() for _ in bursts]
    threads = [
        threading.Thread(target=w.run, args=(run.client("s3"), bucket, prefix, burst))
        for w, burst in zip(writers, bursts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [w.error for w in writers] == [None] * len(writers)
    # WHEN the live stack has delivered everything
    assert run.live.wait_idle(timeout=WAIT)
    # THEN reconcile reports no drift
    session = run.ops_session(resources)
    report = Reconciler(resources, session, environment="dev", prefix=prefix).run()
    assert (report.drifted, report.exit_code) == (0, 0), report.to_dict()
    # AND S3's version listing agrees with an independent Scan, key by key
    s3, dynamodb = run.client("s3"), run.client("dynamodb")
    table = run.report.table_name
    assert disagreements(s3, dynamodb, bucket=bucket, table=table, prefix=prefix) == {}
    assert run.live.errors == []


@pytest.fixture
def kept_live(run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph) -> KeptRun:
    """One live stack for all of the property's examples (each writes under its own prefix)."""
    return run_kept(dev_graph, objects=1, keep_running=True)
