"""Ctrl-C at any moment: remove what the run created, say so in one line, exit 130.

`install` replaces Python's KeyboardInterrupt with a SIGINT handler that does not unwind the
stack: an exception raised between two arbitrary bytecodes can land in a finalizer (where
Python prints "Exception ignored" with a traceback and the run goes on), inside a `finally`
that was cleaning up, or while a non-daemon thread keeps the process alive. The handler runs
the cleanups registered with `on_interrupt` (newest first), reports the stage through the
callback the CLI gave it, and ends the process with `os._exit(130)`. Ports the process
listened on close with it. `deferred` holds the interrupt off while a resource is created and
registered, or removed and forgotten, so nothing is ever left unregistered.

Without `install` (a library caller, a test runner) Ctrl-C is Python's KeyboardInterrupt, and
the same scratch directories are removed by their context managers as before.
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

Cleanup = Callable[[], None]
Report = Callable[[str | None], None]
"""Tells the user, in one line, that the run was interrupted (and during which stage)."""


@dataclass
class _State:
    installed: bool = False
    report: Report | None = None
    stage: str | None = None
    depth: int = 0
    """Nesting of `deferred` blocks in the main thread."""
    pending: bool = False
    """An interrupt arrived inside a `deferred` block."""
    waiter: threading.Event | None = None
    """Set instead of exiting while `wait_for_interrupt` expects Ctrl-C."""
    cleanups: dict[int, Cleanup] = field(default_factory=dict)


_state = _State()
_tokens = itertools.count()


def install(report: Report) -> None:
    """Handle SIGINT from now on; `report` writes the one line the user sees."""
    _state.report = report
    _state.installed = True
    signal.signal(signal.SIGINT, _on_sigint)


def set_stage(stage: str | None) -> None:
    """Name what the run is doing, for the interrupt line (e.g. `applying graph`)."""
    _state.stage = stage


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
        if _state.depth == 0 and _state.pending:
            _exit_interrupted()


def _on_sigint(_signum: int, _frame: FrameType | None) -> None:
    if _state.waiter is not None:
        _state.waiter.set()
    elif _state.depth > 0:
        _state.pending = True
    else:
        _exit_interrupted()


def _exit_interrupted() -> None:
    """Clean up, report, and end the process: never returns."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
    for stream in (sys.stdout, sys.stderr):  # what was printed before the interrupt
        with suppress(BaseException):  # e.g. interrupted in the middle of a write
            stream.flush()
    for token in sorted(_state.cleanups, reverse=True):
        cleanup = _state.cleanups.pop(token, None)
        try:
            if cleanup is not None:
                cleanup()
        except BaseException:  # noqa: S110 - best effort; the exit must happen
            pass
    try:
        if _state.report is not None:
            _state.report(_state.stage)
    finally:
        os._exit(EXIT_INTERRUPTED)


def wait_for_interrupt() -> None:
    """Block until Ctrl-C, which here is the expected way to go on (not an interrupt)."""
    if not (_state.installed and _in_main_thread()):
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
        return
    waiter = _state.waiter = threading.Event()
    try:
        while not waiter.wait(timeout=1.0):
            pass
    finally:
        _state.waiter = None


@contextmanager
def scratch_directory(prefix: str, directory: Path | None = None) -> Iterator[Path]:
    """A new temporary directory, removed when the block ends or the process is interrupted."""
    with deferred():
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=directory))
        token = on_interrupt(partial(shutil.rmtree, path, ignore_errors=True))
    try:
        yield path
    finally:
        with deferred():
            shutil.rmtree(path, ignore_errors=True)
            forget(token)
