"""The `tap` command's entry point: Ctrl-C (and SIGTERM) handling first, then the CLI; at the
end, flush and leave without tearing the heap down."""

import gc
import os
import signal
import sys

_early_stage = b"loading tap"
"""What an interrupt interrupts before tap.interrupts takes over (or, for `tap validate`,
which creates nothing to clean up, instead of it)."""


def _interrupted_while_loading(signum: int, _frame: object) -> None:
    """Until tap.interrupts is imported: nothing to clean up yet, so just say so and exit with
    128 + the signal (130 for SIGINT, 143 for SIGTERM), as tap.interrupts does."""
    os.write(2, b"interrupted during " + _early_stage + b"\n")
    os._exit(128 + signum)


# Installed at import, before anything slow is imported: the console script imports this
# module as the first thing it does. SIGTERM (`timeout`, CI runners, `kill`) is Ctrl-C's twin.
signal.signal(signal.SIGINT, _interrupted_while_loading)
signal.signal(signal.SIGTERM, _interrupted_while_loading)

SHOW_CURSOR = "\x1b[?25h"
"""A progress bar hides the terminal's cursor; an interrupted run must give it back."""


def report_interrupt(stage: str | None) -> None:
    """The one line an interrupted run prints, written straight to the file descriptor.

    It runs inside the signal handler, maybe while the main thread was writing to stderr, so it
    does not go through Python's (non-reentrant) buffered stream.
    """
    if sys.stdout.isatty():
        os.write(sys.stdout.fileno(), f"{SHOW_CURSOR}\n".encode())
    where = f" during {stage}" if stage else ""
    os.write(sys.stderr.fileno(), f"interrupted{where}\n".encode())


def exit_code(exc: SystemExit) -> int:
    """The status Python would exit with for `exc` (a message is printed, as Python does)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def leave(code: int) -> None:
    """Flush what was printed, then end the process without tearing down the heap (it never
    returns; `typing.NoReturn` is not imported here, before the SIGINT handler is in place).

    Each command's own cleanup (scratch directories, the emulator) has run in its `finally`
    blocks by now; what is left is freeing some hundred MB of objects one by one, which takes
    longer than many commands. A failed flush (a closed pipe) is a failed run.
    """
    gc.freeze()  # a collection while the streams flush need not walk the whole heap
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


def main() -> None:
    """Run `tap`; Ctrl-C at any moment exits 130 with one line, SIGTERM 143 (see
    tap.interrupts)."""
    # pydantic looks for plugins in every installed distribution's entry points on its first
    # model, which costs more than validating every stack; tap's models use none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    global _early_stage  # noqa: PLW0603 - read by the signal handler above
    from tap.cli import fastpath

    # `tap validate`, without typer when it can; it creates nothing an interrupt must remove
    if sys.argv[1:2] == ["validate"]:
        _early_stage = b"validating"
    fast = fastpath.dispatch(sys.argv[1:])
    if fast is not None:
        leave(fast)
    _early_stage = b"loading tap"
    from tap import interrupts

    interrupts.set_stage("loading tap")
    interrupts.install(report_interrupt)
    from tap.cli.app import app

    interrupts.set_stage(None)
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exit_code(exc)
    leave(code)
