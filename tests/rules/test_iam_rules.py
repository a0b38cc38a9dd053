"""IAM rules: valid documents, no wildcard actions, `*` only where required, least privilege."""

import json
from typing import Any

import pytest

from tap.facts.tokens import BUCKET_POLICY, KMS_KEY, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT
from tap.rules import iam
from tap.rules.actions import is_known_action, supports_resource_scoping
from tap.rules.model import RuleCheck, RuleContext, Status
from tests.support.judge import all_compliant, failures
from tests.support.shipped import STACKS, context, edit, graph, only, with_added

POLICY_RULES = [
    iam.iam_policy_document_valid,
    iam.iam_no_wildcard_actions,
    iam.iam_resource_star_only_where_required,
    iam.iam_actions_exist,
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("rule", POLICY_RULES, ids=lambda r: r.__name__)
def test_shipped_policies_comply(rule: RuleCheck, stack: str) -> None:
    assert all_compliant(rule, graph(stack), context(stack)) >= 5


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_processor_role_grants_exactly_the_handler_needs(stack: str) -> None:
    assert (
        all_compliant(iam.iam_processor_role_matches_handler_needs, graph(stack), context(stack))
        == 1
    )


def _statements(g, type_, change, suffix=""):  # type: ignore[no-untyped-def]
    def edit_policy(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        change(document)
        props["policy"] = json.dumps(document)

    return edit(g, only(g, type_, suffix), edit_policy)


def test_a_policy_with_an_output_repr_is_not_json() -> None:
    g = graph("dev")
    text = "Calling __str__ on an Output[T] is not supported."
    g = edit(g, only(g, ROLE_POLICY), lambda p: p.update(policy=text))
    [failure] = failures(iam.iam_policy_document_valid, g, context("dev"))
    assert (
        failure.message
        == "aws:iam/rolePolicy:RolePolicy dev-processor-permissions policy is not a JSON object"
    )


def test_an_old_version_and_a_non_arn_resource_are_reported() -> None:
    def break_it(document: dict[str, Any]) -> None:
        document["Version"] = "2008-10-17"
        document["Statement"][0]["Resource"] = ["tap-items-dev-useast1"]

    g = _statements(graph("dev"), ROLE_POLICY, break_it)
    [failure] = failures(iam.iam_policy_document_valid, g, context("dev"))
    assert failure.message.endswith(
        "policy has Version '2008-10-17', not 2012-10-17; "
        "Statement[0].Resource 'tap-items-dev-useast1' is not an ARN or '*'"
    )


def test_a_wildcard_action_in_an_allow_is_reported() -> None:
    g = _statements(
        graph("dev"), ROLE_POLICY, lambda d: d["Statement"][0].update(Action=["dynamodb:*"])
    )
    [failure] = failures(iam.iam_no_wildcard_actions, g, context("dev"))
    assert failure.message.endswith("policy allows wildcard actions dynamodb:*")


def test_not_action_in_an_allow_is_reported() -> None:
    g = _statements(
        graph("dev"), ROLE_POLICY, lambda d: d["Statement"][0].update(NotAction=["iam:*"])
    )
    [failure] = failures(iam.iam_no_wildcard_actions, g, context("dev"))
    assert "allows NotAction ['iam:*']" in failure.message


def test_the_key_policys_account_root_administration_is_the_one_exception() -> None:
    key = only(graph("dev"), KMS_KEY)
    [admin] = [s for s in json.loads(key.inputs["policy"])["Statement"] if s["Action"] == ["kms:*"]]
    assert admin["Principal"] == {"AWS": "111122223333"}
    g = _statements(
        graph("dev"),
        KMS_KEY,
        lambda d: d["Statement"][0].update(Principal={"AWS": "arn:aws:iam::111122223333:role/x"}),
    )
    [failure] = failures(iam.iam_no_wildcard_actions, g, context("dev"))
    assert failure.message.endswith("policy allows wildcard actions kms:*")


def test_deny_statements_may_use_wildcards() -> None:
    policy = json.loads(only(graph("dev"), BUCKET_POLICY).inputs["policy"])
    assert policy["Statement"][0]["Effect"] == "Deny"
    assert policy["Statement"][0]["Action"] == ["s3:*"]


def test_a_scopable_action_on_star_is_reported() -> None:
    g = _statements(graph("dev"), ROLE_POLICY, lambda d: d["Statement"][0].update(Resource="*"))
    [failure] = failures(iam.iam_resource_star_only_where_required, g, context("dev"))
    assert failure.message.endswith(
        "policy allows dynamodb:PutItem on '*' although they can be scoped to resource ARNs"
    )


def test_action_metadata_knows_which_actions_need_star() -> None:
    assert not supports_resource_scoping("xray:PutTraceSegments")
    assert supports_resource_scoping("dynamodb:PutItem")
    assert supports_resource_scoping("sqs:SendMessage")
    assert is_known_action("DynamoDB:putitem")
    assert not is_known_action("s3:GetObjekt")


def test_a_misspelt_action_is_reported() -> None:
    g = _statements(
        graph("dev"), ROLE_POLICY, lambda d: d["Statement"][0].update(Action=["dynamodb:PutItems"])
    )
    [failure] = failures(iam.iam_actions_exist, g, context("dev"))
    assert failure.message.endswith("policy names unknown actions dynamodb:PutItems")


def test_an_unneeded_grant_and_a_missing_one_are_reported() -> None:
    g = _statements(
        graph("dev"), ROLE_POLICY, lambda d: d["Statement"][0].update(Action=["dynamodb:GetItem"])
    )
    [failure] = failures(iam.iam_processor_role_matches_handler_needs, g, context("dev"))
    assert failure.message == (
        "role tap-processor-dev-useast1 grants unneeded dynamodb:GetItem; "
        "lacks needed dynamodb:PutItem"
    )


@pytest.mark.parametrize("pattern", ["dynamodb:*", "dynamodb:Put*", "dynamodb:PutIte?"])
def test_a_pattern_covering_a_need_is_broader_not_lacking(pattern: str) -> None:
    g = _statements(graph("dev"), ROLE_POLICY, lambda d: d["Statement"][0].update(Action=[pattern]))
    [failure] = failures(iam.iam_processor_role_matches_handler_needs, g, context("dev"))
    assert failure.message == f"role tap-processor-dev-useast1 grants unneeded {pattern}"


def test_action_names_compare_case_insensitively_as_iam_does() -> None:
    g = _statements(
        graph("dev"), ROLE_POLICY, lambda d: d["Statement"][0].update(Action=["DynamoDB:putitem"])
    )
    assert all_compliant(iam.iam_processor_role_matches_handler_needs, g, context("dev")) == 1


def test_a_managed_policy_on_the_processor_role_is_reported() -> None:
    g = graph("dev")
    role = only(g, ROLE)
    attachment = role.model_copy(
        update={
            "urn": role.urn + "-attach",
            "type": ROLE_POLICY_ATTACHMENT,
            "name": "admin",
            "inputs": {
                "role": role.outputs["id"],
                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
            "outputs": {},
        }
    )
    [failure] = failures(
        iam.iam_processor_role_matches_handler_needs, with_added(g, attachment), context("dev")
    )
    assert failure.message.endswith(
        "has managed policies attached (arn:aws:iam::aws:policy/AdministratorAccess)"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_roles_carry_the_configured_boundary(stack: str) -> None:
    assert all_compliant(iam.iam_roles_have_permissions_boundary, graph(stack), context(stack)) == 1


def test_a_role_without_the_boundary_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, ROLE), lambda p: p.pop("permissionsBoundary"))
    [failure] = failures(iam.iam_roles_have_permissions_boundary, g, context("dev"))
    assert failure.message == (
        "role tap-processor-dev-useast1 has no permissions boundary; "
        "tap:permissionsBoundaryArn is arn:aws:iam::111122223333:policy/tap-deploy-boundary"
    )


def test_a_role_with_another_boundary_is_reported() -> None:
    other = "arn:aws:iam::111122223333:policy/wider"
    g = graph("dev")
    g = edit(g, only(g, ROLE), lambda p: p.update(permissionsBoundary=other))
    [failure] = failures(iam.iam_roles_have_permissions_boundary, g, context("dev"))
    assert failure.message == (
        f"role tap-processor-dev-useast1 has permissions boundary {other}, "
        "not arn:aws:iam::111122223333:policy/tap-deploy-boundary"
    )


def test_without_the_key_the_boundary_rule_does_not_apply() -> None:
    config = context("dev").config
    assert config is not None
    unset = RuleContext(config.model_copy(update={"permissions_boundary_arn": None}))
    g = graph("dev")
    g = edit(g, only(g, ROLE), lambda p: p.pop("permissionsBoundary"))
    outcomes = list(iam.iam_roles_have_permissions_boundary(g, unset))
    assert [(o.status, o.message) for o in outcomes] == [
        (Status.NOT_APPLICABLE, "tap:permissionsBoundaryArn is not set")
    ]
