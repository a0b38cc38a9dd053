"""S3 Batch Operations invocations: the documented request shapes (schema 1.0 and 2.0) answered
in the documented response shape, one backfill write per task, exact per-task result codes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tap_processor import env, handler
from tap_processor.backfill import FLOOR_SEQUENCER
from tap_processor.handler import Processor
from tap_processor.process_handler import lambda_handler

from .support import BUCKET, ENVIRONMENT, Account, load_event

pytestmark = pytest.mark.slow  # each test runs the handler against moto

KEY = "customer images/ü+1.jpg"
ENCODED = "customer+images/%C3%BC%2B1.jpg"
"""The manifest's form: URL-encoded, `+` for a space."""


def _request(schema: str, *tasks: dict[str, Any]) -> dict[str, Any]:
    request = load_event(f"s3_batch_operations_{schema.replace('.', '_')}")
    template = request["tasks"][0]
    request["tasks"] = [{**copy.deepcopy(template), **task} for task in tasks]
    return request


def _response(schema: str, *results: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "invocationSchemaVersion": schema,
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
        "results": [
            {"taskId": task, "resultCode": code, "resultString": text}
            for task, code, text in results
        ],
    }


@pytest.mark.parametrize("schema", ["1.0", "2.0"])
def test_each_schema_is_answered_in_the_documented_shape_with_the_backfill_item(
    schema: str, processor: Processor, account: Account
) -> None:
    # GIVEN an object no event recorded, named in the manifest URL-encoded
    version = account.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"12345")["VersionId"]
    # WHEN S3 Batch Operations invokes the processor with one task for it
    response = processor.process_batch(_request(schema, {"s3Key": ENCODED}))
    # THEN the documented response says Succeeded, and the item is the backfill item
    assert response == _response(
        schema, ("dGFza2lkZ29lc2hlcmUK", "Succeeded", f"written: version {version}")
    )
    item = account.item(f"{BUCKET}/{KEY}")
    assert (item["key"], item["version_id"], item["size"], item["status"]) == (
        KEY,
        version,
        5,
        "present",
    )
    assert item["sequencer"] == FLOOR_SEQUENCER
    assert item["etag"] == "827ccb0eea8a706c4c34a16891f84e7b"


def test_every_task_gets_its_exact_result_code(processor: Processor, account: Account) -> None:
    # GIVEN one object with an item already, one deleted, one new
    account.s3.put_object(Bucket=BUCKET, Key="new", Body=b"n")
    account.s3.put_object(Bucket=BUCKET, Key="gone", Body=b"g")
    account.s3.delete_object(Bucket=BUCKET, Key="gone")
    account.s3.put_object(Bucket=BUCKET, Key="kept", Body=b"k")
    processor.process_batch(_request("2.0", {"taskId": "t0", "s3Key": "kept"}))
    before = account.item(f"{BUCKET}/kept")
    # WHEN one invocation carries them and malformed tasks
    response = processor.process_batch(
        _request(
            "2.0",
            {"taskId": "t1", "s3Key": "new"},
            {"taskId": "t2", "s3Key": "kept"},
            {"taskId": "t3", "s3Key": "gone"},
            {"taskId": "t4", "s3Key": "never-existed"},
            {"taskId": "t5", "s3Key": ""},
            {"taskId": "t6", "s3Key": "%ff"},
            {"taskId": "t7", "s3Bucket": None},
        )
    )
    # THEN each task's code and reason are exact, and only `new` was written
    results = [(r["taskId"], r["resultCode"], r["resultString"]) for r in response["results"]]
    new_version = account.item(f"{BUCKET}/new")["version_id"]
    assert results == [
        ("t1", "Succeeded", f"written: version {new_version}"),
        ("t2", "Succeeded", "already_present: an item exists, left as it is"),
        ("t3", "Succeeded", "skipped_deleted: no current version"),
        ("t4", "Succeeded", "skipped_deleted: no current version"),
        ("t5", "PermanentFailure", "malformed task: s3Key must be a non-empty string, got ''"),
        (
            "t6",
            "PermanentFailure",
            "malformed task: s3Key is not URL-encoded UTF-8: invalid start byte",
        ),
        ("t7", "PermanentFailure", "malformed task: s3Bucket must be a non-empty string, got None"),
    ]
    assert account.item(f"{BUCKET}/kept") == before
    assert {i["id"] for i in account.items()} == {f"{BUCKET}/new", f"{BUCKET}/kept"}


@pytest.mark.parametrize(
    ("request_", "results"),
    [
        (
            {"invocationSchemaVersion": "3.0", "invocationId": "i", "tasks": [{"taskId": "t"}]},
            [
                {
                    "taskId": "t",
                    "resultCode": "PermanentFailure",
                    "resultString": "malformed task: invocationSchemaVersion must be one of "
                    "1.0, 2.0, got '3.0'",
                }
            ],
        ),
        ({"invocationSchemaVersion": "2.0", "invocationId": "i", "tasks": "nope"}, []),
        (
            {
                "invocationSchemaVersion": "1.0",
                "invocationId": "i",
                "tasks": [{"taskId": "t", "s3Key": "k", "s3BucketArn": "arn:aws:sqs:::q"}],
            },
            [
                {
                    "taskId": "t",
                    "resultCode": "PermanentFailure",
                    "resultString": "malformed task: s3BucketArn is not an S3 bucket ARN: "
                    "'arn:aws:sqs:::q'",
                }
            ],
        ),
        (
            {"invocationSchemaVersion": "2.0", "invocationId": "i", "tasks": [7]},
            [
                {
                    "taskId": None,
                    "resultCode": "PermanentFailure",
                    "resultString": "malformed task: a task must be an object, got 7",
                }
            ],
        ),
    ],
)
def test_a_malformed_request_never_raises(
    request_: dict[str, Any], results: list[dict[str, Any]], processor: Processor
) -> None:
    response = processor.process_batch(request_)

    assert response == {
        "invocationSchemaVersion": request_["invocationSchemaVersion"],
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": "i",
        "results": results,
    }


class _FailingTable:
    """A DynamoDB client whose every PutItem fails with one AWS error."""

    def __init__(self, code: str, status: int) -> None:
        self.error = ClientError(
            {
                "Error": {"Code": code, "Message": "m"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            "PutItem",
        )

    def put_item(self, **_: Any) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("code", "status", "result", "text"),
    [
        ("ProvisionedThroughputExceededException", 400, "TemporaryFailure", None),
        ("ThrottlingException", 400, "TemporaryFailure", None),
        ("InternalServerError", 500, "TemporaryFailure", None),
        ("ServiceUnavailable", 503, "TemporaryFailure", None),
        ("AccessDeniedException", 400, "PermanentFailure", None),
        ("ResourceNotFoundException", 400, "PermanentFailure", None),
        (
            "ValidationException",
            400,
            "PermanentFailure",
            "unwritable item: PutItem on tap-test-items was refused as invalid: m",
        ),
    ],
)
def test_throttling_and_server_errors_are_temporary_others_permanent(
    code: str, status: int, result: str, text: str | None, account: Account
) -> None:
    account.s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    processor = Processor(
        dynamodb_client=_FailingTable(code, status),  # type: ignore[arg-type]
        s3_client=account.s3,
        table_name=account.table_name,
        environment=ENVIRONMENT,
        dlq_url=account.dlq_url,
        buckets=(BUCKET,),
    )

    response = processor.process_batch(_request("2.0", {"taskId": "t", "s3Key": "k"}))

    [answer] = response["results"]
    assert answer["resultCode"] == result
    assert answer["resultString"] == (text or f"PutItem on tap-test-items failed with {code}")
    assert account.items() == []


def test_a_listing_of_a_missing_bucket_is_a_permanent_failure(account: Account) -> None:
    # GIVEN a function serving a bucket that is not there: ListObjectVersions answers NoSuchBucket
    processor = Processor(
        dynamodb_client=account.dynamodb,
        s3_client=account.s3,
        table_name=account.table_name,
        environment=ENVIRONMENT,
        dlq_url=account.dlq_url,
        buckets=("no-such-bucket-here",),
    )
    response = processor.process_batch(
        _request("2.0", {"taskId": "t", "s3Key": "k", "s3Bucket": "no-such-bucket-here"})
    )
    assert response["results"] == [
        {
            "taskId": "t",
            "resultCode": "PermanentFailure",
            "resultString": "ListObjectVersions on no-such-bucket-here failed with NoSuchBucket",
        }
    ]


def test_a_task_for_a_bucket_the_function_does_not_serve_is_a_permanent_failure(
    processor: Processor, account: Account
) -> None:
    # GIVEN another account's bucket, which exists and holds the key
    account.s3.create_bucket(Bucket="someone-elses-bucket")
    account.s3.put_object(Bucket="someone-elses-bucket", Key="k", Body=b"x")
    # WHEN a task names it
    response = processor.process_batch(
        _request("2.0", {"taskId": "t", "s3Key": "k", "s3Bucket": "someone-elses-bucket"})
    )
    # THEN it is refused for good, and the table holds nothing for it
    assert response["results"] == [
        {
            "taskId": "t",
            "resultCode": "PermanentFailure",
            "resultString": "malformed task: bucket 'someone-elses-bucket' is not one this "
            "function serves",
        }
    ]
    assert account.items() == []


def test_the_entry_point_dispatches_batch_requests(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler, "_default_processor", None)
    monkeypatch.setenv(env.TABLE_NAME, account.table_name)
    monkeypatch.setenv(env.ENVIRONMENT, ENVIRONMENT)
    monkeypatch.setenv(env.DLQ_URL, account.dlq_url)
    monkeypatch.setenv(env.BUCKET_NAMES, BUCKET)
    account.s3.put_object(Bucket=BUCKET, Key="customerImage1.jpg", Body=b"x")

    response = lambda_handler(load_event("s3_batch_operations_2_0"), None)

    assert [r["resultCode"] for r in response["results"]] == ["Succeeded"]
    assert account.item(f"{BUCKET}/customerImage1.jpg")["environment"] == ENVIRONMENT
    assert account.dead_letters() == []
