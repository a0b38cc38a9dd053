"""The `tap` command: thin commands that call library code, print, and map errors to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from tap import interrupts
from tap.config import ConfigError, ConfigProblem, ConfigReadError, EnvironmentConfig, load_project
from tap.diagram import DiagramFormat, render
from tap.diff import DiffKind, diff_graphs
from tap.extras import MissingExtraError, require_extra
from tap.packaging import PackagingError, build_artifact
from tap.rules import (
    CheckResult,
    RuleContext,
    SuppressionError,
    check_graph,
    format_finding_line,
)
from tap.synth.errors import SynthError
from tap.synth.graph import GraphFormatError, load_graph
from tap.synth.render import render_tree
from tap.synth.stack import synthesize_config, synthesize_stack
from tap.validation import load_stack, validate_project

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = interrupts.EXIT_INTERRUPTED

app = typer.Typer(
    name="tap",
    help="Validate, synthesize, check, diff, package and run the tap pipeline, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, emoji=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)

ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-C",
        help="Directory holding Pulumi.yaml and the Pulumi.<stack>.yaml files.",
        file_okay=False,
    ),
]


@app.callback()
def _root() -> None:
    """Validate, synthesize, check, diff, package and run the tap pipeline, offline."""


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def _print_problems(
    console: Console, problems: Sequence[ConfigProblem], stacks: Sequence[str]
) -> None:
    """Config problems as `tap validate` prints them: one line each, then how many and where."""
    for problem in problems:
        console.print(f"[red]✗[/red] {escape(str(problem))}")
    bad = len({p.stack for p in problems})
    console.print(
        f"[red]{len(problems)} problem(s)[/red] in {bad} of {len(stacks)} stacks "
        f"({escape(', '.join(sorted(stacks)))})"
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn tap's typed errors into one clear line and an exit code; never a traceback."""
    try:
        yield
    except ConfigReadError as exc:
        _fail(str(exc), EXIT_USAGE)
    except ConfigError as exc:
        # The lines `tap validate` prints, on stderr: these commands' stdout is their output.
        _print_problems(err, exc.problems, exc.stacks)
        raise typer.Exit(EXIT_FINDINGS) from None
    except PackagingError as exc:
        _fail(f"packaging failed: {exc}", EXIT_FINDINGS)
    except MissingExtraError as exc:
        _fail(str(exc), EXIT_USAGE)
    except GraphFormatError as exc:
        _fail(str(exc), EXIT_USAGE)
    except SynthError as exc:
        _fail(f"synthesis failed: {exc}", EXIT_FINDINGS)
    except SuppressionError as exc:
        for refused in exc.problems:
            err.print(f"[red]✗[/red] {escape(str(refused))}")
        _fail(f"{len(exc.problems)} suppression(s) refused", EXIT_USAGE)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}", EXIT_USAGE)


@app.command()
def validate(project_dir: ProjectDir = Path()) -> None:
    """Validate every stack's config, alone and together; one line per problem."""
    with user_errors():
        project = validate_project(project_dir)
    if project.problems:
        _print_problems(out, project.problems, tuple(project.files))
        raise typer.Exit(EXIT_FINDINGS)
    stacks = ", ".join(sorted(project.files))
    out.print(f"[green]✓[/green] {len(project.files)} stacks valid: {escape(stacks)}")


StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack (environment) name.")]


@app.command()
def package(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Copy the zip into this directory.", file_okay=False),
    ] = None,
    stack: StackOption = "dev",
    project_dir: ProjectDir = Path(),
) -> None:
    """Build the processor's deterministic zip; print its path and sha256."""
    with user_errors():
        _, config = load_stack(project_dir, stack)
        artifact = build_artifact(
            runtime=config.processor.runtime,
            architecture=config.processor.architecture,
            output_dir=output,
        )
    out.print(f"{artifact.path}")
    out.print(
        f"sha256 {artifact.sha256}  ({artifact.size} bytes{', cached' if artifact.cached else ''})"
    )


class SynthFormat(StrEnum):
    """`tap synth` output formats."""

    TABLE = "table"
    JSON = "json"


class ReportFormat(StrEnum):
    """Formats of reports meant for people or for machines."""

    TEXT = "text"
    JSON = "json"


@app.command()
def synth(
    stack: StackOption = "dev",
    fmt: Annotated[SynthFormat, typer.Option("--format", "-f")] = SynthFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead.")
    ] = None,
    project_dir: ProjectDir = Path(),
) -> None:
    """Run the program under a recording mock monitor and show its resource graph."""
    with user_errors():
        graph = synthesize_stack(project_dir, stack)
    if fmt is SynthFormat.JSON:
        text = graph.to_json()
        if output is None:
            sys.stdout.write(text)
        else:
            with user_errors():
                output.write_text(text, encoding="utf-8")
            err.print(f"wrote {len(graph.resources)} resources to {output}")
        return
    if output is None:
        out.print(render_tree(graph))
    else:
        with user_errors(), output.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=120, highlight=False, emoji=False).print(render_tree(graph))
    custom = sum(1 for r in graph.resources if r.custom)
    components = len(graph.resources) - custom
    err.print(f"{stack}: {custom} custom resources (provider included), {components} components")


@app.command()
def graph(
    stack: StackOption = "dev",
    fmt: Annotated[DiagramFormat, typer.Option("--format", "-f")] = DiagramFormat.MERMAID,
    project_dir: ProjectDir = Path(),
) -> None:
    """Draw the stack's pipeline: bucket → rule → function → table, DLQs, replica, alarms."""
    with user_errors():
        resource_graph = synthesize_stack(project_dir, stack)
    sys.stdout.write(render(resource_graph, fmt))


@app.command()
def check(
    stack: Annotated[
        list[str] | None, typer.Option("--stack", "-s", help="Stack to check (repeatable).")
    ] = None,
    all_stacks: Annotated[bool, typer.Option("--all", help="Check every stack.")] = False,
    graph_file: Annotated[
        Path | None,
        typer.Option("--graph", help="Check a graph written by `tap synth -f json` instead."),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.TEXT,
    project_dir: ProjectDir = Path(),
) -> None:
    """Run the guardrail rules over stacks' graphs; exit 1 on any unsuppressed error."""
    with user_errors():
        results = _check_results(stack or [], all_stacks, graph_file, project_dir)
    if fmt is ReportFormat.JSON:
        document = {
            "passed": all(r.passed for r in results),
            "stacks": [r.to_dict() for r in results],
        }
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        for result in results:
            for finding in result.findings:
                out.print(format_finding_line(finding), markup=False)
            for unused in result.unused_suppressions:
                out.print(
                    f"WARNING {result.stack}: suppression of {unused.rule} on {unused.resource} "
                    "matched nothing; remove it",
                    markup=False,
                )
            rules = len(result.rules)
            blocking = len(result.blocking)
            mark = "[green]✓[/green]" if result.passed else "[red]✗[/red]"
            out.print(
                f"{mark} {result.stack}: {rules} rules, {blocking} blocking, "
                f"{len(result.findings) - blocking} other finding(s)"
            )
    if not all(r.passed for r in results):
        raise typer.Exit(EXIT_FINDINGS)


def _check_results(
    stacks: list[str], all_stacks: bool, graph_file: Path | None, project_dir: Path
) -> list[CheckResult]:
    chosen = sum([bool(stacks), all_stacks, graph_file is not None])
    if chosen != 1:
        raise typer.BadParameter("give exactly one of --stack, --all or --graph")
    if graph_file is not None:
        resource_graph = load_graph(graph_file)
        config = _graph_config(project_dir, resource_graph.stack)
        suppressions = config.suppressions if config else ()
        return [check_graph(resource_graph, RuleContext(config), suppressions)]
    if all_stacks:
        stacks = sorted(load_project(project_dir).files)
    results = []
    for name in stacks:
        resource_graph, config = synthesize_config(project_dir, name)
        results.append(check_graph(resource_graph, RuleContext(config), config.suppressions))
    return results


def _graph_config(project_dir: Path, stack: str) -> EnvironmentConfig | None:
    """The config of a graph file's stack, loaded as every command loads one; None when the
    directory is no project or has no such stack (the rules then run without config)."""
    if not (project_dir / "Pulumi.yaml").exists() or stack not in load_project(project_dir).files:
        return None
    return load_stack(project_dir, stack)[1]


@app.command()
def local(
    stack: StackOption = "dev",
    objects: Annotated[int, typer.Option(min=1, help="Objects to upload.")] = 50,
    fail_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Fraction of table writes to throttle.")
    ] = 0.0,
    duplicate_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Fraction of events to redeliver.")
    ] = 0.0,
    reorder: Annotated[bool, typer.Option(help="Shuffle delivery order.")] = False,
    invoke_throttle_rate: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Fraction of EventBridge Invoke calls Lambda refuses with 429 "
            "(retried, then dead-lettered).",
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed for keys, sizes and faults.")] = 0,
    keep_running: Annotated[
        bool, typer.Option(help="Leave the emulator up afterwards, until Ctrl-C.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Deploy the stack's graph to an embedded emulator, push objects through, account for all."""
    with user_errors():
        require_extra("local", "tap local")
    # The `local` extra's modules: imported only by the command that needs them.
    from tap.local import LocalOptions, run_local
    from tap.local_view import progress_bar, summary

    options_console = err if json_output else out
    with user_errors(), _local_errors():
        options = LocalOptions(
            objects=objects,
            fail_rate=fail_rate,
            duplicate_rate=duplicate_rate,
            reorder=reorder,
            seed=seed,
            keep_running=keep_running,
            invoke_throttle_rate=invoke_throttle_rate,
        )
        interrupts.set_stage("synthesizing")
        resource_graph = synthesize_stack(project_dir, stack)
        if json_output:
            report = run_local(resource_graph, options, on_progress=_staged())
        else:
            with progress_bar(options_console) as on_progress:
                report = run_local(resource_graph, options, on_progress=_staged(on_progress))
    interrupts.set_stage("reporting")
    if json_output:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
    else:
        out.print(summary(report, stack), soft_wrap=False)
    if keep_running and report.endpoint:
        _serve_until_interrupted(report.endpoint, report.scan_command or "")
    if not report.ok:
        raise typer.Exit(EXIT_FINDINGS)


@contextmanager
def _local_errors() -> Iterator[None]:
    """`tap local`'s own typed errors, as user_errors maps the others."""
    from tap.local import InvalidOptionsError, LocalRunError

    try:
        yield
    except InvalidOptionsError as exc:
        _fail(str(exc), EXIT_USAGE)
    except LocalRunError as exc:
        _fail(f"local run failed: {exc}", EXIT_FINDINGS)


def _staged(
    on_progress: Callable[[int, int, str], None] | None = None,
) -> Callable[[int, int, str], None]:
    """A progress callback that also names the stage an interrupt would land in."""

    def update(done: int, total: int, stage: str) -> None:
        interrupts.set_stage(stage)
        if on_progress is not None:
            on_progress(done, total, stage)

    return update


def _serve_until_interrupted(endpoint: str, scan_command: str) -> None:
    from tap.local import stop_emulator

    err.print(f"emulator running at [bold]{endpoint}[/bold] (local only). Explore it with:")
    err.print(scan_command, markup=False, soft_wrap=True)
    err.print("Press Ctrl-C to stop.")
    interrupts.set_stage("serving the emulator")
    try:
        interrupts.wait_for_interrupt()  # here Ctrl-C is how the user says "done"
    finally:
        stop_emulator(endpoint)
        err.print("emulator stopped")


_KIND_STYLE = {
    DiffKind.ONLY_IN_A: "[red]- only in {a}[/red]",
    DiffKind.ONLY_IN_B: "[green]+ only in {b}[/green]",
    DiffKind.CHANGED: "[yellow]~ changed[/yellow]",
}


@app.command()
def diff(
    stack_a: Annotated[str, typer.Argument(help="First stack, e.g. staging.")],
    stack_b: Annotated[str, typer.Argument(help="Second stack, e.g. prod.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.TEXT,
    fail_on_diff: Annotated[
        bool, typer.Option("--fail-on-diff", help="Exit 1 when the stacks differ.")
    ] = False,
    project_dir: ProjectDir = Path(),
) -> None:
    """Compare two stacks' graphs, with environment names, accounts and regions normalised."""
    with user_errors():
        graph_a, config_a = synthesize_config(project_dir, stack_a)
        graph_b, config_b = synthesize_config(project_dir, stack_b)
    differences = diff_graphs(graph_a, config_a, graph_b, config_b)
    if fmt is ReportFormat.JSON:
        document = {"a": stack_a, "b": stack_b, "differences": [d.to_dict() for d in differences]}
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    else:
        current = None
        for d in differences:
            if d.path != current:
                current = d.path
                kind = _KIND_STYLE[d.kind].format(a=stack_a, b=stack_b)
                if d.kind is DiffKind.CHANGED:
                    out.print(f"{kind} {d.path} [dim]({d.type})[/dim]")
                else:
                    out.print(f"{kind}: {d.path} [dim]({d.type})[/dim]")
            if d.kind is DiffKind.CHANGED:
                out.print(f"    {d.property}: {stack_a}={_show(d.a)}  {stack_b}={_show(d.b)}")
        resources = len({d.path for d in differences})
        out.print(
            f"{len(differences)} difference(s) in {resources} resource(s) "
            f"between {stack_a} and {stack_b}"
        )
    if differences and fail_on_diff:
        raise typer.Exit(EXIT_FINDINGS)


def _show(value: object) -> str:
    return "<absent>" if value is None else json.dumps(value, default=str)


def main() -> None:
    """Entry point for `python -m tap`."""
    app()
