"""The typer app: the root options, and every command registered from its own module.

Only typer and the command modules' light top levels are imported here, so `tap --help` costs
what typer costs; each command imports its subsystem (pulumi, moto, ...) when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from tap.cli import (
    backfill,
    bootstrap,
    cache,
    check,
    diff,
    graph,
    init,
    local,
    operator_policy,
    package,
    reconcile,
    redrive,
    synth,
    validate,
)

HELP = (
    "Validate, synthesize, check, diff, package and run the tap pipeline, offline; "
    "operate it (backfill, reconcile, redrive) on AWS or on a local live stack."
)

app = typer.Typer(
    name="tap",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: typer's rich help loads rich's markdown and traceback modules, which
    # would double what `tap --help` costs.
    rich_markup_mode=None,
)


class _Command(TyperCommand):
    """A command whose usage line names a required argument as `STACK_A`, as click does, not
    typer's `{STACK_A}`, which reads as literal braces."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """The usage line's words after the command name (ctx: typer's vendored click
        Context, whose module is private)."""
        return [
            piece.removeprefix("{").removesuffix("}") for piece in super().collect_usage_pieces(ctx)
        ]


def _command(function: Callable[..., None], name: str | None = None) -> None:
    """Register a command; its line in `tap --help` is its docstring's first sentence, whole
    (click would cut it to fit the terminal, ending in `...`)."""
    first = (function.__doc__ or "").strip().split("\n\n")[0]
    app.command(name=name, short_help=" ".join(first.split()), cls=_Command)(function)


for _function in (
    init.init,
    validate.validate,
    synth.synth,
    check.check,
    diff.diff,
    graph.graph,
    package.package,
    local.local,
    backfill.backfill,
    reconcile.reconcile,
    redrive.redrive,
    bootstrap.bootstrap,
):
    _command(_function)
_command(operator_policy.operator_policy, name="operator-policy")
app.add_typer(cache.app, name="cache", short_help=" ".join(str(cache.app.info.help).split()))


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"tap {version('tap')}")
        raise typer.Exit


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print tap's version and exit.",
        ),
    ] = False,
) -> None:
    """Validate, synthesize, check, diff, package and run the tap pipeline, offline; operate it
    (backfill, reconcile, redrive) on AWS or on a local live stack."""


def main() -> None:
    """Run the app (see tap.entry for the console script)."""
    app()
