"""Running `tap bootstrap` as a user does, and a project whose dev stack has an external id."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tap.cli.app import app
from tap.config import EnvironmentConfig
from tap.validation import load_stack
from tests.support.paths import REPO_ROOT

TRUSTS = {
    "github-oidc": ["--trust", "github-oidc", "--github-repo", "acme/tap"],
    "github-oidc-created": [
        "--trust",
        "github-oidc",
        "--github-repo",
        "acme/tap",
        "--create-oidc-provider",
    ],
    "principal": ["--trust", "principal", "--principal", "arn:aws:iam::210987654321:role/ci"],
}
"""Each trust option `tap bootstrap` offers, as its command-line arguments."""


@cache
def stack_config(stack: str) -> EnvironmentConfig:
    """A shipped stack's validated config, as `tap bootstrap` loads it (no synthesis)."""
    return load_stack(REPO_ROOT, stack)[1]


def run_bootstrap(project: Path, stack: str, *args: str) -> Result:
    """`tap bootstrap --stack STACK ARGS -C PROJECT`, its stdout and stderr kept apart."""
    return CliRunner().invoke(app, ["bootstrap", "--stack", stack, *args, "-C", str(project)])


@pytest.fixture(scope="session")
def external_id_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped project, with `tap:externalId` added to dev (shipped without one)."""
    directory = tmp_path_factory.mktemp("external-id-project")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(REPO_ROOT / name, directory / name)
    with (directory / "Pulumi.dev.yaml").open("a", encoding="utf-8") as stack:
        stack.write("  tap:externalId: tap-dev-deploy\n")
    return directory


def project_for(stack: str, trust: str, external_id_project: Path) -> Path:
    """The shipped project, except dev with the principal trust, which needs an external id."""
    return external_id_project if (stack, trust) == ("dev", "principal") else REPO_ROOT
