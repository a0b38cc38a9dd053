"""Config problems: collected, never raised one at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tap.errors import EXIT_USAGE, TapError


@dataclass(frozen=True, order=True)
class ConfigProblem:
    """One thing wrong with one stack's config, at one dotted path."""

    stack: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.path or '<root>'}: {self.message}"


class ConfigError(TapError):
    """Config that cannot be used; carries every problem found, and the stacks looked at."""

    def __init__(self, problems: list[ConfigProblem], stacks: Sequence[str] = ()) -> None:
        self.problems = sorted(problems)
        self.stacks = tuple(sorted(stacks or {p.stack for p in self.problems}))
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigReadError(TapError):
    """A stack file that cannot be read or parsed at all."""

    exit_code = EXIT_USAGE
