"""Reading each candidate again, and repairing what still differs, on a pool of threads.

A candidate is read again item first (GetItem, consistent), then S3's current version
(`VersionReader.read`), so S3's answer is at least as new as the item's; only a difference
that is still there is drift. A repair writes S3's state with the processor's own item,
conditioned on the item being exactly what was read (`ItemStore.replace_exact`), with the read's
`read_at`: a concurrent event wins, and no event from before the read can overwrite the repair.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, Final

from tap.ops import OpsProgress
from tap.ops.reconcile.drift import Drift, DriftKind, ReconcileReport, classify, normalised
from tap.ops.reconcile.join import Candidate, Join, RowCounter
from tap_processor.backfill import FLOOR_SEQUENCER, listing_event
from tap_processor.event import object_id
from tap_processor.sequencer import is_normalised
from tap_processor.store import ItemStore, foreign_reason, iso_utc, state_of_item, stored_sequencer
from tap_processor.versions import CurrentVersion, VersionReader

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

    from tap.ops.stack import StackResources

REREAD_WORKERS: Final = 8
"""Candidates read again (and repaired) at once: each is two or three round trips."""
REREAD_BATCH: Final = 256
"""Candidates handed to the workers together; their outcomes are counted in join order."""
INTERRUPT_GRACE: Final = 10.0
"""Seconds an interrupt waits for the candidates being read again (and repaired) when it came,
so that its line counts every repair written."""
OUT_OF_STACK: Final = "its bucket is not one of stack"
"""A `foreign_item`'s reason when its id names a bucket the stack does not have."""

RepairHook = Callable[[Drift], None]
"""Called between a drifted item's read and its repair write (tests force interleavings)."""


@dataclass(frozen=True, slots=True)
class Settled:
    """What reading one candidate again found, and what its repair did."""

    drift: Drift | None
    """None: the key changed since it was listed, and is in sync now."""
    repaired: bool = False
    conflict: bool = False
    """The repair lost to an event that wrote the item after it was read."""
    unrepaired: bool = False
    out_of_stack: bool = False
    """The item names a bucket the stack does not have: `--repair` never touches it."""

    def count(self, report: ReconcileReport) -> None:
        """Add this outcome to the report."""
        if self.drift is None:
            report.changed_since_listed += 1
            return
        report.add(self.drift)
        report.repaired += self.repaired
        report.repair_conflicts += self.conflict
        report.unrepaired += self.unrepaired
        report.out_of_stack += self.out_of_stack


class Tally:
    """What a run has done so far, for the line an interrupt prints: the rows loaded, then each
    candidate as soon as a worker settled it (the report counts them later, in join order)."""

    def __init__(self, loaded: RowCounter, *, source: str, repairing: bool) -> None:
        self._loaded = loaded
        self._source = source
        self._repairing = repairing
        self._changed = threading.Condition()
        self.settling = False
        """The rows are loaded; candidates are being read again."""
        self._stopped = False
        self._busy = 0
        self._settled = 0
        self._drifted = 0
        self._repaired = 0
        self._conflicts = 0

    def settle(self, work: Callable[[], Settled]) -> Settled:
        """Do one candidate's `work` and count its outcome. Once the run is interrupted, a
        candidate is not read at all (the process ends; what this returns is never counted)."""
        with self._changed:
            if self._stopped:
                return Settled(None)
            self._busy += 1
        outcome: Settled | None = None
        try:
            outcome = work()
            return outcome
        finally:
            with self._changed:
                self._busy -= 1
                if outcome is not None:
                    self._settled += 1
                    self._drifted += outcome.drift is not None
                    self._repaired += outcome.repaired
                    self._conflicts += outcome.conflict
                self._changed.notify_all()

    def interrupted(self, grace: float = INTERRUPT_GRACE) -> str:
        """Read no further candidate, wait (up to `grace` s) for those being read or repaired,
        and say what the run did: its interrupt cleanup."""
        with self._changed:
            self._stopped = True
            finished = self._changed.wait_for(lambda: self._busy == 0, grace)
            if not self.settling:
                loaded = self._loaded.done
                return f"{loaded:,} rows of the {self._source} and the Scan loaded, nothing written"
            done = [f"{self._settled:,} candidates read again", f"{self._drifted:,} drifted"]
            if self._repairing:
                done += [
                    f"{self._repaired:,} repaired",
                    f"{self._conflicts:,} conflict(s) with concurrent events",
                ]
            else:
                done.append("nothing written")
            if not finished:
                done.append(f"{self._busy} still being read or repaired after {grace:.0f} s")
            return ", ".join(done)


@dataclass
class Repairer:
    """Reads candidates again and, when `repair`, writes S3's state over what still differs."""

    resources: StackResources
    dynamodb: DynamoDBClient
    versions: VersionReader
    environment: str
    repair: bool
    before_repair: RepairHook | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self._store = ItemStore(client=self.dynamodb, table_name=self.resources.table)

    def settle_all(
        self,
        join: Join,
        report: ReconcileReport,
        rereading: OpsProgress,
        tally: Tally | None = None,
        workers: int = REREAD_WORKERS,
    ) -> None:
        """Read each candidate again; report what still differs; repair it when asked.

        Candidates go to `workers` threads a batch at a time (each key is read and repaired on
        its own, with a write conditioned on what was read); outcomes are counted in join
        order, so the report does not depend on which thread finished first; `tally` counts
        each as soon as it is settled, for an interrupt.
        """

        def settle(candidate: Candidate) -> Settled:
            if tally is None:
                return self.settle(candidate)
            return tally.settle(lambda: self.settle(candidate))

        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        candidates = join.candidates()
        try:
            while batch := list(islice(candidates, REREAD_BATCH)):
                for settled in pool.map(settle, batch):
                    report.candidates += 1
                    settled.count(report)
                    rereading(report.candidates, None)
        finally:  # an error or Ctrl-C: the queued candidates are not read
            pool.shutdown(wait=True, cancel_futures=True)
        if report.candidates:
            rereading(report.candidates, report.candidates)

    def settle(self, candidate: Candidate) -> Settled:
        """Read one candidate again; repair it when asked and it still differs."""
        if candidate.bucket not in self.resources.buckets:
            return self._settle_out_of_stack(candidate)
        found, current = self._read(candidate)
        item = state_of_item(found) if found else None
        reason = foreign_reason(found) if found else None
        kind = DriftKind.FOREIGN_ITEM if reason else classify(current.state, item)
        if kind is None:
            return Settled(None)
        drift = Drift(kind, candidate.bucket, candidate.key, current.state, item, reason)
        if not self.repair:
            return Settled(drift, unrepaired=True)
        if self.before_repair is not None:
            self.before_repair(drift)
        if self._write(candidate, current, found):
            return Settled(drift, repaired=True)
        # An event wrote the item after it was read: it won. Look once more, never retry.
        again, current_again = self._read(candidate)
        still = (again is not None and foreign_reason(again) is not None) or classify(
            current_again.state, state_of_item(again) if again else None
        ) is not None
        return Settled(drift, conflict=True, unrepaired=still)

    def _write(
        self, candidate: Candidate, current: CurrentVersion, found: Mapping[str, Any] | None
    ) -> bool:
        """S3's state over the item, if the item is still exactly `found`; False if it changed."""
        state = normalised(current.state)
        now = iso_utc(self.clock())
        began = (
            candidate.last_modified
            if candidate.last_modified and state.version_id == candidate.listed_version_id
            else now
        )
        # The item keeps the sequencer it had, if tap wrote it: events up to it stay stale.
        sequencer = stored_sequencer(found) if found else None
        event = replace(
            listing_event(candidate.bucket, candidate.key, state, event_time=began),
            sequencer=sequencer if is_normalised(sequencer) and sequencer else FLOOR_SEQUENCER,
        )
        return self._store.replace_exact(
            event,
            state,
            expected=found,
            environment=self.environment,
            updated_at=now,
            read_at=current.read_at,
        )

    def _settle_out_of_stack(self, candidate: Candidate) -> Settled:
        """An item of a bucket that is not the stack's: reported, never written or deleted."""
        found = self._get_item(candidate)
        if found is None:
            return Settled(None)
        reason = f"{OUT_OF_STACK} {self.resources.stack}'s"
        drift = Drift(
            DriftKind.FOREIGN_ITEM,
            candidate.bucket,
            candidate.key,
            None,
            state_of_item(found),
            reason,
        )
        return Settled(drift, unrepaired=True, out_of_stack=True)

    def _get_item(self, candidate: Candidate) -> Mapping[str, Any] | None:
        found = self.dynamodb.get_item(
            TableName=self.resources.table,
            Key={"id": {"S": object_id(candidate.bucket, candidate.key)}},
            ConsistentRead=True,
        ).get("Item")
        return found if isinstance(found, Mapping) else None

    def _read(self, candidate: Candidate) -> tuple[Mapping[str, Any] | None, CurrentVersion]:
        """The item (consistent read) and then S3's current state: S3's answer is the newer."""
        found = self._get_item(candidate)
        return found, self.versions.read(candidate.bucket, candidate.key)
