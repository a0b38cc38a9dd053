"""The deploy role cannot escalate: both evaluators deny escalations and out-of-scope actions,
and principalmapper finds no path from the deploy role to an administrator in the account.

These judge the policy documents offline (moto does not enforce IAM); tests/local/
test_deploy_role.py proves the same policy allows every call a dev deploy makes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from tap.bootstrap.permissions import (
    ENVIRONMENT_TAG,
    boundary_arn,
    boundary_policy,
    deploy_policy,
)
from tap.local.access.evaluators import evaluators_for, judge
from tap.naming import Names
from tap.provider import default_tags
from tests.support.shipped import STACKS, shipped

DEV = shipped("dev")[1]
ACCOUNT = DEV.account_id
NAMES = Names.of(DEV)
BOUNDARY = boundary_arn(DEV)
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
PROCESSOR_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{NAMES.processor_role}"
BASE = {"aws:PrincipalArn": DEV.deploy_role_arn, "aws:PrincipalAccount": ACCOUNT}


def _other(stack: str) -> Names:
    return Names.of(shipped(stack)[1])


def _bucket(names: Names) -> str:
    return f"arn:aws:s3:::{names.bucket('data')}"


def _table(names: Names) -> str:
    return f"arn:aws:dynamodb:{names.region}:{ACCOUNT}:table/{names.table}"


def _function(names: Names) -> str:
    return f"arn:aws:lambda:{names.region}:{ACCOUNT}:function:{names.function}"


ESCALATIONS: list[tuple[str, str, str, Mapping[str, str]]] = [
    ("a role without the boundary", "iam:CreateRole", PROCESSOR_ROLE, {}),
    (
        "a role with another boundary",
        "iam:CreateRole",
        PROCESSOR_ROLE,
        {"iam:PermissionsBoundary": ADMIN_POLICY},
    ),
    (
        "AdministratorAccess attached",
        "iam:AttachRolePolicy",
        PROCESSOR_ROLE,
        {"iam:PermissionsBoundary": BOUNDARY, "iam:PolicyARN": ADMIN_POLICY},
    ),
    ("the boundary edited", "iam:CreatePolicyVersion", BOUNDARY, {}),
    ("the boundary's default version changed", "iam:SetDefaultPolicyVersion", BOUNDARY, {}),
    ("the boundary deleted", "iam:DeletePolicy", BOUNDARY, {}),
    (
        "the boundary removed from a role",
        "iam:DeleteRolePermissionsBoundary",
        PROCESSOR_ROLE,
        {"iam:PermissionsBoundary": BOUNDARY},
    ),
    (
        "the deploy role's own policy edited",
        "iam:PutRolePolicy",
        DEV.deploy_role_arn,
        {"iam:PermissionsBoundary": BOUNDARY},
    ),
    ("the deploy role's trust edited", "iam:UpdateAssumeRolePolicy", DEV.deploy_role_arn, {}),
    (
        "the deploy role given AdministratorAccess",
        "iam:AttachRolePolicy",
        DEV.deploy_role_arn,
        {"iam:PolicyARN": ADMIN_POLICY},
    ),
    (
        "a role passed to EC2",
        "iam:PassRole",
        PROCESSOR_ROLE,
        {"iam:PassedToService": "ec2.amazonaws.com"},
    ),
    ("staging's bucket deleted", "s3:DeleteBucket", _bucket(_other("staging")), {}),
    ("prod's bucket policy replaced", "s3:PutBucketPolicy", _bucket(_other("prod")), {}),
    ("prod's table deleted", "dynamodb:DeleteTable", _table(_other("prod")), {}),
    (
        "staging's function code replaced",
        "lambda:UpdateFunctionCode",
        _function(_other("staging")),
        {},
    ),
    ("a KMS key without the tag", "kms:CreateKey", "*", {}),
    (
        "a KMS key tagged for prod",
        "kms:CreateKey",
        "*",
        {f"aws:RequestTag/{ENVIRONMENT_TAG}": "prod"},
    ),
    (
        "prod's key scheduled for deletion",
        "kms:ScheduleKeyDeletion",
        f"arn:aws:kms:{DEV.region}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        {f"aws:ResourceTag/{ENVIRONMENT_TAG}": "prod"},
    ),
    ("an IAM user", "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/backdoor", {}),
    ("an access key", "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/backdoor", {}),
    ("another role assumed", "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/admin", {}),
    (
        "the data read",
        "s3:GetObject",
        f"{_bucket(NAMES)}/incoming/file.csv",
        {},
    ),
]


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [pytest.param(a, r, c, id=why) for why, a, r, c in ESCALATIONS],
)
def test_both_evaluators_deny_each_escalation_and_out_of_scope_action(
    action: str, resource: str, context: Mapping[str, str]
) -> None:
    verdict = judge(evaluators_for([deploy_policy(DEV)]), action, resource, {**BASE, **context})
    assert verdict.decisions == {"principalmapper": False, "lambda-preflight": False}


def test_at_least_twelve_escalations_are_judged() -> None:
    assert len(ESCALATIONS) >= 12


def test_the_escalation_judge_can_allow_what_the_stack_needs() -> None:
    """The mirror of each denial: the same actions on dev's own names, as dev sets them."""
    judges = evaluators_for([deploy_policy(DEV)])
    allowed = [
        ("iam:CreateRole", PROCESSOR_ROLE, {"iam:PermissionsBoundary": BOUNDARY}),
        ("iam:PassRole", PROCESSOR_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}),
        ("s3:DeleteBucket", _bucket(NAMES), {}),
        ("dynamodb:DeleteTable", _table(NAMES), {}),
        ("lambda:UpdateFunctionCode", _function(NAMES), {}),
        ("kms:CreateKey", "*", {f"aws:RequestTag/{ENVIRONMENT_TAG}": DEV.environment}),
    ]
    for action, resource, context in allowed:
        assert judge(judges, action, resource, {**BASE, **context}).allowed, action


def test_the_policies_name_no_other_environments_names() -> None:
    text = json.dumps([deploy_policy(DEV), boundary_policy(DEV)])
    for stack in STACKS:
        if stack == "dev":
            continue
        other = shipped(stack)[1]
        for what, physical in Names.of(other).all(other).items():
            assert physical not in text, f"{stack}'s {what} ({physical})"


def test_the_tag_that_scopes_keys_is_the_one_every_resource_carries() -> None:
    assert default_tags(DEV)[ENVIRONMENT_TAG] == DEV.environment


def test_the_deploy_policy_fits_an_inline_role_policy() -> None:
    """IAM counts a role's inline policies without whitespace against 10,240 characters."""
    for stack in STACKS:
        compact = json.dumps(deploy_policy(shipped(stack)[1]), separators=(",", ":"))
        assert len(compact) < 10_240, (stack, len(compact))


def _graph(deploy_document: dict[str, Any]) -> tuple[Any, Any, Any]:
    """An offline principalmapper graph of the account: the deploy role, the processor role
    (with the boundary) and an administrator role trusting the account; edges by its checkers."""
    from principalmapper.common import Graph, Node, Policy
    from principalmapper.graphing import iam_edges, sts_edges

    admin_doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    account_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    inline = Policy(DEV.deploy_role_arn, "tap-deploy", deploy_document)
    deploy = Node(
        DEV.deploy_role_arn, "AROADEPLOY", [inline], [], account_trust, None, 0, False, False,
        None, False, None,
    )  # fmt: skip
    boundary = Policy(BOUNDARY, NAMES.permissions_boundary, boundary_policy(DEV))
    processor = Node(
        PROCESSOR_ROLE, "AROAPROCESSOR", [], [], lambda_trust, None, 0, False, False, boundary,
        False, None,
    )  # fmt: skip
    admin_arn = f"arn:aws:iam::{ACCOUNT}:role/admin"
    admin = Node(
        admin_arn, "AROAADMIN", [Policy(ADMIN_POLICY, "AdministratorAccess", admin_doc)], [],
        account_trust, None, 0, False, True, None, False, None,
    )  # fmt: skip
    nodes = [deploy, processor, admin]
    edges = iam_edges.generate_edges_locally(nodes) + sts_edges.generate_edges_locally(nodes)
    return (
        Graph(nodes, edges, [boundary], [], {"account_id": ACCOUNT, "pmapper_version": "1.1.5"}),
        deploy,
        admin,
    )


def test_principalmapper_finds_no_path_from_the_deploy_role_to_an_administrator() -> None:
    from principalmapper.querying.query_utils import is_connected

    graph, deploy, admin = _graph(deploy_policy(DEV))
    assert not is_connected(graph, deploy, admin)


def test_principalmapper_finds_the_path_an_over_broad_deploy_role_would_have() -> None:
    """The check can fail: a deploy role that may edit any role's trust reaches the admin."""
    from principalmapper.querying.query_utils import is_connected

    broad = deploy_policy(DEV)
    broad["Statement"].insert(
        0, {"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"}
    )
    graph, deploy, admin = _graph(broad)
    assert is_connected(graph, deploy, admin)


def _lint(deploy_document: dict[str, Any], boundary_document: dict[str, Any]) -> list[str]:
    """cfn-lint's findings (rule ids) on a template holding the two documents as the bootstrap
    attaches them: the deploy policy inline on a role, the boundary as a managed policy."""
    from cfnlint.api import ManualArgs, lint

    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Boundary": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": boundary_document},
            },
            "DeployRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [{"PolicyName": "tap-deploy", "PolicyDocument": deploy_document}],
                },
            },
        },
    }
    matches = lint(json.dumps(template), config=ManualArgs(regions=[DEV.region]))
    return [f"{m.rule.id} {m.message[:80]}" for m in matches]


def test_every_action_granted_or_denied_is_one_aws_knows() -> None:
    """cfn-lint's W3037 checks each action against AWS's service authorization data, so a
    misspelt action (or provider read) in either document is named; every shipped stack's pass."""
    for stack in STACKS:
        config = shipped(stack)[1]
        assert _lint(deploy_policy(config), boundary_policy(config)) == [], stack
    misspelt = deploy_policy(DEV)
    misspelt["Statement"][0]["Action"].append("s3:GetBucketAclz")
    assert [f.split()[0] for f in _lint(misspelt, boundary_policy(DEV))] == ["W3037"]
