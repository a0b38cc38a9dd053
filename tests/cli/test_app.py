"""The app itself: what each command imports, --version, help on every option, and how the
process ends (flushed output, the exit code, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tap.cli.app import app
from tap.cli.options import OpsOptions, ops_options
from tap.facts import tokens
from tests.support.imports import tap_imports

REPO = Path(__file__).resolve().parents[2]
TAP = Path(sys.executable).with_name("tap")
runner = CliRunner()

SUBSYSTEMS = {
    "pulumi",
    "pulumi_aws",
    "moto",
    "boto3",
    "botocore",
    "policy_sentry",
    "principalmapper",
}
"""What the commands that run the program or the emulator load, and nothing else may."""


def _imported(*args: str, cwd: Path = REPO, codes: tuple[int, ...] = (0,)) -> set[str]:
    """Top-level packages a `tap` process imports, from `-X importtime`; asserts the exit."""
    return tap_imports(*args, cwd=cwd, codes=codes)[1]


@pytest.mark.slow  # a real `tap` process
@pytest.mark.parametrize(
    ("args", "present", "absent"),
    [
        pytest.param(("--help",), {"typer"}, {*SUBSYSTEMS, "pydantic", "yaml", "rich"}, id="help"),
        pytest.param(
            ("--version",), {"typer"}, {*SUBSYSTEMS, "pydantic", "yaml", "rich"}, id="version"
        ),
        # typer itself validates a subcommand's parameters with pydantic
        pytest.param(("check", "--help"), {"typer"}, {*SUBSYSTEMS, "yaml"}, id="check-help"),
        # the console script runs validate without typer (tap.cli.fastpath)
        pytest.param(
            ("validate",),
            {"pydantic", "yaml"},
            {*SUBSYSTEMS, "typer", "click", "rich"},
            id="validate",
        ),
        pytest.param(("validate", "--help"), {"typer"}, SUBSYSTEMS, id="validate-help"),
        # the template is data from config: no program, no emulator, no AWS SDK
        pytest.param(
            ("bootstrap", "-s", "prod", "--trust", "github-oidc", "--github-repo", "a/b"),
            {"pydantic", "yaml"},
            SUBSYSTEMS,
            id="bootstrap",
        ),
    ],
)
def test_a_command_imports_only_what_it_uses(
    args: tuple[str, ...], present: set[str], absent: set[str]
) -> None:
    imported = _imported(*args)

    assert present <= imported
    assert imported & absent == set()


@pytest.mark.slow  # a real `tap` process
def test_validate_does_load_the_config_model() -> None:
    """The assertion above must be able to fail: validate does import pydantic and yaml."""
    assert {"pydantic", "yaml", "tap"} <= _imported("validate")


@pytest.mark.slow  # a real `tap` process
def test_check_reading_a_cached_graph_does_not_import_pulumi(stack_dir: Path) -> None:
    subprocess.run([TAP, "check", "-s", "dev"], cwd=stack_dir, check=True, capture_output=True)

    imported = _imported("check", "-s", "dev", cwd=stack_dir)

    assert "pulumi" not in imported
    # the IAM rules' questions about actions were answered by the memo the first run wrote
    assert "policy_sentry" not in imported


@pytest.mark.slow  # a real `tap` process
def test_without_the_cache_check_of_tap_stacks_needs_no_policy_sentry(stack_dir: Path) -> None:
    """Every action tap's stacks grant is in the table shipped with tap.rules.actions."""
    imported = _imported("check", "-s", "dev", "--no-cache", cwd=stack_dir)

    assert "pulumi" in imported
    assert "policy_sentry" not in imported


@pytest.mark.slow  # a real `tap` process
def test_an_action_outside_the_shipped_table_is_asked_of_policy_sentry(stack_dir: Path) -> None:
    """The assertions above must be able to fail: the IAM rules do ask about actions."""
    from tests.support.shipped import shipped

    graph = shipped("dev")[0]
    policies = graph.by_type(tokens.ROLE_POLICY)
    document = json.loads(policies[0].inputs["policy"])
    document["Statement"][0]["Action"] = [*document["Statement"][0]["Action"], "sqs:ListQueues"]
    changed = policies[0].model_copy(
        update={"inputs": {**policies[0].inputs, "policy": json.dumps(document)}}
    )
    resources = [changed if r is policies[0] else r for r in graph.resources]
    path = stack_dir / "dev.graph.json"
    path.write_text(graph.model_copy(update={"resources": resources}).to_json(), "utf-8")

    imported = _imported("check", "--graph", str(path), cwd=stack_dir, codes=(0, 1))

    assert "policy_sentry" in imported


def test_version_prints_the_installed_version() -> None:
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"tap {version('tap')}\n"


def _commands(command: Any, path: str = "tap") -> list[tuple[str, Any]]:
    """The command tree (typer builds on its own copy of click, whose group has `commands`)."""
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_commands(sub, f"{path} {name}"))
    return found


def test_every_option_and_argument_has_help() -> None:
    commands = _commands(typer.main.get_command(app))
    missing = [
        f"{path} {param.name}"
        for path, command in commands
        for param in command.params
        if not getattr(param, "help", None)
    ]

    assert len(commands) >= 10
    assert missing == []


def _options(command: Any) -> dict[str, tuple[tuple[str, ...], Any, str]]:
    return {param.name: (tuple(param.opts), param.default, param.help) for param in command.params}


def test_every_day_2_command_ends_with_the_same_ops_options() -> None:
    """Declared once (OpsOptions): each command lists them last, with the same flags, defaults
    and help."""
    shared = [field.name for field in fields(OpsOptions)]
    root = typer.main.get_command(app)
    commands = [root.commands[name] for name in ("backfill", "reconcile", "redrive")]  # type: ignore[attr-defined]
    tails = [
        [name for name in _options(command) if name != "help"][-len(shared) :]
        for command in commands
    ]
    declared = [{name: _options(command)[name] for name in shared} for command in commands]

    assert tails == [shared] * 3
    assert declared[0] == declared[1] == declared[2]
    assert declared[0]["endpoint_url"][0] == ("--endpoint-url",)
    assert declared[0]["json_output"][1] is False


def test_ops_options_hands_the_command_what_was_given() -> None:
    seen: list[tuple[str, OpsOptions]] = []

    @ops_options
    def probe(name: str = "x", *, ops: OpsOptions) -> None:
        """Probe."""
        seen.append((name, ops))

    probe_app = typer.Typer()
    probe_app.command()(probe)
    probe_app.command("other")(lambda: None)
    result = runner.invoke(
        probe_app,
        ["probe", "--name", "n", "--json", "--endpoint-url", "http://127.0.0.1:1", "-C", "d"],
    )

    assert result.exit_code == 0, result.output
    assert seen == [
        (
            "n",
            OpsOptions(endpoint_url="http://127.0.0.1:1", json_output=True, project_dir=Path("d")),
        )
    ]


def test_ops_options_needs_a_command_that_takes_ops() -> None:
    def no_ops(name: str = "x") -> None:
        del name

    with pytest.raises(TypeError, match="no_ops takes no ops parameter"):
        ops_options(no_ops)


@pytest.mark.slow  # a real `tap` process
def test_piped_output_is_complete_when_the_process_leaves() -> None:
    """stdout to a pipe is block-buffered; leaving with os._exit must flush it first."""
    result = subprocess.run(
        [TAP, "synth", "-s", "dev", "-f", "json", "-C", str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == "dev"
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # a real `tap` process
@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (["check", "--graph", "/nonexistent/graph.json"], 2, "error: /nonexistent/graph.json: "),
        (["check"], 2, "Error: Invalid value: give exactly one of --stack, --all or --graph"),
        (["validate", "-C", "/nonexistent"], 2, "error: /nonexistent/Pulumi.yaml: cannot read"),
    ],
)
def test_the_process_exits_with_the_command_s_code(args: list[str], code: int, stderr: str) -> None:
    result = subprocess.run(
        [TAP, *args], capture_output=True, text=True, timeout=120, check=False, cwd=REPO
    )

    assert result.returncode == code
    assert stderr in result.stderr
    assert "Traceback" not in result.stderr
