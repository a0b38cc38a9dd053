"""The drift model: how an item can disagree with S3's current version, and the report."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

from tap.errors import EXIT_FINDINGS, EXIT_OK
from tap_processor.state import ObjectState, Status

EXAMPLES: Final = 10
"""Examples kept of each kind of drift."""


class DriftKind(StrEnum):
    """How the table disagrees with S3's current version of one key."""

    MISSING_ITEM = "missing_item"
    """S3 has a current version; the table has no item."""
    FALSE_TOMBSTONE = "false_tombstone"
    """S3 has a current version; the item says deleted."""
    ORPHAN_ITEM = "orphan_item"
    """S3 has no current version (a delete marker, or nothing); the item says present."""
    STALE_ITEM = "stale_item"
    """Both present, but the version id, size or etag differ."""
    FOREIGN_ITEM = "foreign_item"
    """The item is not one tap wrote: no sequencer tap writes, an unknown status, an id that is
    not its bucket and key, or (reconciling the whole table) a bucket not of this stack."""


def stored_version(version_id: str | None) -> str | None:
    """A version id as items store it: S3's own, `null` included (docs/processor.md); a blank
    one (an inventory that does not say) is none."""
    return version_id or None


def bare_etag(etag: str | None) -> str | None:
    """Without the quotes S3's APIs put around it, as events carry it."""
    return etag.strip('"') if etag else None


def normalised(state: ObjectState) -> ObjectState:
    """The state as the processor stores it: no quotes around the etag, no blank version id.

    S3's `null` version stays `null`: an item without a version id for a present object is
    another form of the same state, and is drift (`stale_item`), so repairs bring a table to
    the one form."""
    return replace(state, version_id=stored_version(state.version_id), etag=bare_etag(state.etag))


def classify(s3: ObjectState, item: ObjectState | None) -> DriftKind | None:
    """The drift between S3's current state of a key and its item (None: the item is absent);
    None when they agree. Deleted in both, or absent from both, agree."""
    present = s3.status is Status.PRESENT
    if item is None:
        return DriftKind.MISSING_ITEM if present else None
    if item.status is Status.DELETED:
        return DriftKind.FALSE_TOMBSTONE if present else None
    if not present:
        return DriftKind.ORPHAN_ITEM
    s3, item = normalised(s3), normalised(item)
    if (s3.version_id, s3.size, s3.etag) != (item.version_id, item.size, item.etag):
        return DriftKind.STALE_ITEM
    return None


@dataclass(frozen=True, slots=True)
class Drift:
    """One key whose item disagrees with S3, as read again just before it was reported."""

    kind: DriftKind
    bucket: str
    key: str
    s3: ObjectState | None
    """None: not read, because the item's bucket is not one of the stack's."""
    item: ObjectState | None
    reason: str | None = None
    """Why a `foreign_item` is not tap's."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys)."""
        return {
            "kind": self.kind.value,
            "bucket": self.bucket,
            "key": self.key,
            "s3": _state_dict(self.s3) if self.s3 else None,
            "item": _state_dict(self.item) if self.item else None,
            "reason": self.reason,
        }


def _state_dict(state: ObjectState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "version_id": state.version_id,
        "size": state.size,
        "etag": state.etag,
    }


@dataclass
class ReconcileReport:
    """What one reconcile found and did."""

    source: str
    """`listing` (ListObjectVersions) or `inventory` (an S3 Inventory report)."""
    repair: bool
    dry_run: bool
    listed_keys: int = 0
    """Keys whose current version or delete marker was listed."""
    scanned_items: int = 0
    """Items of the reconciled buckets (and prefix) the Scan read."""
    candidates: int = 0
    """Keys the join found different, before each was read again."""
    changed_since_listed: int = 0
    """Candidates that agreed when read again: an event (or the report's age) explains them."""
    counts: dict[DriftKind, int] = field(default_factory=lambda: dict.fromkeys(DriftKind, 0))
    examples: dict[DriftKind, list[Drift]] = field(
        default_factory=lambda: {kind: [] for kind in DriftKind}
    )
    repaired: int = 0
    repair_conflicts: int = 0
    """Repairs whose condition failed: the item changed after it was read (an event won)."""
    unrepaired: int = 0
    """Drift still there after the run: not repaired, or still different after a conflict."""
    out_of_stack: int = 0
    """`foreign_item`s of buckets the stack does not have (whole-table runs): reported, never
    written or deleted, with or without `--repair`."""
    notes: list[str] = field(default_factory=list)
    elapsed_seconds: float = 0.0
    """Wall time of the run: listing and Scan, join, re-reads and repairs."""

    @property
    def drifted(self) -> int:
        """Keys found drifted, of every kind."""
        return sum(self.counts.values())

    @property
    def exit_code(self) -> int:
        """0 when nothing drifted or everything was repaired; 1 otherwise."""
        return EXIT_FINDINGS if self.unrepaired else EXIT_OK

    def add(self, drift: Drift) -> None:
        """Count one drifted key, keeping the first few of each kind as examples."""
        self.counts[drift.kind] += 1
        if len(self.examples[drift.kind]) < EXAMPLES:
            self.examples[drift.kind].append(drift)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys)."""
        return {
            "source": self.source,
            "repair": self.repair,
            "dry_run": self.dry_run,
            "listed_keys": self.listed_keys,
            "scanned_items": self.scanned_items,
            "candidates": self.candidates,
            "changed_since_listed": self.changed_since_listed,
            "counts": {kind.value: n for kind, n in self.counts.items()},
            "drifted": self.drifted,
            "examples": {
                kind.value: [d.to_dict() for d in drifts] for kind, drifts in self.examples.items()
            },
            "repaired": self.repaired,
            "repair_conflicts": self.repair_conflicts,
            "unrepaired": self.unrepaired,
            "out_of_stack": self.out_of_stack,
            "notes": self.notes,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }
