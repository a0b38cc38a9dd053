"""The Lambda entry point: env-configured, one Processor per container, no infra imports."""

import ast
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tap_processor import env, handler
from tap_processor.errors import ConfigurationError
from tap_processor.process_handler import lambda_handler

from .support import BUCKET, ENVIRONMENT, TABLE_NAME, Account, load_event

pytestmark = pytest.mark.slow  # each test runs the handler against moto

PACKAGE_DIR = Path(handler.__file__).resolve().parent


@pytest.fixture
def fresh_container(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the per-container Processor, as a new Lambda container would."""
    monkeypatch.setattr(handler, "_default_processor", None)


@pytest.fixture
def lambda_env(account: Account, monkeypatch: pytest.MonkeyPatch, fresh_container: None) -> None:
    """Configure the function's environment variables for the emulated account."""
    monkeypatch.setenv(env.TABLE_NAME, account.table_name)
    monkeypatch.setenv(env.ENVIRONMENT, ENVIRONMENT)
    monkeypatch.setenv(env.DLQ_URL, account.dlq_url)
    monkeypatch.setenv(env.BUCKET_NAMES, f"other-bucket,{BUCKET}")


def test_lambda_handler_processes_with_the_environment_settings(
    lambda_env: None, account: Account
) -> None:
    # GIVEN a container configured only through environment variables
    # WHEN the entry point receives a create and then a malformed event
    first = lambda_handler(load_event("s3_object_created"), None)
    rejected = lambda_handler(load_event("invalid_bad_sequencer"), None)
    # THEN it returns the result dicts and used the configured table and DLQ
    assert first == {
        "outcome": "processed",
        "id": "amzn-s3-demo-bucket1/example-key",
        "status": "present",
    }
    assert rejected == {"outcome": "rejected", "id": None, "reason": "malformed_sequencer"}
    assert account.item("amzn-s3-demo-bucket1/example-key")["environment"] == ENVIRONMENT
    assert [body["reason"] for body, _ in account.dead_letters()] == ["malformed_sequencer"]


def test_one_processor_and_its_clients_are_reused_across_invocations(lambda_env: None) -> None:
    # GIVEN a container / WHEN invoked twice
    lambda_handler(load_event("s3_object_created"), None)
    first = handler.default_processor()
    lambda_handler(load_event("s3_object_created"), None)
    # THEN the same Processor and the same boto3 client served both
    assert handler.default_processor() is first
    assert first._item_store() is handler.default_processor()._item_store()


def test_missing_configuration_fails_the_invocation_loudly(
    monkeypatch: pytest.MonkeyPatch, fresh_container: None
) -> None:
    # GIVEN a function deployed without its environment variables
    for name in (env.TABLE_NAME, env.ENVIRONMENT, env.DLQ_URL, env.BUCKET_NAMES):
        monkeypatch.delenv(name, raising=False)
    # WHEN invoked / THEN it raises (Lambda retries, then the on-failure destination keeps it)
    with pytest.raises(ConfigurationError, match="TABLE_NAME, ENVIRONMENT, DLQ_URL, BUCKET_NAMES"):
        lambda_handler(load_event("s3_object_created"), None)


@pytest.fixture
def moto_server(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server on a free localhost port, with AWS_ENDPOINT_URL pointing at it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server._server.server_port}"  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    yield url
    server.stop()


def test_default_clients_follow_aws_endpoint_url(
    moto_server: str, monkeypatch: pytest.MonkeyPatch, fresh_container: None
) -> None:
    # GIVEN a table and queue on a moto server reached only through AWS_ENDPOINT_URL
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE_NAME,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    queue_url = boto3.client("sqs").create_queue(QueueName="dlq")["QueueUrl"]
    monkeypatch.setenv(env.TABLE_NAME, TABLE_NAME)
    monkeypatch.setenv(env.ENVIRONMENT, ENVIRONMENT)
    monkeypatch.setenv(env.DLQ_URL, queue_url)
    monkeypatch.setenv(env.BUCKET_NAMES, BUCKET)
    # WHEN the unmodified entry point runs
    result = lambda_handler(load_event("s3_object_created_moto"), None)
    # THEN the item landed on that server
    assert result["outcome"] == "processed"
    item = dynamodb.get_item(
        TableName=TABLE_NAME, Key={"id": {"S": "amzn-s3-demo-bucket1/dir/a b.txt"}}
    )["Item"]
    assert item["status"] == {"S": "present"}


def test_processor_package_never_imports_the_infrastructure_package() -> None:
    # GIVEN every module of the runtime package / WHEN its imports are read
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n == "tap" or n.startswith("tap.")]
    # THEN none is `tap` or below it
    assert offenders == []


def test_entry_module_exposes_the_package_handler() -> None:
    assert lambda_handler is handler.lambda_handler
