"""`tap reconcile` at scale: throughput and peak RSS on 10^4 and 10^5 objects.

For each size, a server process deploys the dev stack into a kept moto server (a
ThreadedMotoServer on 127.0.0.1) and fills its versioned bucket and items table directly
through moto's backends (`put_object` without notifications, `put_item` of the processor's own
items, `store.to_item`): 10^5 puts through boto3 and HTTP would take minutes. Every 1000th
object gets no item, so each run also finds, reads again and reports drift (0.1 % of keys).

Two patches of moto's private code, in the server process only, keep the emulator from
dominating what is measured (both documented in results.md): ListObjectVersions deep-copies and
sorts every version of the bucket for every page (quadratic in the bucket: hours at 10^5), so
it goes through tap local's own listing adapter (`tap.internals.moto.windowed_version_listing`:
each page copies only the names it can answer, which gives the same listing), with moto's
tracked copies dropped after each page; and DynamoDB Scan pages are written as JSON directly
instead of through moto's shape serializer (about 2 ms per item).

`tap reconcile --stack dev --endpoint-url URL --json` then runs as its own process, the
installed script as an operator runs it; its peak RSS is that process's `ru_maxrss` (from
`os.wait4`), so the emulator's memory is not counted, and its throughput is objects divided by
the `elapsed_seconds` the command reports (listing, Scan, join and re-reads; not start-up).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, benchmarks/ would be sys.path[0] and its modules could shadow real packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks.served import (  # noqa: E402
    announce_and_serve,
    backends,
    child_server,
    deployed_dev,
    processor_item,
)

SIZES = (10_000, 100_000)
MISSING_EVERY = 1000
RSS_BOUND = 2.0
"""Peak RSS at the largest size must stay under this multiple of the smallest size's."""


def _key(n: int) -> str:
    return f"data/{n // 1000:04d}/object {n:07d}.csv"


def patch_moto() -> None:
    """The two benchmark-only patches of the module docstring, in this process."""
    import json as _json

    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.models import S3Backend

    from tap.internals.moto import forget_tracked_models, windowed_version_listing

    # Each page copies only the names it can answer (tap local's own listing adapter), and
    # moto's tracked copies of each page's versions are dropped after it, as the live stack does.
    windowed_version_listing()
    listing = S3Backend.list_object_versions

    def forgetting(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return listing(self, *args, **kwargs)
        finally:
            forget_tracked_models()  # moto tracks each page's deep copies, for its dashboard

    S3Backend.list_object_versions = forgetting  # type: ignore[method-assign]
    scan = DynamoHandler.scan

    def scan_as_json(self: Any) -> Any:
        result = scan(self)
        return _json.dumps(result.result) if hasattr(result, "result") else result

    DynamoHandler.scan = scan_as_json  # type: ignore[method-assign]


def serve(objects: int) -> None:
    """Process A: deploy, fill, print the endpoint and credentials, serve until stdin closes."""
    with deployed_dev() as (emulator, resources):
        bucket, table = resources.buckets[0], resources.table
        s3, dynamodb = backends(resources)
        began = time.perf_counter()
        for n in range(objects):
            key = _key(n)
            stored = s3.put_object(bucket, key, b"x" * (n % 97 + 1), disable_notification=True)
            if n % MISSING_EVERY != MISSING_EVERY - 1:
                dynamodb.put_item(table, processor_item(bucket, key, stored))
        filled = time.perf_counter() - began
        # The filled bucket and table never change: the collector need not walk them again.
        gc.collect()
        gc.freeze()
        announce_and_serve(emulator, fill_seconds=filled)


def _tap() -> str:
    return str(Path(sys.executable).parent / "tap")


def run_size(objects: int) -> dict[str, Any]:
    """Serve `objects`, run `tap reconcile` once against them, measure that process."""
    with child_server(str(Path(__file__).resolve()), str(objects), timeout=120) as ready:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": ready["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": ready["secret_access_key"],
        }
        env.pop("AWS_SESSION_TOKEN", None)
        command = [
            _tap(),
            "reconcile",
            "--stack",
            "dev",
            "-C",
            str(ROOT),
            "--endpoint-url",
            ready["endpoint"],
            "--json",
        ]
        began = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True, cwd=ROOT)
        assert child.stdout is not None
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
    report = json.loads(output)
    return {
        "objects": objects,
        "exit_code": child.returncode,
        "fill_seconds": ready["fill_seconds"],
        "wall_seconds": wall,
        "elapsed_seconds": report["elapsed_seconds"],
        "objects_per_second": objects / report["elapsed_seconds"],
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "objects_per_cpu_second": objects / (usage.ru_utime + usage.ru_stime),
        "listed_keys": report["listed_keys"],
        "scanned_items": report["scanned_items"],
        "counts": report["counts"],
    }


def measure(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Each size in its own processes; the RSS bound between the smallest and the largest."""
    runs = [run_size(n) for n in sizes]
    violations = []
    for run in runs:
        expected = run["objects"] // MISSING_EVERY
        if run["counts"]["missing_item"] != expected or run["listed_keys"] != run["objects"]:
            violations.append(
                f"reconcile on {run['objects']} objects found {run['counts']} over "
                f"{run['listed_keys']} keys, expected {expected} missing items"
            )
    rss_ratio = runs[-1]["peak_rss_mb"] / runs[0]["peak_rss_mb"]
    if rss_ratio >= RSS_BOUND:
        violations.append(
            f"reconcile peak RSS at {sizes[-1]} objects is {rss_ratio:.2f}x that at {sizes[0]}"
        )
    return {
        "runs": runs,
        "rss_ratio": rss_ratio,
        "rss_bound": RSS_BOUND,
        "violations": violations,
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
        print(json.dumps(measure(sizes), indent=2))
