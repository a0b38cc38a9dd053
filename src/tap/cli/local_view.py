"""How `tap local` shows a run to people: a progress bar while it runs, a summary after."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from tap.local import LocalReport, ProgressCallback


@contextmanager
def progress_bar(console: Console) -> Iterator[ProgressCallback]:
    """A rich progress bar with one task per stage, fed by `run_local`'s callback."""
    with Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def update(done: int, total: int, stage: str) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


def _counter_table(report: LocalReport) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column(style="dim")
    bad = "[red]{}[/red]"
    rows: list[tuple[str, str, str]] = [
        ("uploaded", str(report.uploaded), "distinct objects put into the data bucket"),
        ("deleted", str(report.deleted), "objects S3 lists no current version of"),
        ("events_delivered", str(report.events_delivered), "deliveries to the processor"),
        ("processed", str(report.processed), "handler invocations that completed"),
        ("items", str(report.items), "items in the table (independent scan)"),
        (
            "in_dlq",
            str(report.in_dlq),
            f"delivery DLQ {report.in_delivery_dlq}, processor DLQ {report.in_processor_dlq}",
        ),
        ("duplicate_items", str(report.duplicate_items), "extra items for one object"),
        ("stale_overwrites", str(report.stale_overwrites), "items that differ from S3's listing"),
        ("lost", str(report.lost), "not at S3's current version in the table, nor in a DLQ"),
        ("requests_per_object", f"{report.requests_per_object:.2f}", "handler AWS requests"),
        ("unauthorized_calls", str(len(report.unauthorized_calls)), "denied by the role policy"),
        (
            "unused_permissions",
            str(len(report.unused_permissions)),
            "granted, not exercised by this run",
        ),
    ]
    must_be_zero = {"duplicate_items", "stale_overwrites", "lost", "unauthorized_calls"}
    for name, value, note in rows:
        shown = bad.format(value) if name in must_be_zero and value != "0" else value
        table.add_row(name, shown, note)
    return table


def summary(report: LocalReport, stack: str) -> Panel:
    """The end-of-run summary panel."""
    parts: list[RenderableType] = [_counter_table(report)]
    performed = ", ".join(f"{k} {v}" for k, v in report.operations_by_kind.items())
    parts.append(f"\n[bold]operations[/bold]: {performed}")
    if report.injected:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(report.injected.items()))
        parts.append(f"\n[bold]faults injected[/bold]: {faults}")
    for call in report.unauthorized_calls:
        parts.append(
            f"[red]✗ denied[/red] {call.call.action} on {call.call.resource} "
            f"({call.count}x, {call.call.source.value})"
        )
    for call in report.evaluator_disagreements:
        parts.append(f"[red]✗ evaluators disagree[/red] on {call.call.action}: {call.decisions}")
    for grant in report.unused_permissions:
        kind = "declared need" if grant.declared_need else "[yellow]not a declared need[/yellow]"
        parts.append(f"[dim]unused grant[/dim] {grant.action} on {grant.resource} ({kind})")
    for obj in report.lost_objects[:10]:
        parts.append(f"[red]✗ lost[/red] s3://{obj[0]}/{obj[1]}")
    parts.append("\n[bold]emulator adaptations[/bold] (local only, never deployed):")
    parts.extend(f"  • {line}" for line in report.adaptations)
    verdict = "[green]✓ nothing lost, duplicated or unauthorized[/green]"
    if not report.ok:
        verdict = "[red]✗ the run found lost, duplicated or unauthorized work[/red]"
    parts.append(
        f"\n{verdict}  ({report.duration_seconds:.1f}s, evaluators: {', '.join(report.evaluators)})"
    )
    return Panel(Group(*parts), title=f"tap local: {stack}", expand=False)
