"""tap.interrupts: cleanups run, one line is reported, the exit code is 130 (143 for SIGTERM),
in every case.

Each case runs in a child interpreter that sends itself SIGINT or SIGTERM, since the handler
ends the process.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tap.interrupts import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    STOP_AT_VARIABLE,
    exit_code,
    scratch_directory,
)
from tests.support.bounds import WAIT
from tests.support.stops import stopped

PRELUDE = """
import os, signal, sys
from pathlib import Path
from tap import interrupts
interrupts.install(lambda stage: os.write(2, f"interrupted during {stage}\\n".encode()))
"""


def _run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = PRELUDE + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_interrupt_removes_scratch_directories_and_exits_130(tmp_path: Path) -> None:
    result = _run(
        """
        interrupts.set_stage("applying graph")
        with interrupts.scratch_directory("run-", Path(sys.argv[1])) as scratch:
            (scratch / "handler.py").write_text("x")
            os.kill(os.getpid(), signal.SIGINT)
            print("not reached")
        """,
        tmp_path,
    )
    assert result.returncode == EXIT_INTERRUPTED
    assert result.stderr == "interrupted during applying graph\n"
    assert "not reached" not in result.stdout
    assert not list(tmp_path.iterdir())


def test_sigterm_does_what_ctrl_c_does_and_exits_143(tmp_path: Path) -> None:
    result = _run(
        """
        interrupts.set_stage("backfilling")
        interrupts.on_interrupt(lambda: os.write(2, b"resume with: --resume T\\n") and None)
        with interrupts.scratch_directory("run-", Path(sys.argv[1])) as scratch:
            (scratch / "join.sqlite").write_text("x")
            os.kill(os.getpid(), signal.SIGTERM)
            print("not reached")
        """,
        tmp_path,
    )
    assert result.returncode == EXIT_TERMINATED == exit_code(signal.SIGTERM) == 143
    assert exit_code(signal.SIGINT) == EXIT_INTERRUPTED == 130
    assert result.stderr == "resume with: --resume T\ninterrupted during backfilling\n"
    assert "not reached" not in result.stdout
    assert not list(tmp_path.iterdir())


def test_what_the_cleanups_say_ends_the_line_newest_first(tmp_path: Path) -> None:
    result = _run(
        """
        interrupts.set_stage("redriving")
        interrupts.on_interrupt(lambda: "handed back 3")
        interrupts.on_interrupt(lambda: None)
        interrupts.on_interrupt(lambda: "re-submitted 2")
        os.kill(os.getpid(), signal.SIGINT)
        """,
        tmp_path,
    )
    assert result.returncode == EXIT_INTERRUPTED
    assert result.stderr == "interrupted during redriving: re-submitted 2; handed back 3\n"


def test_cleanups_run_newest_first(tmp_path: Path) -> None:
    result = _run(
        """
        log = Path(sys.argv[1]) / "log"
        interrupts.on_interrupt(lambda: log.open("a").write("first\\n"))
        interrupts.on_interrupt(lambda: log.open("a").write("second\\n"))
        gone = interrupts.on_interrupt(lambda: log.open("a").write("forgotten\\n"))
        interrupts.forget(gone)
        os.kill(os.getpid(), signal.SIGINT)
        """,
        tmp_path,
    )
    assert result.returncode == EXIT_INTERRUPTED
    assert (tmp_path / "log").read_text() == "second\nfirst\n"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_deferred_block_finishes_before_the_interrupt_acts(
    tmp_path: Path, signum: signal.Signals
) -> None:
    result = _run(
        f"""
        with interrupts.deferred():
            os.kill(os.getpid(), {int(signum)})
            os.kill(os.getpid(), signal.SIGINT)  # a second signal: the first one's code stands
            (Path(sys.argv[1]) / "finished").write_text("yes")
        print("not reached")
        """,
        tmp_path,
    )
    assert result.returncode == exit_code(signum)
    assert (tmp_path / "finished").read_text() == "yes"
    assert "not reached" not in result.stdout


def test_a_failing_cleanup_does_not_stop_the_others_or_the_exit(tmp_path: Path) -> None:
    result = _run(
        """
        interrupts.on_interrupt(lambda: (Path(sys.argv[1]) / "ran").write_text("yes"))
        interrupts.on_interrupt(lambda: 1 / 0)
        os.kill(os.getpid(), signal.SIGINT)
        """,
        tmp_path,
    )
    assert result.returncode == EXIT_INTERRUPTED
    assert (tmp_path / "ran").exists()
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_waiting_for_ctrl_c_returns_instead_of_exiting(
    tmp_path: Path, signum: signal.Signals
) -> None:
    result = _run(
        f"""
        import threading
        threading.Timer(0.2, os.kill, (os.getpid(), {int(signum)})).start()
        interrupts.wait_for_interrupt()
        print("served, then stopped")
        """,
        tmp_path,
    )
    assert result.returncode == 0
    assert result.stdout == "served, then stopped\n"


def test_without_the_handler_a_scratch_directory_is_still_removed(tmp_path: Path) -> None:
    try:
        with scratch_directory("run-", tmp_path) as scratch:
            (scratch / "f").write_text("x")
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert not list(tmp_path.iterdir())


def test_a_signal_sent_as_soon_as_the_wait_is_announced_ends_the_wait(tmp_path: Path) -> None:
    """`tap local --keep-running` prints "Press Ctrl-C to stop" through `ready`: a runner that
    sends SIGTERM the moment it reads that line stops the wait, not the run."""
    result = _run(
        """
        interrupts.wait_for_interrupt(ready=lambda: os.kill(os.getpid(), signal.SIGTERM))
        print("served, then stopped")
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "served, then stopped\n"


def _signal_thread(pid: int, tid: int, signum: int) -> int:
    """tgkill(2): a signal to one thread of another process (signal.pthread_kill reaches only
    this process's threads); glibc has had the wrapper since 2.30."""
    return int(ctypes.CDLL(None, use_errno=True).tgkill(pid, tid, signum))


def _thread_state(pid: int, tid: int) -> str:
    """The one-letter state of a thread (R running, S sleeping, T stopped), from /proc."""
    return Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_run_stopped_by_the_test_hook_ends_on_a_signal_another_thread_took(
    tmp_path: Path,
) -> None:
    """TAP_TEST_STOP_AT stops the run the N-th time it names the stage and holds it there. A
    signal sent while a process is stopped may be taken by any of its threads; only the main
    one runs Python's handler, so the held thread must wake to let it (it slept for good once,
    and tests/cli/test_local_interrupt.py hung)."""
    script = PRELUDE + textwrap.dedent(
        """
        import threading
        threading.Thread(target=threading.Event().wait, daemon=True).start()
        interrupts.set_stage("applying graph")
        print("named applying graph once")
        interrupts.set_stage("verifying")
        interrupts.set_stage("applying graph")
        print("not reached")
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        env={**os.environ, STOP_AT_VARIABLE: "applying graph@2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # GIVEN the run stopped at the second `applying graph`, continued, its main thread held
        assert stopped(process), process.communicate()
        [other] = [int(t) for t in os.listdir(f"/proc/{process.pid}/task") if int(t) != process.pid]
        process.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + WAIT  # a bound on waiting for the event, not a measure
        while _thread_state(process.pid, process.pid) != "S":  # it sleeps in the hook
            assert time.monotonic() < deadline, "the held thread never waited"
            time.sleep(0.01)
        # WHEN SIGINT reaches the other thread, not the main one
        assert _signal_thread(process.pid, other, signal.SIGINT) == 0
        out, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    # THEN the run ends as Ctrl-C ends it, in the stage it was held in
    assert process.returncode == EXIT_INTERRUPTED, err
    assert err == "interrupted during applying graph\n"
    assert out == "named applying graph once\n"
