"""The observer boundary: events S3 emitted through EventBridge, stamped as real S3 would.

moto gives every S3 event the same `id` and `sequencer`. Real S3 gives each event a unique id and
a sequencer that increases per key. Each emitted event gets both here, in emission order, before
anything downstream sees it; the report lists this as an emulator adaptation.
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
from tap.local.appliers.context import ObserverTarget
from tap.local.emulator import QueueTaker

STAMP_NOTE: Final = (
    "each S3 event gets a fresh id and a per-key increasing sequencer at the observer "
    "boundary, in emission order: moto gives every S3 event the same constant id and sequencer"
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
    """Position of the S3 operation that emitted the event."""

    @property
    def object_ref(self) -> tuple[str, str]:
        """(bucket, key) the event is about."""
        detail = self.event.get("detail") or {}
        return (
            str((detail.get("bucket") or {}).get("name", "")),
            str((detail.get("object") or {}).get("key", "")),
        )


class Observer:
    """Drains the observer queues after each S3 operation and stamps what it finds."""

    def __init__(self, take: QueueTaker, targets: list[ObserverTarget], *, seed: int) -> None:
        self._take = take
        self._targets = targets
        self._ids = random.Random(f"{seed}:event-ids")
        self._emissions = 0
        self.emitted = 0
        """Distinct S3 events seen (one per operation that matched any rule)."""

    def drain(self, enabled: Mapping[str, bool]) -> list[Delivery]:
        """Every event waiting in the observer queues; one stamp per distinct S3 event."""
        found = [
            (target, json.loads(body))
            for target in self._targets
            for body in self._take(target.queue_url)
        ]
        stamps: dict[str, tuple[str, str]] = {}
        deliveries: list[Delivery] = []
        for target, event in found:
            if not enabled.get(target.rule_name, True):
                continue
            identity = json.dumps(
                [event.get("detail-type"), event.get("detail", {}).get("object", {}).get("key")]
            )
            if identity not in stamps:
                self._emissions += 1
                self.emitted += 1
                event_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
                stamps[identity] = (event_id, f"{self._emissions:016X}")
            event_id, sequencer = stamps[identity]
            stamped = dict(event)
            stamped["id"] = event_id
            detail = dict(stamped.get("detail") or {})
            detail["object"] = {**(detail.get("object") or {}), "sequencer": sequencer}
            stamped["detail"] = detail
            deliveries.append(Delivery(target, stamped, self._emissions))
        return deliveries


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
    """
    obj: dict[str, Any] = {"key": key, "sequencer": "0"}
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
