"""The live stack (`tap local --keep-running`) over time: memory per event and per listing, a
burst of concurrent writers, and stopping under traffic.

A server process runs the dev stack live, as `tap local --stack dev --keep-running` does
(`local_run` with `keep_running`, then its live stack pumping), and answers this process on
stdin: its RSS (`VmRSS` from /proc) and CPU time, filling a bucket outside the stack through
moto's backend, stopping the live stack. Everything else goes through the endpoint with boto3,
as an operator's tools do, and every "caught up" is judged from the items table: a Scan shows,
for every key written, the version id PutObject answered last.

- soak: one writer puts `events` objects over `keys` keys back to back, after a warm-up on the
  same keys that is not counted and fills what the live stack keeps a fixed amount of (its
  latest delivery records, stream records and log lines); RSS before and after, MB per 1,000
  events. The bucket is versioned: each put is a version S3 keeps, and moto's record of it is
  part of the figure; the same puts to a versioned bucket outside the stack, which sends no
  events, say how much of it S3 alone keeps.
- listing: `listing_keys` keys put straight into moto's backend in a bucket outside the stack
  (no events), then `listings` full ListObjectVersions (paginated) through the endpoint; the RSS
  after each, MB per listing (the median of the listings' increments).
- burst: `writers` threads put back to back for `burst_seconds`; puts per second, then seconds
  until the table holds every writer's last version (the pump catching up).
- stop: `writers` writers put for three seconds, and go on while the live stack is stopped; the
  seconds `LiveStack.stop` took, measured in the server.
"""

from __future__ import annotations

import itertools
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, benchmarks/ would be sys.path[0] and its modules could shadow real packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LISTING_BUCKET = "tap-bench-listing"
QUIET_BUCKET = "tap-bench-versions"
"""A versioned bucket outside the stack, sending no events: what S3 alone keeps per put."""
MB_PER_1000_EVENTS_BOUND = 5.0
MB_PER_LISTING_BOUND = 20.0
BURST_PUTS_PER_SECOND_BOUND = 100.0
CATCH_UP_SECONDS_BOUND = 5.0
STOP_SECONDS_BOUND = 2.0
CATCH_UP_LIMIT = 120.0
"""Seconds to wait for the table before a phase is declared stuck."""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def serve() -> None:
    """The server process: the dev stack live; commands on stdin, one JSON answer per line."""
    import gc

    from moto.backends import get_backend

    from tap.facts import tokens
    from tap.local import LocalOptions, local_run
    from tap.local.live import live_stack, stop_live
    from tap.ops.stack import resolve
    from tap.packaging import build_artifact
    from tap.synth.stack import synthesize_stack

    graph = synthesize_stack(ROOT, "dev")
    resources = resolve(graph)
    function = graph.by_type(tokens.FUNCTION)[0]
    artifact = build_artifact(
        runtime=function.inputs["runtime"], architecture=function.inputs["architectures"][0]
    ).path
    options = LocalOptions(objects=2, keep_running=True, artifact_path=artifact)
    with local_run(graph, options) as (report, emulator):
        assert report.endpoint is not None
        assert report.credentials is not None
        endpoint = report.endpoint
        print(
            json.dumps(
                {
                    "endpoint": endpoint,
                    "access_key_id": report.credentials.access_key_id,
                    "secret_access_key": report.credentials.secret_access_key,
                    "region": resources.region,
                    "bucket": resources.buckets[0],
                    "table": resources.table,
                }
            ),
            flush=True,
        )
        for line in sys.stdin:
            command, *args = line.split()
            answer: dict[str, Any] = {}
            if command == "quiet":
                s3 = get_backend("s3")[resources.account_id]["global"]
                s3.create_bucket(QUIET_BUCKET, resources.region)
                s3.put_bucket_versioning(QUIET_BUCKET, "Enabled")
            elif command == "fill":
                s3 = get_backend("s3")[resources.account_id]["global"]
                s3.create_bucket(LISTING_BUCKET, resources.region)
                for n in range(int(args[0])):
                    s3.put_object(LISTING_BUCKET, f"k/{n:06d}", b"x", disable_notification=True)
            elif command == "stop":
                stack = live_stack(endpoint)
                began = time.perf_counter()
                stop_live(endpoint)
                answer["stop_seconds"] = time.perf_counter() - began
                answer["errors"] = stack.errors[-5:] if stack is not None else []
            gc.collect()
            print(json.dumps(answer), flush=True)
            if command == "stop":
                break
        emulator.stop()


class _Server:
    """The server process and clients of its endpoint."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        if not ready:
            raise RuntimeError(f"the live stack did not start (exit {self.process.wait()})")
        self.ready = json.loads(ready)
        self.bucket: str = self.ready["bucket"]
        self.table: str = self.ready["table"]

    def ask(self, *command: object) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(" ".join(map(str, command)) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def rss_mb(self) -> float:
        self.ask("gc")
        return _rss_mb(self.process.pid)

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.process.pid)

    def client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session(
            aws_access_key_id=self.ready["access_key_id"],
            aws_secret_access_key=self.ready["secret_access_key"],
            region_name=self.ready["region"],
        ).client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.ready["endpoint"],
            config=Config(retries={"mode": "standard", "max_attempts": 2}),
        )

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _caught_up(server: _Server, expected: dict[str, str]) -> float:
    """Seconds until a Scan shows every key of `expected` at its version id; raises if stuck."""
    dynamodb = server.client("dynamodb")
    began = time.perf_counter()
    while True:
        pages = dynamodb.get_paginator("scan").paginate(TableName=server.table)
        held = {
            item["key"]["S"]: item.get("version_id", {}).get("S")
            for page in pages
            for item in page["Items"]
        }
        if all(held.get(key) == version for key, version in expected.items()):
            return time.perf_counter() - began
        if time.perf_counter() - began > CATCH_UP_LIMIT:
            behind = sum(held.get(k) != v for k, v in expected.items())
            raise RuntimeError(f"the table is {behind} keys behind after {CATCH_UP_LIMIT:.0f} s")
        time.sleep(0.05)


def _put_sequentially(
    server: _Server, events: int, keys: int, bucket: str | None = None
) -> dict[str, str]:
    s3 = server.client("s3")
    last: dict[str, str] = {}
    for n in range(events):
        key = f"soak/{n % keys:05d}"
        answer = s3.put_object(Bucket=bucket or server.bucket, Key=key, Body=b"%d" % n)
        last[key] = answer["VersionId"]
    return last


def _soak(server: _Server, events: int, keys: int, warmup: int) -> dict[str, Any]:
    # The warm-up writes the soak's own keys: the table holds the same items throughout.
    _caught_up(server, _put_sequentially(server, warmup, keys))
    rss_start, cpu_start = server.rss_mb(), server.cpu_seconds()
    began = time.perf_counter()
    last = _put_sequentially(server, events, keys)
    _caught_up(server, last)
    seconds = time.perf_counter() - began
    rss_end, cpu_end = server.rss_mb(), server.cpu_seconds()
    # The same puts to a versioned bucket that sends no events: what S3 alone keeps.
    server.ask("quiet")
    _put_sequentially(server, warmup, keys, QUIET_BUCKET)
    rss_quiet = server.rss_mb()
    _put_sequentially(server, events, keys, QUIET_BUCKET)
    s3_alone = (server.rss_mb() - rss_quiet) * 1000 / events
    return {
        "events": events,
        "keys": keys,
        "warmup_events": warmup,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "mb_per_1000_events": (rss_end - rss_start) * 1000 / events,
        "s3_alone_mb_per_1000_puts": s3_alone,
        "seconds": seconds,
        "events_per_second": events / seconds,
        "server_cpu_ms_per_event": (cpu_end - cpu_start) * 1000 / events,
    }


def _listing(server: _Server, listing_keys: int, listings: int) -> dict[str, Any]:
    server.ask("fill", listing_keys)
    s3 = server.client("s3")
    rss = [server.rss_mb()]
    listed = []
    for _ in range(listings):
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=LISTING_BUCKET)
        listed.append(sum(len(page.get("Versions", [])) for page in pages))
        rss.append(server.rss_mb())
    increments = [after - before for before, after in itertools.pairwise(rss)]
    return {
        "keys": listing_keys,
        "listings": listings,
        "listed_versions": listed,
        "rss_mb": rss,
        "mb_per_listing": statistics.median(increments),
        "first_listing_mb": increments[0],
    }


def _writers(
    server: _Server, writers: int, stop: threading.Event, keys: int
) -> tuple[list[threading.Thread], list[dict[str, str]], list[int], list[str]]:
    last: list[dict[str, str]] = [{} for _ in range(writers)]
    counts = [0] * writers
    errors: list[str] = []

    def write(w: int) -> None:
        s3 = server.client("s3")
        n = 0
        while not stop.is_set():
            key = f"burst/{w}/{n % keys:04d}"
            try:
                answer = s3.put_object(Bucket=server.bucket, Key=key, Body=b"%d" % n)
            except Exception as error:  # the server may be stopping under the writers
                errors.append(f"{type(error).__name__}: {error}")
                return
            last[w][key] = answer["VersionId"]
            counts[w] += 1
            n += 1

    threads = [threading.Thread(target=write, args=(w,), daemon=True) for w in range(writers)]
    return threads, last, counts, errors


FIRST_PUT_WAIT = 120.0
"""How long a burst waits past its seconds for every writer's first put."""


def _await_each_writers_first_put(counts: list[int], errors: list[str]) -> None:
    """A burst measures at least one put per writer, however loaded the machine: a test's
    1-second burst of 2 writers made none at load 16 (its writers' first requests were still in
    flight when it ended)."""
    deadline = time.monotonic() + FIRST_PUT_WAIT
    while min(counts) == 0 and not errors and time.monotonic() < deadline:
        time.sleep(0.05)


def _burst(server: _Server, writers: int, seconds: float, keys: int) -> dict[str, Any]:
    stop = threading.Event()
    threads, last, counts, errors = _writers(server, writers, stop, keys)
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    _await_each_writers_first_put(counts, errors)
    stop.set()
    for thread in threads:
        thread.join()
    wrote = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"a writer failed: {errors[0]}")
    expected = {k: v for each in last for k, v in each.items()}
    catch_up = _caught_up(server, expected)
    return {
        "writers": writers,
        "seconds": wrote,
        "puts": sum(counts),
        "puts_per_second": sum(counts) / wrote,
        "catch_up_seconds": catch_up,
        "keys": len(expected),
    }


def _stop_under_traffic(server: _Server, writers: int, seconds: float) -> dict[str, Any]:
    stop = threading.Event()
    threads, _last, counts, _errors = _writers(server, writers, stop, 50)
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    answer = server.ask("stop")
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return {
        "writers": writers,
        "puts_before_stop": sum(counts),
        "stop_seconds": answer["stop_seconds"],
        "pump_errors": answer["errors"],
    }


def measure(
    *,
    events: int = 2000,
    keys: int = 200,
    warmup: int = 600,
    listing_keys: int = 10_000,
    listings: int = 3,
    writers: int = 8,
    burst_seconds: float = 10.0,
    on_phase: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Soak, listing, burst and stop against one live stack; violations of the issue's
    targets are listed, not raised."""
    phase = on_phase or (lambda _name: None)
    server = _Server()
    try:
        phase("soak")
        soak = _soak(server, events, keys, warmup)
        phase("listing")
        listing = _listing(server, listing_keys, listings)
        phase("burst")
        burst = _burst(server, writers, burst_seconds, keys=50)
        phase("stop")
        stopped = _stop_under_traffic(server, writers, 3.0)
    finally:
        server.close()
    violations = []
    if soak["mb_per_1000_events"] > MB_PER_1000_EVENTS_BOUND:
        violations.append(
            f"live stack: {soak['mb_per_1000_events']:.1f} MB per 1,000 events "
            f"(bound {MB_PER_1000_EVENTS_BOUND:.0f})"
        )
    if listing["mb_per_listing"] >= MB_PER_LISTING_BOUND:
        violations.append(
            f"live stack: {listing['mb_per_listing']:.1f} MB per {listing_keys:,}-key listing "
            f"(bound < {MB_PER_LISTING_BOUND:.0f})"
        )
    if burst["puts_per_second"] < BURST_PUTS_PER_SECOND_BOUND:
        violations.append(
            f"live stack: {writers} writers put {burst['puts_per_second']:.0f}/s "
            f"(bound ≥ {BURST_PUTS_PER_SECOND_BOUND:.0f})"
        )
    if burst["catch_up_seconds"] > CATCH_UP_SECONDS_BOUND:
        violations.append(
            f"live stack: the table caught up {burst['catch_up_seconds']:.1f} s after the burst "
            f"(bound {CATCH_UP_SECONDS_BOUND:.0f} s)"
        )
    if stopped["stop_seconds"] > STOP_SECONDS_BOUND:
        violations.append(
            f"live stack: stopping under traffic took {stopped['stop_seconds']:.1f} s "
            f"(bound {STOP_SECONDS_BOUND:.0f} s)"
        )
    return {
        "soak": soak,
        "listing": listing,
        "burst": burst,
        "stop": stopped,
        "bounds": {
            "mb_per_1000_events": MB_PER_1000_EVENTS_BOUND,
            "mb_per_listing": MB_PER_LISTING_BOUND,
            "puts_per_second": BURST_PUTS_PER_SECOND_BOUND,
            "catch_up_seconds": CATCH_UP_SECONDS_BOUND,
            "stop_seconds": STOP_SECONDS_BOUND,
        },
        "violations": violations,
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        from benchmarks.emulator import use_fake_credentials

        use_fake_credentials()
        print(
            json.dumps(
                measure(on_phase=lambda name: print(f"[live] {name}", file=sys.stderr)), indent=2
            )
        )
