"""The day-2 floors section renders each command beside its floor, names what it could not
measure, and never stops results.md from being written."""

from typing import Any

from benchmarks import report, run
from benchmarks.day2_floors import TITLE, section
from benchmarks.report import render


def _side(cpu: float, rss: float, traced: float | None = None) -> dict[str, Any]:
    side: dict[str, Any] = {"cpu_seconds": cpu, "peak_rss_mb": rss, "rss_before_mb": 100.0}
    if traced is not None:
        side["traced_peak_mb"] = traced
    return side


RESULT: dict[str, Any] = {
    "bound": 1.2,
    "violations": [],
    "runs": [
        {
            "objects": 10_000,
            "messages": 2_000,
            "backfill": {"floor": _side(10.0, 140), "command": _side(10.5, 141), "ratio": 1.05},
            "reconcile": {
                "floor": _side(2.0, 150, 20.0),
                "command": _side(3.0, 160, 25.0),
                "ratio": 1.5,
            },
            "redrive": {"error": "RuntimeError: redrive command exited 1: boom"},
        }
    ],
}


def test_each_command_is_a_row_with_its_ratio_and_memory_and_over_the_bound_is_flagged() -> None:
    text = "\n".join(section(RESULT))

    assert text.startswith(f"## {TITLE}")
    assert (
        "| backfill | 10,000 keys | 10.00 s | 10.50 s | **1.05×** (ok) | 140 / 141 MB | - |" in text
    )
    assert (
        "| reconcile | 10,000 keys | 2.00 s | 3.00 s | **1.50×** (**over**) | 150 / 160 MB | "
        "20.0 / 25.0 MB |" in text
    )
    assert (
        "| redrive | 2,000 messages | not measured: RuntimeError: redrive command exited 1: "
        "boom |" in text
    )


def test_a_result_it_cannot_read_renders_as_not_measured() -> None:
    text = report.section(TITLE, section, {"ok": True, "runs": "junk"})
    assert text[:3] == [
        f"## {TITLE}",
        "",
        "**Not measured: its result could not be rendered (`KeyError: 'bound'`).**",
    ]
    partial = {"bound": 1.2, "runs": [{"objects": 1, "messages": 1, "reconcile": {"ratio": 1}}]}
    assert "| reconcile | 1 keys | not measured: KeyError('floor') |" in "\n".join(section(partial))


def test_results_md_includes_the_section() -> None:
    results = {
        "environment": {
            "date": "2026-12-07T00:00:00+00:00",
            "platform": "linux",
            "cpus": 2,
            "python": "3.11",
            "packages": {},
        },
        "total_wall_seconds": 1.0,
        "measurements": {"day2_floors": {"ok": True, **RESULT}},
    }

    assert f"## {TITLE}" in render(results, run.report_sections())
