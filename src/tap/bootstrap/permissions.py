"""The deploy role's identity policy and the permissions boundary (placeholder; replaced by
branch deployrole)."""

from __future__ import annotations

from typing import Any

from tap.config import EnvironmentConfig

VERSION = "2012-10-17"


def deploy_policy(config: EnvironmentConfig) -> dict[str, Any]:  # noqa: ARG001
    """The deploy role's identity policy document (placeholder; replaced by branch deployrole)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "Placeholder",
                "Effect": "Allow",
                "Action": ["sts:GetCallerIdentity"],
                "Resource": "*",
            }
        ],
    }


def boundary_policy(config: EnvironmentConfig) -> dict[str, Any]:
    """The permissions boundary document (placeholder; replaced by branch deployrole)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "Placeholder",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{config.region}:{config.account_id}:log-group:*",
            }
        ],
    }
