"""One reconcile: load the listing (or an inventory) and the Scan into the join, then settle
every candidate it finds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from tap import interrupts
from tap.errors import TapError
from tap.ops import OpsProgress
from tap.ops.reconcile.drift import ReconcileReport
from tap.ops.reconcile.inventory import inventory_pages
from tap.ops.reconcile.join import Join, Row, RowCounter
from tap.ops.reconcile.listing import listing_pages
from tap.ops.reconcile.manifest import (
    InventoryError,
    InventoryManifest,
    parse_manifest,
    s3_location,
)
from tap.ops.reconcile.repair import (
    OUT_OF_STACK,
    REREAD_WORKERS,
    Repairer,
    RepairHook,
    Tally,
)
from tap.ops.reconcile.scan import SCAN_SEGMENTS, item_row, scan_pages
from tap.ops.session import error_text
from tap_processor.errors import ProcessorError
from tap_processor.versions import VersionReader

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from tap.ops.session import OpsSession
    from tap.ops.stack import StackResources

INVENTORY_AGE_NOTE: Final = (
    "an S3 Inventory report is up to 48 hours old: every difference it shows is read again from "
    "S3 and the table before it is reported, and keys created since the report are not seen"
)


class ReconcileError(TapError):
    """An AWS call failed part-way: what was found so far is not a result."""

    prefix = "reconcile failed"


def _silent(_done: int, _total: int | None) -> None:
    """A progress callback that shows nothing."""


@dataclass
class Reconciler:
    """Reconciles one stack's table with its buckets."""

    resources: StackResources
    session: OpsSession
    environment: str
    """What the processor records as `environment` on each item (`tap:environment`)."""
    prefix: str = ""
    repair: bool = False
    dry_run: bool = False
    inventory: str | None = None
    """`s3://bucket/key/manifest.json` of an S3 Inventory report to read instead of listing."""
    segments: int = SCAN_SEGMENTS
    reread_workers: int = REREAD_WORKERS
    before_repair: RepairHook | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def run(
        self, progress: OpsProgress | None = None, rereading: OpsProgress | None = None
    ) -> ReconcileReport:
        """Load, join, read every candidate again, and repair what still differs.

        `progress` counts the rows loaded (listing and Scan); `rereading` the candidates read
        again, and is called only when there is one (a drift after an outage can be most of the
        bucket, at two or three requests each).
        """
        report = ReconcileReport(
            source="inventory" if self.inventory else "listing",
            repair=self.repair,
            dry_run=self.dry_run,
        )
        counter = RowCounter(progress or _silent)
        tally = Tally(counter, source=report.source, repairing=self.repair and not self.dry_run)
        began = time.perf_counter()
        # The join's file is removed however the run ends: success, error, Ctrl-C or SIGTERM.
        with interrupts.scratch_directory("tap-reconcile-") as workdir:
            join = Join(workdir / "join.sqlite")
            token = interrupts.on_interrupt(tally.interrupted)  # before the directory's removal
            try:
                self._load(join, workdir, counter)
                report.listed_keys, report.scanned_items = join.sizes()
                if progress:
                    progress(counter.done, counter.done)
                tally.settling = True
                self._repairer().settle_all(
                    join, report, rereading or _silent, tally, self.reread_workers
                )
            except (BotoCoreError, ClientError, ResponseParserError, ProcessorError) as error:
                raise ReconcileError(error_text(error)) from error
            finally:
                join.close()
                interrupts.forget(token)
        if self.inventory:
            report.notes.append(INVENTORY_AGE_NOTE)
        report.elapsed_seconds = time.perf_counter() - began
        return report

    def _repairer(self) -> Repairer:
        return Repairer(
            resources=self.resources,
            dynamodb=self.session.client("dynamodb"),
            versions=VersionReader(client=self.session.client("s3")),
            environment=self.environment,
            repair=self.repair and not self.dry_run,
            before_repair=self.before_repair,
            clock=self.clock,
        )

    def _sources(self, workdir: Path) -> tuple[tuple[str, ...], list[Iterable[list[Row]]]]:
        """The buckets reconciled, and the pages of S3's side for each."""
        s3 = self.session.client("s3")
        if self.inventory:
            manifest = self._manifest(s3)
            return (manifest.source_bucket,), [inventory_pages(s3, manifest, workdir, self.prefix)]
        buckets = self.resources.buckets
        return buckets, [listing_pages(s3, b, self.prefix) for b in buckets]

    def _in_range(self, wanted: frozenset[str]) -> Callable[[Row], Row | None]:
        """A row if reconciled: its bucket's and prefix's, or any other stack's bucket when
        the whole table is (tap writes no such item)."""
        stack_buckets = frozenset(self.resources.buckets)
        whole_table = not self.prefix and not self.inventory
        out_of_stack = f"{OUT_OF_STACK} {self.resources.stack}'s"

        def in_range(row: Row) -> Row | None:
            if row[1] in wanted:
                return row if row[2].startswith(self.prefix) else None
            if whole_table and row[1] not in stack_buckets:
                return (*row[:-1], out_of_stack)
            return None

        return in_range

    def _load(self, join: Join, workdir: Path, counter: RowCounter) -> None:
        """S3's side and the Scan's segments, loaded into the join at once."""
        buckets, sources = self._sources(workdir)
        dynamodb = self.session.client("dynamodb")
        in_range = self._in_range(frozenset(buckets))

        def load_listed(pages: Iterable[list[Row]]) -> None:
            for rows in pages:
                join.add_listed(rows)
                counter.add(len(rows))

        def load_items(segment: int) -> None:
            for items in scan_pages(dynamodb, self.resources.table, segment, self.segments):
                rows = [r for r in map(in_range, map(item_row, items)) if r is not None]
                join.add_items(rows)
                counter.add(len(rows))

        with ThreadPoolExecutor(max_workers=self.segments + len(sources)) as pool:
            futures = [pool.submit(load_listed, pages) for pages in sources]
            futures += [pool.submit(load_items, s) for s in range(self.segments)]
            for future in futures:
                future.result()

    def _manifest(self, s3: S3Client) -> InventoryManifest:
        assert self.inventory is not None
        bucket, key = s3_location(self.inventory)
        try:
            document = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise InventoryError(f"GetObject on {self.inventory} failed with {code}") from error
        manifest = parse_manifest(document, where=self.inventory)
        if manifest.source_bucket not in self.resources.buckets:
            raise InventoryError(
                f"{self.inventory} inventories {manifest.source_bucket}, which is not a bucket "
                f"of stack {self.resources.stack} ({', '.join(self.resources.buckets)})"
            )
        return manifest
