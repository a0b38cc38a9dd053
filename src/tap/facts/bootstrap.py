"""What the bootstrap template spells: CloudFormation types, GitHub's OIDC issuer, STS keys."""

from __future__ import annotations

from typing import Final

# CloudFormation resource types (AWS resource and property types reference).
CFN_ROLE: Final = "AWS::IAM::Role"
CFN_MANAGED_POLICY: Final = "AWS::IAM::ManagedPolicy"
CFN_OIDC_PROVIDER: Final = "AWS::IAM::OIDCProvider"
CFN_BUCKET: Final = "AWS::S3::Bucket"
CFN_BUCKET_POLICY: Final = "AWS::S3::BucketPolicy"
CFN_KMS_KEY: Final = "AWS::KMS::Key"
CFN_KMS_ALIAS: Final = "AWS::KMS::Alias"
CFN_TEMPLATE_VERSION: Final = "2010-09-09"
CFN_NAMED_IAM: Final = "CAPABILITY_NAMED_IAM"
"""The capability `aws cloudformation deploy` needs for a template that names IAM resources."""

# GitHub Actions OIDC (docs.github.com, "Configuring OpenID Connect in Amazon Web Services").
GITHUB_OIDC_HOST: Final = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL: Final = f"https://{GITHUB_OIDC_HOST}"
GITHUB_OIDC_AUDIENCE: Final = "sts.amazonaws.com"
"""The `aud` aws-actions/configure-aws-credentials requests, and the provider's client id."""
GITHUB_AUD_KEY: Final = f"{GITHUB_OIDC_HOST}:aud"
GITHUB_SUB_KEY: Final = f"{GITHUB_OIDC_HOST}:sub"


def github_environment_subject(repository: str, environment: str) -> str:
    """The `sub` claim of a job that runs in a GitHub environment: `repo:O/R:environment:E`."""
    return f"repo:{repository}:environment:{environment}"


def oidc_provider_resource(host: str = GITHUB_OIDC_HOST) -> str:
    """The resource part of an IAM OIDC provider's ARN (`oidc-provider/<host>`)."""
    return f"oidc-provider/{host}"


# STS: the actions a trust policy allows, and the keys its conditions read.
ASSUME_ROLE: Final = "sts:AssumeRole"
ASSUME_ROLE_WITH_WEB_IDENTITY: Final = "sts:AssumeRoleWithWebIdentity"
EXTERNAL_ID_KEY: Final = "sts:ExternalId"
PRINCIPAL_ARN_KEY: Final = "aws:PrincipalArn"

INLINE_ROLE_POLICY_LIMIT: Final = 10_240
"""IAM's quota on a role's inline policies, in characters without whitespace (IAM quotas)."""
