"""`tap check`: the guardrail rules over stacks' graphs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from tap.cli.options import NoCache, ProjectDir
from tap.cli.output import out, user_errors, write_json
from tap.errors import EXIT_FINDINGS

if TYPE_CHECKING:
    from tap.config import EnvironmentConfig
    from tap.rules import CheckResult
    from tap.rules.sarif import StackSource, ToolInfo

GITHUB_SERVER: Final = "GITHUB_SERVER_URL"
GITHUB_REPOSITORY: Final = "GITHUB_REPOSITORY"
"""Set by GitHub Actions: the SARIF log then links to the repository's docs/rules.md."""


class CheckFormat(StrEnum):
    """`tap check`'s report formats."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


CheckFormatOption = Annotated[
    CheckFormat,
    typer.Option(
        "--format",
        "-f",
        help="text for people; json (snake_case keys) for machines; sarif (SARIF 2.1.0) for "
        "code scanning.",
    ),
]


def check(
    stack: Annotated[
        list[str] | None,
        typer.Option("--stack", "-s", metavar="STACK", help="Stack to check (repeatable)."),
    ] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Check every stack.")] = False,
    graph_file: Annotated[
        Path | None,
        typer.Option(
            "--graph", metavar="FILE", help="Check a graph written by `tap synth -f json` instead."
        ),
    ] = None,
    fmt: CheckFormatOption = CheckFormat.TEXT,
    no_cache: NoCache = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Run the guardrail rules over stacks' graphs; exit 1 on any unsuppressed error."""
    chosen = sum([bool(stack), all_stacks, graph_file is not None])
    if chosen != 1:
        raise typer.BadParameter("give exactly one of --stack, --all or --graph")
    from tap.cli.check_view import print_results, results_document

    with user_errors():
        results = _check_results(stack or [], all_stacks, graph_file, project_dir, not no_cache)
    if fmt is CheckFormat.JSON:
        write_json(results_document(results))
    elif fmt is CheckFormat.SARIF:
        from tap.rules.sarif import sarif_log

        with user_errors():
            sources = _stack_sources(project_dir, graph_file, [r.stack for r in results])
        write_json(sarif_log(results, sources, _tool_info()))
    else:
        print_results(out(), results)
    if not all(r.passed for r in results):
        raise typer.Exit(EXIT_FINDINGS)


def _check_results(
    stacks: list[str], all_stacks: bool, graph_file: Path | None, project_dir: Path, cache: bool
) -> list[CheckResult]:
    from tap.rules import RuleContext, actions, check_graph
    from tap.synth.cache import cache_dir, synthesize_cached
    from tap.synth.graph import load_graph
    from tap.validation import validate_project

    if graph_file is not None:
        resource_graph = load_graph(graph_file)
        config = _graph_config(project_dir, resource_graph.stack)
        suppressions = config.suppressions if config else ()
        return [check_graph(resource_graph, RuleContext(config), suppressions)]
    project = validate_project(project_dir)
    if all_stacks:
        stacks = sorted(project.files)
    memo = cache_dir(project.directory) / actions.memo_name() if cache else None
    if memo:
        actions.load_memo(memo)
    results = []
    for name in stacks:
        resource_graph, config = synthesize_cached(project, name, use_cache=cache)
        results.append(check_graph(resource_graph, RuleContext(config), config.suppressions))
    if memo:
        actions.save_memo(memo)
    return results


def _graph_config(project_dir: Path, stack: str) -> EnvironmentConfig | None:
    """The config of a graph file's stack, loaded as every command loads one; None when the
    directory is no project or has no such stack (the rules then run without config)."""
    from tap.config import load_project
    from tap.validation import load_stack

    if not (project_dir / "Pulumi.yaml").exists() or stack not in load_project(project_dir).files:
        return None
    return load_stack(project_dir, stack)[1]


def _stack_sources(
    project_dir: Path, graph_file: Path | None, stacks: Sequence[str]
) -> dict[str, StackSource]:
    """Each stack's file, which its SARIF results point at; a graph file with no stack file in
    the project points at the graph file."""
    from tap.config import load_project
    from tap.config.loading import MAX_FILE_BYTES
    from tap.rules.sarif import StackSource
    from tap.textfile import read_text

    files = load_project(project_dir).files if (project_dir / "Pulumi.yaml").exists() else {}
    cwd = Path.cwd().resolve()
    sources = {}
    for stack in stacks:
        if stack in files:
            path = files[stack].path
            text = read_text(path, limit=MAX_FILE_BYTES, what="a stack file")
        else:  # a graph file whose stack the project does not hold
            path, text = graph_file or project_dir, ""
        absolute = path.resolve()
        if absolute.is_relative_to(cwd):
            sources[stack] = StackSource(absolute.relative_to(cwd).as_posix(), text)
        else:
            sources[stack] = StackSource(absolute.as_uri(), text, relative=False)
    return sources


def _tool_info() -> ToolInfo:
    from importlib.metadata import version

    from tap.rules.sarif import ToolInfo

    server, repository = os.environ.get(GITHUB_SERVER), os.environ.get(GITHUB_REPOSITORY)
    if not (server and repository):
        return ToolInfo(version("tap"))
    return ToolInfo(version("tap"), f"{server}/{repository}/blob/HEAD/docs/rules.md")
