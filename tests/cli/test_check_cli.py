"""tap check on the command line: stacks, graph files, suppressions, formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tests.support.breaks import BREAKS
from tests.support.shipped import graph, shipped

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture(scope="module")
def prod_graph() -> dict[str, object]:
    """The prod graph document, as `tap synth -f json` writes it (graph.to_json)."""
    document: dict[str, object] = json.loads(shipped("prod")[0].to_json())
    return document


def _write_mutated(document: dict[str, object], path: Path) -> Path:
    mutated = json.loads(json.dumps(document))
    for resource in mutated["resources"]:
        if resource["name"] == "prod-queues-delivery-dlq":
            for props in (resource["inputs"], resource["outputs"]):
                props.pop("kmsMasterKeyId", None)
                props["sqsManagedSseEnabled"] = False
    path.write_text(json.dumps(mutated))
    return path


def test_check_all_passes_on_the_shipped_stacks() -> None:
    result = runner.invoke(app, ["check", "-C", str(REPO), "--all"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "✓ dev: 41 rules, 0 blocking, 0 other finding(s)",
        "✓ prod: 41 rules, 0 blocking, 0 other finding(s)",
        "✓ staging: 41 rules, 0 blocking, 0 other finding(s)",
    ]


def test_check_of_a_mutated_graph_file_fails_with_one_line_per_finding(
    prod_graph: dict[str, object], tmp_path: Path
) -> None:
    graph = _write_mutated(prod_graph, tmp_path / "bad.json")

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(graph)])

    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("ERROR")]
    assert len(lines) == 1
    assert lines[0].startswith("ERROR prod-queues-delivery-dlq: [sqs-queue-encrypted] queue")
    assert "✗ prod: 41 rules, 1 blocking" in result.output


def test_a_suppression_with_a_reason_turns_an_error_into_a_suppressed_finding(
    prod_graph: dict[str, object], tmp_path: Path, stack_dir: Path
) -> None:
    graph = _write_mutated(prod_graph, tmp_path / "bad.json")
    prod = stack_dir / "Pulumi.prod.yaml"
    prod.write_text(
        prod.read_text()
        + "  tap:suppressions:\n"
        + "    - rule: sqs-queue-encrypted\n      resource: prod-queues-delivery-dlq\n"
        + "      reason: accepted while the key migration runs\n"
    )

    result = runner.invoke(app, ["check", "-C", str(stack_dir), "--graph", str(graph)])

    assert result.exit_code == 0, result.output
    suppressed = [line for line in result.output.splitlines() if line.startswith("SUPPRESSED")]
    assert len(suppressed) == 1
    assert suppressed[0].startswith("SUPPRESSED ERROR prod-queues-delivery-dlq:")
    assert suppressed[0].endswith("reason: accepted while the key migration runs")


def test_check_json_carries_findings_and_the_verdict(
    prod_graph: dict[str, object], tmp_path: Path
) -> None:
    graph = _write_mutated(prod_graph, tmp_path / "bad.json")

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(graph), "-f", "json"])

    document = json.loads(result.stdout)
    assert document["passed"] is False
    (stack,) = document["stacks"]
    assert [(f["rule_id"], f["level"]) for f in stack["findings"]] == [
        ("sqs-queue-encrypted", "error")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--graph", "/nonexistent/graph.json"], "cannot read"),
        (["--all", "--stack", "dev"], "exactly one of"),
        ([], "exactly one of"),
    ],
)
def test_unusable_arguments_are_usage_errors(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["check", "-C", str(REPO), *args])

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_file_that_is_not_a_graph_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_text('{"project": "tap"}')

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(path)])

    assert result.exit_code == 2
    assert "not a resource graph" in result.output


NAMED_MUTATIONS = {
    "a missing queue policy": "events-dead-letter-queue-admits-rule",
    "a wildcard action": "iam-no-wildcard-actions",
    "public access off": "s3-bucket-public-access-blocked",
    "a replica in the primary region": "dynamodb-replica-in-other-region",
    "a target without a DLQ": "events-target-dead-letter-queue",
    "a permission with another source ARN": "events-lambda-target-permitted",
}


@pytest.mark.parametrize(("mutation", "rule_id"), NAMED_MUTATIONS.items())
def test_a_mutated_graph_file_makes_its_rule_fire(
    mutation: str, rule_id: str, tmp_path: Path
) -> None:
    """The issue's named mutations, each written to a graph file and checked through the CLI."""
    path = tmp_path / "prod-mutated.json"
    path.write_text(BREAKS[rule_id](graph("prod")).to_json())

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(path), "-f", "json"])

    assert result.exit_code == 1, (mutation, result.output)
    report = json.loads(result.stdout)
    fired = {f["rule_id"] for s in report["stacks"] for f in s["findings"] if f["level"] == "error"}
    assert rule_id in fired, (mutation, fired)


def _broken(prod_graph: dict[str, object], change: str) -> tuple[dict[str, Any], list[str]]:
    """A copy of the prod graph broken one way, and the URNs of its first resources."""
    broken: dict[str, Any] = json.loads(json.dumps(prod_graph))
    resources = broken["resources"]
    urns = [r["urn"] for r in resources]
    if change == "duplicate":
        resources.append(json.loads(json.dumps(resources[1])))
    elif change == "cycle":
        resources[1]["dependencies"] = [urns[2]]
        resources[2]["dependencies"] = [urns[1]]
    elif change == "dependency":
        resources[1]["dependencies"] = [urns[1] + "-gone"]
    elif change == "parent":
        resources[1]["parent"] = urns[1] + "-gone"
    elif change == "provider":
        resources[1]["provider"] = urns[0] + "-gone"
    return broken, urns


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("duplicate", "URN {1} appears twice (resources[1] and resources[47])"),
        ("cycle", "dependency cycle {1} -> {2} -> {1}"),
        ("dependency", "resources[1] ({1}) depends on {1}-gone, which is not in the graph"),
        ("parent", "resources[1] ({1}) has parent {1}-gone, which is not in the graph"),
        ("provider", "resources[1] ({1}) has provider {0}-gone, which is not in the graph"),
    ],
)
def test_a_graph_that_is_not_a_graph_is_a_one_line_usage_error(
    prod_graph: dict[str, object], tmp_path: Path, change: str, problem: str
) -> None:
    broken, urns = _broken(prod_graph, change)
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(broken))

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(path)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: not a resource graph: {problem.format(*urns)}"
    ]
    assert result.stdout == ""
    assert "Traceback" not in result.output


@pytest.mark.parametrize("constant", ["NaN", "Infinity"])
def test_a_graph_with_nan_or_infinity_is_a_one_line_usage_error(
    prod_graph: dict[str, object], tmp_path: Path, constant: str
) -> None:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({**prod_graph, "outputs": {"x": float(constant.lower())}}))

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(path)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: not JSON: {constant} is not a JSON value (JSON has no NaN or Infinity)"
    ]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("latin-1", "not UTF-8 text (byte {at} is 0xe9)"),
        ("utf-16", "not UTF-8 text (byte 0 is 0xff); it looks like UTF-16, save it as UTF-8"),
    ],
)
def test_a_graph_file_that_is_not_utf8_is_a_one_line_usage_error(
    prod_graph: dict[str, object], tmp_path: Path, encoding: str, message: str
) -> None:
    text = json.dumps({**prod_graph, "outputs": {"note": "café"}}, ensure_ascii=False)
    path = tmp_path / "prod.json"
    path.write_bytes(text.encode(encoding))

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(path)])

    assert result.exit_code == 2
    at = text.encode("utf-8").index("é".encode())
    assert result.stderr.splitlines() == [f"error: {path}: {message.format(at=at)}"]
    assert "Traceback" not in result.output


def test_a_line_that_quotes_user_text_prints_it_verbatim(
    prod_graph: dict[str, object], tmp_path: Path
) -> None:
    """Rich would turn `:x:` or `:smile:` in a URN into an emoji; the error must quote it as is."""
    broken, urns = _broken(prod_graph, "parent")
    broken["resources"][1]["parent"] = "urn:pulumi:prod::tap::tap:x:Y::smile:ghost"
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(broken))

    result = runner.invoke(app, ["check", "-C", str(REPO), "--graph", str(path)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: not a resource graph: resources[1] ({urns[1]}) has parent "
        "urn:pulumi:prod::tap::tap:x:Y::smile:ghost, which is not in the graph"
    ]
