"""The runbook: every alarm names its section, every section says what to run, and the operator
policy printed in docs/operations.md is the one the code builds."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from tap.cli.app import app
from tap.components.alarms import RUNBOOK
from tap.facts import tokens
from tap.ops.needs import operator_policy
from tap.ops.stack import resolve
from tests.support.paths import REPO_ROOT
from tests.support.shipped import STACKS, shipped

DOC = (REPO_ROOT / RUNBOOK).read_text(encoding="utf-8")
SECTIONS = dict(
    re.findall(r"^### (alarm-[a-z0-9-]+)\n(.*?)(?=^#{2,3} |\Z)", DOC, flags=re.M | re.S)
)


@pytest.mark.parametrize("stack", STACKS)
def test_every_alarm_names_a_runbook_section_that_exists(stack: str) -> None:
    alarms = shipped(stack)[0].by_type(tokens.METRIC_ALARM)
    assert alarms
    for alarm in alarms:
        description = alarm.inputs["alarmDescription"]
        match = re.search(rf"Runbook: {re.escape(RUNBOOK)}#(alarm-[a-z0-9-]+)$", description)
        assert match, description
        assert match.group(1) in SECTIONS, f"{alarm.name}: no section {match.group(1)}"


def test_every_runbook_section_gives_exact_command_lines_tap_accepts() -> None:
    """Each `$ tap ...` line names a command tap has, with options that command takes."""
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert len(SECTIONS) == 9
    for anchor, body in SECTIONS.items():
        lines = re.findall(r"^\$ (tap [^#\n]+?)\s*(?:#.*)?$", body, flags=re.M)
        assert lines, f"{anchor} gives no command line"
        for line in lines:
            verb = line.split()[1]
            assert verb in commands, f"{anchor}: {line!r} uses an unknown command"
            known = {o for p in commands[verb].params for o in getattr(p, "opts", [])}
            used = {w for w in line.split() if w.startswith("--")}
            assert used <= known, f"{anchor}: {line!r}: {sorted(used - known)} unknown"


def test_the_documented_operator_policy_is_the_one_tap_builds() -> None:
    block = re.search(r"```json\n(.*?)\n```", DOC, flags=re.S)
    assert block is not None
    assert json.loads(block.group(1)) == operator_policy(resolve(shipped("dev")[0]))


def test_tap_operator_policy_prints_the_stacks_policy() -> None:
    result = CliRunner().invoke(
        app, ["operator-policy", "--stack", "prod", "-C", str(REPO_ROOT), "--command", "reconcile"]
    )
    assert result.exit_code == 0, result.output
    policy = json.loads(result.stdout)
    resources = resolve(shipped("prod")[0])
    assert {s["Sid"] for s in policy["Statement"]} == {
        "ReconcileBuckets",
        "ReconcileTable",
        "ReconcileKmsKey",
    }
    assert all(
        r.endswith(resources.table) or resources.region in r or ":s3:::" in r
        for s in policy["Statement"]
        for r in s["Resource"]
    )
