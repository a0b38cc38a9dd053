"""EventBridge rules: patterns match their bucket's documented events; targets are safe."""

import json
from typing import Any

import pytest

from tap.config.model import Route
from tap.facts.tokens import BUCKET, EVENT_RULE, EVENT_TARGET, PERMISSION, QUEUE_POLICY
from tap.rules import events
from tap.rules.model import RuleCheck, RuleContext
from tap.rules.samples import SAMPLE_BUCKET, sample_event
from tests.support.judge import all_compliant, failures
from tests.support.shipped import STACKS, context, edit, graph, only, without

EVENT_RULES = [
    events.events_rule_on_default_bus,
    events.events_rule_matches_bucket_events,
    events.events_lambda_target_permitted,
    events.events_lambda_target_no_role,
    events.events_target_retry_policy,
    events.events_target_dead_letter_queue,
    events.events_dead_letter_queue_admits_rule,
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("rule", EVENT_RULES, ids=lambda r: r.__name__)
def test_shipped_routing_complies(rule: RuleCheck, stack: str) -> None:
    assert all_compliant(rule, graph(stack), context(stack)) == 1


def test_samples_are_the_aws_documentation_events_with_bucket_and_key_substituted() -> None:
    created = sample_event("Object Created", "tap-data-dev-useast1", "raw/a.csv")
    deleted = sample_event("Object Deleted", "tap-data-dev-useast1", "raw/a.csv")
    assert created["id"] == "17793124-05d4-b198-2fde-7ededc63b103"
    assert created["detail"]["object"]["size"] == 5
    assert deleted["detail"]["deletion-type"] == "Delete Marker Created"
    assert "size" not in deleted["detail"]["object"]
    for event in (created, deleted):
        assert event["resources"] == ["arn:aws:s3:::tap-data-dev-useast1"]
        assert event["detail"]["bucket"]["name"] == "tap-data-dev-useast1"
        assert event["detail"]["object"]["key"] == "raw/a.csv"
    assert sample_event("Object Created", "x", "k")["detail"]["bucket"]["name"] == "x"


def _pattern(g, change):  # type: ignore[no-untyped-def]
    def edit_pattern(props: dict[str, Any]) -> None:
        pattern = json.loads(props["eventPattern"])
        change(pattern)
        props["eventPattern"] = json.dumps(pattern)

    return edit(g, only(g, EVENT_RULE), edit_pattern)


def _bucket_name(value: str):  # type: ignore[no-untyped-def]
    return lambda p: p["detail"]["bucket"].update(name=[value])


def test_a_pattern_on_the_bucket_arn_is_reported() -> None:
    g = _pattern(graph("dev"), _bucket_name("arn:aws:s3:::tap-data-dev-useast1"))
    [failure] = failures(events.events_rule_matches_bucket_events, g, context("dev"))
    assert failure.message == (
        "rule dev-data-ingest-rule's pattern filters on the bucket ARN "
        "arn:aws:s3:::tap-data-dev-useast1, not its name"
    )


def test_a_pattern_on_another_bucket_is_reported() -> None:
    g = _pattern(graph("dev"), _bucket_name("tap-data-staging-uswest2"))
    [failure] = failures(events.events_rule_matches_bucket_events, g, context("dev"))
    assert failure.message == (
        "rule dev-data-ingest-rule's pattern filters on tap-data-staging-uswest2, "
        "which is no bucket of this stack"
    )


def test_a_pattern_on_a_bucket_name_not_known_yet_is_reported() -> None:
    g = _pattern(graph("dev"), _bucket_name("[unknown]"))
    [failure] = failures(events.events_rule_matches_bucket_events, g, context("dev"))
    assert failure.message == (
        "rule dev-data-ingest-rule's pattern filters on a bucket name that is not known"
    )


def test_a_pattern_on_the_bucket_id_is_reported() -> None:
    """The fake outputs give a bucket its name as its id, so the id is made distinct first."""
    dev = graph("dev")
    bucket = only(dev, BUCKET, "data-bucket")
    g = _pattern(
        edit(dev, bucket, lambda p: p.update(id="data-bucket-4f2a")),
        _bucket_name("data-bucket-4f2a"),
    )
    [failure] = failures(events.events_rule_matches_bucket_events, g, context("dev"))
    assert failure.message == (
        "rule dev-data-ingest-rule's pattern filters on the bucket id data-bucket-4f2a, "
        "not its name"
    )


def test_a_pattern_without_a_bucket_filter_is_reported() -> None:
    g = _pattern(graph("dev"), lambda p: p.pop("detail"))
    [failure] = failures(events.events_rule_matches_bucket_events, g, context("dev"))
    assert failure.message.endswith("does not filter on detail.bucket.name")


def test_a_detail_type_s3_never_sends_is_reported() -> None:
    g = _pattern(graph("dev"), lambda p: p.update({"detail-type": ["Object Modified"]}))
    [failure] = failures(events.events_rule_matches_bucket_events, g, context("dev"))
    assert failure.message.endswith("matches detail-type Object Modified, which S3 never sends")


def test_a_pattern_that_misses_an_event_type_of_its_route_is_reported() -> None:
    g = _pattern(graph("dev"), lambda p: p.update({"detail-type": ["Object Created"]}))
    [failure] = failures(events.events_rule_matches_bucket_events, g, context("dev"))
    assert failure.message.endswith(
        "does not match AWS's sample Object Deleted event for tap-data-dev-useast1/example-key"
    )


def test_a_pattern_eventbridge_would_refuse_is_reported_with_the_reason() -> None:
    g = _pattern(graph("dev"), lambda p: p.update(source=[{"regex": "aws.s3"}, "aws.s3"]))
    [failure] = failures(events.events_rule_matches_bucket_events, g, RuleContext())
    assert failure.message.endswith("pattern is invalid: unknown operator 'regex'")


def test_a_pattern_with_an_operator_on_the_bucket_name_is_reported() -> None:
    g = _pattern(graph("dev"), lambda p: p["detail"]["bucket"].update(name=[{"prefix": ""}]))
    [failure] = failures(events.events_rule_matches_bucket_events, g, RuleContext())
    assert failure.message.endswith(
        "filters detail.bucket.name with {'prefix': ''}, not exact bucket names"
    )


def _route_context(route: Route) -> RuleContext:
    config = context("dev").config
    assert config is not None
    bucket = config.buckets[0].model_copy(update={"routes": (route,)})
    return RuleContext(config.model_copy(update={"buckets": (bucket,)}))


def test_a_pattern_wider_than_its_routes_prefix_is_reported() -> None:
    ctx = _route_context(Route(name="ingest", events=("Object Created",), prefix="raw/"))
    g = _pattern(graph("dev"), lambda p: p.update({"detail-type": ["Object Created"]}))
    [failure] = failures(events.events_rule_matches_bucket_events, g, ctx)
    assert failure.message.endswith(
        "matches key not-raw/example-key, outside its route's prefix/suffix"
    )


def test_a_pattern_wider_than_its_routes_event_types_is_reported() -> None:
    ctx = _route_context(Route(name="ingest", events=("Object Created",)))
    [failure] = failures(events.events_rule_matches_bucket_events, graph("dev"), ctx)
    assert failure.message == (
        "rule dev-data-ingest-rule's pattern matches Object Deleted events, "
        "which its route does not take"
    )


def test_a_pattern_that_honours_its_routes_prefix_and_suffix_complies() -> None:
    ctx = _route_context(Route(name="ingest", prefix="raw/", suffix=".csv"))
    key = {"key": [{"wildcard": "raw/*.csv"}]}
    g = _pattern(graph("dev"), lambda p: p["detail"].update(object=key))
    assert all_compliant(events.events_rule_matches_bucket_events, g, ctx) == 1


def test_without_config_the_key_comes_from_the_pattern() -> None:
    key = {"key": [{"prefix": "raw/"}]}
    g = _pattern(graph("dev"), lambda p: p["detail"].update(object=key))
    assert all_compliant(events.events_rule_matches_bucket_events, g, RuleContext()) == 1
    assert events._key_for([{"wildcard": r"raw/\**.csv"}]) == "raw/*example-key.csv"
    assert events._key_for([{"suffix": ".csv"}]) == "example-key.csv"
    assert events._key_for(["exact"]) == "exact"


def test_the_other_bucket_is_the_documentation_bucket() -> None:
    assert SAMPLE_BUCKET == "amzn-s3-demo-bucket1"


def test_a_rule_on_a_custom_bus_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, EVENT_RULE), lambda p: p.update(eventBusName="custom"))
    [failure] = failures(events.events_rule_on_default_bus, g, context("dev"))
    assert (
        failure.message
        == "rule dev-data-ingest-rule is on bus custom; S3 only sends to the default bus"
    )


def test_a_permission_for_another_rule_does_not_count() -> None:
    g = graph("dev")
    other = "arn:aws:events:us-east-1:111122223333:rule/other"
    g = edit(g, only(g, PERMISSION), lambda p: p.update(sourceArn=other))
    [failure] = failures(events.events_lambda_target_permitted, g, context("dev"))
    assert failure.message == (
        "no permission lets rule arn:aws:events:us-east-1:111122223333:rule/"
        "tap-data-ingest-dev-useast1 invoke tap-processor-dev-useast1:live; "
        f"found {other} (qualifier live)"
    )


def test_an_unqualified_permission_does_not_cover_the_alias() -> None:
    g = graph("dev")
    g = edit(g, only(g, PERMISSION), lambda p: p.pop("qualifier"))
    [failure] = failures(events.events_lambda_target_permitted, g, context("dev"))
    assert failure.message.endswith("(qualifier None)")


def test_a_missing_permission_is_reported() -> None:
    g = graph("dev")
    [failure] = failures(
        events.events_lambda_target_permitted, without(g, only(g, PERMISSION)), context("dev")
    )
    assert failure.message.endswith("found none")


def test_a_role_on_a_lambda_target_is_reported() -> None:
    g = graph("dev")
    role = "arn:aws:iam::111122223333:role/events"
    g = edit(g, only(g, EVENT_TARGET), lambda p: p.update(roleArn=role))
    [failure] = failures(events.events_lambda_target_no_role, g, context("dev"))
    assert failure.message == f"target dev-data-ingest-target sets roleArn {role}"


def test_a_target_without_retry_policy_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, EVENT_TARGET), lambda p: p.pop("retryPolicy"))
    [failure] = failures(events.events_target_retry_policy, g, context("dev"))
    assert failure.message == (
        "target dev-data-ingest-target's retry policy lacks maximumRetryAttempts, "
        "maximumEventAgeInSeconds"
    )


def test_a_target_without_dlq_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, EVENT_TARGET), lambda p: p.pop("deadLetterConfig"))
    [failure] = failures(events.events_target_dead_letter_queue, g, context("dev"))
    assert failure.message == "target dev-data-ingest-target has no dead-letter queue"


def test_a_dlq_outside_the_stack_is_reported() -> None:
    g = graph("dev")
    arn = "arn:aws:sqs:us-east-1:111122223333:elsewhere"
    g = edit(g, only(g, EVENT_TARGET), lambda p: p.update(deadLetterConfig={"arn": arn}))
    [failure] = failures(events.events_target_dead_letter_queue, g, context("dev"))
    assert (
        failure.message
        == f"target dev-data-ingest-target's dead-letter queue {arn} is not in the stack"
    )


def test_a_dlq_without_queue_policy_is_reported() -> None:
    g = graph("dev")
    g = without(g, only(g, QUEUE_POLICY, "delivery-dlq-policy"))
    [failure] = failures(events.events_dead_letter_queue_admits_rule, g, context("dev"))
    assert failure.message == (
        "DLQ tap-delivery-dlq-dev-useast1 of target dev-data-ingest-target has no queue policy"
    )


def test_a_dlq_policy_for_another_rule_is_reported() -> None:
    g = graph("dev")

    def other_rule(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        document["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] = [
            "arn:aws:events:us-east-1:111122223333:rule/other"
        ]
        props["policy"] = json.dumps(document)

    g = edit(g, only(g, QUEUE_POLICY, "delivery-dlq-policy"), other_rule)
    [failure] = failures(events.events_dead_letter_queue_admits_rule, g, context("dev"))
    assert failure.message == (
        "DLQ tap-delivery-dlq-dev-useast1's policy does not let events.amazonaws.com "
        "sqs:SendMessage with aws:SourceArn "
        "arn:aws:events:us-east-1:111122223333:rule/tap-data-ingest-dev-useast1"
    )
