"""`tap diff`: two stacks' graphs side by side, environment specifics normalised."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tap.cli.options import NoCache, ProjectDir, ReportFormat, ReportFormatOption
from tap.cli.output import out, user_errors, write_json
from tap.errors import EXIT_FINDINGS


def diff(
    stack_a: Annotated[str, typer.Argument(metavar="STACK_A", help="First stack, e.g. staging.")],
    stack_b: Annotated[str, typer.Argument(metavar="STACK_B", help="Second stack, e.g. prod.")],
    fmt: ReportFormatOption = ReportFormat.TEXT,
    fail_on_diff: Annotated[
        bool, typer.Option("--fail-on-diff", help="Exit 1 when the stacks differ.")
    ] = False,
    no_cache: NoCache = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Compare two stacks' graphs, with environment names, accounts and regions normalised."""
    from tap.cli.diff_view import differences_document, print_differences
    from tap.diff import diff_graphs
    from tap.synth.cache import synthesize_cached
    from tap.validation import validate_project

    with user_errors():
        project = validate_project(project_dir)
        graph_a, config_a = synthesize_cached(project, stack_a, use_cache=not no_cache)
        graph_b, config_b = synthesize_cached(project, stack_b, use_cache=not no_cache)
    differences = diff_graphs(graph_a, config_a, graph_b, config_b)
    if fmt is ReportFormat.JSON:
        write_json(differences_document(differences, stack_a, stack_b))
    else:
        print_differences(out(), differences, stack_a, stack_b)
    if differences and fail_on_diff:
        raise typer.Exit(EXIT_FINDINGS)
