"""tap diff: structural comparison of two stacks with environment tokens normalised."""

from __future__ import annotations

import json

import pytest

from tap.config import EnvironmentConfig
from tap.diff import Difference, DiffKind, Normaliser, diff_graphs
from tap.synth.graph import ResourceGraph
from tests.support.shipped import shipped as shipped_stack

Synth = tuple[ResourceGraph, EnvironmentConfig]


@pytest.fixture(scope="module")
def shipped() -> dict[str, Synth]:
    return {stack: shipped_stack(stack) for stack in ("dev", "staging", "prod")}


def _summary(differences: list[Difference]) -> set[tuple[str, str, str | None]]:
    return {(str(d.kind), d.path, d.property) for d in differences}


def test_staging_vs_prod_shows_replica_and_prod_only_settings_and_nothing_else(
    shipped: dict[str, Synth],
) -> None:
    differences = diff_graphs(*shipped["staging"], *shipped["prod"])

    assert _summary(differences) == {
        ("changed", "aws-{stack}", "defaultTags.tags.data-classification"),
        ("changed", "{stack}/alarms/email", "endpoint"),
        ("changed", "{stack}/data/bucket", "options.protect"),
        ("only-in-b", "{stack}/items/replica-us-west-2", None),
        ("changed", "{stack}/key/key", "options.protect"),
        ("only-in-b", "{stack}/key/replica-us-west-2", None),
        ("changed", "{stack}/processor/async", "maximumEventAgeInSeconds"),
        ("changed", "{stack}/processor/function", "memorySize"),
        ("changed", "{stack}/processor/function", "reservedConcurrentExecutions"),
        ("changed", "{stack}/processor/logs", "retentionInDays"),
    }


def test_environment_tokens_never_show_up_as_differences(shipped: dict[str, Synth]) -> None:
    differences = diff_graphs(*shipped["staging"], *shipped["prod"])
    text = json.dumps([d.to_dict() for d in differences])

    for token in ("444455556666", "777788889999", "uswest2", "useast1", "us-east-1"):
        assert token not in text


def test_a_stack_has_no_differences_with_itself(shipped: dict[str, Synth]) -> None:
    assert diff_graphs(*shipped["dev"], *shipped["dev"]) == []


def test_a_changed_policy_statement_is_reported_per_property(shipped: dict[str, Synth]) -> None:
    graph, config = shipped["staging"]
    document = json.loads(graph.model_dump_json(by_alias=True))
    for resource in document["resources"]:
        if resource["type"] == "aws:s3/bucketPolicy:BucketPolicy":
            policy = json.loads(resource["inputs"]["policy"])
            policy["Statement"][0]["Effect"] = "Allow"
            resource["inputs"]["policy"] = json.dumps(policy)
    mutated = ResourceGraph.model_validate(document)

    differences = diff_graphs(graph, config, mutated, config)

    assert differences == [
        Difference(
            DiffKind.CHANGED,
            "{stack}/data/policy",
            "aws:s3/bucketPolicy:BucketPolicy",
            "policy.Statement[0].Effect",
            "Deny",
            "Allow",
        )
    ]


def test_normaliser_replaces_whole_tokens_only(shipped: dict[str, Synth]) -> None:
    norm = Normaliser.of(shipped["dev"][1])

    assert norm.text("tap-data-dev-useast1") == "tap-data-<env>-<region>"
    assert norm.text("arn:aws:sqs:us-east-1:111122223333:q") == "arn:aws:sqs:<region>:<account>:q"
    assert norm.text("device-developer") == "device-developer"


def test_production_protects_its_bucket_and_every_table_ignores_replica_changes(
    shipped: dict[str, Synth],
) -> None:
    for stack, (graph, _) in shipped.items():
        (bucket,) = graph.by_type("aws:s3/bucket:Bucket")
        (table,) = graph.by_type("aws:dynamodb/table:Table")
        assert bucket.options.get("protect", False) is (stack == "prod")
        assert table.options["ignoreChanges"] == ["replicas"]
