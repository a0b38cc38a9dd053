"""The `tap` command's entry point: Ctrl-C handling first, then the (heavy) CLI import."""

import os
import signal
import sys


def _interrupted_while_loading(_signum: int, _frame: object) -> None:
    """Until tap.interrupts is imported: nothing to clean up yet, so just say so and exit."""
    os.write(2, b"interrupted during loading tap\n")
    os._exit(130)


# Installed at import, before anything slow is imported: the console script imports this
# module as the first thing it does.
signal.signal(signal.SIGINT, _interrupted_while_loading)

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


def main() -> None:
    """Run `tap`; Ctrl-C at any moment exits 130 with one line (see tap.interrupts)."""
    from tap import interrupts

    interrupts.set_stage("loading tap")
    interrupts.install(report_interrupt)
    from tap.cli import app

    interrupts.set_stage(None)
    app()
