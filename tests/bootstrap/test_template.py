"""The bootstrap template, as data: names from config, the trust chosen, the boundary, the
backend only when asked, and refusals of what it cannot render."""

from __future__ import annotations

from typing import Any

import pytest

from tap.bootstrap import template as template_module
from tap.bootstrap.backend import Backend
from tap.bootstrap.errors import BootstrapError
from tap.bootstrap.permissions import boundary_policy, deploy_policy
from tap.bootstrap.steps import next_steps
from tap.bootstrap.template import BootstrapOptions, render_template
from tap.bootstrap.trust import GitHubOidcTrust, PrincipalTrust, trust_policy
from tap.config import EnvironmentConfig
from tests.bootstrap.conftest import stack_config

GITHUB = GitHubOidcTrust("acme/tap")


def _config(stack: str, **changes: Any) -> EnvironmentConfig:
    return stack_config(stack).model_copy(update=changes)


def _types(template: dict[str, Any]) -> dict[str, str]:
    return {name: r["Type"] for name, r in template["Resources"].items()}


def test_the_role_and_boundary_are_named_by_config_and_hold_their_policies() -> None:
    config = _config("prod")
    template = render_template("tap", config, BootstrapOptions(GITHUB))

    assert _types(template) == {
        "DeployRole": "AWS::IAM::Role",
        "PermissionsBoundary": "AWS::IAM::ManagedPolicy",
    }
    role = template["Resources"]["DeployRole"]["Properties"]
    assert (role["RoleName"], role["Path"]) == ("tap-deployer", "/")
    assert role["AssumeRolePolicyDocument"] == trust_policy(config, GITHUB)
    assert role["Policies"][0] == {
        "PolicyName": "tap-deploy",
        "PolicyDocument": deploy_policy(config),
    }
    boundary = template["Resources"]["PermissionsBoundary"]["Properties"]
    assert (boundary["ManagedPolicyName"], boundary["Path"]) == ("tap-deploy-boundary", "/")
    assert boundary["PolicyDocument"] == boundary_policy(config)
    assert set(template["Outputs"]) == {"DeployRoleArn", "PermissionsBoundaryArn"}


def test_paths_in_the_arns_become_iam_paths() -> None:
    config = _config(
        "dev",
        deploy_role_arn="arn:aws:iam::111122223333:role/ci/tap/deployer",
        permissions_boundary_arn="arn:aws:iam::111122223333:policy/guard/tap-boundary",
    )
    resources = render_template("tap", config, BootstrapOptions(GITHUB))["Resources"]

    role = resources["DeployRole"]["Properties"]
    assert (role["Path"], role["RoleName"]) == ("/ci/tap/", "deployer")
    policy = resources["PermissionsBoundary"]["Properties"]
    assert (policy["Path"], policy["ManagedPolicyName"]) == ("/guard/", "tap-boundary")


def test_the_template_refuses_any_account_but_the_stacks() -> None:
    rule = render_template("tap", _config("staging"), BootstrapOptions(GITHUB))["Rules"]
    [assertion] = rule["StackAccount"]["Assertions"]

    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "444455556666"]}


def test_the_oidc_provider_is_created_only_when_asked() -> None:
    config = _config("dev")
    referenced = render_template("tap", config, BootstrapOptions(GITHUB))
    created = render_template(
        "tap", config, BootstrapOptions(GitHubOidcTrust("acme/tap", create_provider=True))
    )

    assert "GitHubOidcProvider" not in referenced["Resources"]
    assert "DependsOn" not in referenced["Resources"]["DeployRole"]
    provider = created["Resources"]["GitHubOidcProvider"]
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    assert created["Resources"]["DeployRole"]["DependsOn"] == ["GitHubOidcProvider"]


def test_the_state_backend_is_added_only_when_asked() -> None:
    config = _config("dev")
    plain = render_template("tap", config, BootstrapOptions(GITHUB))
    with_backend = render_template("tap", config, BootstrapOptions(GITHUB, state_backend=True))

    assert set(_types(with_backend)) - set(_types(plain)) == {
        "StateKey",
        "StateKeyAlias",
        "StateBucket",
        "StateBucketPolicy",
    }
    bucket = with_backend["Resources"]["StateBucket"]
    assert bucket["Properties"]["BucketName"] == "tap-pulumi-state-dev-useast1"
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    alias = with_backend["Resources"]["StateKeyAlias"]["Properties"]["AliasName"]
    assert alias == "alias/tap-pulumi-secrets-dev-useast1"
    key = with_backend["Resources"]["StateKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert {"StateBackendUrl", "SecretsProvider"} <= set(with_backend["Outputs"])


def test_the_next_steps_are_the_exact_deploy_login_and_init_lines() -> None:
    config = _config("staging")
    steps = next_steps(config, BootstrapOptions(GITHUB, state_backend=True), "b.yaml")

    assert steps == (
        "aws cloudformation deploy --template-file b.yaml --stack-name tap-bootstrap-staging "
        "--capabilities CAPABILITY_NAMED_IAM --region us-west-2",
        "pulumi login 's3://tap-pulumi-state-staging-uswest2?region=us-west-2&awssdk=v2'",
        "pulumi stack init staging --secrets-provider "
        "'awskms://alias/tap-pulumi-secrets-staging-uswest2?region=us-west-2'",
    )
    assert Backend.of(config).bucket == "tap-pulumi-state-staging-uswest2"


def test_without_a_boundary_key_the_template_is_refused_with_an_example() -> None:
    with pytest.raises(BootstrapError) as raised:
        render_template(
            "tap", _config("dev", permissions_boundary_arn=None), BootstrapOptions(GITHUB)
        )

    assert raised.value.headline() == (
        "cannot bootstrap: tap:permissionsBoundaryArn is not set in Pulumi.dev.yaml; the deploy "
        "role may create roles only with that boundary, so name it first "
        "(e.g. arn:aws:iam::111122223333:policy/tap-deploy-boundary)"
    )


def test_inline_policies_over_iams_quota_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}
    huge = {"Version": "2012-10-17", "Statement": [statement] * 200}
    monkeypatch.setattr(template_module, "deploy_policy", lambda _config: huge)

    with pytest.raises(BootstrapError, match="IAM allows 10240 per role"):
        render_template("tap", _config("dev"), BootstrapOptions(GITHUB))


def test_the_named_principal_trust_is_in_the_template() -> None:
    config = _config("prod")
    trust = PrincipalTrust("arn:aws:iam::210987654321:role/ci")
    role = render_template("tap", config, BootstrapOptions(trust))["Resources"]["DeployRole"]

    first = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert first["Principal"] == {"AWS": "arn:aws:iam::210987654321:role/ci"}
    assert first["Condition"] == {"StringEquals": {"sts:ExternalId": "tap-prod-deploy"}}
