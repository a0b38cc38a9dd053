"""Parsing EventBridge S3 events into ObjectEvent."""

import pytest

from tap_processor.errors import (
    MalformedEventError,
    MalformedSequencerError,
    UnsupportedEventError,
)
from tap_processor.event import ObjectChange, object_id, parse_event
from tap_processor.sequencer import WIDTH, normalise_sequencer

from .support import load_event, with_object


def test_documented_create_parses_every_field() -> None:
    # GIVEN the AWS documented create on a versioned bucket
    # WHEN parsed
    event = parse_event(load_event("s3_object_created_versioned"))
    # THEN every field the processor uses is read
    assert (
        event.event_id,
        event.event_time,
        event.change,
        event.bucket,
        event.key,
        event.size,
        event.etag,
        event.version_id,
        event.reason,
        event.deletion_type,
    ) == (
        "17793124-05d4-b198-2fde-7ededc63b103",
        "2021-11-12T00:00:00Z",
        ObjectChange.CREATED,
        "amzn-s3-demo-bucket1",
        "example-key",
        5,
        "b1946ac92492d2347c6235b4d2611184",
        "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
        "PutObject",
        None,
    )


def test_lifecycle_delete_without_source_ip_parses_as_delete_without_size() -> None:
    # GIVEN a lifecycle expiration (no source-ip-address, service requester)
    # WHEN parsed
    event = parse_event(load_event("s3_object_deleted_lifecycle"))
    # THEN it is a delete with its deletion type and no size
    assert (event.change, event.size, event.reason, event.deletion_type) == (
        ObjectChange.DELETED,
        None,
        "Lifecycle Expiration",
        "Delete Marker Created",
    )


def test_both_etag_spellings_are_accepted_and_documented_one_wins() -> None:
    # GIVEN events spelling the etag as AWS does, as moto does, and both at once
    aws = with_object(load_event("s3_object_created"), etag="aws")
    moto = with_object(load_event("s3_object_created"), etag=None, eTag="moto")
    both = with_object(load_event("s3_object_created"), etag="aws", eTag="moto")
    # WHEN parsed / THEN each etag is read, preferring the documented spelling
    assert [parse_event(e).etag for e in (aws, moto, both)] == ["aws", "moto", "aws"]


def test_missing_etag_and_version_are_optional() -> None:
    # GIVEN a create with neither etag nor version-id
    # WHEN parsed
    event = parse_event(with_object(load_event("s3_object_created"), etag=None))
    # THEN both are absent rather than errors
    assert (event.etag, event.version_id) == (None, None)


def test_key_is_not_url_decoded() -> None:
    # GIVEN keys that would change under unquote_plus
    for key in ("a+b", "a%20b", "a b", "%E6%97%A5"):
        # WHEN parsed / THEN the key is exactly what was sent
        assert parse_event(with_object(load_event("s3_object_created"), key=key)).key == key


def test_object_id_joins_bucket_and_key_with_a_slash() -> None:
    # GIVEN bucket names cannot contain "/", the first "/" always ends the bucket
    assert object_id("b1", "x/y") == "b1/x/y"
    assert object_id("b1", "/lead") == "b1//lead"


@pytest.mark.parametrize(
    ("mutate", "error", "fragment"),
    [
        (lambda e: e.update(source="aws.ec2"), UnsupportedEventError, "source"),
        (lambda e: e.pop("source"), UnsupportedEventError, "source"),
        (
            lambda e: e.update({"detail-type": "Object Tags Added"}),
            UnsupportedEventError,
            "detail-type",
        ),
        (lambda e: e.pop("detail"), MalformedEventError, "event.detail"),
        (lambda e: e["detail"].pop("bucket"), MalformedEventError, "detail.bucket"),
        (lambda e: e["detail"]["bucket"].update(name=""), MalformedEventError, "bucket.name"),
        (lambda e: e["detail"]["bucket"].update(name="a/b"), MalformedEventError, "bucket name"),
        (lambda e: e["detail"].update(object="k"), MalformedEventError, "detail.object"),
        (lambda e: e["detail"]["object"].update(key=""), MalformedEventError, "object.key"),
        (lambda e: e["detail"]["object"].update(key=7), MalformedEventError, "object.key"),
        (lambda e: e["detail"]["object"].pop("size"), MalformedEventError, "size"),
        (lambda e: e["detail"]["object"].update(size=-1), MalformedEventError, "size"),
        (lambda e: e["detail"]["object"].update(size="5"), MalformedEventError, "size"),
        (lambda e: e["detail"]["object"].update(size=True), MalformedEventError, "size"),
        (lambda e: e["detail"]["object"].update(etag=5), MalformedEventError, "etag"),
        (lambda e: e.pop("time"), MalformedEventError, "event.time"),
        (lambda e: e["detail"]["object"].pop("sequencer"), MalformedSequencerError, "sequencer"),
    ],
)
def test_invalid_events_raise_the_specific_rejection(
    mutate: object, error: type[Exception], fragment: str
) -> None:
    # GIVEN a documented create broken in one way
    event = load_event("s3_object_created")
    mutate(event)  # type: ignore[operator]
    # WHEN parsed / THEN the matching rejection names the field
    with pytest.raises(error, match=fragment):
        parse_event(event)


def test_delete_with_a_size_ignores_it() -> None:
    # GIVEN a delete that (unexpectedly) carries a size
    event = with_object(load_event("s3_object_deleted_marker"), size=5)
    # WHEN parsed / THEN a tombstone never records a size
    assert parse_event(event).size is None


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("617f08299329d189", "617F08299329D189" + "0" * 16),
        ("617F08299329D18910", "617F08299329D18910" + "0" * 14),
        ("0", "0" * WIDTH),
        ("f" * WIDTH, "F" * WIDTH),
    ],
)
def test_sequencer_is_uppercased_and_right_padded(raw: str, normalised: str) -> None:
    assert normalise_sequencer(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["", "xyz", "617f-0829", " 617f", "617f\n", "f" * (WIDTH + 1), 617, None, "０１"]
)
def test_malformed_sequencers_are_rejected(raw: object) -> None:
    with pytest.raises(MalformedSequencerError):
        normalise_sequencer(raw)


def test_right_padding_orders_a_longer_later_sequencer_after_a_shorter_one() -> None:
    # GIVEN "...D189" and its continuation "...D18910" (later per the S3 docs' right-pad rule)
    assert normalise_sequencer("617f08299329d18910") > normalise_sequencer("617f08299329d189")
    # AND a shorter sequencer with a larger leading digit is later regardless of length
    assert normalise_sequencer("7") > normalise_sequencer("617f08299329d18910")
