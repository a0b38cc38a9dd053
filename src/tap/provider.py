"""The one explicit AWS provider of a stack: its account, region, role and default tags."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from tap.config import EnvironmentConfig

MANAGED_BY = "pulumi/tap"


def default_tags(config: EnvironmentConfig) -> dict[str, str]:
    """Tags every resource carries, sorted by key; tap's own keys win over configured ones."""
    tags = {
        **config.tags,
        "project": pulumi.get_project(),
        "environment": config.environment,
        "managed-by": MANAGED_BY,
    }
    return dict(sorted(tags.items()))


def session_name(config: EnvironmentConfig) -> str:
    """Names the assumed-role session after tap and the environment, for CloudTrail."""
    return f"tap-{config.environment}-deploy"


def build_provider(config: EnvironmentConfig) -> aws.Provider:
    """A provider pinned to the environment's region and account, deploying through its role."""
    return aws.Provider(
        f"aws-{config.environment}",
        region=config.region,
        allowed_account_ids=[config.account_id],
        assume_roles=[
            aws.ProviderAssumeRoleArgs(
                role_arn=config.deploy_role_arn,
                session_name=session_name(config),
                external_id=config.external_id,
            )
        ],
        default_tags=aws.ProviderDefaultTagsArgs(tags=default_tags(config)),
    )
