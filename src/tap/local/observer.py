"""The observer boundary: events S3 emitted through EventBridge, each once, in S3's order.

moto gives every S3 event the same `id` and `sequencer`. Real S3 gives each event a unique id and
a sequencer that increases per key. The emulator stamps each event as moto emits it, under the
lock that makes S3's writes one at a time (`tap.internals.moto.s3_events_in_order`), so
sequencers follow S3's order whatever the number of writers; the observer gives each event a
seeded id, the same for every rule it matched, so a run's report reads the same for the same
seed. The report lists this as an emulator adaptation.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from tap.facts.arns import bucket_arn
from tap.facts.principals import S3_PRINCIPAL
from tap.internals.moto import QueueTaker, next_sequencer
from tap.local.appliers.context import ObserverTarget

STAMP_NOTE: Final = (
    "each S3 event gets its own id and a sequencer that increases in S3's order: S3 writes are "
    "applied one at a time and each event is stamped as moto emits it (moto gives every S3 "
    "event the same constant id and sequencer)"
)
DISABLED_NOTE: Final = (
    "events matched by a rule that is not ENABLED are dropped (moto delivers them)"
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event EventBridge must deliver to one Lambda target."""

    target: ObserverTarget
    event: dict[str, Any]
    emission: int
    """Position of the S3 event among those the observer has seen."""

    @property
    def object_ref(self) -> tuple[str, str]:
        """(bucket, key) the event is about."""
        detail = self.event.get("detail") or {}
        return (
            str((detail.get("bucket") or {}).get("name", "")),
            str((detail.get("object") or {}).get("key", "")),
        )


class Observer:
    """Takes what the observer queues hold and gives each S3 event its seeded id."""

    def __init__(self, take: QueueTaker, targets: list[ObserverTarget], *, seed: int) -> None:
        self._take = take
        self._targets = targets
        self._ids = random.Random(f"{seed}:event-ids")
        self._last: dict[str, tuple[str, int]] = {}
        """The previous drain's ids: an event two rules matched can be taken from one queue in
        one drain and from the other in the next."""
        self.emitted = 0
        """Distinct S3 events seen (one per operation that matched any rule)."""

    def drain(self, enabled: Mapping[str, bool]) -> list[Delivery]:
        """Every event waiting in the observer queues, in S3's order; one id per S3 event."""
        found = [
            (target, json.loads(body))
            for target in self._targets
            for body in self._take(target.queue_url)
        ]
        # Across queues, S3's order is the sequencers' (16 hex digits: the strings sort so).
        found.sort(key=lambda pair: str(_object(pair[1]).get("sequencer", "")))
        ids: dict[str, tuple[str, int]] = {}
        deliveries: list[Delivery] = []
        for target, event in found:
            if not enabled.get(target.rule_name, True):
                continue
            emitted = str(event.get("id"))  # the emulator's own, one per S3 event
            stamp = ids.get(emitted) or self._last.get(emitted)
            if stamp is None:
                self.emitted += 1
                stamp = (str(uuid.UUID(int=self._ids.getrandbits(128), version=4)), self.emitted)
            ids[emitted] = stamp
            deliveries.append(Delivery(target, {**event, "id": stamp[0]}, stamp[1]))
        self._last = ids
        return deliveries


def _object(event: Mapping[str, Any]) -> Mapping[str, Any]:
    detail = event.get("detail")
    found = detail.get("object") if isinstance(detail, Mapping) else None
    return found if isinstance(found, Mapping) else {}


VERSIONED_DELETE_NOTE: Final = (
    "moto emits no Object Deleted event for any delete in a versioned bucket (delete marker, "
    "version or marker removed by id); the runner puts the event S3 documents on the default "
    "bus (deletion-type, reason, the version id S3 answered with), so the emulator's rules still "
    "decide where it goes"
)
LIFECYCLE_NOTE: Final = (
    "moto runs no lifecycle rules; the runner performs each expiry as the versioned delete S3 "
    "would make (a delete marker for the current version, a permanent delete of the oldest "
    "noncurrent one) and puts the Object Deleted event with reason Lifecycle Expiration and "
    f"requester {S3_PRINCIPAL}"
)


def deleted_entry(
    *,
    bucket: str,
    key: str,
    version_id: str | None,
    deletion_type: str,
    lifecycle: bool,
    account_id: str,
) -> dict[str, Any]:
    """A PutEvents entry for the `Object Deleted` event S3 sends for one delete.

    Lifecycle deletes name S3 as the requester and carry no source IP (S3's EventBridge docs).
    Its sequencer is the next one S3's events get (`tap.internals.moto.next_sequencer`): put
    while the delete is S3's latest write on the key, it orders after every earlier event of the
    key.
    """
    obj: dict[str, Any] = {"key": key, "sequencer": next_sequencer()}
    if version_id:
        obj["version-id"] = version_id
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": obj,
        "request-id": "tap-local",
        "requester": S3_PRINCIPAL if lifecycle else account_id,
        "reason": "Lifecycle Expiration" if lifecycle else "DeleteObject",
        "deletion-type": deletion_type,
    }
    if not lifecycle:
        detail["source-ip-address"] = "127.0.0.1"
    return {
        "Source": "aws.s3",
        "DetailType": "Object Deleted",
        "Detail": json.dumps(detail),
        "Resources": [bucket_arn(bucket)],
    }
