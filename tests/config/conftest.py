"""Fixtures for config tests: the shipped stacks' raw `tap:` settings, fresh per test."""

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tap.config.loading import read_stack_file
from tests.support.paths import REPO_ROOT

Settings = dict[str, Any]


def shipped_settings(stack: str) -> Settings:
    """A deep copy of the `tap:` settings in the shipped `Pulumi.<stack>.yaml`."""
    return copy.deepcopy(read_stack_file(REPO_ROOT / f"Pulumi.{stack}.yaml").settings)


@pytest.fixture
def settings_of() -> Callable[[str], Settings]:
    """Returns a fresh, mutable copy of a shipped stack's settings."""
    return shipped_settings


@pytest.fixture
def dev_settings() -> Settings:
    return shipped_settings("dev")


@pytest.fixture
def prod_settings() -> Settings:
    return shipped_settings("prod")
