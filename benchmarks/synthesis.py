"""Wall time of `tap synth` per stack, of `tap check --all` if present, and growth with routes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.measure import Sample

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")
SCALES = (1, 5, 20)


def tap_command() -> list[str]:
    """The installed `tap` next to this interpreter, else `python -m tap`."""
    script = Path(sys.executable).parent / "tap"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tap"]


def _run_tap(args: list[str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    completed = subprocess.run(
        [*tap_command(), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )
    return time.perf_counter() - start, completed.returncode, completed.stderr


def available_commands() -> set[str]:
    """Verbs `tap --help` lists (the CLI grows while others work on it)."""
    completed = subprocess.run(
        [*tap_command(), "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    verbs = set()
    for line in completed.stdout.splitlines():
        parts = line.strip("│ ").split()
        if parts and parts[0].isalpha() and parts[0].islower():
            verbs.add(parts[0])
    return verbs


def synth_wall(project_dir: Path, stack: str, out_dir: Path, runs: int) -> dict[str, Any]:
    """`tap synth --stack S -f json -o file` in a subprocess, `runs` times."""
    target = out_dir / f"{project_dir.name}-{stack}.json"
    times = []
    for _ in range(runs):
        seconds, code, stderr = _run_tap(
            ["synth", "--stack", stack, "-f", "json", "-o", str(target), "-C", str(project_dir)],
            project_dir,
        )
        if code != 0:
            raise RuntimeError(f"tap synth --stack {stack} exited {code}: {stderr.strip()[-300:]}")
        times.append(seconds)
    resources = _count_custom(target)
    return {"wall": Sample.of(times, "s").to_dict(), **resources}


def _count_custom(graph_json: Path) -> dict[str, int]:
    import json

    resources = json.loads(graph_json.read_text(encoding="utf-8"))["resources"]
    custom = sum(1 for r in resources if r["custom"])
    return {"resources": custom, "components": len(resources) - custom}


def scaled_project(base: Path, buckets: int, into: Path) -> Path:
    """A copy of the dev stack whose `tap:buckets` holds `buckets` buckets of one route each."""
    project = into / f"scale-{buckets:02d}"
    project.mkdir()
    shutil.copy(base / "Pulumi.yaml", project / "Pulumi.yaml")
    document = yaml.safe_load((base / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    template = document["config"]["tap:buckets"][0]
    document["config"]["tap:buckets"] = [
        {**template, "name": f"data{index:02d}", "routes": [{"name": "ingest"}]}
        for index in range(buckets)
    ]
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return project


def in_process_synth(project_dir: Path, runs: int) -> Sample:
    """`synthesize_stack` in this process: the program's own cost, without interpreter startup."""
    from tap.synth.stack import synthesize_stack

    synthesize_stack(project_dir, "dev")  # Warm-up: imports and the artifact cache.
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        synthesize_stack(project_dir, "dev")
        times.append(time.perf_counter() - start)
    return Sample.of(times, "s")


def linear_fit(xs: list[float], ys: list[float]) -> dict[str, float]:
    """Least-squares y = a + b·x, with R²."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_res = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    return {"a": intercept, "b": slope, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def measure(
    *, runs: int = 3, scale_runs: int = 3, scales: tuple[int, ...] = SCALES
) -> dict[str, Any]:
    """Per-stack wall time, `tap check --all` if present, and the 1/5/20-bucket growth."""
    commands = available_commands()
    result: dict[str, Any] = {"tap_commands": sorted(commands), "stacks": {}, "scaling": []}
    with tempfile.TemporaryDirectory(prefix="tap-bench-synth-") as scratch:
        out_dir = Path(scratch)
        for stack in STACKS:
            result["stacks"][stack] = synth_wall(ROOT, stack, out_dir, runs)
        imports = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import tap.cli.app"], check=True, timeout=120)
            imports.append(time.perf_counter() - start)
        result["cli_startup"] = Sample.of(imports, "s").to_dict()
        if "check" in commands:
            times, codes = [], []
            for _ in range(runs):
                seconds, code, _ = _run_tap(["check", "--all"], ROOT)
                times.append(seconds)
                codes.append(code)
            result["check_all"] = {"wall": Sample.of(times, "s").to_dict(), "exit_codes": codes}
        else:
            result["check_all"] = {
                "available": False,
                "note": "`tap check` is not in `tap --help` yet; not measured",
            }
        for buckets in scales:
            project = scaled_project(ROOT, buckets, out_dir)
            wall = synth_wall(project, "dev", out_dir, scale_runs)
            inproc = in_process_synth(project, scale_runs)
            result["scaling"].append(
                {
                    "buckets": buckets,
                    "routes": buckets,
                    **wall,
                    "in_process": inproc.to_dict(),
                    "ms_per_resource_in_process": inproc.median * 1000 / wall["resources"],
                }
            )
    rows = result["scaling"]
    result["fit_in_process_vs_resources"] = linear_fit(
        [r["resources"] for r in rows], [r["in_process"]["median"] for r in rows]
    )
    result["fit_wall_vs_buckets"] = linear_fit(
        [r["buckets"] for r in rows], [r["wall"]["median"] for r in rows]
    )
    result["fit_in_process_vs_buckets"] = linear_fit(
        [r["buckets"] for r in rows], [r["in_process"]["median"] for r in rows]
    )
    return result
