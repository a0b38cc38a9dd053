"""`tap local` runs every stack `tap check` passes: the dev stack with any combination of the
config flags that add or remove resources (`tests.support.flags`), not only the shipped stacks.

Issue 24 §1: with `tap:backfill.batchOperations: true`, `tap check` exited 0 and `tap local`
exited 1 ("no applier for resource type 'tap:backfill:BatchOperationsRole'").
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import event, given, settings

from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL
from tap.local import LocalOptions, local_run
from tap.naming import Names
from tap.rules import RuleContext, check_graph
from tap.synth.cache import synthesize_cached
from tap.synth.graph import ResourceGraph
from tap.validation import validate_project
from tests.support.flags import Flags, flag_combinations
from tests.support.local import KeptRun, disagreements
from tests.support.properties import examples
from tests.support.shipped import STACKS, shipped

pytestmark = pytest.mark.slow  # each test synthesizes a stack and runs it on the emulator


def checked(flags: Flags, directory: Path) -> tuple[ResourceGraph, Names, bool]:
    """The dev stack with `flags`, its names, and whether `tap check` passes it."""
    graph, config = synthesize_cached(
        validate_project(flags.write(directory)), "dev", use_cache=False
    )
    passed = check_graph(graph, RuleContext(config), config.suppressions).passed
    return graph, Names.of(config), passed


def test_dev_with_batch_operations_passes_tap_local_end_to_end(
    tmp_path: Path, run_kept: Callable[..., KeptRun]
) -> None:
    """GIVEN the dev stack with batch operations on, which `tap check` passes,
    WHEN `tap local` runs it, THEN it applies the batch operations role as IAM holds it
    (trusted by S3 Batch Operations, allowed to invoke the processor's alias) and every
    object's item holds S3's current version."""
    graph, names, passed = checked(Flags(batch_operations=True), tmp_path)
    assert passed

    run = run_kept(graph, objects=5)

    assert run.report.ok
    assert run.report.uploaded == 5
    iam = run.client("iam")
    role = iam.get_role(RoleName=names.batch_operations_role)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": BATCH_OPERATIONS_PRINCIPAL}]
    policy = iam.get_role_policy(
        RoleName=names.batch_operations_role, PolicyName="batch-operations-backfill"
    )["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    invoke = next(s for s in policy["Statement"] if s["Sid"] == "InvokeProcessorAlias")
    alias = run.client("lambda").get_alias(FunctionName=names.function, Name="live")
    assert invoke["Resource"] in (alias["AliasArn"], [alias["AliasArn"]])
    data = names.bucket("data")
    assert (
        disagreements(run.client("s3"), run.client("dynamodb"), bucket=data, table=names.table)
        == {}
    )


def test_a_table_replica_with_the_key_passes_tap_local_and_kms_holds_the_replica_key(
    tmp_path: Path, run_kept: Callable[..., KeptRun]
) -> None:
    """GIVEN the dev stack with a replica region and its key (as prod ships),
    WHEN `tap local` runs it, THEN the key is replicated into that region as KMS holds it.

    `tap local --stack prod` crashed with moto's KeyError here: the applier passed the
    primary's ARN to ReplicateKey, and moto finds a key only by its id."""
    graph, names, passed = checked(Flags(replica_regions=("us-west-2",)), tmp_path)
    assert passed

    run = run_kept(graph, objects=2)

    assert run.report.ok
    kms = run.client("kms")
    primary = kms.describe_key(KeyId=names.kms_alias)["KeyMetadata"]
    replicas = primary["MultiRegionConfiguration"]["ReplicaKeys"]
    assert [r["Region"] for r in replicas] == ["us-west-2"]
    west = run.session.client("kms", region_name="us-west-2", endpoint_url=run.emulator.endpoint)
    replica = west.describe_key(KeyId=replicas[0]["Arn"])["KeyMetadata"]
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert replica["KeyId"] == primary["KeyId"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_stack_passes_tap_local(stack: str, artifact_path: Path) -> None:
    """`tap check` passes each shipped stack, so `tap local` must run it (prod's replica key
    crashed it)."""
    graph, config = shipped(stack)
    assert check_graph(graph, RuleContext(config), config.suppressions).passed

    with local_run(graph, LocalOptions(objects=2, artifact_path=artifact_path)) as (report, _):
        assert report.ok, report.to_dict()
        assert report.uploaded == 2


@given(flags=flag_combinations)
@settings(max_examples=examples(8))
def test_tap_local_passes_every_flag_combination_tap_check_passes(
    flags: Flags, artifact_path: Path
) -> None:
    """Whatever flags are drawn, a stack `tap check` passes is one `tap local` applies and
    drives with nothing lost, duplicated or unauthorized."""
    with tempfile.TemporaryDirectory() as scratch:
        graph, _, passed = checked(flags, Path(scratch))
    event(f"tap check {'passed' if passed else 'refused'} the stack")
    if not passed:
        return  # `tap local` owes nothing to a stack `tap check` refuses
    options = LocalOptions(objects=3, artifact_path=artifact_path)

    with local_run(graph, options) as (report, _emulator):
        assert report.ok, report.to_dict()
        assert report.uploaded == 3
