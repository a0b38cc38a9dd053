"""Bytecode for an interpreter's packages: make it, and say how much of it there is.

The installers here do not byte-compile (see the Makefile), so the first import of each module
compiles it, and with `PYTHONDONTWRITEBYTECODE` set every import does. Timing such a process
measures the compiler. Benchmarks that time imports compile first and record the share, so a
compiled side is never compared with an uncompiled one.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
_SHARE = """
import importlib.util, pathlib, sys
fresh = total = 0
for root in sys.argv[1:]:
    for source in pathlib.Path(root).rglob("*.py"):
        total += 1
        cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
        if cached.exists() and cached.stat().st_mtime >= source.stat().st_mtime:
            fresh += 1
print(fresh, total)
"""


def _in_place() -> dict[str, str]:
    """The environment with bytecode beside its sources: no PYTHONPYCACHEPREFIX (a caller's
    environment may set one; `make test` did until it began byte-compiling at install)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}


def _roots(python: Path, extra: tuple[Path, ...], site_packages: bool) -> list[str]:
    if not site_packages:
        return list(map(str, extra))
    purelib = subprocess.run(
        [str(python), "-c", _PURELIB], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    return [purelib, *map(str, extra)]


def compile_all(python: Path, *extra: Path, site_packages: bool = True) -> dict[str, float | int]:
    """Byte-compile `python`'s site-packages and `extra` dirs; return the share that has bytecode.

    Files that do not compile (test fixtures written for other Python versions) are skipped, so
    the share can stay a little under 1.
    """
    roots = _roots(python, extra, site_packages)
    subprocess.run(
        [str(python), "-m", "compileall", "-q", "-j", "0", *roots],
        env=_in_place(),
        capture_output=True,
        check=False,
        timeout=1800,
    )
    out = subprocess.run(
        [str(python), "-c", _SHARE, *roots],
        env=_in_place(),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.split()
    fresh, total = int(out[0]), int(out[1])
    return {"fresh": fresh, "modules": total, "share": round(fresh / total, 4) if total else 0.0}
