"""`tap reconcile`: the items table against S3's current version of every key; `--repair`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tap import interrupts
from tap.cli import options as opt
from tap.cli.output import err, escape, out, user_errors, write_json
from tap_processor.state import ObjectState, Status

if TYPE_CHECKING:
    from tap.ops import OpsProgress
    from tap.ops.reconcile import ReconcileReport


@opt.ops_options
def reconcile(
    stack: opt.StackOption,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Write S3's state over each drifted item, conditioned on the item being "
            "unchanged since it was read: a concurrent event wins.",
        ),
    ] = False,
    inventory: Annotated[
        str | None,
        typer.Option(
            "--inventory",
            metavar="s3://BUCKET/KEY/manifest.json",
            help="Read this S3 Inventory report (CSV or Parquet) instead of listing the bucket. "
            "It is up to 48 h old: each difference is read again before it is reported.",
        ),
    ] = None,
    prefix: Annotated[
        str,
        typer.Option("--prefix", metavar="PREFIX", help="Only keys that start with this prefix."),
    ] = "",
    *,
    ops: opt.OpsOptions,
) -> None:
    """Compare the items table with S3's current versions; exit 1 when drift remains."""
    opt.refuse("--prefix", opt.key_prefix_problem(prefix))
    if inventory is not None:
        opt.refuse("--inventory", opt.utf8_problem(inventory))
    from tap.cli.ops_common import open_stack, progress_stages
    from tap.ops.reconcile import Reconciler

    with user_errors():
        interrupts.set_stage("resolving the stack")
        resources, config, session = open_stack(stack, ops)
        reconciler = Reconciler(
            resources,
            session,
            environment=config.environment,
            prefix=prefix,
            repair=repair,
            dry_run=ops.dry_run,
            inventory=inventory,
        )
        loading = "reading the inventory and scanning" if inventory else "listing and scanning"
        rereading = "re-reading and repairing" if repair and not ops.dry_run else "re-reading"
        with progress_stages(err(), quiet=ops.json_output) as stage:
            interrupts.set_stage(loading)
            report = reconciler.run(
                _loading(stage("reconcile", shown=True), then=rereading),
                stage("re-read"),
            )
    interrupts.set_stage("reporting")
    if ops.json_output:
        write_json(report.to_dict())
    else:
        _print(report, stack)
    raise typer.Exit(report.exit_code)


def _loading(bar: OpsProgress, *, then: str) -> OpsProgress:
    """The `reconcile` bar's callback; its total is known once the listing (or the inventory)
    and the Scan are loaded, which is when candidates start being read again: the stage an
    interrupt names from then on."""

    def update(done: int, total: int | None) -> None:
        if total is not None:
            interrupts.set_stage(then)
        bar(done, total)

    return update


def _print(report: ReconcileReport, stack: str) -> None:
    console = out()
    where = "in the inventory" if report.source == "inventory" else "listed"
    console.print(
        f"{report.listed_keys} keys {where}"
        f", {report.scanned_items} items scanned, {report.candidates} different in the join"
        f" ({report.changed_since_listed} changed since: in sync when read again)"
    )
    for kind, count in report.counts.items():
        console.print(f"{kind.value:<16} {count}")
        for drift in report.examples[kind]:
            said = _shown(drift.item) if drift.item else "no item"
            s3 = _shown(drift.s3) if drift.s3 else "not read"
            why = f" ({drift.reason})" if drift.reason else ""
            console.print(
                f"  {escape(drift.bucket)}/{escape(drift.key)}: S3 {escape(s3)}; "
                f"table {escape(said)}{escape(why)}"
            )
    repairable = report.drifted - report.out_of_stack
    if report.repair and not report.dry_run:
        console.print(
            f"repaired {report.repaired}, {report.repair_conflicts} conflict(s) with concurrent "
            f"events, {report.unrepaired} left"
        )
    elif repairable:
        hint = " (dry run: nothing written)" if report.dry_run else ""
        console.print(f"{repairable} drifted; run with --repair to fix them{hint}")
    elif not report.drifted:
        console.print("in sync")
    if report.out_of_stack:
        console.print(
            f"{report.out_of_stack} item(s) name a bucket stack {escape(stack)} does not "
            "have: --repair never writes or deletes them; delete them by hand if no other "
            "stack writes to this table"
        )
    for note in report.notes:
        console.print(f"note: {escape(note)}")


def _shown(state: ObjectState) -> str:
    """A state in one phrase: status, version, and for a present one its size and ETag."""
    version = state.version_id or "-"
    if state.status is not Status.PRESENT:
        return f"{state.status.value} {version}"
    return f"{state.status.value} {version} size {state.size} etag {state.etag}"
