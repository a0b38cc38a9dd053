"""Runs that stop themselves at a stage (tap.interrupts.STOP_AT_VARIABLE), for interrupt tests."""

from __future__ import annotations

import os
import subprocess
import threading

from tests.support.bounds import WAIT


def stopped(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> bool:
    """Wait until the run stops itself (True) or ends (False), leaving it to be reaped; a run
    that does neither within WAIT is killed."""
    watchdog = threading.Timer(WAIT, process.kill)
    watchdog.start()
    try:
        found = os.waitid(os.P_PID, process.pid, os.WSTOPPED | os.WEXITED | os.WNOWAIT)
    finally:
        watchdog.cancel()
    assert found is not None
    return found.si_code == os.CLD_STOPPED
