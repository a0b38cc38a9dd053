"""The deploy role can deploy dev: the graph applied in moto through the assumed deploy role,
every call, provider read and created grant judged by both evaluators.

moto does not enforce IAM (it would accept any call), so the judges are the two offline
evaluators, as in the processor role's proof. The program attaches `tap:permissionsBoundaryArn`
to every role it creates, so the shipped graphs are deployed as they are; `unbounded` strips the
boundary, and that graph is shown refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tap.bootstrap.permissions import boundary_arn, deploy_policy
from tap.facts import tokens
from tap.facts.provider_reads import PROVIDER_READS
from tap.local.access.deploy_role import DeployRoleProof, prove_deploy_role
from tap.synth import ResourceGraph
from tests.support.local import mutate
from tests.support.shipped import shipped

DEV = shipped("dev")[1]


def unbounded(graph: ResourceGraph) -> ResourceGraph:
    """The graph with no role carrying a boundary (a stack without `tap:permissionsBoundaryArn`)."""
    return mutate(
        graph,
        tokens.ROLE,
        lambda inputs: {k: v for k, v in inputs.items() if k != "permissionsBoundary"},
    )


def test_the_shipped_graphs_roles_carry_the_boundary_the_deploy_role_requires() -> None:
    roles = [r for r in shipped("dev")[0].resources if r.type == tokens.ROLE]
    assert len(roles) >= 1
    assert {r.inputs.get("permissionsBoundary") for r in roles} == {boundary_arn(DEV)}


@pytest.fixture(scope="module")
def proof(artifact_path: Path) -> DeployRoleProof:
    return prove_deploy_role(shipped("dev")[0].resources, DEV, artifact=artifact_path.read_bytes())


def _actions(judged: Any) -> set[str]:
    return {j.call.action for j in judged}


def test_the_deploy_role_deploys_dev_with_no_call_denied(proof: DeployRoleProof) -> None:
    assert proof.evaluators == ("principalmapper", "lambda-preflight")
    assert proof.unauthorized == ()
    assert proof.disagreements == ()
    assert proof.caller_arn == "arn:aws:sts::111122223333:assumed-role/tap-deployer/tap-dev-deploy"
    assert (len(proof.calls), len(proof.reads), len(proof.role_grants)) == (44, 77, 9)
    assert sum(j.count for j in proof.calls) == 44
    implied = {(j.call.action, j.call.resource_type) for j in proof.calls if j.call.implied}
    assert implied == {
        ("iam:PassRole", tokens.FUNCTION),
        ("kms:DescribeKey", tokens.TABLE),
        ("kms:CreateGrant", tokens.TABLE),
    }


def test_the_report_holds_the_calls_that_matter_with_the_keys_they_set(
    proof: DeployRoleProof,
) -> None:
    by_action = {j.call.action: j.call for j in proof.calls}
    assert dict(by_action["iam:CreateRole"].context) == {
        "iam:PermissionsBoundary": boundary_arn(DEV)
    }
    assert dict(by_action["iam:PassRole"].context) == {
        "iam:PassedToService": "lambda.amazonaws.com"
    }
    assert dict(by_action["kms:CreateKey"].context)["aws:RequestTag/environment"] == "dev"
    assert by_action["s3:CreateBucket"].resource == "arn:aws:s3:::tap-data-dev-useast1"
    assert {j.call.action for j in proof.calls if j.call.resource == "*"} == {"kms:CreateKey"}


def test_every_applied_type_has_its_provider_reads_judged(proof: DeployRoleProof) -> None:
    graph = shipped("dev")[0]
    created = {r.type for r in graph.resources if r.custom and r.type != tokens.AWS_PROVIDER}
    assert {j.call.resource_type for j in proof.reads} == created
    for resource_type in created:
        listed = set(PROVIDER_READS[resource_type].actions)
        judged = {j.call.action for j in proof.reads if j.call.resource_type == resource_type}
        assert judged == listed, resource_type
    assert all(j.allowed for j in proof.reads)


def test_local_only_plumbing_is_set_apart(proof: DeployRoleProof) -> None:
    assert {c.action for c in proof.local_only} == {"sqs:CreateQueue", "sqs:GetQueueAttributes"}


def test_removing_one_needed_statement_names_the_calls_it_allowed(artifact_path: Path) -> None:
    policy = deploy_policy(DEV)
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "FailureQueues"]
    proof = prove_deploy_role(
        shipped("dev")[0].resources,
        DEV,
        artifact=artifact_path.read_bytes(),
        policy=policy,
    )
    denied = {(j.call.action, j.call.resource.rsplit(":", 1)[-1]) for j in proof.unauthorized}
    assert ("sqs:CreateQueue", "tap-processor-dlq-dev-useast1") in denied
    assert ("sqs:SetQueueAttributes", "tap-delivery-dlq-dev-useast1") in denied
    assert {a.split(":")[0] for a, _ in denied} == {"sqs"}


def test_a_role_without_the_boundary_is_refused(artifact_path: Path) -> None:
    proof = prove_deploy_role(
        unbounded(shipped("dev")[0]).resources, DEV, artifact=artifact_path.read_bytes()
    )
    denied = {j.call.action for j in proof.unauthorized}
    assert "iam:CreateRole" in denied
    assert "iam:PutRolePolicy" in denied


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_other_stacks_deploy_through_their_own_role_with_no_call_denied(
    stack: str, artifact_path: Path
) -> None:
    """prod adds the replica region: its table replica (with the item actions AWS requires
    there), its replica key and the replication service-linked role."""
    graph, config = shipped(stack)
    proof = prove_deploy_role(graph.resources, config, artifact=artifact_path.read_bytes())
    assert proof.unauthorized == ()
    assert proof.disagreements == ()
    actions = {j.call.action for j in proof.calls}
    replicated = {"dynamodb:CreateTableReplica", "kms:ReplicateKey", "iam:CreateServiceLinkedRole"}
    assert (actions >= replicated) is (stack == "prod")
