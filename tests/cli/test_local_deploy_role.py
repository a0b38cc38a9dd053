"""`tap local --deploy-as deploy-role`: the dev graph deployed as the deploy role, every call
printed with both evaluators' judgement, and the exit code following them.

The program attaches the boundary only when tap:permissionsBoundaryArn is set (branch
bootstrap); each test fixes the roles' boundary itself, through the graph `tap` synthesizes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tap.synth.cache
from tap.bootstrap.permissions import boundary_arn
from tap.cli.app import app
from tap.config import EnvironmentConfig, Project
from tap.facts import tokens
from tap.synth import ResourceGraph
from tests.support.local import mutate

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _roles(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[dict[str, Any], str], dict[str, Any]]
) -> None:
    """Have `tap` synthesize the stack with `change(inputs, boundary)` applied to each role."""
    real = tap.synth.cache.synthesize_cached

    def synthesize(
        project: Project, stack: str, *, use_cache: bool = True
    ) -> tuple[ResourceGraph, EnvironmentConfig]:
        graph, config = real(project, stack, use_cache=use_cache)
        arn = boundary_arn(config)
        return mutate(graph, tokens.ROLE, lambda inputs: change(inputs, arn)), config

    monkeypatch.setattr(tap.synth.cache, "synthesize_cached", synthesize)


def test_the_deploy_role_deploys_dev_and_every_line_is_allowed() -> None:
    """The shipped dev stack as the program builds it: its roles carry the boundary."""
    result = runner.invoke(app, ["local", "-C", str(REPO), "--deploy-as", "deploy-role"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "stack dev deployed into the emulator as "
        "arn:aws:sts::111122223333:assumed-role/tap-deployer/tap-dev-deploy"
    )
    assert "calls the apply made (44 distinct, 3 implied by another):" in lines
    assert "provider reads (77, for 25 resource types):" in lines
    assert "grants of the roles it created (9):" in lines
    assert not [line for line in lines if line.startswith("  DENY")]
    assert lines[-1] == "✓ 0 unauthorized: the deploy role can deploy dev"
    assert "deploying dev into the emulator as" in result.stderr


def test_a_role_without_the_boundary_exits_1_naming_the_calls_and_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _roles(
        monkeypatch,
        lambda inputs, _arn: {k: v for k, v in inputs.items() if k != "permissionsBoundary"},
    )
    result = runner.invoke(app, ["local", "-C", str(REPO), "--deploy-as", "deploy-role"])

    assert result.exit_code == 1, result.output
    denied = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("  DENY")]
    assert denied == ["iam:CreateRole", "iam:PutRolePolicy"]
    assert "set tap:permissionsBoundaryArn" in result.stdout
    assert result.stdout.splitlines()[-1] == "✗ 2 unauthorized"


def test_json_lists_every_call_read_and_grant_with_both_decisions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _roles(monkeypatch, lambda inputs, arn: {**inputs, "permissionsBoundary": arn})
    result = runner.invoke(app, ["local", "-C", str(REPO), "--deploy-as", "deploy-role", "--json"])

    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert (len(proof["calls"]), len(proof["reads"]), len(proof["role_grants"])) == (44, 77, 9)
    assert proof["unauthorized"] == []
    everything = proof["calls"] + proof["reads"] + proof["role_grants"]
    assert {tuple(sorted(j["decisions"].items())) for j in everything} == {
        (("lambda-preflight", True), ("principalmapper", True))
    }
