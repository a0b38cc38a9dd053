"""A `tap` process run under `-X importtime`: what it printed, and which packages it loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO_ROOT


def tap_imports(
    *args: str, cwd: Path = REPO_ROOT, codes: tuple[int, ...] = (0,)
) -> tuple[str, set[str]]:
    """`python -m tap ARGS`' stdout and the top-level packages it imported; asserts it exited
    with one of `codes`."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tap", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert result.returncode in codes, result.stderr[-2000:]
    return result.stdout, {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
