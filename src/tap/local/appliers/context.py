"""What appliers share: the emulator, the translation so far, and what has been applied."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tap.local.emulator import Emulator
from tap.local.graph import GraphResource, Translation
from tap.ops.inbox import LOCAL_QUEUE_PREFIX

OBSERVER_PREFIX = LOCAL_QUEUE_PREFIX
"""Local-only SQS queues that stand in for Lambda targets (the invoke inbox shares the prefix)."""


@dataclass(frozen=True, slots=True)
class Applied:
    """One resource as applied: its translated inputs and the emulator's outputs."""

    resource: GraphResource
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ObserverTarget:
    """A Lambda target rerouted to a local observer queue, with the target's real settings."""

    rule_name: str
    rule_arn: str
    target_id: str
    target_arn: str
    """The Lambda ARN (usually an alias) the graph's target names, translated."""
    queue_url: str
    queue_arn: str
    retry_policy: Mapping[str, Any]
    dead_letter_arn: str | None


@dataclass
class ApplyContext:
    """Mutable state of one graph application."""

    emulator: Emulator
    artifact: bytes
    """The processor zip, uploaded as every Lambda function's code."""
    translation: Translation = field(default_factory=Translation)
    applied: dict[str, Applied] = field(default_factory=dict)
    observers: list[ObserverTarget] = field(default_factory=list)
    adaptations: list[str] = field(default_factory=list)
    default_tags: dict[str, str] = field(default_factory=dict)
    """The provider's default tags, which the bridged provider sends with every create."""

    def client(self, service: str, inputs: Mapping[str, Any] | None = None) -> Any:
        """A client in the resource's own region (`region` input) or the stack's."""
        region = inputs.get("region") if inputs else None
        return self.emulator.client(service, region if isinstance(region, str) else None)

    def adapt(self, note: str) -> None:
        """Record an emulator adaptation once."""
        if note not in self.adaptations:
            self.adaptations.append(note)

    def applied_of_type(self, type_token: str) -> list[Applied]:
        """Every applied resource of one type, in application order."""
        return [a for a in self.applied.values() if a.resource.type == type_token]


Applier = Callable[[ApplyContext, GraphResource, Mapping[str, Any]], Mapping[str, Any]]
"""Creates one resource in the emulator from translated inputs; returns its real outputs."""
