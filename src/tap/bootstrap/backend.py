"""`--state-backend`: Pulumi's state bucket and the key its secrets provider encrypts with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tap.config import EnvironmentConfig
from tap.facts.arns import bucket_arn, build_arn, partition_of
from tap.facts.bootstrap import (
    CFN_BUCKET,
    CFN_BUCKET_POLICY,
    CFN_KMS_ALIAS,
    CFN_KMS_KEY,
)
from tap.facts.policies import deny_insecure_transport
from tap.naming import Names

STATE_KEY = "StateKey"
STATE_KEY_ALIAS = "StateKeyAlias"
STATE_BUCKET = "StateBucket"
STATE_BUCKET_POLICY = "StateBucketPolicy"
DEPLOY_ROLE = "DeployRole"
"""The deploy role's logical id; the backend's policies grant that role."""

KEY_USE = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
"""What Pulumi's awskms secrets provider and SSE-KMS reads and writes of state need."""
STATE_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")
STATE_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket")
KEEP = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
"""State and the key that decrypts its secrets outlive the bootstrap stack."""


@dataclass(frozen=True)
class Backend:
    """Where a stack's state and secrets live, and the lines that point Pulumi at them."""

    bucket: str
    key_alias: str
    region: str

    @classmethod
    def of(cls, config: EnvironmentConfig) -> Backend:
        """The backend names of `config`'s environment, from tap's naming."""
        names = Names.of(config)
        return cls(names.state_bucket, names.secrets_key_alias, config.region)

    @property
    def url(self) -> str:
        """`pulumi login`'s argument: the bucket, in its region, through AWS SDK v2."""
        return f"s3://{self.bucket}?region={self.region}&awssdk=v2"

    @property
    def secrets_provider(self) -> str:
        """`--secrets-provider` for `pulumi stack init`."""
        return f"awskms://{self.key_alias}?region={self.region}"

    def commands(self, stack: str) -> tuple[str, ...]:
        """The exact lines that log in to the backend and create the stack on it."""
        return (
            f"pulumi login '{self.url}'",
            f"pulumi stack init {stack} --secrets-provider '{self.secrets_provider}'",
        )


def _deploy_role() -> dict[str, Any]:
    return {"AWS": {"Fn::GetAtt": [DEPLOY_ROLE, "Arn"]}}


def _key(config: EnvironmentConfig, tags: list[dict[str, str]]) -> dict[str, Any]:
    root = build_arn(partition_of(config.region), "iam", "", config.account_id, "root")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "DeployRoleUsesKey",
                "Effect": "Allow",
                "Principal": _deploy_role(),
                "Action": list(KEY_USE),
                "Resource": "*",
            },
        ],
    }
    properties = {
        "Description": f"Encrypts Pulumi state and secrets of tap stack {config.environment}",
        "EnableKeyRotation": True,
        "KeyPolicy": policy,
        "Tags": tags,
    }
    return {"Type": CFN_KMS_KEY, **KEEP, "Properties": properties}


def _bucket(backend: Backend, tags: list[dict[str, str]]) -> dict[str, Any]:
    encryption = {
        "ServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": [STATE_KEY, "Arn"]},
        },
        "BucketKeyEnabled": True,
    }
    block = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    properties = {
        "BucketName": backend.bucket,
        "VersioningConfiguration": {"Status": "Enabled"},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [encryption]},
        "PublicAccessBlockConfiguration": dict.fromkeys(block, True),
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "Tags": tags,
    }
    return {"Type": CFN_BUCKET, **KEEP, "Properties": properties}


def bucket_policy(config: EnvironmentConfig, backend: Backend) -> dict[str, Any]:
    """TLS only, and the deploy role reads and writes state (the account's IAM still may)."""
    arn = bucket_arn(backend.bucket, partition_of(config.region))
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(["s3:*"], [arn, f"{arn}/*"]),
            {
                "Sid": "DeployRoleListsState",
                "Effect": "Allow",
                "Principal": _deploy_role(),
                "Action": list(STATE_BUCKET_ACTIONS),
                "Resource": arn,
            },
            {
                "Sid": "DeployRoleWritesState",
                "Effect": "Allow",
                "Principal": _deploy_role(),
                "Action": list(STATE_OBJECT_ACTIONS),
                "Resource": f"{arn}/*",
            },
        ],
    }


def backend_resources(
    config: EnvironmentConfig, backend: Backend, tags: list[dict[str, str]]
) -> dict[str, Any]:
    """The key, its alias, the bucket and its policy, by logical id."""
    return {
        STATE_KEY: _key(config, tags),
        STATE_KEY_ALIAS: {
            "Type": CFN_KMS_ALIAS,
            "Properties": {"AliasName": backend.key_alias, "TargetKeyId": {"Ref": STATE_KEY}},
        },
        STATE_BUCKET: _bucket(backend, tags),
        STATE_BUCKET_POLICY: {
            "Type": CFN_BUCKET_POLICY,
            "Properties": {
                "Bucket": {"Ref": STATE_BUCKET},
                "PolicyDocument": bucket_policy(config, backend),
            },
        },
    }


def backend_outputs() -> dict[str, Any]:
    """The backend URL and secrets provider, as the stack's outputs."""
    return {
        "StateBackendUrl": {
            "Description": "pulumi login's argument",
            "Value": {"Fn::Sub": f"s3://${{{STATE_BUCKET}}}?region=${{AWS::Region}}&awssdk=v2"},
        },
        "SecretsProvider": {
            "Description": "pulumi stack init's --secrets-provider",
            "Value": {"Fn::Sub": f"awskms://${{{STATE_KEY_ALIAS}}}?region=${{AWS::Region}}"},
        },
    }
