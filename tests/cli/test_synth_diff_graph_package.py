"""The synth, diff, graph and package commands: exit codes and what they print."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tap.cli.app import app

pytestmark = pytest.mark.slow  # each test synthesizes through the CLI

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_synth_json_follows_the_graph_contract(tmp_path: Path) -> None:
    out = tmp_path / "prod.json"

    result = runner.invoke(
        app, ["synth", "-C", str(REPO), "--stack", "prod", "-f", "json", "-o", str(out)]
    )

    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert set(document) == {"project", "stack", "resources", "outputs"}
    assert (document["project"], document["stack"]) == ("tap", "prod")
    contract = {
        "urn",
        "type",
        "name",
        "custom",
        "parent",
        "provider",
        "dependencies",
        "inputs",
        "outputs",
    }
    assert all(contract <= set(r) for r in document["resources"])
    assert document["outputs"]["tableName"] == "tap-items-prod-useast1"


def test_synth_table_is_a_tree_of_components() -> None:
    result = runner.invoke(app, ["synth", "-C", str(REPO), "--stack", "dev"])

    assert result.exit_code == 0, result.output
    assert "TapPipeline dev" in result.output
    assert "DataBucket dev-data" in result.output
    assert "Traceback" not in result.output


def test_synth_into_a_missing_directory_is_a_one_line_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "dev.json"

    for fmt in ("json", "table"):
        result = runner.invoke(
            app, ["synth", "-C", str(REPO), "-s", "dev", "-f", fmt, "-o", str(target)]
        )

        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [f"error: {target}: No such file or directory"]
        assert not target.exists()


def test_synth_of_an_unknown_stack_is_a_usage_error() -> None:
    result = runner.invoke(app, ["synth", "-C", str(REPO), "--stack", "qa"])

    assert result.exit_code == 2
    assert "no stack 'qa'" in result.output
    assert "Traceback" not in result.output


def test_diff_exits_zero_unless_asked_to_fail_on_differences() -> None:
    plain = runner.invoke(app, ["diff", "-C", str(REPO), "staging", "prod"])
    strict = runner.invoke(app, ["diff", "-C", str(REPO), "staging", "prod", "--fail-on-diff"])
    same = runner.invoke(app, ["diff", "-C", str(REPO), "dev", "dev", "--fail-on-diff"])

    assert plain.exit_code == 0
    assert "+ only in prod: {stack}/items/replica-us-west-2" in plain.output
    assert strict.exit_code == 1
    assert same.exit_code == 0
    assert "0 difference(s)" in same.output


def test_diff_json_labels_each_difference_by_kind() -> None:
    result = runner.invoke(app, ["diff", "-C", str(REPO), "staging", "prod", "-f", "json"])

    document = json.loads(result.output)
    kinds = {d["kind"] for d in document["differences"]}
    assert kinds == {"changed", "only-in-b"}


def test_graph_prints_mermaid() -> None:
    result = runner.invoke(app, ["graph", "-C", str(REPO), "--stack", "prod"])

    assert result.exit_code == 0
    assert result.output.startswith("flowchart LR")
    assert "Replica table<br/>us-west-2" in result.output


def test_package_prints_the_path_and_the_sha256_of_the_zip(tmp_path: Path) -> None:
    result = runner.invoke(app, ["package", "-C", str(REPO), "-o", str(tmp_path)])

    assert result.exit_code == 0, result.output
    path_line, sha_line = result.output.strip().splitlines()
    zip_path = Path(path_line)
    assert zip_path.parent == tmp_path
    assert sha_line.split()[1] == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == [zip_path.name]
