"""`tap reconcile`: compare the items table with S3's current version of every key, and repair.

The bucket's listing (or an S3 Inventory report) and the table's Scan are streamed into an
on-disk sqlite join, so memory stays bounded whatever the bucket's size. Every difference the
join finds is a candidate only: the listing and the Scan are not one snapshot, and an inventory
is up to 48 hours old. Each candidate is read again, the item first (GetItem, consistent) and
then S3's current version (`VersionReader.read`), so S3's answer is at least as new as the
item's; only a difference that is still there is reported as drift. A repair writes S3's state
with the processor's own item (`store.to_item`), conditioned on the item being exactly what was
read (`ItemStore.replace_exact`), with the read's `read_at`: a concurrent event wins, and no
event from before the read can overwrite the repair (the read fence, docs/processor.md). The
table key is the identity: every item in the reconciled range is judged, and one that is not
tap's shape (no sequencer tap writes, an id that is not its bucket and key) is drift of its own
kind, `foreign_item`.

The package, one module per concern: `drift` (the kinds of drift and the report), `join` (the
on-disk sqlite join), `listing` (ListObjectVersions), `manifest` and `inventory` (an S3
Inventory report, CSV or Parquet), `scan` (the table's parallel Scan), `repair` (reading
candidates again and repairing, on threads) and `run` (`Reconciler`, which puts them together).
"""

from tap.ops.reconcile.drift import (
    EXAMPLES,
    Drift,
    DriftKind,
    ReconcileReport,
    classify,
    normalised,
)
from tap.ops.reconcile.inventory import inventory_pages
from tap.ops.reconcile.join import Candidate, Join, Row
from tap.ops.reconcile.listing import listed_row, listing_pages
from tap.ops.reconcile.manifest import InventoryError, InventoryManifest, parse_manifest
from tap.ops.reconcile.repair import INTERRUPT_GRACE, REREAD_WORKERS, RepairHook
from tap.ops.reconcile.run import INVENTORY_AGE_NOTE, ReconcileError, Reconciler
from tap.ops.reconcile.scan import SCAN_SEGMENTS, item_row

__all__ = [
    "EXAMPLES",
    "INTERRUPT_GRACE",
    "INVENTORY_AGE_NOTE",
    "REREAD_WORKERS",
    "SCAN_SEGMENTS",
    "Candidate",
    "Drift",
    "DriftKind",
    "InventoryError",
    "InventoryManifest",
    "Join",
    "ReconcileError",
    "ReconcileReport",
    "Reconciler",
    "RepairHook",
    "Row",
    "classify",
    "inventory_pages",
    "item_row",
    "listed_row",
    "listing_pages",
    "normalised",
    "parse_manifest",
]
