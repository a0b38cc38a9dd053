"""Whom the deploy role trusts: one GitHub repository's environment, or one named principal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tap.bootstrap.errors import BootstrapError
from tap.config import EnvironmentConfig
from tap.facts.arns import build_arn, is_arn, parse_arn, partition_of
from tap.facts.bootstrap import (
    ASSUME_ROLE,
    ASSUME_ROLE_WITH_WEB_IDENTITY,
    EXTERNAL_ID_KEY,
    GITHUB_AUD_KEY,
    GITHUB_OIDC_AUDIENCE,
    GITHUB_SUB_KEY,
    PRINCIPAL_ARN_KEY,
    github_environment_subject,
    oidc_provider_resource,
)

VERSION = "2012-10-17"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_PRINCIPAL_RESOURCE = re.compile(r"^(root|(role|user)/[\w+=,.@/-]{1,512})$")


@dataclass(frozen=True)
class GitHubOidcTrust:
    """GitHub Actions jobs of one repository, running in the GitHub environment named after
    the stack, through the account's OIDC provider."""

    repository: str
    """`ORG/REPO`, as GitHub writes it in the `sub` claim."""
    create_provider: bool = False
    """Create the account's OIDC provider in the template; else it must already exist."""

    def __post_init__(self) -> None:
        if not _REPOSITORY.match(self.repository):
            raise BootstrapError(f"--github-repo '{self.repository}' is not ORG/REPO")


@dataclass(frozen=True)
class PrincipalTrust:
    """One named IAM principal (an account, role or user ARN), with tap:externalId."""

    principal: str

    def __post_init__(self) -> None:
        if _ACCOUNT.match(self.principal):
            return
        if not (is_arn(self.principal) and parse_arn(self.principal).service == "iam"):
            raise BootstrapError(
                f"--principal '{self.principal}' is not a 12-digit account id or an IAM ARN"
            )
        if not _PRINCIPAL_RESOURCE.match(parse_arn(self.principal).resource):
            raise BootstrapError(
                f"--principal '{self.principal}' names no role, user or account root"
            )


Trust = GitHubOidcTrust | PrincipalTrust


def oidc_provider_arn(config: EnvironmentConfig) -> str:
    """The account's GitHub OIDC provider (one per account and issuer)."""
    partition = partition_of(config.region)
    return build_arn(partition, "iam", "", config.account_id, oidc_provider_resource())


def _account_root(config: EnvironmentConfig) -> str:
    return build_arn(partition_of(config.region), "iam", "", config.account_id, "root")


def _external_id(config: EnvironmentConfig) -> dict[str, Any]:
    return {"StringEquals": {EXTERNAL_ID_KEY: config.external_id}} if config.external_id else {}


def _github_statement(config: EnvironmentConfig, trust: GitHubOidcTrust) -> dict[str, Any]:
    subject = github_environment_subject(trust.repository, config.environment)
    return {
        "Sid": "GitHubActionsEnvironment",
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn(config)},
        "Action": ASSUME_ROLE_WITH_WEB_IDENTITY,
        "Condition": {
            "StringEquals": {GITHUB_AUD_KEY: GITHUB_OIDC_AUDIENCE, GITHUB_SUB_KEY: subject}
        },
    }


def _principal_statement(config: EnvironmentConfig, trust: PrincipalTrust) -> dict[str, Any]:
    if not config.external_id:
        raise BootstrapError(
            f"--trust principal needs tap:externalId in Pulumi.{config.environment}.yaml: "
            "a named principal assumes the deploy role only with that external id"
        )
    return {
        "Sid": "NamedPrincipal",
        "Effect": "Allow",
        "Principal": {"AWS": trust.principal},
        "Action": ASSUME_ROLE,
        "Condition": _external_id(config),
    }


def _reassume_statement(config: EnvironmentConfig) -> dict[str, Any]:
    """The stack's provider assumes tap:deployRoleArn again from a session of that same role
    (CI's credentials are the deploy role's); IAM requires the trust to allow that explicitly.
    The principal is the account narrowed to this role, as a role cannot name itself before it
    exists."""
    condition: dict[str, Any] = {"ArnEquals": {PRINCIPAL_ARN_KEY: config.deploy_role_arn}}
    condition.update(_external_id(config))
    return {
        "Sid": "ProviderReassumesDeployRole",
        "Effect": "Allow",
        "Principal": {"AWS": _account_root(config)},
        "Action": ASSUME_ROLE,
        "Condition": condition,
    }


def trust_policy(config: EnvironmentConfig, trust: Trust) -> dict[str, Any]:
    """The deploy role's trust policy: the chosen principal, and the role re-assuming itself."""
    first = (
        _github_statement(config, trust)
        if isinstance(trust, GitHubOidcTrust)
        else _principal_statement(config, trust)
    )
    return {"Version": VERSION, "Statement": [first, _reassume_statement(config)]}


def reassume_policy(config: EnvironmentConfig) -> dict[str, Any]:
    """The identity side of the re-assume: the deploy role may assume itself, nothing else."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ReassumeDeployRole",
                "Effect": "Allow",
                "Action": ASSUME_ROLE,
                "Resource": config.deploy_role_arn,
            }
        ],
    }
