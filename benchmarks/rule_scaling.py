"""How `tap check --graph` and `tap synth` grow: wall time, peak RSS and a fitted exponent.

The check series writes graph JSON directly (the documented `tap synth -f json` format): the dev
stack's synthesized graph, plus N copies of one unit of resources with every name made unique.
Each unit is what tap itself would add: a bucket with its sub-resources, route and rule alarms;
a queue with its policy and depth alarm; a function with its role, policy, log group, alias,
async config and alarms. The generated graphs pass `tap check`, so every rule really follows
every reference instead of stopping at a missing one.
"""

from __future__ import annotations

import copy
import gc
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import Sample, progress
from benchmarks.synthesis import scaled_project

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("buckets", "queues", "functions")
CHECK_SIZES = (1_000, 10_000, 100_000)
SYNTH_BUCKETS = (10, 100, 1000)
MAX_EXPONENT = 1.2
"""The fitted exponent of time (after import) against size that a series must not exceed."""
DELIVERY_DLQ_POLICY = "dev-queues-delivery-dlq-policy"


@dataclass(frozen=True)
class Unit:
    """The resources one more bucket, queue or function adds, and how to rename a copy."""

    selects: Callable[[str], bool]
    """Picks the template's resources (by logical name) that make up one unit."""
    renames: tuple[tuple[str, str], ...]
    """(regex, replacement with `{i}`) applied to a unit's JSON text for copy number i."""


UNITS = {
    "buckets": Unit(
        selects=lambda name: name.startswith(("dev-data", "dev-alarms-data-ingest")),
        renames=(
            (r"dev-data", "dev-b{i}"),
            (r"alarms-data-ingest", "alarms-b{i}-ingest"),
            (r"tap-data-", "tap-b{i}-"),
        ),
    ),
    "queues": Unit(
        selects=lambda name: name.startswith(
            ("dev-queues-processor-dlq", "dev-alarms-processor-dlq")
        ),
        renames=((r"processor-dlq", "q{i}-dlq"),),
    ),
    "functions": Unit(
        selects=lambda name: (
            name.startswith(("dev-processor", "dev-alarms-processor-"))
            and not name.startswith("dev-alarms-processor-dlq")
        ),
        renames=(
            (r"dev-processor", "dev-f{i}"),
            (r"alarms-processor-", "alarms-f{i}-"),
            (r"tap-processor-(?!dlq)", "tap-f{i}-"),
        ),
    ),
}


def template_graph() -> dict[str, Any]:
    """The dev stack's graph as JSON data (synthesized in this process)."""
    from tap.synth.stack import synthesize_stack

    graph: dict[str, Any] = synthesize_stack(ROOT, "dev").model_dump(mode="json", by_alias=True)
    return graph


def unit_size(template: dict[str, Any], kind: str) -> int:
    """How many resources one unit of `kind` adds."""
    return sum(1 for r in template["resources"] if UNITS[kind].selects(r["name"]))


def generate(template: dict[str, Any], kind: str, resources: int) -> dict[str, Any]:
    """A graph of about `resources` resources: the template plus copies of one `kind` unit."""
    unit = UNITS[kind]
    originals = [r for r in template["resources"] if unit.selects(r["name"])]
    text = json.dumps(originals)
    copies = max(0, round((resources - len(template["resources"])) / len(originals)))
    graph = copy.deepcopy(template)
    added: list[dict[str, Any]] = []
    for i in range(copies):
        renamed = text
        for pattern, replacement in unit.renames:
            renamed = re.sub(pattern, replacement.format(i=f"{i:06d}"), renamed)
        added.extend(json.loads(renamed))
    graph["resources"].extend(added)
    if kind == "buckets":
        _admit_rules(graph, [r for r in added if r["type"].endswith("eventRule:EventRule")])
    return graph


def _admit_rules(graph: dict[str, Any], rules: Sequence[dict[str, Any]]) -> None:
    """Let every added rule dead-letter into the delivery DLQ, as FailureQueues.admit_rules does."""
    policy = next(r for r in graph["resources"] if r["name"] == DELIVERY_DLQ_POLICY)
    arns = [r["outputs"]["arn"] for r in rules]
    for properties in (policy["inputs"], policy["outputs"]):
        document = json.loads(properties["policy"])
        for statement in document["Statement"]:
            condition = statement.get("Condition", {}).get("ArnEquals")
            if condition:
                condition["aws:SourceArn"] = [*condition["aws:SourceArn"], *arns]
        properties["policy"] = json.dumps(document)
    policy["propertyDependencies"]["policy"] += [r["urn"] for r in rules]


def write_graph(graph: dict[str, Any], path: Path) -> int:
    """Write compact graph JSON; return its size in bytes."""
    text = json.dumps(graph, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return len(text)


WORK_MARK = "tap-bench-work-seconds="
TIMED_TAP = f"""
import sys, time
from tap.cli.app import app
start = time.perf_counter()
try:
    app(sys.argv[1:], prog_name="tap")
    code = 0
except SystemExit as exit:
    code = exit.code if isinstance(exit.code, int) else 1
print("{WORK_MARK}" + repr(time.perf_counter() - start), file=sys.stderr)
sys.exit(code)
"""
"""The `tap` console script (`from tap.cli.app import app; app()`), timing what follows the
import."""


@dataclass(frozen=True)
class Run:
    """One `tap` process: wall time, time after importing tap.cli, peak memory, exit code."""

    seconds: float
    work_seconds: float
    peak_rss_mb: float
    exit_code: int
    stderr: str


PEAK_MARK = "tap-bench-peak-rss-kb="
MEASURED_CHILD = f"""
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
print("{PEAK_MARK}" + str(usage.ru_maxrss), file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Starts the measured command from a small process and reports that child's peak RSS.

Linux keeps a process's ru_maxrss across exec, and a child forked from this (large) benchmark
process starts with this process's resident set: measured directly, every `tap` run would
report at least what the benchmark itself holds. Forked from this ~10 MB wrapper, it reports
its own peak (plus those ~10 MB at most)."""


def run_tap(args: Sequence[str], cwd: Path, timeout: float = 1800) -> Run:
    """Run `tap args`; wall time, time after importing the typer app, and the peak RSS."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", MEASURED_CHILD, sys.executable, "-c", TIMED_TAP, *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        seconds = time.perf_counter() - start
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")

    def marked(mark: str) -> float | None:
        lines = [line for line in text.splitlines() if line.startswith(mark)]
        return float(lines[-1].removeprefix(mark)) if lines else None

    work = marked(WORK_MARK)
    peak_kb = marked(PEAK_MARK) or 0.0  # Linux reports ru_maxrss in KiB
    return Run(seconds, seconds if work is None else work, peak_kb / 1024, process.returncode, text)


def fit_exponent(sizes: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares slope of log(time) against log(size): 1 is linear, 2 quadratic."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-6)) for t in times]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx


NET_FLOOR_SECONDS = 0.5
"""Net times below this are within this machine's run-to-run noise; the net fit leaves them out."""


def _series(runs: dict[int, list[Run]], baseline: float) -> dict[str, Any]:
    """Rows per size, and exponents of wall time, work time, and work time net of `baseline`."""
    rows = []
    for size, samples in sorted(runs.items()):
        work = Sample.of([r.work_seconds for r in samples], "s")
        rows.append(
            {
                "resources": size,
                "wall": Sample.of([r.seconds for r in samples], "s").to_dict(),
                "work": work.to_dict(),
                "net_seconds": max(work.median - baseline, 1e-3),
                "peak_rss_mb": Sample.of([r.peak_rss_mb for r in samples], "MB").to_dict(),
                "exit_codes": [r.exit_code for r in samples],
            }
        )
    sizes = [r["resources"] for r in rows]
    net = [r for r in rows if r["net_seconds"] >= NET_FLOOR_SECONDS]
    return {
        "rows": rows,
        "exponent_wall": fit_exponent(sizes, [r["wall"]["median"] for r in rows]),
        "exponent_work": fit_exponent(sizes, [r["work"]["median"] for r in rows]),
        "exponent_net": fit_exponent([r["resources"] for r in net], [r["net_seconds"] for r in net])
        if len(net) >= 2
        else None,
        "net_fitted_over": [r["resources"] for r in net],
    }


def _runs_for(size: int, runs: int) -> int:
    """The largest graphs are measured fewer times: one run of them takes tens of seconds."""
    return 1 if size >= 100_000 else runs


def check_scaling(
    sizes: Sequence[int] = CHECK_SIZES, kinds: Sequence[str] = KINDS, runs: int = 3
) -> dict[str, Any]:
    """`tap check --graph` on generated graphs of each kind and size."""
    template = template_graph()
    result: dict[str, Any] = {"kinds": {}, "unit_sizes": {}}
    with tempfile.TemporaryDirectory(prefix="tap-bench-rules-") as scratch:
        out = Path(scratch)
        base_file = out / "dev.json"
        write_graph(template, base_file)
        base_runs = [run_tap(["check", "--graph", str(base_file)], ROOT) for _ in range(runs)]
        baseline = Sample.of([r.work_seconds for r in base_runs], "s")
        result["baseline"] = {
            "resources": len(template["resources"]),
            "wall": Sample.of([r.seconds for r in base_runs], "s").to_dict(),
            "work": baseline.to_dict(),
            "peak_rss_mb": Sample.of([r.peak_rss_mb for r in base_runs], "MB").to_dict(),
            "exit_codes": [r.exit_code for r in base_runs],
        }
        for kind in kinds:
            result["unit_sizes"][kind] = unit_size(template, kind)
            measured: dict[int, list[Run]] = {}
            files: dict[int, int] = {}
            for size in sizes:
                graph = generate(template, kind, size)
                path = out / f"{kind}-{size}.json"
                files[len(graph["resources"])] = write_graph(graph, path)
                del graph
                samples = []
                for _ in range(_runs_for(size, runs)):
                    run = run_tap(["check", "--graph", str(path)], ROOT)
                    if run.exit_code != 0:
                        raise RuntimeError(
                            f"tap check --graph {kind}-{size} exited {run.exit_code}: "
                            f"{run.stderr.strip()[-400:]}"
                        )
                    samples.append(run)
                measured[max(files)] = samples
                path.unlink()
                progress(
                    f"check {kind} {max(files)} resources: "
                    f"{Sample.of([s.work_seconds for s in samples], 's').show(2)} after import"
                )
            series = _series(measured, baseline.median)
            for row in series["rows"]:
                row["json_bytes"] = files[row["resources"]]
            result["kinds"][kind] = series
    return result


def synth_scaling(buckets: Sequence[int] = SYNTH_BUCKETS, runs: int = 1) -> dict[str, Any]:
    """`tap synth -f json` on the dev stack with N buckets of one route each."""
    measured: dict[int, list[Run]] = {}
    counts: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="tap-bench-synth-scale-") as scratch:
        out = Path(scratch)
        for n in buckets:
            project = scaled_project(ROOT, n, out)
            target = out / f"synth-{n}.json"
            samples = []
            for _ in range(runs):
                run = run_tap(["synth", "--stack", "dev", "-f", "json", "-o", str(target)], project)
                if run.exit_code != 0:
                    raise RuntimeError(f"tap synth ({n} buckets) exited {run.exit_code}")
                samples.append(run)
            counts[n] = len(json.loads(target.read_text(encoding="utf-8"))["resources"])
            measured[counts[n]] = samples
            progress(
                f"synth {n} buckets ({counts[n]} resources): "
                f"{Sample.of([s.work_seconds for s in samples], 's').show(1)} after import"
            )
    series = _series(measured, 0.0)
    for row, n in zip(series["rows"], buckets, strict=True):
        row["buckets"] = n
    series["ms_per_resource"] = [
        r["work"]["median"] * 1000 / r["resources"] for r in series["rows"]
    ]
    return series


def monitor_share(buckets: int = 100) -> dict[str, Any]:
    """CPU time of an in-process synth of N buckets, and how much of it tap's monitor spent.

    The recording monitor (with the fake AWS provider it calls) is tap's side of every
    resource registration; the rest is the Pulumi SDK's (serialising inputs, resolving
    Outputs, capturing a stack trace per resource) and the program's own component code.
    The monitor runs on the SDK's executor threads, so its share is counted in thread CPU time.
    """
    from tap.synth.monitor import RecordingMonitor
    from tap.synth.stack import synthesize_stack

    spent: list[float] = []
    original = RecordingMonitor.RegisterResource

    def timed(self: RecordingMonitor, request: Any) -> Any:
        start = time.thread_time()
        try:
            return original(self, request)
        finally:
            spent.append(time.thread_time() - start)

    with tempfile.TemporaryDirectory(prefix="tap-bench-monitor-") as scratch:
        project = scaled_project(ROOT, buckets, Path(scratch))
        synthesize_stack(project, "dev")  # Warm-up: imports and the artifact cache.
        RecordingMonitor.RegisterResource = timed  # type: ignore[method-assign]
        try:
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            graph = synthesize_stack(project, "dev")
            cpu = time.process_time() - cpu_start
            wall = time.perf_counter() - wall_start
        finally:
            RecordingMonitor.RegisterResource = original  # type: ignore[method-assign]
    return {
        "buckets": buckets,
        "resources": len(graph.resources),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "monitor_cpu_seconds": sum(spent),
        "monitor_share": sum(spent) / cpu,
        "registrations": len(spent),
    }


RULE_SIZES = (1_000, 10_000)
RULE_FLOOR_SECONDS = 0.002
"""A rule's CPU time below this at the smaller size is clock noise; it counts as this much."""


def _best_of_three(action: Callable[[], object]) -> float:
    """The least CPU time (this thread's) of three runs of `action`, with the garbage collector
    paused: time spent waiting for a core on a busy machine is not counted."""
    times = []
    for _ in range(3):
        gc.disable()
        try:
            start = time.thread_time()
            action()
            times.append(time.thread_time() - start)
        finally:
            gc.enable()
    return min(times)


def rule_times(sizes: Sequence[int] = RULE_SIZES, kinds: Sequence[str] = KINDS) -> dict[str, Any]:
    """Each rule of the pack timed in process on generated graphs of two sizes, per kind, and
    the exponent of its growth (tests/rules/test_rules_scale.py counts the same work instead)."""
    from tap.rules import TAP_PACK
    from tap.rules.engine import evaluate
    from tap.rules.model import RuleContext
    from tap.synth.graph import ResourceGraph

    template = template_graph()
    context = RuleContext(_dev_config())
    result: dict[str, Any] = {"sizes": list(sizes), "kinds": {}}
    for kind in kinds:
        graphs = [ResourceGraph.model_validate(generate(template, kind, n)) for n in sizes]
        counts = [len(g.resources) for g in graphs]
        for graph in graphs:
            evaluate(graph, context)  # each graph's index, built once, is not what is timed
        rules = {}
        for rule in TAP_PACK:
            seconds = [
                _best_of_three(lambda g=g, r=rule: evaluate(g, context, [r])) for g in graphs
            ]
            growth = seconds[-1] / max(seconds[0], RULE_FLOOR_SECONDS)
            rules[rule.id] = {
                "seconds": seconds,
                "exponent": math.log(max(growth, 1e-9)) / math.log(counts[-1] / counts[0]),
            }
        result["kinds"][kind] = {"resources": counts, "rules": rules}
        worst = max(rules, key=lambda rule_id: rules[rule_id]["exponent"])
        progress(f"rules on {kind}: steepest {worst}, exponent {rules[worst]['exponent']:.2f}")
    return result


def _dev_config() -> Any:
    from tap.validation import load_stack

    return load_stack(ROOT, "dev")[1]


def measure(
    *,
    runs: int = 3,
    synth_runs: int = 1,
    check_sizes: Sequence[int] = CHECK_SIZES,
    synth_buckets: Sequence[int] = SYNTH_BUCKETS,
    rule_sizes: Sequence[int] = RULE_SIZES,
    monitor_buckets: int = 100,
) -> dict[str, Any]:
    """Both series and each rule's growth, with the exponents that exceed MAX_EXPONENT listed
    as violations."""
    check = check_scaling(check_sizes, runs=runs)
    synth = synth_scaling(synth_buckets, runs=synth_runs)
    synth["monitor"] = monitor_share(monitor_buckets)
    rules = rule_times(rule_sizes)
    violations = [
        f"tap check --graph ({kind}): exponent {series['exponent_work']:.2f} > {MAX_EXPONENT}"
        for kind, series in check["kinds"].items()
        if series["exponent_work"] > MAX_EXPONENT
    ]
    violations += [
        f"rule {rule_id} ({kind}): exponent {timed['exponent']:.2f} > {MAX_EXPONENT}"
        for kind, series in rules["kinds"].items()
        for rule_id, timed in series["rules"].items()
        if timed["exponent"] > MAX_EXPONENT
    ]
    if synth["exponent_work"] > MAX_EXPONENT:
        violations.append(f"tap synth: exponent {synth['exponent_work']:.2f} > {MAX_EXPONENT}")
    return {
        "max_exponent": MAX_EXPONENT,
        "check": check,
        "synth": synth,
        "rules": rules,
        "violations": violations,
    }
