"""The pipeline's "done when": graph guarantees over every shipped stack, and their failure."""

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from tap.facts.tokens import (
    BUCKET,
    EVENT_RULE,
    EVENT_TARGET,
    PERMISSION,
    PUBLIC_ACCESS_BLOCK,
    QUEUE,
    QUEUE_POLICY,
    ROLE_POLICY,
    TABLE_REPLICA,
)
from tap.internals.moto import moto_event_pattern_matches
from tap.rules import check_graph, rules_by_id
from tap.rules.model import RuleContext, Status
from tap.rules.samples import SAMPLE_BUCKET, sample_event
from tap.synth.graph import ResourceGraph
from tests.support.shipped import (
    STACKS,
    context,
    edit,
    graph,
    only,
    replace,
    shipped,
    shipped_preview,
    without,
)

GUARANTEES = [
    "aws-resources-use-stack-provider",
    "provider-pinned",
    "iam-policy-document-valid",
    "no-unresolved-output-text",
    "events-rule-matches-bucket-events",
    "events-lambda-target-permitted",
    "events-target-dead-letter-queue",
    "events-dead-letter-queue-admits-rule",
    "dynamodb-replica-in-other-region",
]


@pytest.mark.parametrize("stack", STACKS)
def test_tap_check_passes_on_every_shipped_stack(stack: str) -> None:
    g, config = shipped(stack)
    result = check_graph(g, RuleContext(config), config.suppressions)
    assert result.findings == ()
    summaries = {r.rule_id: r for r in result.rules}
    for rule_id in GUARANTEES:
        summary = summaries[rule_id]
        assert not summary.crashed
        assert summary.non_compliant == 0
        expected_na = rule_id == "dynamodb-replica-in-other-region" and stack != "prod"
        assert (summary.compliant == 0) == expected_na, rule_id


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_input_is_versioned_json_with_arn_resources(stack: str) -> None:
    g, _ = shipped(stack)
    documents = [
        (r.name, json.loads(r.inputs[k]))
        for r in g.resources
        for k in ("policy", "assumeRolePolicy")
        if k in r.inputs
    ]
    assert len(documents) >= 6
    for name, document in documents:
        assert document["Version"] == "2012-10-17", name
        for statement in document["Statement"]:
            resources = statement.get("Resource", [])
            for resource in resources if isinstance(resources, list) else [resources]:
                assert resource == "*" or resource.startswith("arn:aws:"), (name, resource)
    assert "Calling __str__ on an Output" not in g.to_json()


@pytest.mark.parametrize("stack", STACKS)
def test_the_rule_pattern_matches_the_documented_events_of_its_bucket_only(stack: str) -> None:
    g, _ = shipped(stack)
    bucket = only(g, BUCKET).outputs["bucket"]
    pattern = json.loads(only(g, EVENT_RULE).inputs["eventPattern"])
    matches = functools.partial(moto_event_pattern_matches, pattern)  # an independent oracle
    for detail_type in ("Object Created", "Object Deleted"):
        assert matches(sample_event(detail_type, bucket, "raw/a b+c.csv"))
        assert not matches(sample_event(detail_type, SAMPLE_BUCKET, "raw/a.csv"))
        other = f"tap-data-{'prod' if stack != 'prod' else 'dev'}-useast1"
        assert not matches(sample_event(detail_type, other, "raw/a.csv"))


@pytest.mark.parametrize("stack", STACKS)
def test_permission_source_arns_are_the_rule_arns(stack: str) -> None:
    g, _ = shipped(stack)
    rule_arns = {r.outputs["arn"] for r in g.by_type(EVENT_RULE)}
    source_arns = {p.inputs["sourceArn"] for p in g.by_type(PERMISSION)}
    assert source_arns == rule_arns
    assert g.outputs["ruleArns"] == {"data-ingest": next(iter(rule_arns))}


@pytest.mark.parametrize("stack", STACKS)
def test_the_delivery_dlq_policy_admits_exactly_the_rules(stack: str) -> None:
    g, _ = shipped(stack)
    rule_arns = sorted(r.outputs["arn"] for r in g.by_type(EVENT_RULE))
    policy = json.loads(only(g, QUEUE_POLICY, "delivery-dlq-policy").inputs["policy"])
    [admit] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert admit["Principal"] == {"Service": "events.amazonaws.com"}
    assert admit["Action"] == ["sqs:SendMessage"]
    assert admit["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arns}}


def test_prod_replicates_into_stagings_region_and_nowhere_else() -> None:
    prod, prod_config = shipped("prod")
    _, staging_config = shipped("staging")
    [replica] = prod.by_type(TABLE_REPLICA)
    assert replica.inputs["region"] == staging_config.region != prod_config.region
    assert all(shipped(s)[0].by_type(TABLE_REPLICA) == [] for s in ("dev", "staging"))


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_is_created_inside_an_apply(stack: str) -> None:
    normal, preview = shipped(stack)[0], shipped_preview(stack)
    assert len(preview.resources) == len(normal.resources)
    assert [r.urn for r in preview.resources] == [r.urn for r in normal.resources]
    assert "[unknown]" in preview.to_json()


def _policy(type_: str, suffix: str, change: Callable[[dict[str, Any]], None]):  # type: ignore[no-untyped-def]
    def mutate(g: ResourceGraph) -> ResourceGraph:
        def edit_document(props: dict[str, Any]) -> None:
            document = json.loads(props["policy"])
            change(document)
            props["policy"] = json.dumps(document)

        return edit(g, only(g, type_, suffix), edit_document)

    return mutate


def _pattern_bucket(value: Callable[[ResourceGraph], str]):  # type: ignore[no-untyped-def]
    def mutate(g: ResourceGraph) -> ResourceGraph:
        name = value(g)

        def edit_pattern(props: dict[str, Any]) -> None:
            pattern = json.loads(props["eventPattern"])
            pattern["detail"]["bucket"]["name"] = [name]
            props["eventPattern"] = json.dumps(pattern)

        return edit(g, only(g, EVENT_RULE), edit_pattern)

    return mutate


def _bucket_id_differs(g: ResourceGraph) -> ResourceGraph:
    return edit(g, only(g, BUCKET), lambda p: p.update(id="bucket-id-0123"))


MUTATIONS: dict[str, tuple[Callable[[ResourceGraph], ResourceGraph], str]] = {
    "missing queue policy": (
        lambda g: without(g, only(g, QUEUE_POLICY, "delivery-dlq-policy")),
        "events-dead-letter-queue-admits-rule",
    ),
    "wildcard action": (
        _policy(ROLE_POLICY, "", lambda d: d["Statement"][0].update(Action=["dynamodb:*"])),
        "iam-no-wildcard-actions",
    ),
    "public access off": (
        lambda g: edit(
            g, only(g, PUBLIC_ACCESS_BLOCK), lambda p: p.update(blockPublicPolicy=False)
        ),
        "s3-bucket-public-access-blocked",
    ),
    "replica in the primary region": (
        lambda g: edit(g, only(g, TABLE_REPLICA), lambda p: p.update(region="us-east-1")),
        "dynamodb-replica-in-other-region",
    ),
    "target without DLQ": (
        lambda g: edit(g, only(g, EVENT_TARGET), lambda p: p.pop("deadLetterConfig")),
        "events-target-dead-letter-queue",
    ),
    "permission with another source ARN": (
        lambda g: edit(
            g,
            only(g, PERMISSION),
            lambda p: p.update(sourceArn="arn:aws:events:us-east-1:777788889999:rule/other"),
        ),
        "events-lambda-target-permitted",
    ),
    "resource with no provider": (
        lambda g: replace(g, only(g, QUEUE, "processor-dlq"), provider=None),
        "aws-resources-use-stack-provider",
    ),
    "policy containing an Output's str()": (
        _policy(
            QUEUE_POLICY,
            "processor-dlq-policy",
            lambda d: d["Statement"][0].update(
                Sid="Calling __str__ on an Output[T] is not supported"
            ),
        ),
        "no-unresolved-output-text",
    ),
    "pattern on another bucket": (
        _pattern_bucket(lambda _g: "tap-data-dev-useast1"),
        "events-rule-matches-bucket-events",
    ),
    "pattern on the bucket id": (
        lambda g: _pattern_bucket(lambda h: "bucket-id-0123")(_bucket_id_differs(g)),
        "events-rule-matches-bucket-events",
    ),
    "pattern on the bucket ARN": (
        _pattern_bucket(lambda h: only(h, BUCKET).outputs["arn"]),
        "events-rule-matches-bucket-events",
    ),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_each_guarantee_fails_on_a_graph_that_breaks_it(mutation: str) -> None:
    mutate, rule_id = MUTATIONS[mutation]
    broken = mutate(graph("prod"))
    result = check_graph(broken, context("prod"))
    assert not result.passed
    assert rule_id in {f.rule_id for f in result.blocking}
    [summary] = [r for r in result.rules if r.rule_id == rule_id]
    assert summary.non_compliant >= 1
    assert rules_by_id()[rule_id].level.value == "error"


def test_mutations_leave_the_shipped_graph_untouched() -> None:
    before = shipped("prod")[0].to_json()
    for mutate, _ in MUTATIONS.values():
        mutate(graph("prod"))
    assert shipped("prod")[0].to_json() == before
    assert all(
        o.status is Status.COMPLIANT
        for o in rules_by_id()["s3-bucket-public-access-blocked"].check(
            shipped("prod")[0], context("prod")
        )
    )
