"""What a new user reads: `tap --help` whole, metavars that name values, one rule for --stack,
and a README command table that lists every option of every command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tap.cli.app import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _commands(command: Any, path: str = "tap") -> list[tuple[str, Any]]:
    """Every leaf command with its path (`tap cache clear`)."""
    subs = getattr(command, "commands", {})
    if not subs:
        return [(path, command)]
    return [found for name, sub in subs.items() for found in _commands(sub, f"{path} {name}")]


COMMANDS = _commands(typer.main.get_command(app))
VALUE_NAME = re.compile(
    r"^([A-Z][A-Z0-9_]*([=:/][A-Z][A-Z0-9_]*)*|<[a-z0-9-]+(\|[a-z0-9-]+)+>|s3://[A-Za-z0-9/._]+)$"
)
"""A value option's metavar: a name in capitals (or a shape of them: `ORG/REPO`,
`ENV=ACCOUNT:REGION`), a choice list, or an S3 URL's shape."""


def _value_params(command: Any) -> list[Any]:
    return [p for p in command.params if p.name != "help" and not getattr(p, "is_flag", False)]


def test_every_value_is_named_in_capitals_or_by_its_choices() -> None:
    """No Python type leaks into help (`<list[str]>`, `<int range>`, `{stack_a}`)."""
    ctx = typer.Context(typer.main.get_command(app))
    shown = {}
    for path, command in COMMANDS:
        for param in _value_params(command):
            record = param.get_help_record(ctx)
            if param.param_type_name == "argument":
                shown[f"{path} {param.name}"] = param.metavar
            else:
                shown[f"{path} {param.name}"] = record[0].split(" ", maxsplit=1)[-1].split()[-1]

    assert len(shown) > 40
    assert {name: value for name, value in shown.items() if not VALUE_NAME.match(value)} == {}


def test_a_usage_line_names_arguments_without_braces() -> None:
    result = runner.invoke(app, ["diff", "--help"])

    assert result.exit_code == 0
    assert "Usage: tap diff [OPTIONS] STACK_A STACK_B\n" in result.stdout


def test_tap_help_gives_each_command_its_whole_first_sentence() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=80)
    listing = " ".join(result.stdout.split("Commands:")[1].split())

    assert result.exit_code == 0
    assert "..." not in listing
    for path, command in COMMANDS:
        name = path.split()[1]
        first = " ".join((command.help or "").split("\n\n")[0].split())
        if name != "cache":
            assert f"{name} {first}" in listing


def _stack_option(command: Any) -> Any | None:
    return next((p for p in command.params if "--stack" in getattr(p, "opts", ())), None)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_stack_is_required_exactly_where_a_command_reaches_an_account(
    path: str, command: Any
) -> None:
    """One rule: a command that can act on an AWS account (it takes --role-arn), or whose
    output an administrator deploys into one (`tap bootstrap`), makes the user name the
    environment; an offline one defaults to dev (check takes stacks its own way: repeatable, or
    --all)."""
    stack = _stack_option(command)
    reaches_account = path == "tap bootstrap" or any(
        "--role-arn" in getattr(p, "opts", ()) for p in command.params
    )
    if stack is None or path == "tap check":
        assert not reaches_account
        return

    assert stack.required is reaches_account
    assert stack.default == (None if reaches_account else "dev")


def test_the_account_commands_refuse_to_run_without_stack() -> None:
    for name in ("backfill", "reconcile", "redrive"):
        result = runner.invoke(app, [name, "--queue", "delivery"] if name == "redrive" else [name])

        assert result.exit_code == 2, name
        assert "Missing option '--stack'" in result.output, name


def _readme_rows() -> dict[str, str]:
    """The README command table's first column, by the command it starts with."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Commands\n")[1].split("\n## ")[0]
    rows = {}
    for line in (row for row in section.splitlines() if row.startswith("| `tap ")):
        cell = line.split("` |")[0]
        words = cell.removeprefix("| `").split()
        command = " ".join(w for w in words[:3] if not w.startswith(("-", "[")) and w.islower())
        rows[command] = line
    return rows


def test_the_readme_table_lists_every_option_of_every_command() -> None:
    rows = _readme_rows()
    missing = {}
    for path, command in COMMANDS:
        row = rows.get(path, "")
        options = [p.opts for p in command.params if p.param_type_name == "option"]
        absent = [
            names[0]
            for names in options
            if names != ["--help"]
            and not any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", row) for n in names)
        ]
        if absent or not row:
            missing[path] = absent or "no row"

    assert "tap cache clear" in rows
    assert missing == {}


def test_the_readme_brackets_stack_where_it_defaults() -> None:
    rows = _readme_rows()
    for path, command in COMMANDS:
        stack = _stack_option(command)
        if stack is None or path == "tap check":
            continue
        assert ("[--stack S]" in rows[path]) is (not stack.required), path
