"""Ctrl-C anywhere in `tap local` exits 130 within 2 s, with one line, leaving nothing behind.

The real `tap` script runs as a subprocess, with TMPDIR pointed at a directory this test owns.
One uninterrupted run measures how long a run takes here (this machine's speed varies a lot);
seven more are interrupted with SIGINT, the first 0.1 s after start and the others spread from
15% to 90% of that duration, so they land from loading tap to delivery and verification.
Before each SIGINT the child's listening sockets are read from /proc, so the emulator's port
is known without trusting the output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TAP = Path(sys.executable).with_name("tap")
COMMAND = [str(TAP), "local", "--stack", "dev", "--objects", "30", "--no-cache", "-C", str(REPO)]
"""`--no-cache`: every run synthesizes, so interrupts land in the synthesis too (a cached graph
makes that stage a few milliseconds long)."""
FIRST_DELAY = 0.1
"""Earlier than about 40 ms the interpreter itself is starting; see docs/local.md."""
FRACTIONS = (0.15, 0.3, 0.45, 0.6, 0.75, 0.9)
EXIT_WITHIN = 2.0
LISTEN = "0A"

pytestmark = pytest.mark.slow


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in os.listdir(fd_dir) if fd_dir.exists() else []:
        try:
            target = os.readlink(fd_dir / fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    return inodes


def _listening(inodes: set[str] | None = None) -> set[int]:
    """TCP ports in LISTEN state: all of them, or those of the given socket inodes."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN and (inodes is None or fields[9] in inodes):
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _spawn(tmpdir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        COMMAND,
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(tmpdir), "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class FinishedFirstError(Exception):
    """The run completed before the interrupt was due (this machine was faster this time)."""


def _interrupt_after(delay: float, tmpdir: Path) -> tuple[str, float, set[int]]:
    """Interrupt a run `delay` s after it starts; check what it leaves; return its stage."""
    tmpdir.mkdir()
    process = _spawn(tmpdir)
    try:
        time.sleep(delay)
        ports = _listening(_socket_inodes(process.pid))
        if process.poll() is not None:
            process.communicate()
            raise FinishedFirstError
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    output = out + err
    said = [line for line in output.splitlines() if "interrupt" in line.lower()]
    if process.returncode == 0 and not said:
        raise FinishedFirstError  # it ended between the check above and the signal
    where = f"after {delay:.2f} s: {said}"
    assert process.returncode == 130, f"{where}, exit {process.returncode}: {err[-2000:]}"
    assert took < EXIT_WITHIN, f"{where}, exited {took:.2f} s after SIGINT"
    assert len(said) == 1, f"{where}: {output[-2000:]}"
    assert "Traceback" not in output, f"{where}: {output[-2000:]}"
    assert not ports & _listening(), f"{where}: ports {ports} still listening"
    assert not list(tmpdir.iterdir()), f"{where}: left {list(tmpdir.iterdir())}"
    return said[0].removeprefix("interrupted").removeprefix(" during ").strip(), took, ports


def test_ctrl_c_at_any_moment_of_tap_local_exits_130_cleanly(tmp_path: Path) -> None:
    # GIVEN how long an uninterrupted run takes here (and that it too leaves nothing behind)
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    started = time.monotonic()
    process = _spawn(calibration)
    _, err = process.communicate(timeout=600)
    duration = time.monotonic() - started
    assert process.returncode == 0, err[-2000:]
    assert not list(calibration.iterdir())
    # WHEN seven runs are interrupted at points spread over such a run
    delays = [FIRST_DELAY, *(fraction * duration for fraction in FRACTIONS)]
    landed = {}
    for index, planned in enumerate(delays):
        for attempt in range(3):  # a faster run than the measured one: interrupt it earlier
            delay = planned * 0.8**attempt
            try:
                stage, took, ports = _interrupt_after(delay, tmp_path / f"run-{index}-{attempt}")
            except FinishedFirstError:
                continue
            landed[f"{delay:.2f}s"] = f"{stage or '-'} (exit after {took:.2f} s, ports {ports})"
            break
        else:
            pytest.fail(f"three runs ended before {planned:.2f} s x 0.8^n")
    # THEN each exited 130 with one line and left no port or temporary file (asserted above),
    # and the interrupts landed in several different stages of the run.
    print(f"uninterrupted run: {duration:.1f} s; interrupts landed: {landed}")
    stages = Counter(value.split(" (")[0] for value in landed.values())
    assert len(stages) >= 4, landed
