"""End-to-end time of tap's commands, each against the floor of what it must load.

Every command runs as a fresh process of the installed `tap` script, timed from outside (wall
clock around `subprocess.run`), its sides interleaved round by round so that load on a shared
machine hits both. Before timing, each side's site-packages and `src/` are byte-compiled, and the
share of modules with fresh bytecode is recorded for each side: a compiled side is never compared
with an uncompiled one.

With `TAP_BENCH_BASELINE=/path/to/checkout` (a checkout of an earlier commit with its own `.venv`,
made by `make .venv/.dev-installed` there), `tap synth --stack prod` and `tap local --stack dev
--objects N` are also timed there, in the same rounds, and the ratios are recorded. The
comparison is against that checkout only: say which commit it is where the ratio is quoted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.bytecode import compile_all
from benchmarks.measure import Sample, paired_ratio, progress

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {
    "help": "import typer, rich",
    "validate": "import pydantic, yaml",
    "validate_model": "import pydantic, yaml\nclass Model(pydantic.BaseModel):\n    x: int",
}
"""What a command cannot avoid importing: its time is compared with a bare `python -c` of it.
`validate_model` adds what pydantic imports lazily to define its first model (its schema
generation, fields and plugin loader), which `import pydantic` alone does not load."""


def _tap(checkout: Path) -> Path:
    return checkout / ".venv" / "bin" / "tap"


def _python(checkout: Path) -> Path:
    return checkout / ".venv" / "bin" / "python"


def _timed(argv: Sequence[str | Path], cwd: Path, *, ok: Sequence[int] = (0,)) -> float:
    env = {**os.environ, "NO_COLOR": "1"}
    start = time.perf_counter()
    completed = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=1800,
    )
    seconds = time.perf_counter() - start
    if completed.returncode not in ok:
        tail = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {completed.returncode}: {tail[0]}")
    return seconds


def _clear_cache(checkout: Path) -> None:
    subprocess.run(
        [str(_tap(checkout)), "cache", "clear"],
        cwd=checkout,
        check=True,
        timeout=120,
        capture_output=True,
    )


def _local(checkout: Path, objects: int) -> list[str | Path]:
    return [_tap(checkout), "local", "--stack", "dev", "--objects", str(objects), "--json"]


def measure(*, runs: int = 5, local_objects: int = 800) -> dict[str, Any]:
    """Median of `runs` interleaved rounds for each command and its floor or baseline."""
    baseline_dir = os.environ.get("TAP_BENCH_BASELINE")
    baseline = Path(baseline_dir).resolve() if baseline_dir else None
    sides = [ROOT] + ([baseline] if baseline else [])
    bytecode = {}
    for side in sides:
        bytecode[str(side)] = compile_all(_python(side), side / "src")
    python = _python(ROOT)
    times: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        times.setdefault(name, []).append(seconds)

    for round_ in range(runs):
        progress(f"commands round {round_ + 1}/{runs}")
        for name, floor in FLOORS.items():
            add(f"{name}_floor", _timed([python, "-c", floor], ROOT))
        add("help", _timed([_tap(ROOT), "--help"], ROOT))
        add("validate", _timed([_tap(ROOT), "validate"], ROOT))
        add("synth_prod", _timed([_tap(ROOT), "synth", "--stack", "prod"], ROOT))
        _clear_cache(ROOT)
        add("check_all_cold", _timed([_tap(ROOT), "check", "--all"], ROOT))
        add("check_all_warm", _timed([_tap(ROOT), "check", "--all"], ROOT))
        if baseline:
            add(
                "baseline_synth_prod",
                _timed([_tap(baseline), "synth", "--stack", "prod"], baseline),
            )
            add("local", _timed(_local(ROOT, local_objects), ROOT))
            add("baseline_local", _timed(_local(baseline, local_objects), baseline))
    _clear_cache(ROOT)

    def pair(a: str, b: str) -> dict[str, Any]:
        return paired_ratio(list(zip(times[a], times[b], strict=True))).to_dict()

    ratios = {
        "help_to_floor": pair("help", "help_floor"),
        "validate_to_floor": pair("validate", "validate_floor"),
        "validate_to_model_floor": pair("validate", "validate_model_floor"),
        "check_all_cold_to_synth_prod": pair("check_all_cold", "synth_prod"),
        "check_all_warm_to_cold": pair("check_all_warm", "check_all_cold"),
    }
    if baseline:
        ratios["synth_prod_to_baseline"] = pair("synth_prod", "baseline_synth_prod")
        ratios["local_to_baseline"] = pair("local", "baseline_local")
    return {
        "runs": runs,
        "local_objects": local_objects,
        "baseline": _describe(baseline),
        "bytecode": bytecode,
        "seconds": {name: Sample.of(values, "s").to_dict() for name, values in times.items()},
        "ratios": ratios,
    }


def _describe(baseline: Path | None) -> dict[str, str] | None:
    if baseline is None:
        return None
    git = shutil.which("git") or "git"
    commit = subprocess.run(
        [git, "-C", str(baseline), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {"path": str(baseline), "commit": commit or "unknown"}


if __name__ == "__main__":  # pragma: no cover - a manual entry point for one measurement
    import json

    print(json.dumps(measure(runs=int(sys.argv[1]) if len(sys.argv) > 1 else 5), indent=2))
