"""deploy_resource: the ARN a deployment's control-plane call acts on, from its parameters.

The expected ARNs are the formats of the Service Authorization Reference's resource types (an
IAM role or policy and a CloudWatch dashboard are global: no region).
"""

from __future__ import annotations

from typing import Any

import pytest

from tap.local.access.deploy_calls import deploy_resource

REGION = "eu-west-1"
ACCOUNT = "123456789012"
HERE = f"{REGION}:{ACCOUNT}"
RULE = f"arn:aws:events:{HERE}:rule/given"
TOPIC = f"arn:aws:sns:{HERE}:given"
POLICY = f"arn:aws:iam::{ACCOUNT}:policy/p"
ALARM = f"arn:aws:cloudwatch:{HERE}:alarm:a"


@pytest.mark.parametrize(
    ("service", "params", "arn"),
    [
        ("iam", {"RoleName": "r", "PolicyArn": POLICY}, f"arn:aws:iam::{ACCOUNT}:role/r"),
        ("iam", {"PolicyArn": POLICY}, POLICY),
        ("iam", {"UserName": "u"}, "*"),
        ("logs", {"logGroupName": "/aws/lambda/f"}, f"arn:aws:logs:{HERE}:log-group:/aws/lambda/f"),
        ("events", {"Rule": "r", "Name": "n"}, f"arn:aws:events:{HERE}:rule/r"),
        ("events", {"Name": "n"}, f"arn:aws:events:{HERE}:rule/n"),
        ("events", {"Rule": RULE}, RULE),
        ("events", {"Rule": 3}, "*"),
        ("sns", {"TopicArn": TOPIC}, TOPIC),
        ("sns", {"Name": "alarms"}, f"arn:aws:sns:{HERE}:alarms"),
        ("sns", {}, "*"),
        ("cloudwatch", {"AlarmName": "a", "DashboardName": "d"}, ALARM),
        ("cloudwatch", {"DashboardName": "d"}, f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/d"),
        ("kms", {"AliasName": "alias/tap", "TargetKeyId": "k"}, f"arn:aws:kms:{HERE}:alias/tap"),
        ("kms", {"KeyId": "k"}, f"arn:aws:kms:{HERE}:key/k"),
        ("dynamodb", {"TableName": "t"}, f"arn:aws:dynamodb:{HERE}:table/t"),
        ("ec2", {"VpcId": "v"}, "*"),
    ],
)  # fmt: skip
def test_each_parameter_names_its_resource(service: str, params: dict[str, Any], arn: str) -> None:
    assert deploy_resource(service, params, REGION, ACCOUNT) == arn
