"""A benchmark run writes both results files whole, only when it completed, and renders every
section, measured or not."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from benchmarks import run
from benchmarks.report import render

SECTIONS = run.report_sections()


def _results(measurements: dict[str, Any]) -> dict[str, Any]:
    environment = {"date": "2026-12-07T00:00:00+00:00", "platform": "p", "cpus": 2}
    return {
        "environment": {**environment, "python": "3.11", "packages": {}},
        "measurements": measurements,
        "total_wall_seconds": 1.0,
    }


def test_every_section_renders_as_not_measured_when_its_result_is_unreadable() -> None:
    """GIVEN a result of every section that holds no figures, WHEN rendered, THEN each section
    names what it could not read instead of the render dying (the 'default_weight' crash)."""
    results = _results({key: {"ok": True} for key, _, _ in SECTIONS})

    text = render(results, SECTIONS)

    for _, title, _ in SECTIONS:
        assert f"## {title}\n\n**Not measured: its result could not be rendered (`" in text
    assert text.count("**Not measured:") == len(SECTIONS) + 1  # and "Where tap is not ahead"


def test_a_failed_or_missing_measurement_is_named_with_its_error() -> None:
    results = _results({"packaging": {"ok": False, "error": "RuntimeError: zip broke"}})

    text = render(results, SECTIONS)

    assert (
        "## 5. Packaging\n\n**Not measured: the measurement failed "
        "(`RuntimeError: zip broke`).**" in text
    )
    assert "## 1. AWS requests per object event\n\n**Not measured: not run in this run.**" in text


def _fake_sections(monkeypatch: pytest.MonkeyPatch, *, fail: bool) -> None:
    def measure(_quick: bool) -> dict[str, Any]:
        if fail:
            raise RuntimeError("emulator went away")
        return {"figure": 3}

    entry = run.Section("fake", "1. Fake", measure, lambda r: [f"figure {r['figure']}"])
    monkeypatch.setattr(run, "SECTIONS", [entry])
    monkeypatch.setattr(run, "use_fake_credentials", lambda: None)


@pytest.fixture
def committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for benchmarks/ holding a previous run's results."""
    here = tmp_path / "benchmarks"
    here.mkdir()
    (tmp_path / "scratch").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (here / "results.json").write_text('{"previous": true}\n', encoding="utf-8")
    (here / "results.md").write_text("# previous\n", encoding="utf-8")
    monkeypatch.setattr(run, "HERE", here)
    return here


def test_a_run_with_a_failed_measurement_leaves_the_committed_results_alone(
    committed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_sections(monkeypatch, fail=True)

    assert run.main([]) == 1

    assert sorted(p.name for p in committed.iterdir()) == ["results.json", "results.md"]
    assert (committed / "results.json").read_text(encoding="utf-8") == '{"previous": true}\n'
    assert (committed / "results.md").read_text(encoding="utf-8") == "# previous\n"
    err = capsys.readouterr().err
    elsewhere = Path(err.split("[bench] wrote ")[1].split(" and results.json")[0]).parent
    assert elsewhere.parent == committed.parent / "scratch"
    written = json.loads((elsewhere / "results.json").read_text(encoding="utf-8"))
    assert written["measurements"]["fake"]["error"] == "RuntimeError: emulator went away"
    assert "**Not measured: the measurement failed (`RuntimeError: emulator went away`).**" in (
        elsewhere / "results.md"
    ).read_text(encoding="utf-8")


def test_a_complete_run_replaces_both_files_and_leaves_no_scratch(
    committed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_sections(monkeypatch, fail=False)

    assert run.main([]) == 0

    assert sorted(p.name for p in committed.iterdir()) == ["results.json", "results.md"]
    assert (
        json.loads((committed / "results.json").read_text())["measurements"]["fake"]["figure"] == 3
    )
    assert "figure 3" in (committed / "results.md").read_text()


def test_a_render_that_raises_writes_neither_file(
    committed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both files are rendered before either is replaced."""
    _fake_sections(monkeypatch, fail=False)

    def broken(*_: object) -> str:
        raise RuntimeError("render broke")

    monkeypatch.setattr(run.report, "render", broken)

    with pytest.raises(RuntimeError, match="render broke"):
        run.main([])

    assert (committed / "results.json").read_text(encoding="utf-8") == '{"previous": true}\n'
    assert sorted(p.name for p in committed.iterdir()) == ["results.json", "results.md"]


@pytest.mark.slow
def test_a_quick_run_renders_every_section_it_measured(tmp_path: Path) -> None:
    """`make bench-quick`'s path, on the measurements that take seconds at quick size: each
    section renders its figures, none says not measured. (The whole quick run takes minutes;
    it is timed in the README, not here.)"""
    keys = ["aws_requests", "packaging", "critical_path"]

    code = run.main(["--quick", "--out", str(tmp_path), *keys])

    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert code == 0, text
    assert results["quick"] is True
    assert sorted(k for k, v in results["measurements"].items() if v["ok"]) == sorted(keys)
    assert "## 1. AWS requests per object event, and duplicate items" in text
    assert "## 5. Packaging" in text
    assert "## 6. Deployment critical path" in text
    assert text.count("**Not measured: not run in this run.**") == len(run.SECTIONS) - len(keys)
    assert "could not be rendered" not in text
    assert "the measurement failed" not in text
