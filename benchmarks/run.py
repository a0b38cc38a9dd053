"""Run every benchmark and write benchmarks/results.json and benchmarks/results.md.

Usage: `make bench` (or `.venv/bin/python benchmarks/run.py [KEY ...]`); `make bench-quick`
(`run.py --quick`) runs every measurement at small sizes into a temp dir. Progress goes to
stderr. A measurement that fails is recorded with its error and rendered as not measured; the
others still run. Both files are rendered before either is written, each is replaced by one
rename, and benchmarks/ only by a run whose every measurement completed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Section:
    """One measurement: its key in results.json, its title, how to run it at full or quick
    size, and how results.md renders it."""

    key: str
    title: str
    measure: Callable[[bool], dict[str, Any]]
    render: report.Renderer


# In the report's order; `quick` is `make bench-quick`: every measurement at a small size.
SECTIONS: list[Section] = [
    Section(
        "aws_requests",
        "1. AWS requests per object event",
        lambda quick: (
            aws_requests.measure(objects=8, seeds=(20261128,))
            if quick
            else aws_requests.measure(objects=60)
        ),
        report.requests_section,
    ),
    Section(
        "throughput",
        "2. Handler throughput",
        lambda quick: throughput.measure(events=30 if quick else 250, rounds=2 if quick else 5),
        report.throughput_section,
    ),
    Section(
        "cold_import",
        "3. Cold import",
        lambda quick: cold_import.measure(runs=3 if quick else 11),
        report.cold_import_section,
    ),
    Section(
        "synthesis",
        "4. Synthesis",
        lambda quick: (
            synthesis.measure(runs=1, scale_runs=1, scales=(1, 2))
            if quick
            else synthesis.measure(runs=3, scale_runs=3)
        ),
        report.synthesis_section,
    ),
    Section(
        "packaging",
        "5. Packaging",
        lambda quick: artifact_build.measure(runs=2 if quick else 5),
        report.packaging_section,
    ),
    Section(
        "critical_path",
        "6. Deployment critical path",
        lambda _quick: critical_path.measure(),  # Three synths: small already.
        report.critical_path_section,
    ),
    Section(
        "rule_scaling",
        "7. Scaling of tap check and tap synth",
        lambda quick: (
            rule_scaling.measure(
                runs=1,
                check_sizes=(200, 400),
                synth_buckets=(2, 4),
                rule_sizes=(200, 400),
                monitor_buckets=4,
            )
            if quick
            else rule_scaling.measure(runs=3, synth_runs=1)
        ),
        report.scaling_section,
    ),
    Section(
        "commands",
        "8. Command times",
        lambda quick: commands.measure(runs=1 if quick else 5, local_objects=20 if quick else 800),
        report.commands_section,
    ),
    Section(
        "reconcile",
        "9. tap reconcile at scale",
        lambda quick: reconcile_scale.measure((1_000, 2_000) if quick else reconcile_scale.SIZES),
        report.reconcile_section,
    ),
    Section(
        "test_suite",
        "10. The test suite",
        lambda quick: test_suite.measure(selection=test_suite.QUICK_SELECTION if quick else ()),
        report.suite_section,
    ),
    Section(
        "backfill",
        "11. tap backfill's rate",
        lambda quick: (
            backfill_scale.measure(runs=1, keys=60, rtt_keys=20)
            if quick
            else backfill_scale.measure()
        ),
        report.backfill_section,
    ),
    Section(
        "live_stack",
        "12. The live stack",
        lambda quick: (
            live_stack.measure(
                events=100,
                keys=20,
                warmup=30,
                listing_keys=500,
                listings=1,
                writers=2,
                burst_seconds=2.0,
            )
            if quick
            else live_stack.measure()
        ),
        report.live_stack_section,
    ),
    Section(
        "day2_floors",
        day2_floors.TITLE,
        lambda quick: (
            day2_floors.measure(plan=((300, day2_floors.COMMANDS),))
            if quick
            else day2_floors.measure()
        ),
        day2_floors.section,
    ),
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


def run(selected: Sequence[str], *, quick: bool = False) -> dict[str, Any]:
    """Run the measurements in order; each one's error is kept instead of raised."""
    use_fake_credentials()
    results: dict[str, Any] = {"environment": environment(), "measurements": {}}
    if quick:
        results["quick"] = True
    start = time.perf_counter()
    for entry in SECTIONS:
        if selected and entry.key not in selected:
            continue
        began = time.perf_counter()
        with stage(entry.title):
            try:
                outcome: dict[str, Any] = {"ok": True, **entry.measure(quick)}
            except Exception as error:  # One failure must not lose the rest.
                progress(f"{entry.title} FAILED: {error!r}")
                outcome = {
                    "ok": False,
                    "error": f"{type(error).__name__}: {error}",
                    "traceback": traceback.format_exc(limit=8),
                }
        outcome["wall_seconds"] = time.perf_counter() - began
        outcome["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["measurements"][entry.key] = outcome
    results["total_wall_seconds"] = time.perf_counter() - start
    return results


def keep_previous(results: dict[str, Any], previous: Path) -> None:
    """Re-running some measurements keeps the others, each with the date it was taken."""
    if not previous.exists():
        return
    kept = json.loads(previous.read_text(encoding="utf-8"))
    for key, outcome in kept.get("measurements", {}).items():
        if key not in results["measurements"]:
            outcome.setdefault("measured_at", kept["environment"]["date"])
            results["measurements"][key] = {**outcome, "kept_from_previous_run": True}
    results["measurements"] = {
        entry.key: results["measurements"][entry.key]
        for entry in SECTIONS
        if entry.key in results["measurements"]
    }


def write_atomically(path: Path, text: str) -> None:
    """Replace path with text in one rename: a reader sees the old file or the whole new one."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as scratch:
        scratch.write(text)
    os.replace(scratch.name, path)


def report_sections() -> list[tuple[str, str, report.Renderer]]:
    """What report.render takes: each measurement's key, title and renderer, in order."""
    return [(entry.key, entry.title, entry.render) for entry in SECTIONS]


def write_results(results: dict[str, Any], out: Path) -> None:
    """results.json and results.md in `out`, both rendered before either file is replaced."""
    markdown = report.render(results, report_sections())
    raw = json.dumps(results, indent=2, sort_keys=True, default=str) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    write_atomically(out / "results.json", raw)
    write_atomically(out / "results.md", markdown)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """`run.py [--quick] [--out DIR] [KEY ...]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    keys = [entry.key for entry in SECTIONS]
    parser.add_argument("keys", nargs="*", metavar="KEY", help=f"only these: {', '.join(keys)}")
    parser.add_argument("--quick", action="store_true", help="every measurement at small sizes")
    parser.add_argument(
        "--out", type=Path, help="where to write (default benchmarks/; --quick: a temp dir)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.keys) - set(keys))
    if unknown:
        parser.error(f"unknown measurement {', '.join(unknown)}; choose from {', '.join(keys)}")
    return args


def main(argv: Sequence[str]) -> int:
    """Write results.json and results.md; exit 1 if any measurement failed or (at full size)
    broke a bound.

    benchmarks/ (the committed results) is replaced only by a full-size run whose every
    measurement completed; any other run writes where --out says, or to a fresh temp dir.
    Given KEYs, the other measurements are kept from the results already where it writes.
    """
    args = parse(argv)
    results = run(args.keys, quick=args.quick)
    failed = [k for k, v in results["measurements"].items() if not v["ok"]]
    out = args.out or (None if args.quick or failed else HERE)
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="tap-bench-"))
    if args.keys:
        keep_previous(results, out / "results.json")
    write_results(results, out)
    violations = [x for v in results["measurements"].values() for x in v.get("violations", [])]
    progress(
        f"wrote {out / 'results.md'} and results.json in {results['total_wall_seconds']:.0f} s"
        + (f"; FAILED (benchmarks/ left as it was): {', '.join(failed)}" if failed else "")
        + (f"; OUT OF BOUNDS: {'; '.join(violations)}" if violations else "")
        + (" (not judged at quick sizes)" if violations and args.quick else "")
    )
    return 1 if failed or (violations and not args.quick) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
