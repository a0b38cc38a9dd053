"""Ctrl-C (or SIGTERM) at any moment: remove what the run created, say so in one line, exit
130 (143 for SIGTERM).

`install` replaces Python's KeyboardInterrupt with a handler of SIGINT and SIGTERM (what
`timeout`, CI runners and `kill` send) that does not unwind the stack: an exception raised
between two arbitrary bytecodes can land in a finalizer (where Python prints "Exception
ignored" with a traceback and the run goes on), inside a `finally` that was cleaning up, or
while a non-daemon thread keeps the process alive. The handler runs the cleanups registered
with `on_interrupt` (newest first), reports the stage, with what the cleanups said the run had
done, through the callback the CLI gave it, and ends the process with `os._exit(128 + signal)`.
Ports the process listened on close with it. `deferred` holds the interrupt off while a
resource is created and registered, or removed and forgotten, or while a request whose outcome
a cleanup depends on is in flight, so nothing is ever left half done or unregistered.

Without `install` (a library caller, a test runner) Ctrl-C is Python's KeyboardInterrupt and
SIGTERM Python's default, and the same scratch directories are removed by their context
managers as before (on Ctrl-C).
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType

EXIT_INTERRUPTED = 130
"""128 + SIGINT, what shells report for a command stopped by Ctrl-C."""
EXIT_TERMINATED = 143
"""128 + SIGTERM: a run stopped by `timeout`, a CI runner or `kill` says so, as shells would."""
SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals that interrupt a run; SIGTERM does exactly what Ctrl-C does."""
RMTREE_ATTEMPTS = 3
"""A scratch directory is removed again if a thread wrote into it while it was being removed."""
STOP_AT_VARIABLE = "TAP_TEST_STOP_AT"
"""Test hook, read when this module is imported: `STAGE@N` (`STAGE` alone is `STAGE@1`) stops
the process with SIGSTOP the N-th time the run names STAGE, and holds the thread that named it
there once continued. A test waits for the stop (an event), signals, then sends SIGCONT: the
signal lands in that stage however loaded the machine is (tests/cli/test_local_interrupt.py)."""
STOP_POLL_SECONDS = 0.05
"""How often a thread held by the hook wakes, so the main thread runs a pending handler."""

Cleanup = Callable[[], str | None]
"""Undoes what a run left; it may return a few words on what the run had done (`re-submitted
68`), which the interrupt line carries after the stage."""
Report = Callable[[str | None], None]
"""Tells the user, in one line, that the run was interrupted (during which stage, and what the
cleanups said)."""


def exit_code(signum: int) -> int:
    """What a run ended by `signum` exits with: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


@dataclass
class _State:
    installed: bool = False
    report: Report | None = None
    stage: str | None = None
    depth: int = 0
    """Nesting of `deferred` blocks in the main thread."""
    pending: int | None = None
    """The signal that arrived inside a `deferred` block."""
    waiter: threading.Event | None = None
    """Set instead of exiting while `wait_for_interrupt` expects Ctrl-C."""
    cleanups: dict[int, Cleanup] = field(default_factory=dict)
    named: dict[str, int] = field(default_factory=dict)
    """How many times each stage was named, while STOP_AT_VARIABLE is set."""


_state = _State()
_stop_at = os.environ.get(STOP_AT_VARIABLE)
_tokens = itertools.count()


def install(report: Report) -> None:
    """Handle SIGINT and SIGTERM from now on; `report` writes the one line the user sees."""
    _state.report = report
    _state.installed = True
    for signum in SIGNALS:
        signal.signal(signum, _on_signal)


def set_stage(stage: str | None) -> None:
    """Name what the run is doing, for the interrupt line (e.g. `applying graph`)."""
    _state.stage = stage
    if _stop_at is not None and stage is not None:
        _stop_if_due(_stop_at, stage)


def _stop_if_due(stop_at: str, stage: str) -> None:
    """STOP_AT_VARIABLE's hook: stop here, then hold this thread until a signal ends the run."""
    wanted, _, nth = stop_at.partition("@")
    if stage != wanted:
        return
    _state.named[stage] = _state.named.get(stage, 0) + 1
    if _state.named[stage] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGSTOP)
        # A signal sent while the process is stopped may be taken by any of its threads; the
        # main thread runs the handler only when it next wakes, so it must wake.
        held = threading.Event()
        while True:
            held.wait(STOP_POLL_SECONDS)


def current_stage() -> str | None:
    """What the run is doing, as last named."""
    return _state.stage


def on_interrupt(cleanup: Cleanup) -> int:
    """Run `cleanup` if the process is interrupted; returns a token for `forget`."""
    token = next(_tokens)
    _state.cleanups[token] = cleanup
    return token


def forget(token: int) -> None:
    """The resource is gone: its cleanup is no longer needed."""
    _state.cleanups.pop(token, None)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold an interrupt off until the block ends (only blocks of the main thread, which gets
    the signal); keep such blocks short."""
    if not _in_main_thread():
        yield
        return
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _state.pending is not None:
            _exit_interrupted(_state.pending)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    if _state.waiter is not None:
        _state.waiter.set()
    elif _state.depth > 0:
        _state.pending = _state.pending or signum
    else:
        _exit_interrupted(signum)


def _exit_interrupted(signum: int) -> None:
    """Clean up, report, and end the process with 128 + `signum`: never returns."""
    for ignored in SIGNALS:  # a second Ctrl-C (or SIGTERM) must not cut the cleanup
        signal.signal(ignored, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):  # what was printed before the interrupt
        with suppress(BaseException):  # e.g. interrupted in the middle of a write
            stream.flush()
    said: list[str] = []
    for token in sorted(_state.cleanups, reverse=True):
        cleanup = _state.cleanups.pop(token, None)
        try:
            if cleanup is not None and (account := cleanup()):
                said.append(account)
        except BaseException:  # noqa: S110 - best effort; the exit must happen
            pass
    try:
        if _state.report is not None:
            stage = _state.stage
            if said:
                stage = f"{stage or 'the run'}: {'; '.join(said)}"
            _state.report(stage)
    finally:
        os._exit(exit_code(signum))


def wait_for_interrupt(ready: Callable[[], None] | None = None) -> None:
    """Block until Ctrl-C (or SIGTERM), which here is the expected way to go on (not an
    interrupt). `ready` (e.g. printing "Press Ctrl-C to stop") runs once the signal would be
    taken that way: one sent as soon as it was printed does not interrupt the run."""
    if not (_state.installed and _in_main_thread()):
        with suppress(KeyboardInterrupt):
            if ready is not None:
                ready()
            threading.Event().wait()
        return
    waiter = _state.waiter = threading.Event()
    try:
        if ready is not None:
            ready()
        while not waiter.wait(timeout=1.0):
            pass
    finally:
        _state.waiter = None


@contextmanager
def scratch_directory(prefix: str, directory: Path | None = None) -> Iterator[Path]:
    """A new temporary directory, removed when the block ends or the process is interrupted."""
    with deferred():
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=directory))
        token = on_interrupt(partial(_remove, path))
    try:
        yield path
    finally:
        with deferred():
            shutil.rmtree(path, ignore_errors=True)
            forget(token)


def _remove(path: Path) -> None:
    """Remove a directory that a still-running thread may be writing into (an interrupt does
    not stop the threads): a file created while the tree was walked makes the last rmdir fail,
    and the tree is walked again."""
    for _ in range(RMTREE_ATTEMPTS):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
