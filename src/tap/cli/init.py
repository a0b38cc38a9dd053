"""`tap init`: stack files for a team's own accounts, from the shipped templates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tap.cli import plain
from tap.cli.options import ProjectDir
from tap.cli.output import user_errors


def init(
    env: Annotated[
        list[str],
        typer.Option(
            "--env",
            metavar="ENV=ACCOUNT:REGION",
            help="ENV=ACCOUNT:REGION, e.g. dev=123456789012:us-east-1; repeatable, one per "
            "environment (dev, staging, prod: the shipped templates).",
        ),
    ],
    replica_region: Annotated[
        str | None,
        typer.Option(
            "--replica-region",
            metavar="REGION",
            help="prod's items table replica region (default: staging's region); never prod's own.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace stack files that exist (the shipped examples).")
    ] = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Write Pulumi.<env>.yaml for your own accounts: account id, region, the deploy role in that
    account, and prod's replica region; only once the project validates with them."""
    from tap.accounts import parse_targets, write_stack_files

    with user_errors():
        targets = parse_targets(env)
        written = write_stack_files(project_dir, targets, replica=replica_region, force=force)
    for path, target in zip(written, targets, strict=True):
        plain.say(sys.stdout, f"wrote {path} ({target.account_id}, {target.region})")
    plain.say(sys.stdout, "next: tap validate and tap check --all (docs/deploy.md, section 3)")
