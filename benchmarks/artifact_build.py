"""Packaging: first build into an empty cache, cached rebuild, byte-identity across caches."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import Sample


def measure(*, runs: int = 5) -> dict[str, Any]:
    """Per round: an empty cache (cold), the same cache again (cached), a second empty cache."""
    from tap.packaging import build_artifact

    first: list[float] = []
    cached: list[float] = []
    digests: set[str] = set()
    sizes: set[int] = set()
    cached_flags: list[bool] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="tap-bench-pkg-") as scratch:
            root = Path(scratch)
            start = time.perf_counter()
            one = build_artifact(cache_dir=root / "a")
            first.append(time.perf_counter() - start)
            start = time.perf_counter()
            again = build_artifact(cache_dir=root / "a")
            cached.append(time.perf_counter() - start)
            other = build_artifact(cache_dir=root / "b")
            digests.update({one.sha256, again.sha256, other.sha256})
            sizes.add(one.size)
            cached_flags += [one.cached, again.cached, other.cached]
    first_sample = Sample.of([t * 1000 for t in first], "ms")
    cached_sample = Sample.of([t * 1000 for t in cached], "ms")
    return {
        "first_build": first_sample.to_dict(),
        "cached_rebuild": cached_sample.to_dict(),
        "first_to_cached": first_sample.median / cached_sample.median,
        "byte_identical": len(digests) == 1,
        "sha256": sorted(digests),
        "zip_bytes": sorted(sizes),
        "cache_hits_as_expected": cached_flags == [False, True, False] * runs,
        "builds_compared": 2 * runs,
    }
