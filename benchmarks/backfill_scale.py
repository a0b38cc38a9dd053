"""`tap backfill`'s rate (keys per second) with 1 and 8 workers, on a flat and a deep layout.

A server process deploys the dev stack into a kept moto server (a ThreadedMotoServer on
127.0.0.1) and fills its versioned bucket through moto's backend (no notifications, no HTTP),
each run's keys under a prefix of their own, so every run starts with none of its keys in the
table. The layouts:
- flat: every key directly under the run's prefix (issue 22's 3,000 keys under `bulk/`);
- deep: 10 x 10 prefixes two levels down (`07/03/`), the keys spread evenly over them.

This process runs `Backfill` (the library `tap backfill` is a thin command over) with
`--prefix` set to the run's prefix and times `run()`: listing, writing, waiting for the last
range. A run must list and write every one of its keys with no error, or the measurement fails.

Two settings, reported apart:
- emulator: as served. moto serves every request in one Python process, so requests made at
  once are served one after another and parallel speedup hardly shows;
- simulated round trips: each S3 and DynamoDB request first waits `ROUND_TRIP` (a botocore
  `before-send` hook), as a request to AWS waits for the network, on fewer keys. This is where
  workers show, as they would against AWS (where the round trip, not the server, dominates).

The server process applies reconcile_scale's benchmark-only moto patches (ListObjectVersions
handed only the page's window of names), so a listing does not deep-copy the whole bucket.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, benchmarks/ would be sys.path[0] and its modules could shadow real packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks.served import announce_and_serve, backends, child_server, deployed_dev  # noqa: E402

KEYS = 3000
RTT_KEYS = 400
RUNS = 3
WORKERS = (1, 8)
LAYOUTS = ("flat", "deep")
ROUND_TRIP = 0.02
"""Seconds each request waits before it is sent, in the simulated setting."""
SETTINGS = {"emulator": 0.0, "round_trips": ROUND_TRIP}
"""Each setting's simulated round trip, in seconds."""


def layout_keys(layout: str, prefix: str, count: int) -> list[str]:
    """`count` keys of `layout` under `prefix`."""
    if layout == "flat":
        return [f"{prefix}object {n:05d}.csv" for n in range(count)]
    return [f"{prefix}{n % 10:02d}/{n // 10 % 10:02d}/object {n:05d}.csv" for n in range(count)]


def _sizes(keys: int, rtt_keys: int) -> dict[str, int]:
    return {"emulator": keys, "round_trips": rtt_keys}


def plan(runs: int, keys: int, rtt_keys: int) -> list[dict[str, Any]]:
    """Every run, in the order they are made: rounds outermost, so drift hits all alike."""
    sizes = _sizes(keys, rtt_keys)
    return [
        {
            "setting": setting,
            "layout": layout,
            "workers": workers,
            "round": n,
            "prefix": f"{setting}/{layout}/{workers}w/{n}/",
            "keys": sizes[setting],
        }
        for n in range(runs)
        for setting in SETTINGS
        for layout in LAYOUTS
        for workers in WORKERS
    ]


def serve(runs: int, keys: int, rtt_keys: int) -> None:
    """The server process: deploy, fill every run's keys, print how to connect, serve until
    stdin closes."""
    with deployed_dev() as (emulator, resources):
        s3, _ = backends(resources)
        began = time.perf_counter()
        for run in plan(runs, keys, rtt_keys):
            for key in layout_keys(run["layout"], run["prefix"], run["keys"]):
                s3.put_object(resources.buckets[0], key, b"x", disable_notification=True)
        announce_and_serve(emulator, fill_seconds=time.perf_counter() - began)


@contextmanager
def _server(runs: int, keys: int, rtt_keys: int) -> Iterator[dict[str, Any]]:
    args = map(str, (runs, keys, rtt_keys))
    with child_server(str(Path(__file__).resolve()), *args, timeout=120) as ready:
        yield ready


def _round_trips(session: Any, seconds: float) -> None:
    """Make every request of the session's S3 and DynamoDB clients wait `seconds` first."""

    def wait(**_: Any) -> None:
        time.sleep(seconds)

    for service in ("s3", "dynamodb"):
        session.client(service).meta.events.register("before-send", wait)


def _one_run(connect: Callable[[], Any], resources: Any, run: dict[str, Any]) -> float:
    """Backfill one run's prefix; its rate in keys per second."""
    from tap.ops.backfill import Backfill

    session = connect()
    round_trip = SETTINGS[run["setting"]]
    if round_trip:
        _round_trips(session, round_trip)
    backfill = Backfill(
        session, resources, environment="dev", prefix=run["prefix"], workers=run["workers"]
    )
    began = time.perf_counter()
    result = backfill.run()
    seconds = time.perf_counter() - began
    counts = result.to_dict()
    wanted = {"listed": run["keys"], "written": run["keys"], "errors": 0}
    if {k: counts[k] for k in wanted} != wanted or not result.complete:
        raise RuntimeError(
            f"backfill of {run['prefix']} gave {counts}, expected {wanted}: {result.error_samples}"
        )
    return float(run["keys"]) / seconds


def measure(runs: int = RUNS, keys: int = KEYS, rtt_keys: int = RTT_KEYS) -> dict[str, Any]:
    """Rates per setting, layout and worker count (medians of `runs`), and 8 workers' speedup
    over 1 (the median of each round's ratio)."""
    import boto3

    from benchmarks.measure import Sample, paired_ratio, progress
    from tap.ops.session import connect
    from tap.ops.stack import resolve
    from tap.synth.stack import synthesize_stack

    resources = resolve(synthesize_stack(ROOT, "dev"))
    rates: dict[tuple[str, str, int], list[float]] = {}
    with _server(runs, keys, rtt_keys) as ready:
        base = boto3.session.Session(
            aws_access_key_id=ready["access_key_id"],
            aws_secret_access_key=ready["secret_access_key"],
            region_name=resources.region,
        )

        def session() -> Any:
            return connect(resources, role_arn=None, endpoint_url=ready["endpoint"], base=base)

        for run in plan(runs, keys, rtt_keys):
            rate = _one_run(session, resources, run)
            rates.setdefault((run["setting"], run["layout"], run["workers"]), []).append(rate)
            progress(f"backfill {run['prefix']}: {rate:,.0f} keys/s")
    settings: dict[str, Any] = {}
    for setting, round_trip in SETTINGS.items():
        layouts: dict[str, Any] = {}
        for layout in LAYOUTS:
            one, eight = (rates[(setting, layout, w)] for w in WORKERS)
            layouts[layout] = {
                "rates": {
                    str(w): Sample.of(rates[(setting, layout, w)], "keys/s").to_dict()
                    for w in WORKERS
                },
                "speedup": paired_ratio(list(zip(eight, one, strict=True))).to_dict(),
            }
        settings[setting] = {
            "keys": _sizes(keys, rtt_keys)[setting],
            "round_trip_seconds": round_trip,
            "layouts": layouts,
        }
    return {"workers": list(WORKERS), "fill_seconds": ready["fill_seconds"], "settings": settings}


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        print(json.dumps(measure(*(int(a) for a in sys.argv[1:])), indent=2))
