"""LocalReport: what a local run did and whether the pipeline kept every object."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap.calls import CallSource
from tap.local.access.proof import Grant, JudgedCall
from tap.local.delivery import EventRecord, Outcome
from tap.local.emulator import Credentials, Emulator, aws_scan_command
from tap.local.workload import OpKind

if TYPE_CHECKING:
    from tap.local.deploy import Deployment
    from tap.local.drive import Driven
    from tap.local.verify import Verification


@dataclass(frozen=True, slots=True)
class LocalReport:
    """Counters, the access proof and the emulator adaptations of one run."""

    uploaded: int
    """Distinct objects uploaded."""
    deleted: int
    """Objects of which S3 lists no current version (a delete marker, or nothing) at the end."""
    operations: int
    """S3 requests made: uploads, overwrites and deletes (lifecycle expiries included)."""
    operations_by_kind: dict[str, int]
    """Operations of each kind (`OpKind` values), zero counts included."""
    events_emitted: int
    """Distinct S3 events that reached an observer queue."""
    events_delivered: int
    """Deliveries to a Lambda target, redelivered duplicates included."""
    processed: int
    """Deliveries the handler completed (any outcome: written, duplicate, stale, rejected)."""
    items: int
    """Items in the table, from an independent scan."""
    in_dlq: int
    """Messages in every DLQ, from an independent receive."""
    in_delivery_dlq: int
    in_processor_dlq: int
    duplicate_items: int
    """Extra items for an object that already has one."""
    stale_overwrites: int
    """Objects whose item differs from S3's current version (status, version id, size or ETag)
    and whose fix no DLQ holds (counted in `lost`)."""
    lost: int
    """Objects the table does not record at S3's current version, with no fix in a DLQ."""
    lost_objects: tuple[tuple[str, str], ...]
    requests_per_object: float
    """AWS requests the handler made per uploaded object, injected throttles included."""
    unauthorized_calls: tuple[JudgedCall, ...]
    evaluator_disagreements: tuple[JudgedCall, ...]
    unused_permissions: tuple[Grant, ...]
    runtime_permissions: tuple[Grant, ...]
    """Grants only the Lambda runtime uses (logs, traces): implied by the runtime, not unused."""
    evaluators: tuple[str, ...]
    injected: dict[str, int]
    """Faults injected: throttled writes, duplicates, reordered batches, invoke throttles."""
    adaptations: tuple[str, ...]
    """Where the run departs from AWS because of the emulator, and how."""
    events: tuple[EventRecord, ...]
    table_name: str
    region: str
    account_id: str
    duration_seconds: float
    endpoint: str | None = None
    """Set when the emulator was kept running."""
    scan_command: str | None = None
    """The `aws ... dynamodb scan` command for a kept-running emulator."""
    credentials: Credentials | None = None
    """The access key that reaches the stack's account on a kept-running emulator."""
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """False if anything was lost, duplicated, unauthorized, or the evaluators disagreed."""
        return (
            self.lost == 0
            and self.duplicate_items == 0
            and not self.unauthorized_calls
            and not self.evaluator_disagreements
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, `ok` included."""
        return {
            "ok": self.ok,
            "uploaded": self.uploaded,
            "deleted": self.deleted,
            "operations": self.operations,
            "operations_by_kind": dict(self.operations_by_kind),
            "events_emitted": self.events_emitted,
            "events_delivered": self.events_delivered,
            "processed": self.processed,
            "items": self.items,
            "in_dlq": self.in_dlq,
            "in_delivery_dlq": self.in_delivery_dlq,
            "in_processor_dlq": self.in_processor_dlq,
            "duplicate_items": self.duplicate_items,
            "stale_overwrites": self.stale_overwrites,
            "lost": self.lost,
            "lost_objects": [list(ref) for ref in self.lost_objects],
            "requests_per_object": self.requests_per_object,
            "unauthorized_calls": [c.to_dict() for c in self.unauthorized_calls],
            "evaluator_disagreements": [c.to_dict() for c in self.evaluator_disagreements],
            "unused_permissions": [g.to_dict() for g in self.unused_permissions],
            "runtime_permissions": [g.to_dict() for g in self.runtime_permissions],
            "evaluators": list(self.evaluators),
            "injected": dict(self.injected),
            "outcomes": dict(self.outcomes),
            "adaptations": list(self.adaptations),
            "events": [e.to_dict() for e in self.events],
            "table_name": self.table_name,
            "region": self.region,
            "account_id": self.account_id,
            "duration_seconds": self.duration_seconds,
            "endpoint": self.endpoint,
            "scan_command": self.scan_command,
        }


def build_report(
    *,
    emulator: Emulator,
    deployment: Deployment,
    driven: Driven,
    verification: Verification,
    adaptations: Iterable[str],
    keep_running: bool,
    duration_seconds: float,
) -> LocalReport:
    """The report of one run, from its three stages."""
    states, accounting, proof = verification.states, verification.accounting, verification.proof
    records = driven.records
    return LocalReport(
        uploaded=len(states),
        deleted=sum(1 for s in states.values() if s.status == "deleted"),
        operations=len(driven.operations),
        operations_by_kind=_operations_by_kind(driven),
        events_emitted=driven.events_emitted,
        events_delivered=sum(1 for r in records if r.handler_attempts > 0),
        processed=sum(1 for r in records if r.outcome is Outcome.PROCESSED),
        items=accounting.items,
        in_dlq=len(accounting.dead_letters),
        in_delivery_dlq=verification.in_delivery_dlq,
        in_processor_dlq=verification.in_processor_dlq,
        duplicate_items=accounting.duplicate_items,
        stale_overwrites=accounting.stale_overwrites,
        lost=len(accounting.lost),
        lost_objects=accounting.lost,
        requests_per_object=_requests_per_object(driven, len(states)),
        unauthorized_calls=proof.unauthorized,
        evaluator_disagreements=proof.disagreements,
        unused_permissions=proof.unused,
        runtime_permissions=proof.runtime_implied,
        evaluators=proof.evaluators,
        injected=dict(driven.injected),
        adaptations=tuple(dict.fromkeys(adaptations)),
        events=records,
        table_name=deployment.table_name,
        region=emulator.region,
        account_id=emulator.account_id,
        duration_seconds=duration_seconds,
        outcomes=outcomes(records),
        **(_kept(emulator, deployment.table_name) if keep_running else {}),
    )


def _operations_by_kind(driven: Driven) -> dict[str, int]:
    """Operations of each kind, every kind named."""
    counts = Counter(op.kind for op in driven.operations)
    return {kind.value: counts[kind] for kind in OpKind}


def _requests_per_object(driven: Driven, objects: int) -> float:
    """AWS requests the handler made per object, injected throttles included."""
    requests = sum(1 for c in driven.handler_calls if c.source == CallSource.HANDLER)
    return round(requests / max(objects, 1), 3)


def outcomes(records: Iterable[EventRecord]) -> dict[str, int]:
    """Deliveries by outcome, and completed ones by the handler's own outcome (`handler:...`)."""
    records = list(records)
    counts = Counter(r.outcome.value for r in records)
    counts.update(
        f"handler:{r.result.get('outcome')}"
        for r in records
        if r.outcome is Outcome.PROCESSED and isinstance(r.result, dict)
    )
    return dict(counts)


def _kept(emulator: Emulator, table_name: str) -> dict[str, Any]:
    """What reaches a kept-running emulator: its endpoint, a scan command and the key."""
    endpoint = emulator.endpoint
    if endpoint is None:
        return {}
    return {
        "endpoint": endpoint,
        "scan_command": aws_scan_command(
            endpoint=endpoint,
            table_name=table_name,
            region=emulator.region,
            credentials=emulator.credentials,
        ),
        "credentials": emulator.credentials,
    }
