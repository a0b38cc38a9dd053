"""Every command that loads a stack refuses what `tap validate` refuses, with the same lines.

`tap validate` prints its report on stdout; the other commands print the same lines on stderr
(their stdout is their output) and leave stdout empty. Both exit 1 for config problems and 2 for
a file that cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tests.support.mutations import MUTATIONS, Mutation
from tests.support.shipped import graph

pytestmark = pytest.mark.slow  # 159 cases, two commands each (tests/config has each mutation)

runner = CliRunner()


def run(*args: str) -> tuple[int, list[str], str]:
    """Exit code, every printed line (stdout then stderr), and stdout alone."""
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout.splitlines() + result.stderr.splitlines(), result.stdout


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_synth_refuses_every_invalid_stack_with_validates_lines(
    stack_dir: Path, mutation: str
) -> None:
    MUTATIONS[mutation](stack_dir)

    validated = run("validate", "-C", str(stack_dir))
    synthesized = run("synth", "--stack", "staging", "-C", str(stack_dir))

    assert validated[0] in (1, 2), validated
    assert synthesized[:2] == validated[:2]
    assert synthesized[2] == ""


LOADING_COMMANDS = {
    "synth json": ["synth", "--stack", "dev", "--format", "json"],
    "check": ["check", "--stack", "dev"],
    "check all": ["check", "--all"],
    "diff": ["diff", "dev", "prod"],
    "graph": ["graph", "--stack", "dev"],
    "package": ["package", "--stack", "dev"],
    "local": ["local", "--stack", "dev", "--objects", "1"],
    "check graph": ["check", "--graph", "{graph}"],
}

KINDS: dict[str, Mutation] = {
    "a config problem": MUTATIONS["region typo, misspelled key and runtime drift"],
    "a naming problem only": MUTATIONS["reserved xn-- prefix"],
    "a value YAML versions disagree on": MUTATIONS["octal memory"],
    "an unreadable file": MUTATIONS["stack file not UTF-8"],
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", LOADING_COMMANDS)
def test_every_command_that_loads_a_stack_refuses_with_validates_lines(
    stack_dir: Path, tmp_path: Path, command: str, kind: str
) -> None:
    graph_file = tmp_path / "prod.json"
    graph_file.write_text(graph("prod").to_json(), encoding="utf-8")
    KINDS[kind](stack_dir)
    args = [a.format(graph=graph_file) for a in LOADING_COMMANDS[command]]

    validated = run("validate", "-C", str(stack_dir))
    loaded = run(*args, "-C", str(stack_dir))

    assert validated[0] in (1, 2)
    assert loaded[:2] == validated[:2]
    assert loaded[2] == ""


def test_synth_of_a_valid_project_still_works(stack_dir: Path) -> None:
    code, _, out = run("synth", "--stack", "dev", "--format", "json", "-C", str(stack_dir))

    assert code == 0
    assert out.startswith("{")
