"""Run every benchmark and write benchmarks/results.json and benchmarks/results.md.

Usage: `make bench` (or `.venv/bin/python benchmarks/run.py`). Progress goes to stderr.
A measurement that fails is recorded with its error; the others still run.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, benchmarks/ would be sys.path[0] and its modules could shadow real packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from benchmarks import (  # noqa: E402 - needs the path fix above.
    artifact_build,
    aws_requests,
    backfill_scale,
    cold_import,
    commands,
    critical_path,
    day2_floors,
    live_stack,
    reconcile_scale,
    report,
    rule_scaling,
    synthesis,
    test_suite,
    throughput,
)
from benchmarks.emulator import use_fake_credentials  # noqa: E402
from benchmarks.measure import progress, stage  # noqa: E402

MEASUREMENTS: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
    ("aws_requests", "AWS requests per object event", lambda: aws_requests.measure(objects=60)),
    ("throughput", "handler throughput", lambda: throughput.measure(events=250, rounds=5)),
    ("cold_import", "cold import", lambda: cold_import.measure(runs=11)),
    ("synthesis", "synthesis", lambda: synthesis.measure(runs=3, scale_runs=3)),
    ("packaging", "packaging", lambda: artifact_build.measure(runs=5)),
    ("critical_path", "deployment critical path", critical_path.measure),
    (
        "rule_scaling",
        "rule and synth scaling",
        lambda: rule_scaling.measure(runs=3, synth_runs=1),
    ),
    ("commands", "command times", lambda: commands.measure(runs=5, local_objects=800)),
    ("reconcile", "tap reconcile at scale", reconcile_scale.measure),
    ("backfill", "tap backfill's rate", backfill_scale.measure),
    ("day2_floors", "day-2 commands against their floors", day2_floors.measure),
    ("test_suite", "the test suite", test_suite.measure),
    ("live_stack", "the live stack", live_stack.measure),
]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": {
            name: _version(name)
            for name in (
                "moto",
                "boto3",
                "botocore",
                "aws-lambda-powertools",
                "pulumi",
                "pulumi-aws",
            )
        },
    }


def run(selected: list[str] | None = None) -> dict[str, Any]:
    """Run the measurements in order; each one's error is kept instead of raised."""
    use_fake_credentials()
    results: dict[str, Any] = {"environment": environment(), "measurements": {}}
    start = time.perf_counter()
    for key, title, action in MEASUREMENTS:
        if selected and key not in selected:
            continue
        began = time.perf_counter()
        with stage(title):
            try:
                outcome: dict[str, Any] = {"ok": True, **action()}
            except Exception as error:  # One failure must not lose the rest.
                progress(f"{title} FAILED: {error!r}")
                outcome = {
                    "ok": False,
                    "error": f"{type(error).__name__}: {error}",
                    "traceback": traceback.format_exc(limit=8),
                }
        outcome["wall_seconds"] = time.perf_counter() - began
        outcome["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["measurements"][key] = outcome
    results["total_wall_seconds"] = time.perf_counter() - start
    return results


def main(argv: list[str]) -> int:
    """Write results.json and results.md; exit 1 if any measurement failed or broke a bound."""
    results = run(argv or None)
    previous = HERE / "results.json"
    if argv and previous.exists():
        # Re-running some measurements keeps the others, each with the date it was taken.
        kept = json.loads(previous.read_text(encoding="utf-8"))
        for key, outcome in kept.get("measurements", {}).items():
            if key not in results["measurements"]:
                outcome.setdefault("measured_at", kept["environment"]["date"])
                results["measurements"][key] = {**outcome, "kept_from_previous_run": True}
        results["measurements"] = {
            key: results["measurements"][key]
            for key, _, _ in MEASUREMENTS
            if key in results["measurements"]
        }
    (HERE / "results.json").write_text(
        json.dumps(results, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    (HERE / "results.md").write_text(report.render(results), encoding="utf-8")
    failed = [k for k, v in results["measurements"].items() if not v["ok"]]
    violations = [x for v in results["measurements"].values() for x in v.get("violations", [])]
    progress(
        f"wrote {HERE / 'results.md'} and results.json in {results['total_wall_seconds']:.0f} s"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
        + (f"; OUT OF BOUNDS: {'; '.join(violations)}" if violations else "")
    )
    return 1 if failed or violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
