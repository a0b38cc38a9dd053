"""Toy Pulumi programs that exercise the synth runner, and the zip they deploy."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from tap.synth import ResourceGraph, run_program

DEV_ACCOUNT = "111122223333"
PROD_ACCOUNT = "777788889999"
API_TOKEN = "hunter2-plaintext"


class Ingest(pulumi.ComponentResource):
    """A toy component: bucket, DLQ with a policy, role and function, children of one parent."""

    def __init__(self, name: str, code_path: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("toy:index:Ingest", name, None, opts)
        config = pulumi.Config("tap")
        env = config.require("environment")
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=f"toy-{env}-data",
            tags=config.require_object("tags"),
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-dlq", name=f"toy-{env}-dlq", message_retention_seconds=1209600, opts=child
        )
        self.queue_policy = aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=self.queue.url,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": self.queue.arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": self.bucket.arn}},
                        }
                    ],
                }
            ),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"toy-{env}-processor",
            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=f"toy-{env}-processor",
            role=self.role.arn,
            runtime="python3.12",
            handler="process_handler.lambda_handler",
            memory_size=256,
            publish=True,
            code=pulumi.FileArchive(code_path),
            environment={
                "variables": {
                    "DLQ_URL": self.queue.url,
                    "API_TOKEN": pulumi.Output.secret(API_TOKEN),
                }
            },
            opts=child,
        )
        self.register_outputs({"queueArn": self.queue.arn, "functionArn": self.function.arn})


def ingest_program(code_path: str) -> Callable[[], None]:
    """The toy stack: explicit provider from config, one Ingest component, exports."""

    def program() -> None:
        config = pulumi.Config("tap")
        provider = aws.Provider(
            f"aws-{config.require('environment')}", region=config.require("region")
        )
        ingest = Ingest("ingest", code_path, opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("queueUrl", ingest.queue.url)
        pulumi.export("functionArn", ingest.function.arn)
        pulumi.export("token", pulumi.Output.secret(API_TOKEN))

    return program


def stack_config(env: str, account: str, region: str) -> dict[str, str]:
    """Config as the Pulumi CLI passes it: full keys, structured values as JSON strings."""
    return {
        "tap:environment": env,
        "tap:accountId": account,
        "tap:region": region,
        "tap:tags": json.dumps({"team": "data-platform", "environment": env}),
    }


@pytest.fixture
def code_zip(tmp_path: Path) -> Path:
    """A small deterministic Lambda zip."""
    path = tmp_path / "processor.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("process_handler.py", date_time=(1980, 1, 1, 0, 0, 0))
        archive.writestr(info, "def lambda_handler(event, context):\n    return None\n")
    return path


@pytest.fixture
def synth_dev(code_zip: Path) -> Callable[..., ResourceGraph]:
    """Synthesize the toy program as the dev stack (eu-west-1, the dev account)."""

    def run(*, preview: bool = False) -> ResourceGraph:
        return run_program(
            ingest_program(str(code_zip)),
            project="toy",
            stack="dev",
            config=stack_config("dev", DEV_ACCOUNT, "eu-west-1"),
            preview=preview,
            account_id=DEV_ACCOUNT,
            region="eu-west-1",
        )

    return run


@pytest.fixture
def dev_graph(synth_dev: Callable[..., ResourceGraph]) -> ResourceGraph:
    """The toy program's dev graph."""
    return synth_dev()
