"""`tap backfill`: an item for every object whose current version has none; or the S3 Batch
Operations job that does the same at a scale one machine should not list."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from tap import interrupts
from tap.cli import options as opt
from tap.cli.output import err, escape, fail, out, user_errors, write_json
from tap.errors import EXIT_FINDINGS, EXIT_USAGE

if TYPE_CHECKING:
    from tap.ops import OpsProgress
    from tap.ops.backfill import Backfill, BackfillResult


@dataclass(frozen=True)
class BatchJobOptions:
    """The options of `--batch-operations`, which need no listing here."""

    batch_operations: Annotated[
        bool,
        typer.Option(
            "--batch-operations",
            help="Create an S3 Batch Operations job over an S3 Inventory manifest instead of "
            "listing here (needs tap:backfill.batchOperations).",
        ),
    ] = False
    manifest: Annotated[
        str | None,
        typer.Option(
            "--manifest",
            metavar="s3://BUCKET/KEY/manifest.json",
            help="s3://bucket/path/manifest.json of an S3 Inventory.",
        ),
    ] = None
    manifest_etag: Annotated[
        str | None,
        typer.Option(
            "--manifest-etag", metavar="ETAG", help="The manifest's ETag, instead of a HeadObject."
        ),
    ] = None
    report: Annotated[
        str | None,
        typer.Option(
            "--report",
            metavar="s3://BUCKET/PREFIX",
            help="s3://bucket/prefix for the job's completion report.",
        ),
    ] = None

    def refuse_unusable(self) -> None:
        """Exit 2 when a job option is given without --batch-operations."""
        if not self.batch_operations and (self.manifest or self.report or self.manifest_etag):
            fail("--manifest, --manifest-etag and --report go with --batch-operations", EXIT_USAGE)


PrefixOption = Annotated[
    str,
    typer.Option(
        "--prefix", metavar="PREFIX", help="Only keys under this prefix, in every data bucket."
    ),
]
ResumeOption = Annotated[
    str | None,
    typer.Option(
        "--resume", metavar="TOKEN", help="Continue an interrupted run from the token it printed."
    ),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        metavar="N",
        min=1,
        max=64,
        help="Key ranges written at once (each page is cut in N).",
    ),
]
MaxErrorsOption = Annotated[
    int,
    typer.Option(
        "--max-errors",
        metavar="N",
        min=0,
        help="Stop (with a resume token) after more errors than this.",
    ),
]


@opt.ops_options
@opt.option_group(BatchJobOptions, "job", BatchJobOptions.refuse_unusable)
def backfill(
    stack: opt.StackOption,
    prefix: PrefixOption = "",
    resume: ResumeOption = None,
    workers: WorkersOption = 8,
    max_errors: MaxErrorsOption = 100,
    *,
    job: BatchJobOptions,
    ops: opt.OpsOptions,
) -> None:
    """Write an item for every object whose current version has none (insert-if-absent)."""
    opt.refuse("--prefix", opt.key_prefix_problem(prefix))
    if job.batch_operations:
        from tap.cli.batch_job import create_batch_job

        create_batch_job(
            stack=stack,
            manifest=job.manifest,
            manifest_etag=job.manifest_etag,
            report=job.report,
            ops=ops,
        )
        return
    from tap.cli.ops_common import open_stack
    from tap.ops.backfill import Backfill

    with user_errors():
        interrupts.set_stage("resolving the stack")
        resources, config, session = open_stack(stack, ops)
        run = Backfill(
            session,
            resources,
            environment=config.environment,
            prefix=prefix,
            dry_run=ops.dry_run,
            resume=resume,
            workers=workers,
            max_errors=max_errors,
        )
    result = _run_interruptibly(run, quiet=ops.json_output)
    _show(result, json_output=ops.json_output)
    if result.counts.errors or not result.complete:
        raise typer.Exit(EXIT_FINDINGS)


def _run_interruptibly(run: Backfill, *, quiet: bool) -> BackfillResult:
    """Run with a progress bar on stderr; on Ctrl-C stop and print the resume token."""
    from tap.cli.ops_common import progress

    token = interrupts.on_interrupt(lambda: _print_token(run))
    interrupts.set_stage("backfilling")
    try:
        with progress(err(), "backfill", quiet=quiet) as update:
            return _run(run, update)
    except KeyboardInterrupt:  # without tap's SIGINT handler (a library caller, a test runner)
        run.stop()
        _print_token(run)
        raise typer.Exit(interrupts.EXIT_INTERRUPTED) from None
    finally:
        interrupts.forget(token)


def _run(run: Backfill, report: OpsProgress) -> BackfillResult:
    """Run, reporting progress from the main thread every half second."""
    import threading

    done = threading.Event()
    outcome: list[BackfillResult] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(run.run())
        except BaseException as error:  # re-raised in the main thread
            errors.append(error)
        finally:
            done.set()

    worker = threading.Thread(target=work, name="tap-backfill-run", daemon=True)
    worker.start()
    while not done.wait(0.5):
        report(run.counts.listed, None)
    if errors:
        raise errors[0]
    report(run.counts.listed, run.counts.listed)
    return outcome[0]


def _print_token(run: Backfill) -> None:
    """The resume token, written straight to stderr (this may run in the SIGINT handler)."""
    token = run.resume_token()
    if token is not None:
        os.write(2, f"resume with: --resume {token}\n".encode())


def _show(result: BackfillResult, *, json_output: bool) -> None:
    if json_output:
        write_json(result.to_dict())
    else:
        counts = result.counts
        verb = "would write" if result.dry_run else "written"
        out().print(
            f"listed {counts.listed}, {verb} {counts.written}, already present "
            f"{counts.already_present}, skipped (deleted) {counts.skipped_deleted}, "
            f"errors {counts.errors}"
        )
        for sample in result.error_samples:
            err().print(f"[red]✗[/red] {escape(sample)}")
    if result.resume_token is not None:
        err().print(
            f"not every key was handled: resume with --resume {result.resume_token}",
            markup=False,
        )
