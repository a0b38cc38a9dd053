"""The root of every error tap raises on purpose, and the exit codes every `tap` verb uses."""

from __future__ import annotations

from typing import ClassVar

EXIT_OK = 0
EXIT_FINDINGS = 1
"""Findings or failures: the input was read, and something in it (or in the run) is wrong."""
EXIT_USAGE = 2
"""Usage, or input that could not be read at all."""


class TapError(Exception):
    """An error meant for the user: the CLI prints `headline()` as one line and exits `exit_code`.

    Subclasses set the class attributes, so the CLI needs one `except TapError`, in no order.
    """

    exit_code: ClassVar[int] = EXIT_FINDINGS
    prefix: ClassVar[str] = ""
    """What failed, in a few words, before the message (e.g. `synthesis failed`)."""

    def details(self) -> tuple[str, ...]:
        """Lines printed before the headline, one per problem (none by default)."""
        return ()

    def headline(self) -> str:
        """The one line the user sees."""
        return f"{self.prefix}: {self}" if self.prefix else str(self)
