"""The typer app: the root options, and every command registered from its own module.

Only typer and the command modules' light top levels are imported here, so `tap --help` costs
what typer costs; each command imports its subsystem (pulumi, moto, ...) when it runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

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
app.command()(init.init)
app.command()(validate.validate)
app.command()(synth.synth)
app.command()(check.check)
app.command()(diff.diff)
app.command()(graph.graph)
app.command()(package.package)
app.command()(local.local)
app.command()(backfill.backfill)
app.command()(reconcile.reconcile)
app.command()(redrive.redrive)
app.command(name="operator-policy")(operator_policy.operator_policy)
app.command()(bootstrap.bootstrap)
app.add_typer(cache.app, name="cache")


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
