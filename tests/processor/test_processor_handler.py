"""End-to-end handler behaviour against an in-process moto account."""

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tap_processor.errors import DeadLetterError, StoreError
from tap_processor.handler import Processor

from .support import BUCKET, ENVIRONMENT, Account, load_event, with_object

pytestmark = pytest.mark.slow  # each test runs the handler against moto


def test_created_event_records_one_present_item_with_every_contract_attribute(
    processor: Processor, account: Account
) -> None:
    # GIVEN a documented Object Created (PutObject) event for an unversioned bucket
    event = load_event("s3_object_created")
    # WHEN it is processed
    result = processor.process(event)
    # THEN exactly one item describes the object
    assert result.as_dict() == {
        "outcome": "processed",
        "id": f"{BUCKET}/example-key",
        "status": "present",
    }
    assert account.items() == [
        {
            "id": f"{BUCKET}/example-key",
            "bucket": BUCKET,
            "key": "example-key",
            "size": 5,
            "etag": "b1946ac92492d2347c6235b4d2611184",
            "sequencer": "617F08299329D1890000000000000000",
            "status": "present",
            "environment": ENVIRONMENT,
            "event_time": "2021-11-12T00:00:00Z",
            "updated_at": "2026-11-28T12:00:00.123Z",
            "version_id": "null",  # no version-id: S3's null version, as its listing names it
        }
    ]
    assert account.dead_letters() == []


def test_versioned_create_stores_version_id(processor: Processor, account: Account) -> None:
    # GIVEN a create on a versioned bucket
    # WHEN processed
    processor.process(load_event("s3_object_created_versioned"))
    # THEN the version id is kept
    assert account.item(f"{BUCKET}/example-key")["version_id"] == "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"


def test_multipart_upload_records_size_and_multipart_etag(
    processor: Processor, account: Account
) -> None:
    # GIVEN a CompleteMultipartUpload event with an 18-digit sequencer
    # WHEN processed
    result = processor.process(load_event("s3_object_created_multipart"))
    # THEN the item has the full size and the part-count etag
    item = account.item(f"{BUCKET}/uploads/2021/11/large.bin")
    assert result.outcome.value == "processed"
    assert (item["size"], item["etag"], item["sequencer"]) == (
        104857600,
        "d8e8fca2dc0f896fd7cb4cb0031ba249-20",
        "617F0A1B2C3D4E5F6000000000000000",
    )


def test_a_size_beyond_float_precision_is_stored_exactly_and_reads_back_as_decimal(
    processor: Processor, account: Account
) -> None:
    """Numbers go over the wire as DynamoDB N strings built from the integer, never a float."""
    # GIVEN an object of 2**53 + 1 bytes, which a float would round to 2**53
    size = 2**53 + 1
    processor.process(with_object(load_event("s3_object_created"), size=size))
    # THEN the stored N is exact, and a reader gets a Decimal, as boto3's deserializer gives
    [raw] = account.dynamodb.scan(TableName=account.table_name)["Items"]
    assert raw["size"] == {"N": "9007199254740993"}
    assert TypeDeserializer().deserialize(raw["size"]) == Decimal(9007199254740993)
    assert float(size) != size


def test_unknown_fields_are_ignored(processor: Processor, account: Account) -> None:
    # GIVEN an event carrying newer (event-version 1.1, tags) and unknown fields
    # WHEN processed
    result = processor.process(load_event("s3_object_created_new_fields"))
    # THEN it is recorded like any create, and nothing unknown reaches the item
    assert result.outcome.value == "processed"
    assert set(account.item(f"{BUCKET}/example-key")) == {
        "id",
        "bucket",
        "key",
        "size",
        "etag",
        "version_id",
        "sequencer",
        "status",
        "environment",
        "event_time",
        "updated_at",
    }


def test_moto_shaped_event_with_etag_capitalised_is_recorded(
    processor: Processor, account: Account
) -> None:
    # GIVEN the event moto emits (eTag spelling, reason ObjectCreated, version-id "null")
    # WHEN processed
    processor.process(load_event("s3_object_created_moto"))
    # THEN the etag is read from eTag and the key keeps its space
    item = account.item("amzn-s3-demo-bucket1/dir/a b.txt")
    assert (item["key"], item["etag"], item["version_id"]) == (
        "dir/a b.txt",
        "5d41402abc4b2a76b9719d911017c592",
        "null",
    )


@pytest.mark.parametrize(
    ("fixture", "version_id"),
    [
        ("s3_object_deleted_marker", "1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF"),
        ("s3_object_deleted_permanent", None),
        ("s3_object_deleted_lifecycle", "1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF"),
    ],
)
def test_delete_after_create_leaves_a_tombstone_without_size(
    processor: Processor, account: Account, fixture: str, version_id: str | None
) -> None:
    # GIVEN an object that was created
    processor.process(load_event("s3_object_created"))
    # WHEN a later delete (marker, permanent, or lifecycle expiration) is processed
    result = processor.process(load_event(fixture))
    # THEN the one item is a tombstone carrying the delete's sequencer and no size
    assert result.as_dict() == {
        "outcome": "processed",
        "id": f"{BUCKET}/example-key",
        "status": "deleted",
    }
    item = account.item(f"{BUCKET}/example-key")
    assert item["status"] == "deleted"
    assert "size" not in item
    assert item.get("version_id") == version_id
    assert item["sequencer"].startswith("617F0837B476E463")
    assert len(account.items()) == 1


def test_redelivered_event_is_a_duplicate_and_changes_nothing(
    processor: Processor, account: Account
) -> None:
    # GIVEN a processed create
    processor.process(load_event("s3_object_created"))
    before = account.items()
    # WHEN EventBridge delivers the same event again
    result = processor.process(load_event("s3_object_created"))
    # THEN it is classified as a duplicate and the item is unchanged
    assert result.outcome.value == "duplicate"
    assert account.items() == before


def test_older_event_after_newer_is_stale_and_changes_nothing(
    processor: Processor, account: Account
) -> None:
    # GIVEN the newer of two creates for one key was processed first
    older = with_object(load_event("s3_object_created"), sequencer="617f08299329d189", size=1)
    newer = with_object(load_event("s3_object_created"), sequencer="617f08299329d18a", size=2)
    processor.process(newer)
    # WHEN the older one arrives
    result = processor.process(older)
    # THEN it is stale and the newer state stays
    assert result.outcome.value == "stale"
    assert account.item(f"{BUCKET}/example-key")["size"] == 2


def test_late_create_never_resurrects_a_deleted_object(
    processor: Processor, account: Account
) -> None:
    # GIVEN the delete was processed before the earlier create arrived
    processor.process(load_event("s3_object_deleted_marker"))
    # WHEN the create (smaller sequencer) arrives late
    result = processor.process(load_event("s3_object_created"))
    # THEN the object stays deleted
    assert result.outcome.value == "stale"
    assert account.item(f"{BUCKET}/example-key")["status"] == "deleted"


def test_create_after_delete_with_later_sequencer_makes_object_present_again(
    processor: Processor, account: Account
) -> None:
    # GIVEN a deleted object
    processor.process(load_event("s3_object_created"))
    processor.process(load_event("s3_object_deleted_marker"))
    # WHEN it is uploaded again (a later sequencer)
    again = with_object(load_event("s3_object_created"), sequencer="617f0900000000000", size=9)
    result = processor.process(again)
    # THEN it is present with the new size, still one item
    assert result.as_dict()["status"] == "present"
    assert [(i["status"], i["size"]) for i in account.items()] == [("present", 9)]


def test_sequencers_of_different_lengths_compare_right_padded(
    processor: Processor, account: Account
) -> None:
    # GIVEN "1A" (16 digits + 2) is later than "1" padded right: 617F..D18910 > 617F..D189
    short = with_object(load_event("s3_object_created"), sequencer="617f08299329d189", size=1)
    longer = with_object(load_event("s3_object_created"), sequencer="617f08299329d18910", size=2)
    # WHEN the longer (later) is processed, then the shorter
    processor.process(longer)
    result = processor.process(short)
    # THEN the shorter is stale; left-padding would have called it newer
    assert result.outcome.value == "stale"
    assert account.item(f"{BUCKET}/example-key")["size"] == 2


def test_sequencer_case_does_not_make_a_redelivery_look_new(
    processor: Processor, account: Account
) -> None:
    # GIVEN a processed event with a lowercase sequencer
    processor.process(with_object(load_event("s3_object_created"), sequencer="617f08299329d189"))
    # WHEN the same sequencer arrives uppercased
    result = processor.process(
        with_object(load_event("s3_object_created"), sequencer="617F08299329D189")
    )
    # THEN it is a duplicate
    assert result.outcome.value == "duplicate"


@pytest.mark.parametrize(
    "key",
    [
        "red flower.jpg",
        "a+b.txt",
        "100%25 done.csv",
        "50% off.txt",
        "fotos/año/日本語/ファイル 😀.png",
        "/".join(f"level{n}" for n in range(40)) + "/leaf.json",
        "red+flower.jpg",
    ],
)
def test_keys_are_stored_exactly_as_sent_without_url_decoding(
    processor: Processor, account: Account, key: str
) -> None:
    # GIVEN a create whose key has spaces, '+', '%', unicode or a deep prefix
    event = with_object(load_event("s3_object_created"), key=key)
    # WHEN processed
    result = processor.process(event)
    # THEN the item's key and id use the raw key, byte for byte
    assert result.id == f"{BUCKET}/{key}"
    assert account.item(f"{BUCKET}/{key}")["key"] == key


def test_same_key_in_two_buckets_gives_two_items(processor: Processor, account: Account) -> None:
    # GIVEN the same key created in two buckets
    first = load_event("s3_object_created")
    second = load_event("s3_object_created")
    second["detail"]["bucket"]["name"] = "amzn-s3-demo-bucket2"
    # WHEN both are processed
    processor.process(first)
    processor.process(second)
    # THEN each bucket's object has its own item
    assert sorted(i["id"] for i in account.items()) == [
        f"{BUCKET}/example-key",
        "amzn-s3-demo-bucket2/example-key",
    ]


def test_constant_event_id_does_not_deduplicate_distinct_objects(
    processor: Processor, account: Account
) -> None:
    # GIVEN moto-style events: every one carries the same id and the same sequencer
    events = [with_object(load_event("s3_object_created_moto"), key=k) for k in ("a", "b", "c")]
    # WHEN processed
    outcomes = [processor.process(e).outcome.value for e in events]
    # THEN each object is recorded: dedupe is per object and sequencer, never per event id
    assert outcomes == ["processed"] * 3
    assert sorted(i["key"] for i in account.items()) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("fixture", "reason", "detail_fragment"),
    [
        ("invalid_wrong_source", "unsupported_event", "source must be 'aws.s3'"),
        ("invalid_wrong_detail_type", "unsupported_event", "'Object Restore Completed'"),
        ("invalid_missing_key", "malformed_event", "detail.object.key"),
        ("invalid_bad_sequencer", "malformed_sequencer", "not hexadecimal"),
    ],
)
def test_unprocessable_event_goes_to_dlq_with_reason_and_is_acknowledged(
    processor: Processor, account: Account, fixture: str, reason: str, detail_fragment: str
) -> None:
    # GIVEN an event that can never succeed
    event = load_event(fixture)
    # WHEN processed
    result = processor.process(event)
    # THEN it is acknowledged as rejected, nothing is written, and the DLQ holds it with the reason
    assert result.as_dict() == {"outcome": "rejected", "id": None, "reason": reason}
    assert account.items() == []
    [(body, attributes)] = account.dead_letters()
    assert body["reason"] == reason
    assert detail_fragment in body["message"]
    assert body["event"] == event
    assert body["environment"] == ENVIRONMENT
    assert body["rejected_at"] == "2026-11-28T12:00:00.123Z"
    assert attributes == {"reason": reason, "environment": ENVIRONMENT}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("not an event", "malformed_event"),
        ([1, 2], "malformed_event"),
        (None, "malformed_event"),
        ({"source": "aws.s3", "detail-type": "Object Created"}, "malformed_event"),
    ],
)
def test_non_event_payloads_are_rejected_to_dlq(
    processor: Processor, account: Account, payload: Any, reason: str
) -> None:
    # GIVEN a payload that is not an S3 event at all
    # WHEN processed
    result = processor.process(payload)
    # THEN it is rejected with the payload preserved in the DLQ
    assert result.reason == reason
    [(body, _)] = account.dead_letters()
    assert body["event"] == payload


def test_missing_sequencer_is_rejected_not_written_unordered(
    processor: Processor, account: Account
) -> None:
    # GIVEN a create without a sequencer, which could not be ordered against other events
    event = with_object(load_event("s3_object_created"), sequencer=None)
    # WHEN processed
    result = processor.process(event)
    # THEN it goes to the DLQ instead of overwriting state blindly
    assert result.reason == "malformed_sequencer"
    assert account.items() == []
    assert [body["reason"] for body, _ in account.dead_letters()] == ["malformed_sequencer"]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("RequestLimitExceeded", 400),
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
    ],
)
def test_transient_dynamodb_error_raises_so_lambda_retries(
    processor: Processor, account: Account, code: str, status: int
) -> None:
    # GIVEN the table answers PutItem with a transient error
    with Stubber(account.dynamodb) as stubber:
        stubber.add_client_error("put_item", service_error_code=code, http_status_code=status)
        # WHEN an event is processed
        with pytest.raises(StoreError) as raised:
            processor.process(load_event("s3_object_created"))
        stubber.assert_no_pending_responses()
    # THEN the error propagates with the AWS code, nothing is written and nothing is dead-lettered
    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.__cause__.response["Error"]["Code"] == code
    assert account.items() == []
    assert account.dead_letters() == []


def test_dlq_send_failure_raises_so_the_rejected_event_is_not_lost(
    processor: Processor, account: Account
) -> None:
    # GIVEN the DLQ refuses the message
    with Stubber(account.sqs) as stubber:
        stubber.add_client_error("send_message", service_error_code="KMS.ThrottlingException")
        # WHEN an unprocessable event is handled
        # THEN the handler raises rather than acknowledging an event it could not park
        with pytest.raises(DeadLetterError, match=r"KMS\.ThrottlingException"):
            processor.process(load_event("invalid_missing_key"))
