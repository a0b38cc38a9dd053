"""`tap operator-policy`: the least-privilege IAM policy for running the day-2 commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tap.cli.options import NoCache, ProjectDir, StackOption
from tap.cli.output import fail, user_errors, write_json


def operator_policy(
    stack: StackOption = "dev",
    command: Annotated[
        list[str] | None,
        typer.Option(
            "--command",
            metavar="COMMAND",
            help="Only this day-2 command's needs (backfill, reconcile, redrive, or "
            "backfill-batch for backfill --batch-operations); repeatable. Default: all of them.",
        ),
    ] = None,
    outputs: Annotated[
        Path | None,
        typer.Option(
            "--outputs",
            metavar="FILE",
            help="The stack's outputs (`pulumi stack output --json > FILE`): grant the KMS key "
            "by its deployed ARN. Without it, the key is granted by its alias "
            "(kms:ResourceAliases).",
        ),
    ] = None,
    no_cache: NoCache = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Print the IAM policy an operator role needs for backfill, reconcile and redrive (and
    backfill --batch-operations, when the stack has the batch role).

    Every ARN comes from config, or from --outputs: never an id the mock monitor made up.
    """
    from tap.ops.needs import Command
    from tap.ops.needs import operator_policy as build
    from tap.ops.stack import read_outputs, stack_resources, with_outputs

    valid = {c.value for c in Command}
    unknown = sorted(set(command or ()) - valid)
    if unknown:
        raise typer.BadParameter(
            f"unknown command {', '.join(unknown)}; choose from {', '.join(sorted(valid))}",
            param_hint="--command",
        )
    chosen = [Command(c) for c in command] if command else list(Command)
    with user_errors():
        resources, _config = stack_resources(project_dir, stack, use_cache=not no_cache)
        if outputs is not None:
            resources = with_outputs(resources, read_outputs(outputs))
    roles = len(resources.batch_role_arns)
    if Command.BACKFILL_BATCH in (command or ()) and roles != 1:
        fail(
            f"stack {stack} has no S3 Batch Operations role, so backfill-batch needs nothing: "
            "set tap:backfill.batchOperations: true (with manifestBucket and reportBucket) "
            "and deploy"
            if roles == 0
            else f"stack {stack} has {roles} roles S3 Batch Operations may assume; "
            "backfill-batch passes the one tap creates, so it cannot tell which to grant"
        )
    write_json(build(resources, chosen))
