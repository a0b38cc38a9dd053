"""Fixtures for the processor tests: AWS-shaped events and an in-process moto account."""

import io
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from tap_processor.handler import Processor
from tap_processor.metrics import MetricsWriter

from .support import BUCKET, ENVIRONMENT, FIXED_NOW, SERVED_BUCKETS, TABLE_NAME, Account


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point boto3 at a fake account and away from any real endpoint or profile."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def boto_session() -> boto3.Session:
    """One botocore session for every test's clients: it loads each service model once.

    A client from ``boto3.client`` gets a new session per test (moto resets the default one),
    and loading the DynamoDB, SQS and S3 models again costs about 0.3 s a test. The clients
    themselves are still made per test, so no Stubber or event hook outlives its test.
    """
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def account(aws_env: None, boto_session: boto3.Session) -> Iterator[Account]:
    """An emulated account, fresh per test, with the items table and the DLQ created."""
    with mock_aws():
        dynamodb = boto_session.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE_NAME,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sqs = boto_session.client("sqs")
        dlq_url = sqs.create_queue(QueueName="tap-test-processor-dlq")["QueueUrl"]
        s3 = boto_session.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield Account(dynamodb=dynamodb, sqs=sqs, s3=s3, table_name=TABLE_NAME, dlq_url=dlq_url)


@pytest.fixture
def metrics_stream() -> io.StringIO:
    """Where the processor under test writes its EMF lines."""
    return io.StringIO()


@pytest.fixture
def processor(account: Account, metrics_stream: io.StringIO) -> Processor:
    """A Processor wired to the emulated account, with a fixed clock."""
    return Processor(
        dynamodb_client=account.dynamodb,
        sqs_client=account.sqs,
        s3_client=account.s3,
        table_name=account.table_name,
        environment=ENVIRONMENT,
        dlq_url=account.dlq_url,
        buckets=SERVED_BUCKETS,
        metrics=MetricsWriter(environment=ENVIRONMENT, stream=metrics_stream),
        clock=lambda: FIXED_NOW,
    )
