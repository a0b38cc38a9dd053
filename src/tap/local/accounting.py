"""Independent accounting: scan the table and read the DLQs, then compare with what was uploaded."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tap.local.workload import Operation, OpKind

ObjectRef = tuple[str, str]


@dataclass(frozen=True, slots=True)
class FinalState:
    """What an object looks like after the whole workload."""

    status: str
    """`present` or `deleted`, the items-table vocabulary."""
    size: int | None
    etag: str | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One DLQ message and the object its event is about."""

    queue: str
    object_ref: ObjectRef | None
    attributes: dict[str, str]
    body: Any
    state: FinalState | None = None
    """The object state the parked event would have recorded; None for a malformed event."""


@dataclass(frozen=True, slots=True)
class Accounting:
    """The table and DLQs compared with the workload's final states."""

    items: int
    duplicate_items: int
    stale_overwrites: int
    lost: tuple[ObjectRef, ...]
    correct: int
    dead_letters: tuple[DeadLetter, ...]


def final_states(
    operations: Iterable[Operation], etags: Mapping[int, str]
) -> dict[ObjectRef, FinalState]:
    """Each object's state after the last operation on it; `etags` by operation index."""
    states: dict[ObjectRef, FinalState] = {}
    for index, op in enumerate(operations):
        ref = (op.bucket, op.key)
        if op.kind is OpKind.PUT:
            states[ref] = FinalState("present", op.size, etags.get(index))
        else:
            states[ref] = FinalState("deleted", None, None)
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


def _state_of(event: Mapping[str, Any] | None) -> FinalState | None:
    """The object state an S3 event records: present with size and ETag, or deleted."""
    if event is None:
        return None
    obj = (event.get("detail") or {}).get("object") or {}
    if event.get("detail-type") == "Object Deleted":
        return FinalState("deleted", None, None)
    if event.get("detail-type") == "Object Created":
        size = obj.get("size")
        # AWS documents `etag`; moto's emitter writes `eTag` (the handler reads both too).
        etag = obj.get("etag") or obj.get("eTag")
        return FinalState("present", size if isinstance(size, int) else None, etag)
    return None


def _same(recorded: FinalState, final: FinalState) -> bool:
    if recorded.status != final.status:
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
        letters.append(DeadLetter(queue, _object_ref(event), attributes, body, _state_of(event)))
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
    """Whether an item records the object's final state."""
    size = _attribute(item, "size")
    recorded = FinalState(
        _attribute(item, "status") or "",
        int(size) if size is not None and size.isdigit() else None,
        _attribute(item, "etag"),
    )
    return _same(recorded, state)


def account(
    states: Mapping[ObjectRef, FinalState],
    items: Iterable[Mapping[str, Any]],
    letters: Iterable[DeadLetter],
) -> Accounting:
    """Lost, duplicated and stale objects, judged only from the table and the DLQs.

    lost: neither in the table with its final state nor in a DLQ with the event that carries
    that state (stale ones included). A DLQ holding only an older event of the object does not
    excuse a missing final state: that final event was lost. Two uploads with the same size and
    ETag are indistinguishable here; the workload varies sizes so they rarely coincide.
    """
    by_ref: dict[ObjectRef, list[Mapping[str, Any]]] = defaultdict(list)
    all_items = list(items)
    for item in all_items:
        by_ref[item_ref(item)].append(item)
    letters = list(letters)
    parked = [(letter.object_ref, letter.state) for letter in letters if letter.state]
    lost: list[ObjectRef] = []
    stale = 0
    correct = 0
    for ref, state in states.items():
        recorded = by_ref.get(ref, [])
        if any(matches(item, state) for item in recorded):
            correct += 1
            continue
        if any(r == ref and _same(parked_state, state) for r, parked_state in parked):
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
