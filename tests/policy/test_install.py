"""The CrossGuard pack installs as docs/deploy.md says, and its rules load in that venv alone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tap.rules import TAP_PACK
from tests.support.paths import REPO_ROOT
from tests.support.venvs import install_requirements, run

DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
LOAD_THE_PACK = """
import importlib.util, sys
sys.path.insert(0, sys.argv[1])
import tap_policies
print(len(tap_policies.POLICIES), importlib.util.find_spec("moto") is not None)
"""


def documented_install() -> tuple[str, str, str]:
    """The one documented install line, as (the directory it changes into, the venv it creates,
    the requirements file it installs); it is run from the repository root."""
    lines = [
        line.removeprefix("$ ")
        for line in DEPLOY_DOC.read_text().splitlines()
        if "pip install -r" in line and "venv" in line
    ]
    assert len(lines) == 1, lines
    found = re.fullmatch(
        r"\(cd (\S+) && python3 -m venv (\S+) && (\S+)/bin/pip install -r (\S+)\)", lines[0]
    )
    assert found, f"not the documented shape: {lines[0]}"
    directory, venv, pip_venv, requirements = found.groups()
    assert venv == pip_venv
    return directory, venv, requirements


def test_the_documented_install_runs_where_pulumi_runs_it_and_is_ignored_by_git() -> None:
    directory, venv, requirements = documented_install()
    pack = REPO_ROOT / directory
    # the directory Pulumi installs a pack's requirements from, into the venv its yaml names
    assert (pack / "PulumiPolicy.yaml").is_file()
    assert f"virtualenv: {venv}" in (pack / "PulumiPolicy.yaml").read_text()
    assert (pack / requirements).is_file()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"{directory}/{venv}/bin/python"], cwd=REPO_ROOT, check=False
    )
    assert ignored.returncode == 0


@pytest.mark.slow
def test_the_documented_install_loads_every_rule_without_the_emulator(tmp_path: Path) -> None:
    """uv does pip's job from its cache (make test filled it), with the same file from the same
    directory, so `-e ..` resolves as pip resolves it (both take it from the working directory).
    Only a real `pulumi preview --policy-pack policy/` shows the engine running the pack."""
    directory, _venv, requirements = documented_install()
    python = install_requirements(tmp_path / "venv", requirements, cwd=REPO_ROOT / directory)
    loaded = run(python, "-c", LOAD_THE_PACK, REPO_ROOT / directory, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == [str(len(TAP_PACK)), "False"]
