"""What the day-2 commands share: resolving the stack, proving the account, showing progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    account (see `connect_stack`).

    Raises TapError (ConfigError, OpsSessionError, ...): call inside `user_errors()`.
    """
    from tap.ops.stack import stack_resources

    resources, config = stack_resources(ops.project_dir, stack, use_cache=not ops.no_cache)
    return resources, config, connect_stack(resources, config, ops)


def connect_stack(
    resources: StackResources, config: EnvironmentConfig, ops: OpsOptions
) -> OpsSession:
    """A session proven to be the stack's account: `ops.role_arn` or the stack's deploy role
    (with its external id), through `ops.endpoint_url` if set, waiting `ops.timeout` for each
    answer. Raises OpsSessionError."""
    from tap.ops.session import connect

    return connect(
        resources,
        role_arn=ops.role_arn or config.deploy_role_arn,
        external_id=config.external_id,
        endpoint_url=ops.endpoint_url,
        timeout=ops.timeout,
    )


@contextmanager
def progress(console: Console, description: str, *, quiet: bool = False) -> Iterator[OpsProgress]:
    """A rich progress bar with a rate (items/s) for one long operation; silent when `quiet`."""
    with progress_stages(console, quiet=quiet) as stage:
        yield stage(description, shown=True)


@contextmanager
def progress_stages(
    console: Console, *, quiet: bool = False
) -> Iterator[Callable[..., OpsProgress]]:
    """Bars for an operation in stages: `stage(name)` is the callback of one bar, which
    appears at its first update (at once with `shown=True`); silent when `quiet`."""
    if quiet:

        def silent(_name: str, shown: bool = False) -> OpsProgress:  # noqa: ARG001
            return lambda _done, _total: None

        yield silent
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
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

        def stage(name: str, shown: bool = False) -> OpsProgress:
            task: list[TaskID] = [bar.add_task(name, total=None, rate="")] if shown else []

            def update(done: int, total: int | None) -> None:
                if not task:
                    task.append(bar.add_task(name, total=None, rate=""))
                bar.update(task[0], completed=done, total=total)
                speed = bar.tasks[task[0]].speed
                bar.update(task[0], rate=f"{speed:,.0f}/s" if speed else "")

            return update

        yield stage
