"""The day-2 commands against their floors: process CPU, peak RSS and traced memory.

Each command (`tap backfill`, `tap reconcile`, `tap redrive`) is measured beside its floor: the
bare boto3 calls it cannot avoid, against the same endpoint, with the same parallelism:
- backfill: ListObjectVersions pages (1000 keys) and one conditional PutItem of the same item
  per current version, on 8 threads (the command's default workers);
- reconcile: ListObjectVersions pages and a 4-segment parallel consistent Scan (the command's
  segments), each page decoded and dropped;
- redrive: ReceiveMessage (10 at a time, with attributes), the re-submission (against an
  emulator, SendMessage to the live stack's invoke inbox, which is what `tap redrive` sends
  there), DeleteMessage, per message.

A server process deploys the dev stack into a kept moto server and fills its versioned bucket
through moto's backend (reconcile_scale's patches keep the emulator from swamping it). Each
figure is one fresh child process: it imports everything first, then measures only the work
(`getrusage(RUSAGE_SELF)` user+system CPU of every thread, from before its session and clients
are made to the end): interpreter start and imports are section 3's, not this one's. The
command's side includes what it always does (the account proof, the recorder of its calls,
re-reading what the join found). Peak RSS is the child's `ru_maxrss`; traced memory is the
peak `tracemalloc` saw in a separate child (tracing slows Python, so its CPU is not used).
The backfill floor writes to a scratch table of the same schema, so the command still finds
the stack's table empty; every 1000th item is then deleted, so reconcile finds, reads again and
reports 0.1 % drift.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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

SIZES = (10_000, 50_000)
MESSAGES = 500
"""Messages in the delivery DLQ for each redrive figure: moto scans its queue on every receive
and delete, so 2,000 took some 10 minutes a side on a loaded machine; 500 take about one."""
MISSING_EVERY = 1000
BOUND = 1.2
"""Goal: each command's CPU at most this multiple of its floor's (issue 24 §9)."""
WORKERS = 8
SEGMENTS = 4
FLOOR_TABLE = "tap-bench-floor-items"
COMMANDS = ("backfill", "reconcile", "redrive")


def _key(n: int) -> str:
    return f"data/{n // 1000:04d}/object {n:07d}.csv"


# -- the server --------------------------------------------------------------------------------


def serve(objects: int, items: bool = False) -> None:
    """Deploy dev, fill its bucket (and, with `items`, its table, every MISSING_EVERY-th item
    left out, through moto's backend), print where it is, serve until stdin closes."""
    with deployed_dev() as (emulator, resources):
        s3, table = backends(resources)
        for n in range(objects):
            stored = s3.put_object(
                resources.buckets[0], _key(n), b"x" * (n % 97 + 1), disable_notification=True
            )
            if items and n % MISSING_EVERY != MISSING_EVERY - 1:
                table.put_item(
                    resources.table, processor_item(resources.buckets[0], _key(n), stored)
                )
        announce_and_serve(emulator)


@contextmanager
def served(objects: int, *, items: bool = False) -> Iterator[dict[str, str]]:
    """A server filled with `objects` keys (and their items); yields its endpoint and
    credentials."""
    args = [str(objects), *(["items"] if items else [])]
    with child_server(str(Path(__file__).resolve()), *args) as ready:
        yield ready


# -- one figure, in a child process ----------------------------------------------------------


def _env(ready: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ready["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": ready["secret_access_key"],
    }
    env.pop("AWS_SESSION_TOKEN", None)
    return env


def figure(ready: dict[str, str], command: str, side: str, *, trace: bool = False) -> Any:
    """One child process measuring `side` (`command` or `floor`) of `command`."""
    argv = [sys.executable, str(Path(__file__).resolve()), "measure", command, side]
    argv += [ready["endpoint"], "trace" if trace else "cpu"]
    done = subprocess.run(
        argv, check=False, capture_output=True, text=True, env=_env(ready), cwd=ROOT
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"{command} {side} exited {done.returncode}: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of this process, every thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _status_mb(field: str) -> float:
    """A VmRSS/VmHWM figure of this process, in MB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> None:
    """Start VmHWM again from the current RSS (Linux: `5` to clear_refs), so the peak is the
    work's, not the imports'."""
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


PRELOADED = (
    "boto3",
    "botocore.config",
    "tap.ops.backfill",
    "tap.ops.inbox",
    "tap.ops.reconcile",
    "tap.ops.redrive",
    "tap.ops.session",
    "tap_processor.backfill",
    "tap_processor.store",
    "tap_processor.versions",
)
"""Imported before the measured work, so neither side pays for imports."""


def measure_child(command: str, side: str, endpoint: str, mode: str) -> dict[str, Any]:
    """Import everything, then run one side once and say what it cost."""
    for module in PRELOADED:
        importlib.import_module(module)
    from tap.ops.stack import stack_resources

    resources, _ = stack_resources(ROOT, "dev")
    work: Callable[[], Any] = (
        (lambda: FLOORS[command](endpoint, resources))
        if side == "floor"
        else (lambda: RUNS[command](endpoint, resources))
    )
    _reset_peak_rss()
    before_rss = _status_mb("VmRSS")
    if mode == "trace":
        tracemalloc.start()
        outcome = work()
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return {"traced_peak_mb": traced, "outcome": outcome}
    user, system = _cpu()
    outcome = work()
    user_after, system_after = _cpu()
    return {
        "cpu_seconds": user_after - user + system_after - system,
        "system_seconds": system_after - system,
        "peak_rss_mb": _status_mb("VmHWM"),
        "rss_before_mb": before_rss,
        "outcome": outcome,
    }


# -- the commands, as their CLI runs them --------------------------------------------------------


def _session(endpoint: str, resources: Any) -> Any:
    from tap.ops.session import connect

    return connect(resources, role_arn=None, endpoint_url=endpoint)


def run_backfill(endpoint: str, resources: Any) -> dict[str, int]:
    from tap.ops.backfill import Backfill

    result = Backfill(_session(endpoint, resources), resources, environment="dev").run()
    return {"listed": result.counts.listed, "written": result.counts.written}


def run_reconcile(endpoint: str, resources: Any) -> dict[str, int]:
    from tap.ops.reconcile import Reconciler

    report = Reconciler(resources, _session(endpoint, resources), environment="dev").run()
    return {
        "listed": report.listed_keys,
        "scanned": report.scanned_items,
        "drifted": report.drifted,
    }


def run_redrive(endpoint: str, resources: Any) -> dict[str, int]:
    from tap.ops.redrive import redrive

    report = redrive(_session(endpoint, resources), resources, "delivery")
    return {"received": report.received, "resubmitted": report.resubmitted}


RUNS: dict[str, Callable[[str, Any], dict[str, int]]] = {
    "backfill": run_backfill,
    "reconcile": run_reconcile,
    "redrive": run_redrive,
}


# -- the floors: bare boto3 --------------------------------------------------------------------


def _clients(endpoint: str, resources: Any, *services: str) -> list[Any]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    config = Config(retries={"mode": "standard"}, max_pool_connections=32)
    return [
        session.client(s, region_name=resources.region, endpoint_url=endpoint, config=config)
        for s in services
    ]


def _pages(s3: Any, bucket: str) -> Iterator[dict[str, Any]]:
    yield from s3.get_paginator("list_object_versions").paginate(Bucket=bucket)


def floor_backfill(endpoint: str, resources: Any) -> dict[str, int]:
    s3, dynamodb = _clients(endpoint, resources, "s3", "dynamodb")
    bucket = resources.buckets[0]

    def put(version: dict[str, Any]) -> None:
        key = version["Key"]
        dynamodb.put_item(
            TableName=FLOOR_TABLE,
            Item={
                "id": {"S": f"{bucket}/{key}"},
                "bucket": {"S": bucket},
                "key": {"S": key},
                "sequencer": {"S": "0" * 32},
                "status": {"S": "present"},
                "environment": {"S": "dev"},
                "event_time": {"S": "2026-12-01T00:00:00Z"},
                "updated_at": {"S": "2026-12-01T00:00:00.000Z"},
                "size": {"N": str(version["Size"])},
                "etag": {"S": version["ETag"].strip('"')},
                "version_id": {"S": version["VersionId"]},
                "read_at": {"S": "2026-12-01T00:00:00.000Z"},
            },
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": "id"},
        )

    written = 0
    with ThreadPoolExecutor(WORKERS) as pool:
        for page in _pages(s3, bucket):
            current = [v for v in page.get("Versions", []) if v["IsLatest"]]
            written += sum(1 for _ in pool.map(put, current))
    return {"listed": written, "written": written}


def floor_reconcile(endpoint: str, resources: Any) -> dict[str, int]:
    s3, dynamodb = _clients(endpoint, resources, "s3", "dynamodb")
    counted = {"listed": 0, "scanned": 0}
    lock = threading.Lock()

    def listing() -> None:
        for page in _pages(s3, resources.buckets[0]):
            with lock:
                counted["listed"] += len(page.get("Versions", []))

    def segment(n: int) -> None:
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=resources.table, Segment=n, TotalSegments=SEGMENTS, ConsistentRead=True
        )
        for page in pages:
            with lock:
                counted["scanned"] += len(page.get("Items", []))

    with ThreadPoolExecutor(SEGMENTS + 1) as pool:
        futures = [pool.submit(listing)] + [pool.submit(segment, n) for n in range(SEGMENTS)]
        for future in futures:
            future.result()
    return counted


def floor_redrive(endpoint: str, resources: Any) -> dict[str, int]:
    from tap.ops.inbox import inbox_name

    (sqs,) = _clients(endpoint, resources, "sqs")
    dlq = sqs.get_queue_url(QueueName=resources.delivery_dlq.name)["QueueUrl"]
    inbox = sqs.get_queue_url(QueueName=inbox_name(resources.function))["QueueUrl"]
    moved = 0
    while batch := sqs.receive_message(
        QueueUrl=dlq,
        MaxNumberOfMessages=10,
        VisibilityTimeout=900,
        WaitTimeSeconds=1,
        MessageAttributeNames=["All"],
    ).get("Messages", []):
        for message in batch:
            sqs.send_message(QueueUrl=inbox, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return {"received": moved, "resubmitted": moved}


FLOORS: dict[str, Callable[[str, Any], dict[str, int]]] = {
    "backfill": floor_backfill,
    "reconcile": floor_reconcile,
    "redrive": floor_redrive,
}


# -- what the harness sets up between figures ----------------------------------------------------


def _admin(ready: dict[str, str], service: str) -> Any:
    import boto3

    from tap.ops.stack import stack_resources

    resources, _ = stack_resources(ROOT, "dev")
    return boto3.client(
        service,
        region_name=resources.region,
        endpoint_url=ready["endpoint"],
        aws_access_key_id=ready["access_key_id"],
        aws_secret_access_key=ready["secret_access_key"],
    ), resources


def make_floor_table(ready: dict[str, str]) -> None:
    """A table of the items table's key schema, for the backfill floor's writes."""
    dynamodb, _ = _admin(ready, "dynamodb")
    dynamodb.create_table(
        TableName=FLOOR_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def clear_tables(ready: dict[str, str]) -> None:
    """Delete the floor table and every item of the stack's, for a backfill run again."""
    dynamodb, resources = _admin(ready, "dynamodb")
    for table in (FLOOR_TABLE, resources.table):
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression="#id", ExpressionAttributeNames={"#id": "id"}
        ):
            for start in range(0, len(page.get("Items", [])), 25):
                dynamodb.batch_write_item(
                    RequestItems={
                        table: [
                            {"DeleteRequest": {"Key": item}}
                            for item in page["Items"][start : start + 25]
                        ]
                    }
                )


def drop_items(ready: dict[str, str], objects: int) -> None:
    """Delete every MISSING_EVERY-th item: the drift reconcile must find."""
    dynamodb, resources = _admin(ready, "dynamodb")
    bucket = resources.buckets[0]
    for n in range(MISSING_EVERY - 1, objects, MISSING_EVERY):
        dynamodb.delete_item(TableName=resources.table, Key={"id": {"S": f"{bucket}/{_key(n)}"}})


def fill_dlq(ready: dict[str, str], messages: int) -> None:
    """`messages` S3 events in the delivery DLQ, as EventBridge parks them; and the inbox."""
    from tap.ops.inbox import inbox_name

    sqs, resources = _admin(ready, "sqs")
    sqs.create_queue(QueueName=inbox_name(resources.function))
    url = sqs.get_queue_url(QueueName=resources.delivery_dlq.name)["QueueUrl"]
    bucket = resources.buckets[0]
    for start in range(0, messages, 10):
        entries = []
        for n in range(start, min(start + 10, messages)):
            event = {
                "version": "0",
                "id": f"bench-{n}",
                "detail-type": "Object Created",
                "source": "aws.s3",
                "account": resources.account_id,
                "time": "2026-12-01T00:00:00Z",
                "region": resources.region,
                "resources": [],
                "detail": {
                    "version": "0",
                    "bucket": {"name": bucket},
                    "object": {
                        "key": _key(n),
                        "size": 1,
                        "etag": "e",
                        "sequencer": f"{n + 1:016X}",
                    },
                    "reason": "PutObject",
                },
            }
            entries.append(
                {
                    "Id": str(n - start),
                    "MessageBody": json.dumps(event),
                    "MessageAttributes": {
                        "ERROR_CODE": {"DataType": "String", "StringValue": "NO_PERMISSIONS"}
                    },
                }
            )
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


# -- the section -------------------------------------------------------------------------------


def _pair(
    ready: dict[str, str], command: str, *, trace: bool, before: Callable[[], None] | None = None
) -> dict[str, Any]:
    """The floor, then the command; then each again under tracemalloc when `trace`."""
    sides: dict[str, Any] = {}
    for side in ("floor", "command"):
        if before is not None:
            before()
        sides[side] = figure(ready, command, side)
    for side in ("floor", "command") if trace else ():
        if before is not None:
            before()
        sides[side]["traced_peak_mb"] = figure(ready, command, side, trace=True)["traced_peak_mb"]
    return {**sides, "ratio": sides["command"]["cpu_seconds"] / sides["floor"]["cpu_seconds"]}


def _guarded(action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One command's figures, or why they could not be taken."""
    try:
        return action()
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def run_size(
    objects: int, commands: tuple[str, ...] = COMMANDS, *, messages: int = MESSAGES
) -> dict[str, Any]:
    """`commands` and their floors against one server of `objects` keys.

    With backfill, its writes (less every MISSING_EVERY-th item) are reconcile's items;
    without, the server writes them through moto's backend.
    """
    from benchmarks.measure import progress

    run: dict[str, Any] = {"objects": objects, "messages": messages}
    backfilling = "backfill" in commands
    with served(objects, items=not backfilling) as ready:
        if backfilling:  # its writes are reconcile's items
            progress(f"day-2 floors: backfill at {objects:,} keys")
            make_floor_table(ready)
            run["backfill"] = _guarded(lambda: _pair(ready, "backfill", trace=False))
            drop_items(ready, objects)
        if "reconcile" in commands:
            progress(f"day-2 floors: reconcile at {objects:,} keys")
            run["reconcile"] = _guarded(lambda: _pair(ready, "reconcile", trace=True))
        if "redrive" in commands:
            progress(f"day-2 floors: redrive of {messages:,} messages")
            run["redrive"] = _guarded(
                lambda: _pair(
                    ready, "redrive", trace=False, before=lambda: fill_dlq(ready, messages)
                )
            )
    return run


PLAN: tuple[tuple[int, tuple[str, ...]], ...] = tuple((n, COMMANDS) for n in SIZES)
"""Each server's size and the commands measured against it."""


def measure(plan: tuple[tuple[int, tuple[str, ...]], ...] = PLAN) -> dict[str, Any]:
    """Each size against its own server; a ratio over BOUND is a violation."""
    runs = [run_size(n, commands) for n, commands in plan]
    violations = [
        f"{command} at {run['objects']:,} keys: {run[command]['ratio']:.2f}× its floor's CPU"
        for run in runs
        for command in COMMANDS
        if command in run and run[command].get("ratio", 0) > BOUND
    ]
    return {"runs": runs, "bound": BOUND, "violations": violations}


# -- the section of results.md -----------------------------------------------------------------

TITLE = "13. Day-2 commands against their floors"


def _row(command: str, run: dict[str, Any], bound: float) -> str:
    """One command at one size; `not measured: <why>` when its figures are missing."""
    size = f"{run['messages']:,} messages" if command == "redrive" else f"{run['objects']:,} keys"
    figures = run.get(command)
    if figures is None:
        return ""
    try:
        floor, ran, ratio = figures["floor"], figures["command"], figures["ratio"]
        traced = (
            f"{floor['traced_peak_mb']:.1f} / {ran['traced_peak_mb']:.1f} MB"
            if "traced_peak_mb" in ran
            else "-"
        )
        verdict = "ok" if ratio <= bound else "**over**"
        return (
            f"| {command} | {size} | {floor['cpu_seconds']:.2f} s | {ran['cpu_seconds']:.2f} s | "
            f"**{ratio:.2f}×** ({verdict}) | {floor['peak_rss_mb']:.0f} / "
            f"{ran['peak_rss_mb']:.0f} MB | {traced} |"
        )
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
        why = figures.get("error") if isinstance(figures, dict) else None
        return f"| {command} | {size} | not measured: {why or repr(error)} | | | | |"


def section(result: dict[str, Any]) -> list[str]:
    """The lines of results.md for this measurement. A result it cannot read raises, and the
    report names it "not measured" (`report.section`); a command missing at one size is one row
    saying so."""
    bound = float(result["bound"])
    rows = [_row(command, run, bound) for command in COMMANDS for run in result["runs"]]
    return [
        f"## {TITLE}",
        "",
        "**Method** (benchmarks/day2_floors.py). Each command beside its floor: the bare boto3 "
        "calls it cannot avoid against the same emulator, with the same parallelism "
        "(backfill: ListObjectVersions pages and one conditional PutItem per current version "
        "on 8 threads; reconcile: ListObjectVersions pages and a 4-segment consistent Scan; "
        "redrive: ReceiveMessage, the re-submission (SendMessage to the live stack's invoke "
        "inbox, what `tap redrive` sends against an emulator), DeleteMessage). Each figure is "
        "one fresh process: it imports everything first, then counts the user+system CPU of "
        "every thread (`getrusage`) from before its session and clients are made to the end, "
        "so start-up and imports (section 3) are not in it; the command's side includes its "
        "account proof and the record of its calls. Peak RSS is the process's high-water mark "
        "over the work (`VmHWM`, reset before it); traced is `tracemalloc`'s peak in a "
        "separate process (tracing slows Python, so its CPU is not used). Reconcile finds, "
        "reads again and reports 0.1 % drift. The floor's boto3 reads every timestamp (a "
        "listing's LastModified) with dateutil; the commands' sessions read ISO 8601 with "
        "`datetime.fromisoformat` (`tap.ops.timestamps`), so a command can cost less than its "
        "floor. One run per figure on a shared machine: a ratio moves by some 10 % between "
        f"runs. Goal: at most {bound}× the floor's CPU.",
        "",
        *[f"{note}\n" for note in result.get("notes", [])],
        "| command | size | floor CPU | command CPU | command / floor | peak RSS "
        "(floor / command) | traced peak (floor / command) |",
        "|---|---|---|---|---|---|---|",
        *[row for row in rows if row],
        "",
    ]


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), items=sys.argv[3:] == ["items"])
    elif len(sys.argv) == 6 and sys.argv[1] == "measure":
        print(json.dumps(measure_child(*sys.argv[2:6])))
    else:  # `SIZE[:command,command] ...`, e.g. `10000 50000:reconcile`
        plan = tuple(
            (int(size), tuple(names.split(",")) if names else COMMANDS)
            for size, _, names in (a.partition(":") for a in sys.argv[1:])
        )
        print(json.dumps(measure(plan or PLAN), indent=2))
