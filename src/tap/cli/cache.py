"""`tap cache`: the graph cache that `check`, `diff` and `graph` share."""

from __future__ import annotations

from pathlib import Path

import typer

from tap.cli.options import ProjectDir
from tap.cli.output import out, user_errors

app = typer.Typer(
    help="The graph cache under <project>/.tap/graphs that check, diff and graph share.",
    no_args_is_help=True,
)


@app.command()
def clear(project_dir: ProjectDir = Path()) -> None:
    """Remove every cached graph of the project; the next command synthesizes again."""
    from tap.synth.cache import cache_dir, clear_graphs

    with user_errors():
        removed = clear_graphs(project_dir)
    out().print(f"removed {removed} cached graph(s) from {cache_dir(project_dir)}", markup=False)
