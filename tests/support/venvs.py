"""Scratch venvs installed as pip would install them, by uv from its cache (make test filled it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ENV = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
"""The environment a scratch venv's processes run in: not the test run's venv."""


def run(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A process in ENV, its output captured as text; the caller judges its exit code."""
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, env=ENV, cwd=cwd
    )


def install_requirements(venv: Path, requirements: str, cwd: Path) -> Path:
    """A new venv at `venv` with `requirements` installed from `cwd`, as `pip install -r` there
    would (relative paths in the file are taken from `cwd` by pip and uv alike); its python."""
    uv = Path(sys.executable).with_name("uv")
    subprocess.run([uv, "venv", "-q", venv], check=True, env=ENV)
    python = venv / "bin" / "python"
    install = run(uv, "pip", "install", "-q", "--python", python, "-r", requirements, cwd=cwd)
    assert install.returncode == 0, install.stderr
    return python
