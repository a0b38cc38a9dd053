"""Guards on the private moto APIs tap local uses: what it relies on, named when it breaks."""

from __future__ import annotations

import inspect
import json
import threading
from typing import Any

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeKey, S3Backend

from tap.local.emulator import (
    convert_queue_attribute_names_once,
    forget_tracked_models,
    parse_json_paths_once,
    take_from_backend,
    windowed_version_listing,
)

pytestmark = pytest.mark.slow  # each test drives moto

BUCKET = "tap-internals-guard"


def test_forgetting_tracked_models_drops_the_copies_a_version_listing_makes() -> None:
    assert hasattr(FakeKey, "instances_tracked"), (
        "moto no longer tracks model instances in `instances_tracked`: "
        "tap.local.emulator.forget_tracked_models has nothing to forget; revisit it"
    )
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
        before = len(FakeKey.instances_tracked)
        s3.list_object_versions(Bucket=BUCKET, Prefix="k")
        # GIVEN moto tracks the listing's deep copies (the memory this adapter releases)
        assert len(FakeKey.instances_tracked) > before, (
            "moto's ListObjectVersions no longer leaves tracked copies: "
            "forget_tracked_models may be unnecessary"
        )
        # WHEN they are forgotten
        forget_tracked_models()
        # THEN the record is empty and the bucket still serves the object
        assert FakeKey.instances_tracked == [], (
            "moto.core.model_instances.reset_model_data no longer empties instances_tracked"
        )
        assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"x"


def _listing(s3: Any, **params: Any) -> dict[str, Any]:
    response = s3.list_object_versions(Bucket=VERSIONED, **params)
    return {key: response.get(key) for key in _LISTED}


def _pages(s3: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, following the markers each page answers."""
    pages = [_listing(s3, **params)]
    while pages[-1]["IsTruncated"]:
        markers = {"KeyMarker": pages[-1]["NextKeyMarker"]}
        if pages[-1]["NextVersionIdMarker"]:
            markers["VersionIdMarker"] = pages[-1]["NextVersionIdMarker"]
        pages.append(_listing(s3, **params, **markers))
    return pages


_LISTED = (
    "Versions",
    "DeleteMarkers",
    "CommonPrefixes",
    "IsTruncated",
    "NextKeyMarker",
    "NextVersionIdMarker",
)
VERSIONED = "tap-internals-versions"


def test_the_windowed_version_listing_relies_on_what_moto_still_does() -> None:
    source = inspect.getsource(S3Backend.list_object_versions)
    parameters = list(inspect.signature(S3Backend.list_object_versions).parameters)
    assert parameters == [
        "self",
        "bucket_name",
        "delimiter",
        "key_marker",
        "max_keys",
        "prefix",
        "version_id_marker",
    ], (
        "moto's S3Backend.list_object_versions changed its parameters: "
        "tap.local.emulator.windowed_version_listing passes them positionally; revisit it"
    )
    for fragment in ("self.get_bucket(bucket_name)", "bucket.keys.iterlists()"):
        assert fragment in source, (
            f"moto's S3Backend.list_object_versions no longer calls {fragment}: "
            "windowed_version_listing's view of the bucket no longer applies; revisit it"
        )
    for fragment in (
        "name.startswith(prefix)",
        "all_versions.sort(key=lambda r: (r.name, -unix_time_millis(r.last_modified)))",
        ">= max_keys",
    ):
        assert fragment in source, (
            f"moto's S3Backend.list_object_versions no longer does {fragment!r} itself: "
            "windowed_version_listing may change its answer; revisit it"
        )


def test_the_windowed_version_listing_answers_as_moto_and_copies_only_a_page() -> None:
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=VERSIONED)
        s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
        for key in ("a", "a/1", "a/2", "ab", "b", "b/1"):
            s3.put_object(Bucket=VERSIONED, Key=key, Body=b"1")
            s3.put_object(Bucket=VERSIONED, Key=key, Body=b"22")
        s3.delete_object(Bucket=VERSIONED, Key="a/1")
        ab = s3.list_object_versions(Bucket=VERSIONED, Prefix="ab")["Versions"][1]["VersionId"]
        cases: list[dict[str, Any]] = [
            {"Prefix": "a", "MaxKeys": 1},
            {"Prefix": "a/1", "MaxKeys": 1},
            {"Prefix": "a"},
            {"Prefix": "a", "MaxKeys": 3},
            {"Prefix": "a", "Delimiter": "/"},
            {"Prefix": "c"},
            {},
            {"Prefix": "a", "KeyMarker": "a/1"},
            {"KeyMarker": "a/1"},
            {"KeyMarker": "a/1", "MaxKeys": 2},
            {"KeyMarker": "ab", "VersionIdMarker": ab, "MaxKeys": 2},
            {"Prefix": "a/", "KeyMarker": "a/1", "MaxKeys": 1},
            {"Prefix": "b", "KeyMarker": "a", "MaxKeys": 1},
            {"KeyMarker": "zz"},
            {"MaxKeys": 0},
        ]
        paged: list[dict[str, Any]] = [{"MaxKeys": n} for n in (1, 2, 3, 5)]
        paged += [{"Prefix": "a", "MaxKeys": 2}, {"Prefix": "a/", "MaxKeys": 1}]
        # GIVEN moto's own answers, and how many versions its first page of two copies
        expected = [_listing(s3, **case) for case in cases]
        expected_pages = [_pages(s3, **case) for case in paged]
        forget_tracked_models()
        s3.list_object_versions(Bucket=VERSIONED, MaxKeys=2)
        copied_by_moto = len(FakeKey.instances_tracked)
        # WHEN the adapter is in place
        undo = windowed_version_listing()
        try:
            answered = [_listing(s3, **case) for case in cases]
            answered_pages = [_pages(s3, **case) for case in paged]
            forget_tracked_models()
            s3.list_object_versions(Bucket=VERSIONED, MaxKeys=2)
            copied_adapted = len(FakeKey.instances_tracked)
        finally:
            undo()
        # THEN every answer and every page is moto's
        assert answered == expected
        assert answered_pages == expected_pages
        assert [len(pages) for pages in expected_pages] == [13, 7, 5, 3, 5, 5]
        # AND a page of two copied the versions of four names, not every version in the bucket
        assert copied_by_moto == 12  # every version of six keys (markers are no FakeKey)
        assert copied_adapted == 4 * 2  # two versions each of a, a/1, a/2, ab
        # AND undo restores moto's own listing
        forget_tracked_models()
        s3.list_object_versions(Bucket=VERSIONED, MaxKeys=2)
        assert len(FakeKey.instances_tracked) == copied_by_moto


def test_parsing_json_paths_once_relies_on_moto_importing_parse_at_call_time() -> None:
    from moto.events.utils import EventTemplateParser

    assert "from jsonpath_ng.ext import parse" in inspect.getsource(EventTemplateParser.parse), (
        "moto's EventTemplateParser.parse no longer imports jsonpath_ng.ext.parse when called: "
        "tap.local.emulator.parse_json_paths_once no longer reaches it; revisit it"
    )
    import jsonpath_ng.ext

    module: Any = jsonpath_ng.ext
    original = module.parse
    # GIVEN the adapter in place
    undo = parse_json_paths_once()
    try:
        # WHEN the same path is parsed twice
        first, second = module.parse("$.detail.key"), module.parse("$.detail.key")
        found = [match.value for match in first.find({"detail": {"key": "k"}})]
    finally:
        undo()
    # THEN one expression serves both and finds as parsed, and undo restores the parser
    assert first is second
    assert found == ["k"]
    assert module.parse is original
    assert module.parse("$.a") is not module.parse("$.a")


def test_observing_versioned_deletes_relies_on_what_moto_still_does() -> None:
    from tap.local.emulator import observe_versioned_deletes

    parameters = list(inspect.signature(S3Backend.delete_object).parameters)
    assert parameters == ["self", "bucket_name", "key_name", "version_id", "bypass"], (
        "moto's S3Backend.delete_object changed its parameters: "
        "tap.local.emulator.observe_versioned_deletes wraps it; revisit it"
    )
    original = S3Backend.delete_object
    seen: list[tuple[str, str, str | None, bool]] = []
    undo = observe_versioned_deletes(lambda *delete: seen.append(delete))
    try:
        with mock_aws():
            import boto3

            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket=VERSIONED)
            s3.put_bucket_versioning(
                Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"}
            )
            one = s3.put_object(Bucket=VERSIONED, Key="k", Body=b"1")["VersionId"]
            two = s3.put_object(Bucket=VERSIONED, Key="k", Body=b"2")["VersionId"]
            marker = s3.delete_object(Bucket=VERSIONED, Key="k")["VersionId"]
            s3.delete_objects(
                Bucket=VERSIONED, Delete={"Objects": [{"Key": "k", "VersionId": one}]}
            )
            s3.delete_object(Bucket=VERSIONED, Key="k", VersionId=marker)
            # The last version: moto emits its own event, so the sink is not called.
            s3.delete_object(Bucket=VERSIONED, Key="k", VersionId=two)
    finally:
        undo()
    assert seen == [
        (VERSIONED, "k", marker, True),
        (VERSIONED, "k", one, False),
        (VERSIONED, "k", marker, False),
    ], "moto's delete_object no longer answers as observe_versioned_deletes expects"
    assert S3Backend.delete_object is original, "the undo did not restore moto's method"


def test_converting_queue_attribute_names_once_relies_on_moto_looking_them_up_per_call() -> None:
    import moto.sqs.models

    module: Any = moto.sqs.models
    assert "camelcase_to_underscores(attribute)" in inspect.getsource(
        moto.sqs.models.Queue.attributes.fget
    ), (
        "moto's SQS Queue.attributes no longer converts names with camelcase_to_underscores: "
        "tap.local.emulator.convert_queue_attribute_names_once no longer reaches it; revisit it"
    )
    original = module.camelcase_to_underscores
    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="tap-internals-names")["QueueUrl"]
        before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        # GIVEN the adapter in place
        undo = convert_queue_attribute_names_once()
        try:
            cached = module.camelcase_to_underscores
            # WHEN moto reads the attributes and sends a message
            after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            sqs.send_message(QueueUrl=url, MessageBody="m")
            hits = cached.cache_info().hits
        finally:
            undo()
    # THEN moto answered the same through the cached conversions, and undo restores them
    assert after == before
    assert hits > 0, "moto's SQS did not call the module's camelcase_to_underscores"
    assert module.camelcase_to_underscores is original


def _receive_all(sqs: Any, url: str) -> list[str]:
    """Every message in a queue through the SQS API (receive, then delete), the oracle."""
    bodies: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_taking_from_moto_s_backend_relies_on_what_moto_still_does() -> None:
    from moto.sqs.models import Message, Queue

    source = inspect.getsource(Queue.add_message)
    assert "with self._messages_lock:" in source, (
        "moto's Queue.add_message no longer appends under `_messages_lock`: "
        "tap.local.emulator.take_from_backend takes under that lock; revisit it"
    )
    assert "self._messages.append(message)" in source, (
        "moto's Queue.add_message no longer appends to `_messages`: revisit take_from_backend"
    )
    for name in ("visible", "delayed"):
        assert isinstance(inspect.getattr_static(Message, name), property), (
            f"moto's sqs Message.{name} is no longer a property: revisit take_from_backend"
        )


def test_taking_from_moto_s_backend_takes_what_the_sqs_api_takes() -> None:
    """The taker and the SQS API, over queues holding 0, 7, 10 and 23 messages: the same bodies
    in the same order, and both queues left empty."""
    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        for count in (0, 7, 10, 23):
            urls = [
                sqs.create_queue(QueueName=f"tap-internals-take-{side}-{count}")["QueueUrl"]
                for side in ("api", "backend")
            ]
            for url in urls:
                for n in range(count):
                    sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")
            # WHEN the SQS API takes from one queue, and the taker from the other
            through_api = _receive_all(sqs, urls[0])
            from_backend = take_from_backend(DEFAULT_ACCOUNT_ID, "us-east-1")(urls[1])
            # THEN they took the same messages, in order, and left nothing behind
            assert from_backend == through_api == [f"message {n}" for n in range(count)]
            for url in urls:
                left = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=[
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                    ],
                )["Attributes"]
                assert left == {
                    "ApproximateNumberOfMessages": "0",
                    "ApproximateNumberOfMessagesNotVisible": "0",
                }, (count, url)


def test_taking_from_moto_s_backend_while_messages_arrive_loses_none() -> None:
    """Four senders on threads, and takes in a loop meanwhile: every message is taken once,
    each sender's in the order it sent them, and a message in flight stays in the queue."""
    from moto.sqs.models import sqs_backends

    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="tap-internals-take-busy")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="in flight")
        assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"]
        backend = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        take = take_from_backend(DEFAULT_ACCOUNT_ID, "us-east-1")
        sent = 4 * 500
        taken: list[str] = []

        def send(sender: int) -> None:
            for n in range(sent // 4):
                backend.send_message("tap-internals-take-busy", f"{sender}:{n}")

        senders = [threading.Thread(target=send, args=(s,)) for s in range(4)]
        for thread in senders:
            thread.start()
        while any(thread.is_alive() for thread in senders) or len(taken) < sent:
            taken += take(url)
            assert len(taken) <= sent
        for thread in senders:
            thread.join()
        # THEN each message was taken once, in each sender's order
        assert sorted(taken) == sorted(f"{s}:{n}" for s in range(4) for n in range(sent // 4))
        for sender in range(4):
            mine = [int(m.split(":")[1]) for m in taken if m.startswith(f"{sender}:")]
            assert mine == sorted(mine)
        # AND the message in flight is still in the queue, not taken
        left = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        assert left == {"ApproximateNumberOfMessagesNotVisible": "1"}


def test_s3_events_in_order_relies_on_what_moto_still_does() -> None:
    from moto.events.models import Rule
    from moto.s3 import notifications

    for name in ("put_object", "delete_object", "copy_object", "complete_multipart_upload"):
        assert callable(getattr(S3Backend, name, None)), (
            f"moto's S3Backend.{name} is gone: tap.local.emulator.s3_events_in_order wraps it"
        )
    assert list(inspect.signature(Rule.send_to_targets).parameters) == [
        "self",
        "original_event",
        "transform_input",
    ], "moto's Rule.send_to_targets changed: tap.local.emulator.s3_events_in_order wraps it"
    source = inspect.getsource(notifications._send_event_bridge_message)
    for fragment in ("copy.deepcopy(_BASE_EVENT_MESSAGE)", "rule.send_to_targets(event"):
        assert fragment in source, (
            f"moto's S3 EventBridge emission no longer does {fragment!r}: "
            "s3_events_in_order stamps the one event it sends to every rule; revisit it"
        )
    assert 'event["id"]' not in source, (
        "moto's S3 EventBridge emission now sets its own event id: s3_events_in_order "
        "recognises S3's events by moto's constant id; revisit it"
    )


def _two_rules_on_a_versioned_bucket(s3: Any, events: Any, sqs: Any) -> list[str]:
    """A versioned bucket sending to EventBridge, and two rules each sending to its queue."""
    s3.create_bucket(Bucket=VERSIONED)
    s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=VERSIONED, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    urls = []
    for n in (1, 2):
        url = sqs.create_queue(QueueName=f"tap-internals-order-{n}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        pattern = {"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"]}
        events.put_rule(Name=f"rule-{n}", EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule=f"rule-{n}", Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}]
        )
        urls.append(url)
    return urls


def test_s3_events_follow_s3s_order_each_with_its_own_stamp_under_concurrent_writers() -> None:
    from tap.local.emulator import s3_events_in_order

    writers, puts = 8, 25
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        urls = _two_rules_on_a_versioned_bucket(s3, boto3.client("events", "us-east-1"), sqs)
        take = take_from_backend(DEFAULT_ACCOUNT_ID, "us-east-1")
        # GIVEN moto alone gives every S3 event one constant id and sequencer
        s3.put_object(Bucket=VERSIONED, Key="plain", Body=b"1")
        s3.put_object(Bucket=VERSIONED, Key="plain", Body=b"2")
        plain = [json.loads(body) for body in take(urls[0])]
        assert len({(e["id"], e["detail"]["object"]["sequencer"]) for e in plain}) == 1, (
            "moto now stamps S3 events itself: s3_events_in_order may be unnecessary"
        )
        take(urls[1])
        # WHEN eight writers put to one key at once with the adapter in place
        undo = s3_events_in_order()
        try:

            def write(writer: int) -> None:
                client = boto3.client("s3", region_name="us-east-1")
                for n in range(puts):
                    client.put_object(Bucket=VERSIONED, Key="k", Body=b"%d:%d" % (writer, n))

            threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            s3.delete_object(Bucket=VERSIONED, Key="k")
        finally:
            undo()
        queues = [[json.loads(body) for body in take(url)] for url in urls]
        listing = s3.list_object_versions(Bucket=VERSIONED, Prefix="k")
    # THEN S3 kept every version, and each queue holds one event per write, in S3's order
    versions = [v["VersionId"] for v in reversed(listing["Versions"])]  # oldest first
    assert len(versions) == writers * puts
    for events in queues:
        created = [e for e in events if e["detail-type"] == "Object Created"]
        assert [e["detail"]["object"]["version-id"] for e in created] == versions
    # AND each event has its own id and a greater sequencer, the same in both queues
    stamps = [[(e["id"], e["detail"]["object"]["sequencer"]) for e in q] for q in queues]
    assert stamps[0] == stamps[1]
    assert len({event_id for event_id, _ in stamps[0]}) == len(stamps[0]) == writers * puts
    sequencers = [sequencer for _, sequencer in stamps[0]]
    assert sequencers == sorted(sequencers)
    assert len(set(sequencers)) == len(sequencers)
    # AND the undo restored moto's own methods
    assert not hasattr(S3Backend.put_object, "__wrapped__")


def test_trimmed_streams_keep_the_latest_records_in_order() -> None:
    from moto.dynamodb.models.table import StreamShard

    from tap.local.emulator import STREAM_RECORDS_KEPT, trimmed_streams

    assert list(inspect.signature(StreamShard.add).parameters) == ["self", "old", "new"], (
        "moto's StreamShard.add changed: tap.local.emulator.trimmed_streams wraps it"
    )
    source = inspect.getsource(StreamShard.add)
    assert "seq = len(self.items) + self.starting_sequence_number" in source, (
        "moto's StreamShard.add no longer numbers records from starting_sequence_number: "
        "trimmed_streams moves that start as it trims; revisit it"
    )
    original = StreamShard.add
    with mock_aws():
        import boto3

        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(
            TableName="tap-internals-stream",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
        # GIVEN the adapter, and more writes than a shard keeps
        undo = trimmed_streams()
        try:
            for n in range(STREAM_RECORDS_KEPT + 10):
                dynamodb.put_item(
                    TableName="tap-internals-stream", Item={"id": {"S": "k"}, "n": {"N": str(n)}}
                )
        finally:
            undo()
        # WHEN the stream is read from its oldest record
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = table["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    # THEN it holds the latest records only, numbered on from the trimmed ones, in order
    assert [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in records] == list(
        range(10, STREAM_RECORDS_KEPT + 10)
    )
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == list(range(numbers[0], numbers[0] + STREAM_RECORDS_KEPT))
    assert numbers[0] == int(shard["SequenceNumberRange"]["StartingSequenceNumber"])
    # AND undo restored moto's own method
    assert StreamShard.add is original


def test_answering_in_process_reaches_a_served_emulators_backends_without_http() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    from tap.local.emulator import running_emulator

    assert list(inspect.signature(BotocoreStubber.__call__).parameters) == [
        "self",
        "event_name",
        "request",
        "kwargs",
    ], "moto's BotocoreStubber changed: tap.local.emulator.answer_in_process registers one"
    assert BotocoreStubber().enabled is False, (
        "moto's BotocoreStubber no longer starts disabled: answer_in_process enables its own"
    )
    # GIVEN a served emulator holding a bucket, and a session answered in this process
    with running_emulator(account_id="111122223333", region="us-east-1", keep_running=True) as (
        emulator
    ):
        emulator.client("s3").create_bucket(Bucket=BUCKET)
        session = emulator.in_process_session()
    # WHEN the server is stopped
    emulator.stop()
    # THEN the session's clients still reach its backends, as the stack's account
    assert [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]] == [BUCKET]
    assert session.client("sts").get_caller_identity()["Account"] == "111122223333"
