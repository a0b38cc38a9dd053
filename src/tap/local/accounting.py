"""Independent accounting: list S3, scan the table, read the DLQs, and compare them.

S3's own version listing is the judge of each object's state, never what the workload meant.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tap.local.workload import Operation
from tap_processor.errors import RejectedEventError
from tap_processor.event import parse_event

ObjectRef = tuple[str, str]


@dataclass(frozen=True, slots=True)
class FinalState:
    """An object's current version: what S3 lists, or what an item or a parked event records."""

    status: str
    """`present` or `deleted`, the items-table vocabulary."""
    size: int | None
    etag: str | None
    version_id: str | None = None
    """The current version's or delete marker's id; None when S3 holds nothing for the key."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One DLQ message and the object its event is about."""

    queue: str
    object_ref: ObjectRef | None
    attributes: dict[str, str]
    body: Any
    state: FinalState | None = None
    """The object state the parked event would have recorded; None for a malformed event, or
    for one that removed a single version (its state is read from S3 when it is processed)."""
    sequencer: str | None = None
    """The parked event's normalised sequencer; None for a malformed event."""
    resolves: bool = False
    """The event removed one version: redriving it records whatever S3 then lists as current."""


@dataclass(frozen=True, slots=True)
class Accounting:
    """The table and DLQs compared with the workload's final states."""

    items: int
    duplicate_items: int
    stale_overwrites: int
    lost: tuple[ObjectRef, ...]
    correct: int
    dead_letters: tuple[DeadLetter, ...]


def current_states(s3: Any, operations: Iterable[Operation]) -> dict[ObjectRef, FinalState]:
    """S3's current version of every key the workload touched, from each bucket's listing."""
    refs = {(op.bucket, op.key) for op in operations}
    states = {ref: FinalState("deleted", None, None) for ref in refs}
    for bucket in sorted({bucket for bucket, _ in refs}):
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            for version in page.get("Versions", []):
                ref = (bucket, version["Key"])
                if version["IsLatest"] and ref in states:
                    states[ref] = FinalState(
                        "present",
                        int(version["Size"]),
                        str(version["ETag"]).strip('"'),
                        version.get("VersionId"),
                    )
            for marker in page.get("DeleteMarkers", []):
                ref = (bucket, marker["Key"])
                if marker["IsLatest"] and ref in states:
                    states[ref] = FinalState("deleted", None, None, marker.get("VersionId"))
    return states


def scan_items(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item of the table, through a paginated Scan."""
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
        items.extend(page.get("Items", []))
    return items


def read_queue(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message in a queue, left in place (made visible again) for inspection afterwards."""
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            break
        messages.extend(batch)
    for start in range(0, len(messages), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for n, m in enumerate(messages[start : start + 10])
            ],
        )
    return messages


def event_of(body: Any) -> Mapping[str, Any] | None:
    """The S3 event inside a DLQ body: the event itself, an invocation record, or a rejection."""
    if not isinstance(body, Mapping):
        return None
    if "requestPayload" in body:
        return event_of(body["requestPayload"])
    if "event" in body and "detail" not in body:
        return event_of(body["event"])
    return body if "detail" in body else None


def _object_ref(event: Mapping[str, Any] | None) -> ObjectRef | None:
    if event is None:
        return None
    detail = event.get("detail") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    key = (detail.get("object") or {}).get("key")
    return (str(bucket), str(key)) if bucket is not None and key is not None else None


def _parked(event: Mapping[str, Any] | None) -> tuple[FinalState | None, str | None, bool]:
    """What redriving a parked event would do: (the state it records by itself, or None if S3
    must be read for it; its normalised sequencer; whether it removed one version).

    A malformed event, which the handler would reject again, gives (None, None, False).
    """
    if event is None:
        return None, None, False
    try:
        parsed = parse_event(event)
    except RejectedEventError:
        return None, None, False
    if parsed.removes_one_version:
        return None, parsed.sequencer, True
    if event.get("detail-type") == "Object Deleted":
        state = FinalState("deleted", None, None, parsed.version_id)
    else:
        state = FinalState("present", parsed.size, parsed.etag, parsed.version_id)
    return state, parsed.sequencer, False


def _same(recorded: FinalState, final: FinalState) -> bool:
    """Whether a recorded state is S3's: status, and the version id, size and ETag S3 lists."""
    if recorded.status != final.status:
        return False
    if final.version_id is not None and recorded.version_id != final.version_id:
        return False
    if final.status != "present":
        return True
    etag = (recorded.etag or "").strip('"')
    return recorded.size == final.size and (final.etag is None or etag == final.etag.strip('"'))


def dead_letters(queue: str, messages: Iterable[Mapping[str, Any]]) -> list[DeadLetter]:
    """DLQ messages with the object each one is about."""
    letters = []
    for message in messages:
        try:
            body = json.loads(message["Body"])
        except ValueError:
            body = message["Body"]
        attributes = {
            k: str(v.get("StringValue"))
            for k, v in (message.get("MessageAttributes") or {}).items()
        }
        event = event_of(body)
        state, sequencer, resolves = _parked(event)
        letters.append(
            DeadLetter(queue, _object_ref(event), attributes, body, state, sequencer, resolves)
        )
    return letters


def _attribute(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name) or {}
    found = value.get("S", value.get("N"))
    return str(found) if found is not None else None


def item_ref(item: Mapping[str, Any]) -> ObjectRef:
    """(bucket, key) an item records; from its attributes, else from its `id`."""
    bucket, key = _attribute(item, "bucket"), _attribute(item, "key")
    if bucket is not None and key is not None:
        return (bucket, key)
    identifier = _attribute(item, "id") or ""
    head, _, tail = identifier.partition("/")
    return (head, tail)


def matches(item: Mapping[str, Any], state: FinalState) -> bool:
    """Whether an item records the object's current state in S3."""
    size = _attribute(item, "size")
    recorded = FinalState(
        _attribute(item, "status") or "",
        int(size) if size is not None and size.isdigit() else None,
        _attribute(item, "etag"),
        _attribute(item, "version_id"),
    )
    return _same(recorded, state)


def _redrive_fixes(letter: DeadLetter, ref: ObjectRef, state: FinalState, items: list[Any]) -> bool:
    """Whether processing the parked event again would record S3's current state for `ref`.

    An event that decides its state does so if that state is S3's. One that removed a version
    reads S3 when processed, so it does if no item has a later sequencer.
    """
    if letter.object_ref != ref:
        return False
    if letter.state is not None:
        return _same(letter.state, state)
    if not letter.resolves or letter.sequencer is None:
        return False
    recorded = [_attribute(item, "sequencer") or "" for item in items]
    return all(sequencer < letter.sequencer for sequencer in recorded)


def account(
    states: Mapping[ObjectRef, FinalState],
    items: Iterable[Mapping[str, Any]],
    letters: Iterable[DeadLetter],
) -> Accounting:
    """Lost, duplicated and stale objects, judged only from S3, the table and the DLQs.

    lost: the table does not record S3's current version of the object, and no DLQ holds an
    event whose redrive would record it. A DLQ holding only an older event of the object does
    not excuse a missing final state: that final event was lost. stale_overwrites: the lost
    objects that do have an item (its status, version id, size or ETag differ from S3's).
    """
    by_ref: dict[ObjectRef, list[Mapping[str, Any]]] = defaultdict(list)
    all_items = list(items)
    for item in all_items:
        by_ref[item_ref(item)].append(item)
    letters = list(letters)
    lost: list[ObjectRef] = []
    stale = 0
    correct = 0
    for ref, state in states.items():
        recorded = by_ref.get(ref, [])
        if any(matches(item, state) for item in recorded):
            correct += 1
            continue
        if any(_redrive_fixes(letter, ref, state, recorded) for letter in letters):
            continue
        lost.append(ref)
        if recorded:
            stale += 1
    return Accounting(
        items=len(all_items),
        duplicate_items=sum(len(v) - 1 for v in by_ref.values() if len(v) > 1),
        stale_overwrites=stale,
        lost=tuple(sorted(lost)),
        correct=correct,
        dead_letters=tuple(letters),
    )
