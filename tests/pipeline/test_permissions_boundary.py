"""tap:permissionsBoundaryArn reaches every IAM role the program creates, and only then."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tap.facts.tokens import ROLE
from tap.synth.stack import synthesize_config
from tests.support.paths import REPO_ROOT

BOUNDARY = "arn:aws:iam::111122223333:policy/tap-deploy-boundary"
BATCH_SETTINGS = """  tap:backfill:
    batchOperations: true
    manifestBucket: tap-inventory-dev
    reportBucket: tap-reports-dev
"""

pytestmark = pytest.mark.slow  # two syntheses of mutated projects


def _project(directory: Path, *, boundary: bool) -> Path:
    """The shipped project, dev with the batch role on (a second role), the key kept or cut."""
    for name in ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "__main__.py"):
        shutil.copy(REPO_ROOT / name, directory / name)
    lines = (REPO_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if boundary or "tap:permissionsBoundaryArn" not in line]
    assert len(kept) == len(lines) - (0 if boundary else 1)
    (directory / "Pulumi.dev.yaml").write_text("".join(kept) + BATCH_SETTINGS, encoding="utf-8")
    return directory


def test_with_the_key_every_role_in_the_graph_carries_the_boundary(tmp_path: Path) -> None:
    graph, config = synthesize_config(_project(tmp_path, boundary=True), "dev")

    assert config.permissions_boundary_arn == BOUNDARY
    roles = graph.by_type(ROLE)
    assert sorted(r.inputs["name"] for r in roles) == [
        "tap-batch-operations-dev-useast1",
        "tap-processor-dev-useast1",
    ]
    assert {r.name: r.inputs.get("permissionsBoundary") for r in roles} == {
        "dev-batch-operations-role": BOUNDARY,
        "dev-processor-role": BOUNDARY,
    }


def test_without_the_key_no_role_has_a_boundary(tmp_path: Path) -> None:
    graph, config = synthesize_config(_project(tmp_path, boundary=False), "dev")

    assert config.permissions_boundary_arn is None
    roles = graph.by_type(ROLE)
    assert len(roles) == 2
    assert [r.inputs.get("permissionsBoundary") for r in roles] == [None, None]
