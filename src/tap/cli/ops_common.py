"""What the day-2 commands share: resolving the stack, proving the account, showing progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tap.ops import OpsProgress

if TYPE_CHECKING:
    from rich.console import Console

    from tap.cli.options import OpsOptions
    from tap.config import EnvironmentConfig
    from tap.ops.session import OpsSession
    from tap.ops.stack import StackResources


def open_stack(stack: str, ops: OpsOptions) -> tuple[StackResources, EnvironmentConfig, OpsSession]:
    """The stack's resources, from its graph, its config, and a session proven to be its
    account (`ops.role_arn` or the stack's deploy role, through `ops.endpoint_url` if set).

    Raises TapError (ConfigError, OpsSessionError, ...): call inside `user_errors()`.
    """
    from tap.ops.session import connect
    from tap.ops.stack import stack_resources

    resources, config = stack_resources(ops.project_dir, stack, use_cache=not ops.no_cache)
    session = connect(
        resources,
        role_arn=ops.role_arn or config.deploy_role_arn,
        external_id=config.external_id,
        endpoint_url=ops.endpoint_url,
    )
    return resources, config, session


@contextmanager
def progress(console: Console, description: str, *, quiet: bool = False) -> Iterator[OpsProgress]:
    """A rich progress bar with a rate (items/s) for one long operation; silent when `quiet`."""
    if quiet:
        yield lambda _done, _total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None, rate="")

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.0f}/s" if speed else "")

        yield update
