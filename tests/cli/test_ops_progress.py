"""The day-2 commands' progress bars: one per stage, a stage's bar only once it has work."""

from __future__ import annotations

import io

from rich.console import Console

from tap.cli.ops_common import progress, progress_stages


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=100, force_terminal=False), buffer


def _bars(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines() if line.strip()]


def test_a_stage_appears_at_its_first_update_and_a_shown_one_at_once() -> None:
    console, buffer = _console()
    with progress_stages(console) as stage:
        load = stage("reconcile", shown=True)
        stage("re-read")  # never updated: no bar
        load(40, 40)

    assert _bars(buffer.getvalue()) == ["reconcile"]
    assert "40/40" in buffer.getvalue()

    console, buffer = _console()
    with progress_stages(console) as stage:
        stage("reconcile", shown=True)(20, 20)
        reread = stage("re-read")
        for done in range(1, 20):
            reread(done, None)
        reread(19, 19)

    assert _bars(buffer.getvalue()) == ["reconcile", "re-read"]
    assert "19/19" in buffer.getvalue().splitlines()[-1]


def test_a_single_bar_is_shown_even_without_work_and_quiet_prints_nothing() -> None:
    console, buffer = _console()
    with progress(console, "redrive") as update:
        pass
    assert _bars(buffer.getvalue()) == ["redrive"]

    console, buffer = _console()
    with progress(console, "redrive", quiet=True) as update:
        update(3, 3)
    with progress_stages(console, quiet=True) as stage:
        stage("reconcile", shown=True)(1, 1)
    assert buffer.getvalue() == ""
