"""Ctrl-C anywhere in `tap local` exits 130, with one line naming the stage, leaving nothing
behind.

The real `tap` script runs as a subprocess, with TMPDIR pointed at a directory this test owns.
Each run is brought to its stage by an event, never by a delay: with TAP_TEST_STOP_AT set
(tap.interrupts.STOP_AT_VARIABLE) the run stops itself (SIGSTOP) the N-th time it names the
stage, and the thread that named it stays there. The test waits for the stop (waitid), reads
what the stopped run holds (its listening sockets from /proc, its TMPDIR), sends SIGINT and
then SIGCONT, so the interrupt lands in that stage however busy the machine is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tap.interrupts import STOP_AT_VARIABLE
from tests.support.bounds import WAIT
from tests.support.stops import stopped

REPO = Path(__file__).resolve().parents[2]
TAP = Path(sys.executable).with_name("tap")
COMMAND = [str(TAP), "local", "--stack", "dev", "--objects", "30", "--no-cache", "-C", str(REPO)]
"""`--no-cache`: every run synthesizes, so there is a synthesis to interrupt."""
LISTEN = "0A"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Stop:
    """Where a run is stopped: the `nth` time it names `stage`."""

    stage: str
    nth: int = 1
    holds_files: bool = False
    """Whether the run has written into TMPDIR by then (the processor artifact, unpacked)."""
    keep_running: bool = False
    """`--keep-running`: the emulator is a server on a port, which must close with the run."""

    @property
    def hook(self) -> str:
        return self.stage if self.nth == 1 else f"{self.stage}@{self.nth}"

    @property
    def id(self) -> str:
        return f"{self.stage}, --keep-running" if self.keep_running else self.stage


STOPS = [
    Stop("loading tap"),
    Stop("synthesizing"),
    Stop("starting emulator", 2, holds_files=True),
    Stop("applying graph", 10, holds_files=True),
    Stop("applying graph", 10, holds_files=True, keep_running=True),
    Stop("uploading objects", 10, holds_files=True),
    Stop("delivering events", 10, holds_files=True),
    Stop("verifying", 1, holds_files=True),
    Stop("reporting"),
]
"""Every stage `tap local` names, each mid-stage where it reports progress; once with the
emulator listening on a port."""


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


@pytest.mark.parametrize("stop", STOPS, ids=[stop.id for stop in STOPS])
def test_ctrl_c_at_any_moment_of_tap_local_exits_130_cleanly(stop: Stop, tmp_path: Path) -> None:
    # GIVEN `tap local`, stopped the n-th time it names the stage
    tmpdir, out, err = tmp_path / "tmp", tmp_path / "stdout", tmp_path / "stderr"
    tmpdir.mkdir()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [*COMMAND, "--keep-running"] if stop.keep_running else COMMAND,
            cwd=REPO,
            env={
                **os.environ,
                "TMPDIR": str(tmpdir),
                "COLUMNS": "200",
                STOP_AT_VARIABLE: stop.hook,
            },
            stdout=stdout,
            stderr=stderr,
        )
    try:
        assert stopped(process), f"it never stopped at {stop.hook}: {err.read_text()[-2000:]}"
        ports = _listening(_socket_inodes(process.pid))
        held = sorted(p.name for p in tmpdir.iterdir())
        # WHEN Ctrl-C comes there
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # THEN it exits 130 with the one line naming the stage, no traceback and no report
    output = out.read_text() + err.read_text()
    said = [line for line in output.splitlines() if "interrupt" in line.lower()]
    assert process.returncode == 130, f"{stop.hook}: exit {process.returncode}: {output[-2000:]}"
    assert said == [f"interrupted during {stop.stage}"], output[-2000:]
    assert "Traceback" not in output, output[-2000:]
    assert "tap local: dev" not in output, output[-2000:]  # the report's heading
    # AND whatever it held is gone: its ports closed, TMPDIR empty
    assert bool(held) == stop.holds_files, held
    assert bool(ports) == stop.keep_running, ports
    assert not ports & _listening(), f"ports {ports} still listening"
    assert not list(tmpdir.iterdir()), f"left {list(tmpdir.iterdir())}"
