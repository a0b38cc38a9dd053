"""`tap redrive`: re-submit a dead-letter queue's events to the processor's live alias."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from tap import interrupts
from tap.cli import options as opt
from tap.cli.output import err, escape, out, user_errors, write_json
from tap.errors import EXIT_FINDINGS, EXIT_OK

if TYPE_CHECKING:
    from rich.console import Console

    from tap.ops.redrive import RedriveReport


class DeadLetterQueue(StrEnum):
    """The stack's two dead-letter queues."""

    DELIVERY = "delivery"
    PROCESSOR = "processor"


@opt.ops_options
def redrive(
    queue: Annotated[
        DeadLetterQueue,
        typer.Option(
            "--queue",
            help="delivery: events EventBridge could not deliver; processor: Lambda's on-failure "
            "records and the handler's rejections.",
        ),
    ],
    stack: opt.StackOption,
    max_messages: Annotated[
        int | None,
        typer.Option("--max", metavar="N", min=1, help="Take at most this many messages."),
    ] = None,
    include_rejected: Annotated[
        bool,
        typer.Option(
            "--include-rejected",
            help="Re-submit the handler's rejections too (by default they stay, reported).",
        ),
    ] = False,
    *,
    ops: opt.OpsOptions,
) -> None:
    """Re-submit each dead-lettered event to the live alias (async invoke); delete it once
    accepted. Exit 1 when an invoke failed."""
    from tap.cli.ops_common import open_stack, progress
    from tap.ops.redrive import redrive as run_redrive

    with user_errors():
        interrupts.set_stage("resolving the stack")
        resources, _config, session = open_stack(stack, ops)
        interrupts.set_stage(f"redriving the {queue.value} DLQ")
        with progress(err(), f"redrive {queue.value}", quiet=ops.json_output) as on_progress:
            report = run_redrive(
                session,
                resources,
                queue.value,
                max_messages=max_messages,
                include_rejected=include_rejected,
                dry_run=ops.dry_run,
                on_progress=on_progress,
            )
    interrupts.set_stage("reporting")
    if ops.json_output:
        write_json(report.to_dict())
    else:
        _summary(out(), report)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)


def _summary(console: Console, report: RedriveReport) -> None:
    """The report for people: where events went, the counts, reasons and failures."""
    verb = "would re-submit" if report.dry_run else "re-submitted"
    console.print(f"{verb} through {escape(report.via)}")
    taken = report.would_resubmit if report.dry_run else report.resubmitted
    counts = [
        f"received {report.received}",
        f"{verb} {taken}",
        f"skipped rejected {report.skipped_rejected}",
        *([f"unrecognised {report.unrecognised}"] if report.unrecognised else []),
        *([f"back again during the run {report.returned}"] if report.returned else []),
        f"failed {report.failed}",
    ]
    console.print(f"{report.queue} DLQ: {', '.join(counts)}; remaining {report.remaining}")
    if report.dry_run:
        console.print("dry run: nothing invoked or deleted; every message is visible again")
    for cause, count in sorted(report.causes.items()):
        console.print(f"  dead-lettered for {escape(cause)}: {count}")
    for reason, count in sorted(report.rejected_reasons.items()):
        console.print(f"  rejected, {escape(reason)}: {count}")
        for example in report.rejected_examples.get(reason, []):
            console.print(f"    {escape(str(example.get('message') or ''))}")
    for failure in report.failures:
        console.print(
            f"[red]✗[/red] {escape(str(failure['message_id']))}: {escape(str(failure['error']))}"
        )
