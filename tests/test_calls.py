"""resource_arn: the ARN a call acts on, from its parameters, as the service itself names it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tap.calls import resource_arn

REGION = "eu-west-1"
ACCOUNT = "123456789012"
"""moto's default account: the one its ARNs and queue URLs carry."""


HERE = f"{REGION}:{ACCOUNT}"
OTHER = "444455556666"
OTHER_HERE = f"{REGION}:{OTHER}"
URL = f"https://sqs.{REGION}.amazonaws.com/{OTHER}/dlq"
FOREIGN = {
    "dynamodb": "arn:aws:dynamodb:us-east-1:1:table/t",
    "lambda": "arn:aws:lambda:us-east-1:1:function:g",
    "kms": "arn:aws:kms:us-east-1:1:key/k",
}


@pytest.mark.parametrize(
    ("service", "params", "arn"),
    [
        ("dynamodb", {"TableName": "items"}, f"arn:aws:dynamodb:{HERE}:table/items"),
        ("dynamodb", {"TableName": FOREIGN["dynamodb"]}, FOREIGN["dynamodb"]),
        ("sqs", {"QueueUrl": URL}, f"arn:aws:sqs:{OTHER_HERE}:dlq"),
        ("sqs", {"QueueUrl": "https://sqs.example/q", "QueueName": "q"}, f"arn:aws:sqs:{HERE}:q"),
        ("sqs", {"QueueUrl": "https://sqs.example/q"}, "*"),
        ("sqs", {"QueueName": "q", "QueueOwnerAWSAccountId": OTHER}, f"arn:aws:sqs:{OTHER_HERE}:q"),
        ("s3", {"Bucket": "data", "Key": "a/b"}, "arn:aws:s3:::data"),
        ("lambda", {"FunctionName": "f"}, f"arn:aws:lambda:{HERE}:function:f"),
        ("lambda", {"FunctionName": "f", "Qualifier": "1"}, f"arn:aws:lambda:{HERE}:function:f:1"),
        ("lambda", {"FunctionName": "f", "Qualifier": ""}, f"arn:aws:lambda:{HERE}:function:f"),
        ("lambda", {"FunctionName": FOREIGN["lambda"]}, FOREIGN["lambda"]),
        ("s3control", {"JobId": "j-1"}, f"arn:aws:s3:{HERE}:job/j-1"),
        ("s3control", {"JobId": "j-1", "AccountId": OTHER}, f"arn:aws:s3:{OTHER_HERE}:job/j-1"),
        ("kms", {"KeyId": "k-1"}, f"arn:aws:kms:{HERE}:key/k-1"),
        ("kms", {"KeyId": FOREIGN["kms"]}, FOREIGN["kms"]),
        ("kms", {"KeyId": 7}, "*"),
        ("dynamodb", {}, "*"),
        ("sts", {"TableName": "items"}, "*"),
    ],
)  # fmt: skip
def test_each_parameter_names_its_resource(service: str, params: dict[str, Any], arn: str) -> None:
    assert resource_arn(service, params, region=REGION, account_id=ACCOUNT) == arn


def test_an_aws_cn_region_builds_arns_in_its_partition() -> None:
    arn = resource_arn("dynamodb", {"TableName": "t"}, region="cn-north-1", account_id=ACCOUNT)
    assert arn == f"arn:aws-cn:dynamodb:cn-north-1:{ACCOUNT}:table/t"


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """An in-process moto account in REGION."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.mark.slow
def test_the_arns_are_those_the_services_report(emulated: boto3.Session) -> None:
    """The emulator's own describe calls name each resource; S3 reports no bucket ARN."""
    dynamodb, sqs = emulated.client("dynamodb"), emulated.client("sqs")
    kms, iam, lam = emulated.client("kms"), emulated.client("iam"), emulated.client("lambda")
    table = dynamodb.create_table(
        TableName="items",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    key = kms.create_key()["KeyMetadata"]
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    version = lam.create_function(
        FunctionName="f", Role=role, Runtime="python3.12", Handler="handler.handler",
        Code={"ZipFile": _zip()}, Publish=True,
    )["Version"]  # fmt: skip

    def arn(service: str, **params: Any) -> str:
        return resource_arn(service, params, region=REGION, account_id=ACCOUNT)

    def function_arn(**params: str) -> str:
        return str(lam.get_function(FunctionName="f", **params)["Configuration"]["FunctionArn"])

    assert arn("dynamodb", TableName="items") == table["TableArn"]
    assert arn("sqs", QueueUrl=url) == queue["QueueArn"]
    assert arn("sqs", QueueName="dlq") == queue["QueueArn"]
    assert arn("kms", KeyId=key["KeyId"]) == key["Arn"]
    assert arn("lambda", FunctionName="f") == function_arn()
    assert arn("lambda", FunctionName="f", Qualifier=version) == function_arn(Qualifier=version)
    assert function_arn(Qualifier=version).endswith(f":function:f:{version}")
