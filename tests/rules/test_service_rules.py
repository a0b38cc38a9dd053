"""DynamoDB, SQS, KMS, alarm and program-wide rules."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from tap.facts.tokens import (
    KMS_KEY,
    KMS_REPLICA_KEY,
    METRIC_ALARM,
    QUEUE,
    QUEUE_POLICY,
    TABLE,
    TABLE_REPLICA,
    TOPIC,
)
from tap.rules import alarms, dynamodb, kms, program, sqs
from tap.rules.model import RuleCheck, Status
from tests.support.judge import all_compliant, failures, judge
from tests.support.shipped import (
    STACKS,
    context,
    edit,
    graph,
    only,
    replace,
    shipped_preview,
    without,
)


@pytest.mark.parametrize(
    "rule",
    [dynamodb.dynamodb_table_point_in_time_recovery, dynamodb.dynamodb_table_deletion_protection],
)
def test_the_prod_table_is_recoverable_and_protected(rule: RuleCheck) -> None:
    assert all_compliant(rule, graph("prod"), context("prod")) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "pointInTimeRecovery",
            {"enabled": False},
            "table tap-items-prod-useast1 has no point-in-time recovery",
        ),
        (
            "deletionProtectionEnabled",
            False,
            "table tap-items-prod-useast1 has no deletion protection",
        ),
    ],
)
def test_an_unprotected_prod_table_is_reported(field: str, value: object, message: str) -> None:
    g = graph("prod")
    g = edit(g, only(g, TABLE), lambda p: p.update({field: value}))
    rules = [
        dynamodb.dynamodb_table_point_in_time_recovery,
        dynamodb.dynamodb_table_deletion_protection,
    ]
    assert [f.message for rule in rules for f in failures(rule, g, context("prod"))] == [message]


def test_table_protection_is_not_required_outside_production() -> None:
    [outcome] = judge(dynamodb.dynamodb_table_point_in_time_recovery, graph("dev"), context("dev"))
    assert outcome.status is Status.NOT_APPLICABLE
    assert outcome.message == "dev is not production"


def test_the_prod_replica_is_in_another_region() -> None:
    assert (
        all_compliant(dynamodb.dynamodb_replica_in_other_region, graph("prod"), context("prod"))
        == 1
    )


def test_a_replica_in_the_tables_own_region_is_reported() -> None:
    g = graph("prod")
    g = edit(g, only(g, TABLE_REPLICA), lambda p: p.update(region="us-east-1"))
    [failure] = failures(dynamodb.dynamodb_replica_in_other_region, g, context("prod"))
    assert failure.message == (
        "replica prod-items-replica-us-west-2 of table tap-items-prod-useast1 is in us-east-1, "
        "its table's own region us-east-1"
    )


def test_an_inline_replica_in_the_tables_own_region_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, TABLE), lambda p: p.update(replicas=[{"regionName": "us-east-1"}]))
    [failure] = failures(dynamodb.dynamodb_replica_in_other_region, g, context("dev"))
    assert failure.message == "table tap-items-dev-useast1 replicates into its own region"


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(
    "rule", [sqs.sqs_queue_encrypted, sqs.sqs_queue_tls_only], ids=lambda r: r.__name__
)
def test_shipped_queues_comply(rule: RuleCheck, stack: str) -> None:
    assert all_compliant(rule, graph(stack), context(stack)) == 2


def test_an_unencrypted_queue_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, QUEUE, "delivery-dlq"), lambda p: p.pop("kmsMasterKeyId"))
    [failure] = failures(sqs.sqs_queue_encrypted, g, context("dev"))
    assert failure.message == "queue tap-delivery-dlq-dev-useast1 is not encrypted"


def test_sse_sqs_counts_as_encrypted() -> None:
    g = graph("dev")
    g = edit(
        g,
        only(g, QUEUE, "delivery-dlq"),
        lambda p: p.update(kmsMasterKeyId=None, sqsManagedSseEnabled=True),
    )
    assert failures(sqs.sqs_queue_encrypted, g, context("dev")) == []


def test_a_queue_without_tls_policy_is_reported() -> None:
    g = graph("dev")
    [failure] = failures(
        sqs.sqs_queue_tls_only,
        without(g, only(g, QUEUE_POLICY, "processor-dlq-policy")),
        context("dev"),
    )
    assert (
        failure.message
        == "queue tap-processor-dlq-dev-useast1 has no policy denying non-TLS requests"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_keys_rotate(stack: str) -> None:
    assert all_compliant(kms.kms_key_rotation, graph(stack), context(stack)) == 1


def test_a_key_without_rotation_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), lambda p: p.update(enableKeyRotation=False))
    [failure] = failures(kms.kms_key_rotation, g, context("dev"))
    assert failure.message == "key dev-key-key does not rotate"


def test_the_prod_key_and_its_replica_are_protected() -> None:
    g = graph("prod")
    assert all_compliant(kms.kms_key_protected_in_production, g, context("prod")) == 2


@pytest.mark.parametrize("type_", [KMS_KEY, KMS_REPLICA_KEY])
def test_an_unprotected_prod_key_is_reported(type_: str) -> None:
    g = graph("prod")
    key = only(g, type_)
    g = replace(g, key, options={})
    [failure] = failures(kms.kms_key_protected_in_production, g, context("prod"))
    assert failure.message == f"production key {key.name} is not protected"


def test_retain_on_delete_also_protects_a_prod_key() -> None:
    g = graph("prod")
    key = only(g, KMS_KEY)
    g = replace(g, key, options={"retainOnDelete": True})
    assert all_compliant(kms.kms_key_protected_in_production, g, context("prod")) == 2


def test_key_protection_is_not_required_outside_production() -> None:
    [outcome] = judge(kms.kms_key_protected_in_production, graph("dev"), context("dev"))
    assert outcome.status is Status.NOT_APPLICABLE
    assert outcome.message == "dev is not production"


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_keys_admit_the_dlq_and_alarm_senders(stack: str) -> None:
    """The delivery DLQ (events.amazonaws.com) and the alarm topic (cloudwatch.amazonaws.com)."""
    assert all_compliant(kms.kms_key_admits_senders, graph(stack), context(stack)) == 2


def _key_policy_without(service: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        document["Statement"] = [
            st for st in document["Statement"] if st.get("Principal", {}).get("Service") != service
        ]
        props["policy"] = json.dumps(document)

    return change


@pytest.mark.parametrize(
    ("service", "type_", "label"),
    [
        ("events.amazonaws.com", QUEUE, "DLQ tap-delivery-dlq-dev-useast1"),
        ("cloudwatch.amazonaws.com", TOPIC, "topic tap-alarms-dev-useast1"),
    ],
)
def test_a_key_that_shuts_out_a_sender_is_reported(service: str, type_: str, label: str) -> None:
    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), _key_policy_without(service))
    [failure] = failures(kms.kms_key_admits_senders, g, context("dev"))
    assert failure.message == (
        f"{label} is encrypted with key dev-key-key, whose policy does not let "
        f"{service} kms:GenerateDataKey and kms:Decrypt"
    )
    assert f"${type_}::" in str(failure.resource_urn)


def test_an_eventbridge_grant_conditioned_on_the_source_account_is_reported() -> None:
    """EventBridge's KMS requests carry no aws:SourceAccount, so such a grant never matches."""

    def condition(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        for st in document["Statement"]:
            if st.get("Principal", {}).get("Service") == "events.amazonaws.com":
                st["Condition"] = {"StringEquals": {"aws:SourceAccount": "111122223333"}}
        props["policy"] = json.dumps(document)

    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), condition)
    [failure] = failures(kms.kms_key_admits_senders, g, context("dev"))
    assert failure.message.startswith("DLQ tap-delivery-dlq-dev-useast1 is encrypted with key")


DELIVERY_DLQ_ARN = "arn:aws:sqs:us-east-1:111122223333:tap-delivery-dlq-dev-useast1"


def _eventbridge_condition(condition: dict[str, Any] | None) -> Callable[[dict[str, Any]], None]:
    """Give EventBridge's key grant this condition (None: no condition at all)."""

    def change(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        for st in document["Statement"]:
            if st.get("Principal", {}).get("Service") == "events.amazonaws.com":
                st.pop("Condition", None)
                if condition is not None:
                    st["Condition"] = condition
        props["policy"] = json.dumps(document)

    return change


def test_the_shipped_key_scopes_eventbridge_to_the_dlq_and_cloudwatch_to_the_account() -> None:
    g = graph("dev")
    document = json.loads(only(g, KMS_KEY).inputs["policy"])
    by_service = {
        st["Principal"]["Service"]: st
        for st in document["Statement"]
        if "Service" in st.get("Principal", {})
    }
    # The ARN the key policy builds from the queue's name is the queue's real ARN.
    assert only(g, QUEUE, "delivery-dlq").outputs["arn"] == DELIVERY_DLQ_ARN
    assert by_service["events.amazonaws.com"]["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:sqs:arn": [DELIVERY_DLQ_ARN]}
    }
    assert by_service["cloudwatch.amazonaws.com"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111122223333"}
    }


def test_an_unconditioned_eventbridge_grant_is_reported() -> None:
    # GIVEN EventBridge's grant without any condition: any rule, anywhere, may use the key
    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), _eventbridge_condition(None))
    # WHEN the rule runs, THEN the DLQ is reported (and the alarm topic is still fine)
    [failure] = failures(kms.kms_key_admits_senders, g, context("dev"))
    assert failure.resource_urn == only(g, QUEUE, "delivery-dlq").urn
    assert failure.message == (
        "DLQ tap-delivery-dlq-dev-useast1 is encrypted with key dev-key-key, whose grant to "
        "events.amazonaws.com is not scoped by kms:EncryptionContext:aws:sqs:arn"
    )


def test_an_eventbridge_grant_scoped_to_another_queue_is_reported() -> None:
    other = "arn:aws:sqs:us-east-1:111122223333:someone-elses-queue"
    g = graph("dev")
    condition = {"StringEquals": {"kms:EncryptionContext:aws:sqs:arn": [other]}}
    g = edit(g, only(g, KMS_KEY), _eventbridge_condition(condition))
    [failure] = failures(kms.kms_key_admits_senders, g, context("dev"))
    assert failure.message.endswith(
        f"whose grant to events.amazonaws.com is scoped to {other}, not {DELIVERY_DLQ_ARN} "
        "by kms:EncryptionContext:aws:sqs:arn"
    )


def test_an_unscoped_grant_beside_a_scoped_one_is_still_reported() -> None:
    def add_unscoped(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        [scoped] = [
            st
            for st in document["Statement"]
            if st.get("Principal", {}).get("Service") == "events.amazonaws.com"
        ]
        document["Statement"].append({k: v for k, v in scoped.items() if k != "Condition"})
        props["policy"] = json.dumps(document)

    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), add_unscoped)
    assert failures(kms.kms_key_admits_senders, g, context("dev"))


@pytest.mark.parametrize(
    "condition",
    [
        {
            "ArnLike": {
                "kms:EncryptionContext:aws:sqs:arn": "arn:aws:sqs:us-east-1:111122223333:tap-*"
            }
        },
        {"StringEquals": {"KMS:EncryptionContext:aws:sqs:arn": DELIVERY_DLQ_ARN}},
    ],
    ids=["pattern", "key-case-and-single-value"],
)
def test_a_grant_scoped_by_pattern_or_single_value_admits_eventbridge(
    condition: dict[str, Any],
) -> None:
    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), _eventbridge_condition(condition))
    assert all_compliant(kms.kms_key_admits_senders, g, context("dev")) == 2


def test_a_queue_condition_that_holds_when_absent_does_not_scope_the_grant() -> None:
    """...IfExists passes a request without the key, so it scopes nothing."""
    condition = {"StringEqualsIfExists": {"kms:EncryptionContext:aws:sqs:arn": DELIVERY_DLQ_ARN}}
    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), _eventbridge_condition(condition))
    [failure] = failures(kms.kms_key_admits_senders, g, context("dev"))
    assert "is not scoped by kms:EncryptionContext:aws:sqs:arn" in failure.message


def test_in_preview_the_grant_must_still_be_scoped_to_a_queue() -> None:
    """The queue's ARN is unknown in preview; a queue-scoped grant passes, an unscoped one not."""
    g = shipped_preview("dev").model_copy(deep=True)
    queue = only(g, QUEUE, "delivery-dlq")
    assert queue.outputs.get("arn") is None
    [outcome] = judge(kms.kms_key_admits_senders, g, context("dev"))
    assert (outcome.status, outcome.resource_urn) == (Status.COMPLIANT, queue.urn)
    g = edit(g, only(g, KMS_KEY), _eventbridge_condition(None))
    [failure] = failures(kms.kms_key_admits_senders, g, context("dev"))
    assert failure.message.endswith("is not scoped by kms:EncryptionContext:aws:sqs:arn")


def test_a_dlq_on_the_aws_managed_sqs_key_is_reported() -> None:
    g = graph("dev")
    queue = only(g, QUEUE, "delivery-dlq")
    g = edit(g, queue, lambda p: p.update(kmsMasterKeyId="alias/aws/sqs"))
    [failure] = failures(kms.kms_key_admits_senders, g, context("dev"))
    assert failure.message == (
        "DLQ tap-delivery-dlq-dev-useast1 is encrypted with the AWS-managed alias/aws/sqs, "
        "whose policy cannot let events.amazonaws.com use it"
    )


def test_action_case_does_not_matter_in_a_sender_grant() -> None:
    def shout(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        for st in document["Statement"]:
            if "Service" in st.get("Principal", {}):
                st["Action"] = ["KMS:decrypt", "kms:generatedatakey"]
        props["policy"] = json.dumps(document)

    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), shout)
    assert all_compliant(kms.kms_key_admits_senders, g, context("dev")) == 2


def test_a_wildcard_kms_grant_admits_a_sender() -> None:
    def widen(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        for statement in document["Statement"]:
            if "Service" in statement.get("Principal", {}):
                statement["Action"] = "kms:*"
        props["policy"] = json.dumps(document)

    g = graph("dev")
    g = edit(g, only(g, KMS_KEY), widen)
    assert all_compliant(kms.kms_key_admits_senders, g, context("dev")) == 2


ALARM_RULES = [
    (alarms.alarms_cover_dead_letter_queues, 2),
    (alarms.alarms_cover_rule_failures, 1),
    (alarms.alarms_cover_lambda_failures, 1),
    (alarms.alarms_cover_dynamodb_throttles, 1),
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(
    ("rule", "count"), ALARM_RULES, ids=lambda r: getattr(r, "__name__", str(r))
)
def test_every_failure_path_of_a_shipped_stack_is_alarmed(
    rule: RuleCheck, count: int, stack: str
) -> None:
    assert all_compliant(rule, graph(stack), context(stack)) == count


@pytest.mark.parametrize(
    ("alarm", "rule", "message"),
    [
        (
            "delivery-dlq-depth",
            alarms.alarms_cover_dead_letter_queues,
            "DLQ tap-delivery-dlq-dev-useast1 has no depth alarm with an action",
        ),
        (
            "processor-dlq-depth",
            alarms.alarms_cover_dead_letter_queues,
            "DLQ tap-processor-dlq-dev-useast1 has no depth alarm with an action",
        ),
        (
            "data-ingest-failed-invocations",
            alarms.alarms_cover_rule_failures,
            "rule tap-data-ingest-dev-useast1 has no alarm with an action on FailedInvocations",
        ),
        (
            "data-ingest-sent-to-dlq",
            alarms.alarms_cover_rule_failures,
            "rule tap-data-ingest-dev-useast1 has no alarm with an action on InvocationsSentToDlq",
        ),
        (
            "data-ingest-dlq-send-failed",
            alarms.alarms_cover_rule_failures,
            "rule tap-data-ingest-dev-useast1 has no alarm with an action on"
            " InvocationsFailedToBeSentToDlq",
        ),
        (
            "processor-errors",
            alarms.alarms_cover_lambda_failures,
            "function tap-processor-dev-useast1 has no alarm with an action on Errors",
        ),
        (
            "processor-throttles",
            alarms.alarms_cover_lambda_failures,
            "function tap-processor-dev-useast1 has no alarm with an action on Throttles",
        ),
        (
            "processor-destination-failures",
            alarms.alarms_cover_lambda_failures,
            "function tap-processor-dev-useast1 has no alarm with an action on "
            "DestinationDeliveryFailures",
        ),
        (
            "items-throttled-writes",
            alarms.alarms_cover_dynamodb_throttles,
            "table tap-items-dev-useast1 has no throttling alarm with an action",
        ),
    ],
)
def test_each_missing_alarm_is_reported(alarm: str, rule: RuleCheck, message: str) -> None:
    g = graph("dev")
    [failure] = failures(rule, without(g, only(g, METRIC_ALARM, f"-{alarm}")), context("dev"))
    assert failure.message == message


def test_an_alarm_without_action_does_not_count() -> None:
    g = graph("dev")
    g = edit(g, only(g, METRIC_ALARM, "-processor-errors"), lambda p: p.update(alarmActions=[]))
    [failure] = failures(alarms.alarms_cover_lambda_failures, g, context("dev"))
    assert failure.message.endswith("on Errors")


@pytest.mark.parametrize("stack", STACKS)
def test_no_shipped_input_holds_an_output_repr(stack: str) -> None:
    g = graph(stack)
    assert all_compliant(program.no_unresolved_output_text, g, context(stack)) == len(g.resources)


def test_an_output_repr_anywhere_in_an_input_is_reported() -> None:
    g = graph("dev")
    text = "arn:Calling __str__ on an Output[T] is not supported"
    g = edit(g, only(g, QUEUE, "processor-dlq"), lambda p: p.update(tags={"source": text}))
    [failure] = failures(program.no_unresolved_output_text, g, context("dev"))
    assert failure.message == (
        "aws:sqs/queue:Queue dev-queues-processor-dlq has "
        "'Calling __str__ on an Output' in tags.source"
    )
