"""The bootstrap template: the deploy role, its trust, the boundary and, if asked, the backend."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tap.bootstrap.backend import DEPLOY_ROLE, Backend, backend_outputs, backend_resources
from tap.bootstrap.errors import BootstrapError
from tap.bootstrap.permissions import boundary_policy, deploy_policy
from tap.bootstrap.trust import GitHubOidcTrust, Trust, reassume_policy, trust_policy
from tap.config import EnvironmentConfig
from tap.facts.arns import build_arn, iam_path_and_name, partition_of
from tap.facts.bootstrap import (
    CFN_MANAGED_POLICY,
    CFN_OIDC_PROVIDER,
    CFN_ROLE,
    CFN_TEMPLATE_VERSION,
    GITHUB_OIDC_AUDIENCE,
    GITHUB_OIDC_URL,
    INLINE_ROLE_POLICY_LIMIT,
)

BOUNDARY = "PermissionsBoundary"
OIDC_PROVIDER = "GitHubOidcProvider"
DEPLOY_POLICY_NAME = "tap-deploy"
REASSUME_POLICY_NAME = "tap-reassume"
MANAGED_BY = "cloudformation/tap-bootstrap"


@dataclass(frozen=True)
class BootstrapOptions:
    """What the administrator chose: the trust, and whether to add the state backend."""

    trust: Trust
    state_backend: bool = False


def boundary_arn(config: EnvironmentConfig) -> str:
    """tap:permissionsBoundaryArn; the template names its managed policy after it."""
    if config.permissions_boundary_arn is None:
        example = build_arn(
            partition_of(config.region), "iam", "", config.account_id, "policy/tap-deploy-boundary"
        )
        raise BootstrapError(
            f"tap:permissionsBoundaryArn is not set in Pulumi.{config.environment}.yaml; the "
            "deploy role may create roles only with that boundary, so name it first "
            f"(e.g. {example})"
        )
    return config.permissions_boundary_arn


def _tags(project: str, config: EnvironmentConfig) -> list[dict[str, str]]:
    tags = {**config.tags, "project": project, "environment": config.environment}
    tags["managed-by"] = MANAGED_BY
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _inline(name: str, document: dict[str, Any]) -> dict[str, Any]:
    return {"PolicyName": name, "PolicyDocument": document}


def _check_inline_size(policies: list[dict[str, Any]]) -> None:
    size = sum(len(json.dumps(p["PolicyDocument"], separators=(",", ":"))) for p in policies)
    if size > INLINE_ROLE_POLICY_LIMIT:
        raise BootstrapError(
            f"the deploy role's inline policies are {size} characters; IAM allows "
            f"{INLINE_ROLE_POLICY_LIMIT} per role"
        )


def _role(config: EnvironmentConfig, options: BootstrapOptions, tags: list[Any]) -> dict[str, Any]:
    path, name = iam_path_and_name(config.deploy_role_arn)
    policies = [
        _inline(DEPLOY_POLICY_NAME, deploy_policy(config)),
        _inline(REASSUME_POLICY_NAME, reassume_policy(config)),
    ]
    _check_inline_size(policies)
    role: dict[str, Any] = {
        "Type": CFN_ROLE,
        "Properties": {
            "RoleName": name,
            "Path": path,
            "Description": f"Deploys tap stack {config.environment} (pulumi up, refresh, destroy)",
            "AssumeRolePolicyDocument": trust_policy(config, options.trust),
            "Policies": policies,
            "Tags": tags,
        },
    }
    if isinstance(options.trust, GitHubOidcTrust) and options.trust.create_provider:
        role["DependsOn"] = [OIDC_PROVIDER]
    return role


def _boundary(config: EnvironmentConfig) -> dict[str, Any]:
    path, name = iam_path_and_name(boundary_arn(config))
    return {
        "Type": CFN_MANAGED_POLICY,
        "Properties": {
            "ManagedPolicyName": name,
            "Path": path,
            "Description": f"Boundary of every role tap stack {config.environment} creates",
            "PolicyDocument": boundary_policy(config),
        },
    }


def _oidc_provider(tags: list[Any]) -> dict[str, Any]:
    return {
        "Type": CFN_OIDC_PROVIDER,
        "Properties": {
            "Url": GITHUB_OIDC_URL,
            "ClientIdList": [GITHUB_OIDC_AUDIENCE],
            "Tags": tags,
        },
    }


def _account_rule(config: EnvironmentConfig) -> dict[str, Any]:
    """CloudFormation refuses the stack in any account but the stack config's."""
    return {
        "StackAccount": {
            "Assertions": [
                {
                    "Assert": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, config.account_id]},
                    "AssertDescription": f"tap stack {config.environment} deploys to account "
                    f"{config.account_id} only (tap:accountId)",
                }
            ]
        }
    }


def render_template(
    project: str, config: EnvironmentConfig, options: BootstrapOptions
) -> dict[str, Any]:
    """The CloudFormation template, as data (dump it as YAML or JSON)."""
    tags = _tags(project, config)
    resources: dict[str, Any] = {}
    if isinstance(options.trust, GitHubOidcTrust) and options.trust.create_provider:
        resources[OIDC_PROVIDER] = _oidc_provider(tags)
    resources[DEPLOY_ROLE] = _role(config, options, tags)
    resources[BOUNDARY] = _boundary(config)
    outputs: dict[str, Any] = {
        "DeployRoleArn": {
            "Description": "tap:deployRoleArn",
            "Value": {"Fn::GetAtt": [DEPLOY_ROLE, "Arn"]},
        },
        "PermissionsBoundaryArn": {
            "Description": "tap:permissionsBoundaryArn",
            "Value": {"Ref": BOUNDARY},
        },
    }
    if options.state_backend:
        backend = Backend.of(config)
        resources.update(backend_resources(config, backend, tags))
        outputs.update(backend_outputs())
    return {
        "AWSTemplateFormatVersion": CFN_TEMPLATE_VERSION,
        "Description": f"tap bootstrap of stack {config.environment} (account "
        f"{config.account_id}): the deploy role, its permissions boundary"
        + (", the Pulumi state bucket and secrets key" if options.state_backend else ""),
        "Rules": _account_rule(config),
        "Resources": resources,
        "Outputs": outputs,
    }
