"""What the test suite costs: `make test` on fresh clones, and `make quick` here.

Each side is a fresh clone (`git clone` of this repository, then the side's commit checked
out) in a temporary directory, where `make test` runs exactly as CI runs it: it creates the
venv, installs, lints, type-checks and runs every test. The pytest phase is the time pytest
prints on its last line. The baseline is the commit checked out at `TAP_BENCH_BASELINE`; it
runs first, then this commit, one run each (a fresh clone cannot be interleaved). `make quick`
runs in this checkout: once to warm its caches (bytecode, the graph cache), then `quick_runs`
times, timed.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import Sample, progress

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"^=+ (?P<counts>.+?) in (?P<seconds>[\d.]+)s")


def _commit(checkout: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def pytest_summary(output: str) -> tuple[str, float] | None:
    """pytest's last summary line: its counts (`1546 passed, 2 failed`) and its seconds."""
    found = None
    for line in output.splitlines():
        match = SUMMARY.match(line.strip())
        if match:
            found = (match["counts"], float(match["seconds"]))
    return found


def timed_side(commit: str, argv: list[str], cwd: Path, timeout: float) -> dict[str, Any]:
    """`argv` run in `cwd` (TAP_ variables left out): wall time, exit code, pytest's summary."""
    start = time.perf_counter()
    completed = subprocess.run(
        argv,
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("TAP_")},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    wall = time.perf_counter() - start
    summary = pytest_summary(completed.stdout)
    return {
        "commit": commit[:7],
        "exit_code": completed.returncode,
        "make_test_seconds": round(wall, 1),
        "pytest_counts": summary[0] if summary else None,
        "pytest_seconds": summary[1] if summary else None,
        "tail": completed.stdout.strip().splitlines()[-3:],
    }


def fresh_clone_make_test(commit: str) -> dict[str, Any]:
    """`make test` in a fresh clone of `commit`."""
    with tempfile.TemporaryDirectory(prefix="tap-bench-suite-") as scratch:
        clone = Path(scratch) / "tap"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", commit], check=True)
        return timed_side(commit, ["make", "test"], clone, timeout=3600)


QUICK_SELECTION = ("tests/benchmarks/test_bench_suite.py",)
"""What `make bench-quick` times in place of the suite: one small test file, here."""


def selection_here(paths: tuple[str, ...]) -> dict[str, Any]:
    """pytest on `paths` in this checkout."""
    pytest = str(ROOT / ".venv" / "bin" / "pytest")
    return timed_side(_commit(ROOT), [pytest, "-p", "no:randomly", *paths], ROOT, 600)


def _make_quick() -> None:
    """`make quick` here; a failure names pytest's last lines, so the report says why."""
    completed = subprocess.run(
        ["make", "quick"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=1800
    )
    if completed.returncode != 0:
        tail = " / ".join(completed.stdout.strip().splitlines()[-4:])
        raise RuntimeError(f"make quick exited {completed.returncode}: {tail}")


def measure(*, quick_runs: int = 3, selection: tuple[str, ...] = ()) -> dict[str, Any]:
    """Both sides' fresh-clone `make test`, and `make quick`'s median here; given a
    `selection`, only pytest on those files here (`make bench-quick`: a fresh clone's install
    and the whole suite cannot be small)."""
    if selection:
        return {"sides": {"this": selection_here(selection)}, "selection": list(selection)}
    baseline_dir = os.environ.get("TAP_BENCH_BASELINE")
    sides: dict[str, dict[str, Any]] = {}
    if baseline_dir:
        progress("fresh clone of the baseline: make test")
        sides["baseline"] = fresh_clone_make_test(_commit(Path(baseline_dir)))
    progress("fresh clone of this commit: make test")
    sides["this"] = fresh_clone_make_test(_commit(ROOT))
    progress("make quick (warming)")
    _make_quick()
    quick = []
    for round_ in range(quick_runs):
        progress(f"make quick {round_ + 1}/{quick_runs}")
        start = time.perf_counter()
        _make_quick()
        quick.append(time.perf_counter() - start)
    result: dict[str, Any] = {"sides": sides, "quick": Sample.of(quick, "s").to_dict()}
    this, base = (
        sides["this"].get("pytest_seconds"),
        sides.get("baseline", {}).get("pytest_seconds"),
    )
    if this and base:
        result["pytest_ratio"] = round(this / base, 3)
    return result
