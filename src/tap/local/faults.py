"""Injected faults: throttled table writes, redelivered duplicates, reordered batches."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

from botocore.awsrequest import AWSResponse, HTTPHeaders

THROTTLE_CODE: Final = "ProvisionedThroughputExceededException"
T = TypeVar("T")


def _rng(seed: int, purpose: str) -> random.Random:
    """One generator per fault kind, so turning one fault on does not shift another's choices."""
    return random.Random(f"{seed}:{purpose}")


class FaultInjector:
    """Seeded decisions for every fault of one run, with counts of what was injected."""

    def __init__(
        self,
        *,
        seed: int,
        fail_rate: float = 0.0,
        duplicate_rate: float = 0.0,
        reorder: bool = False,
        invoke_throttle_rate: float = 0.0,
    ) -> None:
        self.fail_rate = fail_rate
        self.duplicate_rate = duplicate_rate
        self.reorder = reorder
        self.invoke_throttle_rate = invoke_throttle_rate
        self._throttle = _rng(seed, "throttle")
        self._duplicate = _rng(seed, "duplicate")
        self._order = _rng(seed, "order")
        self._invoke = _rng(seed, "invoke")
        self.throttles: Counter[tuple[str, str]] = Counter()
        """Throttled PutItem calls, per (item id, sequencer): one event's writes."""
        self.duplicates = 0
        self.reordered_batches = 0
        self.invoke_throttles = 0

    def throttle_hook(self, model: Any, params: Mapping[str, Any], **_: Any) -> Any:
        """botocore `before-call` hook: answer a PutItem with a throttling error, sometimes.

        Returning a response skips the HTTP request and the SDK's retries: this is a throttle
        that got through the SDK, which is what the handler must survive.
        """
        if model.name != "PutItem" or self.fail_rate <= 0.0:
            return None
        if self._throttle.random() >= self.fail_rate:
            return None
        item = _api_params(params).get("Item") or {}
        key = (_string(item.get("id")), _string(item.get("sequencer")))
        self.throttles[key] += 1
        response = AWSResponse("http://127.0.0.1/", 400, HTTPHeaders(), None)
        parsed = {
            "Error": {"Code": THROTTLE_CODE, "Message": "Injected by tap local: write throttled"},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "tap-local-fault"},
        }
        return response, parsed

    def with_duplicates(self, deliveries: Sequence[T]) -> list[T]:
        """Each delivery, plus a redelivered copy right after it at `duplicate_rate`."""
        out: list[T] = []
        for delivery in deliveries:
            out.append(delivery)
            if self.duplicate_rate > 0.0 and self._duplicate.random() < self.duplicate_rate:
                out.append(delivery)
                self.duplicates += 1
        return out

    def ordered(self, batch: Sequence[T]) -> list[T]:
        """The batch shuffled when reordering is on; otherwise unchanged."""
        items = list(batch)
        if self.reorder and len(items) > 1:
            self._order.shuffle(items)
            self.reordered_batches += 1
        return items

    def invoke_throttled(self) -> bool:
        """Whether Lambda throttles this EventBridge invoke attempt."""
        if self.invoke_throttle_rate <= 0.0:
            return False
        throttled = self._invoke.random() < self.invoke_throttle_rate
        self.invoke_throttles += throttled
        return throttled


def _api_params(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """`before-call` gets the serialized request; its JSON body holds the API parameters."""
    body = params.get("body")
    if isinstance(body, bytes | str) and body:
        import json

        try:
            decoded = json.loads(body)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return params


def _string(attribute: Any) -> str:
    if isinstance(attribute, Mapping) and isinstance(attribute.get("S"), str):
        return str(attribute["S"])
    return ""
