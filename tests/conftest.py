"""Generic fixtures: the repository root and a scratch copy of the shipped stack files."""

import shutil
from pathlib import Path

import pytest

from tests.support import cli, properties  # noqa: F401  (cached typer commands; the quick profile)
from tests.support.paths import REPO_ROOT, STACK_FILES


@pytest.fixture
def repo_root() -> Path:
    """The checkout's root, where the shipped Pulumi*.yaml files live."""
    return REPO_ROOT


@pytest.fixture
def stack_dir(tmp_path: Path) -> Path:
    """A temporary project directory holding copies of the shipped Pulumi*.yaml files."""
    for name in STACK_FILES:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tmp_path
