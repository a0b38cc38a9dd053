"""Timing and statistics shared by every measurement: medians, spreads and progress lines."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one quantity, summarised by their median."""

    median: float
    minimum: float
    maximum: float
    n: int
    unit: str

    @classmethod
    def of(cls, values: list[float], unit: str) -> Sample:
        """Summarise raw values; an empty list is a programming error."""
        if not values:
            raise ValueError("no values to summarise")
        return cls(
            median=statistics.median(values),
            minimum=min(values),
            maximum=max(values),
            n=len(values),
            unit=unit,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def show(self, digits: int = 1) -> str:
        """`12.3 ms (n=9, 11.0-14.2)` for the results table."""
        return (
            f"{self.median:.{digits}f} {self.unit} "
            f"(n={self.n}, {self.minimum:.{digits}f}–{self.maximum:.{digits}f})"
        )


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is zero."""
    return None if denominator == 0 else numerator / denominator


def paired_ratio(pairs: list[tuple[float, float]]) -> Sample:
    """Median of per-round ratios a/b: each round's two figures were taken back to back."""
    return Sample.of([a / b for a, b in pairs if b], "×")


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes, by the monotonic high-resolution clock."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def progress(message: str) -> None:
    """One progress line on stderr; stdout stays clean."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Report a stage's start and its wall time on stderr."""
    progress(f"{name} ...")
    start = time.perf_counter()
    try:
        yield
    finally:
        progress(f"{name} done in {time.perf_counter() - start:.1f} s")
