"""No id the mock monitor made up reaches AWS: `tap operator-policy` and the day-2 commands name
what config fixes (names, the key's alias) or what the stack's outputs say (the key's ARN)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tap.config import EnvironmentConfig
from tap.facts.arns import kms_key_arn, parse_arn, partition_of
from tap.facts.tokens import KMS_KEY
from tap.local.access.evaluators import PrincipalMapperEvaluator
from tap.naming import Names
from tap.ops.stack import KEY_ARN_OUTPUT, resolve
from tap.synth import ResourceGraph
from tests.support.paths import REPO_ROOT, STACKS
from tests.support.shipped import only, shipped

runner = CliRunner()
DEPLOYED_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # the id AWS's KMS docs use
ARN_RE = re.compile(r"arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\"\s,\]]+")


def invented_ids(graph: ResourceGraph) -> set[str]:
    """Every id the fake provider answered that no input gave it: here, the KMS keys' ids."""
    return {str(k.outputs["keyId"]) for k in graph.by_type(KMS_KEY)}


def derivable(arn: str, config: EnvironmentConfig) -> bool:
    """Whether every field of `arn` follows from config alone: its partition, region, account
    and a physical name tap's naming gives (or `*`, or the processor's `live` alias)."""
    parsed = parse_arn(arn)
    names = set(Names.of(config).all(config).values())
    leaf = re.split(r"[/:]", parsed.resource)
    return (
        parsed.partition == partition_of(config.region)
        and parsed.region in {config.region, ""}
        and parsed.account in {config.account_id, ""}
        and any(part in names or part == "*" for part in leaf)
        and all(
            part in names or part in {"*", "live", "function", "table", "key", "role", "job"}
            for part in leaf
        )
    )


def operator_policy_arns(*args: str) -> list[str]:
    result = runner.invoke(app, ["operator-policy", "-C", str(REPO_ROOT), *args])
    assert result.exit_code == 0, result.output
    policy = json.loads(result.stdout)
    arns = [r for s in policy["Statement"] for r in s["Resource"] if r != "*"]
    assert arns == ARN_RE.findall(result.stdout)  # every ARN it prints is a statement's resource
    return arns


@pytest.mark.parametrize("stack", STACKS)
def test_every_arn_operator_policy_prints_follows_from_config_alone(stack: str) -> None:
    graph, config = shipped(stack)
    arns = operator_policy_arns("--stack", stack)
    assert len(arns) >= 6
    assert [a for a in arns if not derivable(a, config)] == []
    assert not any(i in a for a in arns for i in invented_ids(graph))
    # AND the key is named by its alias, which config fixes, on the account's keys only
    key_grants = [a for a in arns if ":kms:" in a]
    assert set(key_grants) == {kms_key_arn("aws", config.region, config.account_id, "*")}


def test_the_key_grant_is_the_deployed_key_when_the_outputs_give_it(tmp_path: Path) -> None:
    graph, config = shipped("prod")
    deployed = kms_key_arn("aws", config.region, config.account_id, DEPLOYED_KEY_ID)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"tableName": resolve(graph).table, KEY_ARN_OUTPUT: deployed}))

    arns = operator_policy_arns("--stack", "prod", "--outputs", str(outputs))

    assert {a for a in arns if ":kms:" in a} == {deployed}
    assert [a for a in arns if not derivable(a, config) and a != deployed] == []
    assert not any(i in a for a in arns for i in invented_ids(graph))


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ({"tableName": "tap-items-dev-useast1"}, "not stack prod's"),
        ({}, "the outputs hold no kmsKeyArn"),
        (
            {KEY_ARN_OUTPUT: "arn:aws:kms:us-east-1:111122223333:key/" + DEPLOYED_KEY_ID},
            "not a KMS key ARN in account 777788889999",
        ),
        ({KEY_ARN_OUTPUT: "arn:aws:kms:us-east-1:777788889999:alias/x"}, "not a KMS key ARN"),
        ([], "not the object `pulumi stack output --json` writes"),
    ],
)
def test_outputs_that_are_not_this_stacks_are_refused_in_one_line(
    tmp_path: Path, outputs: object, message: str
) -> None:
    file = tmp_path / "outputs.json"
    file.write_text(json.dumps(outputs))
    result = runner.invoke(
        app, ["operator-policy", "--stack", "prod", "-C", str(REPO_ROOT), "--outputs", str(file)]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_the_program_exports_the_key_arn_operator_policy_reads() -> None:
    graph, _config = shipped("dev")
    assert graph.outputs[KEY_ARN_OUTPUT] == only(graph, KMS_KEY).outputs["arn"]


@pytest.mark.parametrize("stack", STACKS)
def test_what_the_day2_commands_act_on_holds_no_invented_id(stack: str) -> None:
    graph, config = shipped(stack)
    resources = resolve(graph).to_dict()
    assert resources["kms_key_arn"] is None
    assert resources["kms_key_alias"] == Names.of(config).kms_alias
    text = json.dumps(resources)
    assert not any(i in text for i in invented_ids(graph))
    assert all(derivable(a, config) for a in ARN_RE.findall(text))


def test_the_alias_grant_allows_the_aliased_key_and_no_other() -> None:
    """principalmapper judges the alias condition; lambda-preflight cannot evaluate
    `ForAnyValue:` (it reports it unevaluable), so the emulator proofs name the deployed key."""
    graph, config = shipped("dev")
    result = runner.invoke(app, ["operator-policy", "-C", str(REPO_ROOT), "--command", "reconcile"])
    evaluator = PrincipalMapperEvaluator([json.loads(result.stdout)])
    key = kms_key_arn("aws", config.region, config.account_id, DEPLOYED_KEY_ID)
    alias = resolve(graph).kms_key_alias
    assert alias is not None
    assert evaluator.allows("kms:Decrypt", key, {"kms:ResourceAliases": alias})
    assert not evaluator.allows("kms:Decrypt", key, {"kms:ResourceAliases": "alias/another"})
    assert not evaluator.allows("kms:Decrypt", key, {})
    other_account = kms_key_arn("aws", config.region, "444455556666", DEPLOYED_KEY_ID)
    assert not evaluator.allows("kms:Decrypt", other_account, {"kms:ResourceAliases": alias})
