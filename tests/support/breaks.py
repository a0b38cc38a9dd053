"""One mutation per guardrail rule: the shipped prod graph broken the way that rule guards.

Shared by the docs test (the exact line each rule prints) and the CLI test (graph files).
"""

import json
from collections.abc import Callable
from typing import Any

from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL
from tap.facts.tokens import (
    AWS_PROVIDER,
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_NOTIFICATION,
    BUCKET_POLICY,
    BUCKET_VERSIONING,
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    INVOKE_CONFIG,
    KMS_KEY,
    LOG_GROUP,
    METRIC_ALARM,
    PERMISSION,
    PUBLIC_ACCESS_BLOCK,
    QUEUE,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    TABLE,
    TABLE_REPLICA,
)
from tap.synth.graph import ResourceGraph
from tests.support.shipped import edit, only, replace, without

Mutation = Callable[[ResourceGraph], ResourceGraph]


def _set(type_: str, suffix: str, **values: Any) -> Mutation:
    return lambda g: edit(g, only(g, type_, suffix), lambda p: p.update(values))


def _pop(type_: str, key: str, suffix: str = "") -> Mutation:
    return lambda g: edit(g, only(g, type_, suffix), lambda p: p.pop(key))


def _drop(type_: str, suffix: str = "") -> Mutation:
    return lambda g: without(g, only(g, type_, suffix))


def _json(type_: str, suffix: str, key: str, change: Callable[[dict[str, Any]], None]) -> Mutation:
    def mutate(g: ResourceGraph) -> ResourceGraph:
        def edit_json(props: dict[str, Any]) -> None:
            document = json.loads(props[key])
            change(document)
            props[key] = json.dumps(document)

        return edit(g, only(g, type_, suffix), edit_json)

    return mutate


def _first_statement(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["Statement"][0].update(values)


def _without_send(document: dict[str, Any]) -> None:
    document["Statement"] = [
        s for s in document["Statement"] if "sqs:SendMessage" not in s["Action"]
    ]


def _unscoped_eventbridge_grant(document: dict[str, Any]) -> None:
    for statement in document["Statement"]:
        if statement.get("Principal", {}).get("Service") == "events.amazonaws.com":
            del statement["Condition"]


OTHER_RULE = "arn:aws:events:us-east-1:777788889999:rule/other"
BUCKET_ARN = "arn:aws:s3:::tap-data-prod-useast1"


def _batch_role_invoking_the_function(g: ResourceGraph) -> ResourceGraph:
    """The role trusted by S3 Batch Operations, granted the unqualified function."""
    trusted = _json(
        ROLE,
        "",
        "assumeRolePolicy",
        lambda d: d["Statement"][0].update(Principal={"Service": BATCH_OPERATIONS_PRINCIPAL}),
    )(g)
    function_arn = only(trusted, FUNCTION).outputs["arn"]
    invoke = {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [function_arn]}
    return _json(ROLE_POLICY, "", "policy", lambda d: d["Statement"].append(invoke))(trusted)


BREAKS: dict[str, Mutation] = {
    "aws-resources-use-stack-provider": lambda g: replace(
        g, only(g, QUEUE, "processor-dlq"), provider=None
    ),
    "provider-pinned": _pop(AWS_PROVIDER, "assumeRoles"),
    "no-unresolved-output-text": _json(
        QUEUE_POLICY,
        "processor-dlq-policy",
        "policy",
        _first_statement(Sid="Calling __str__ on an Output[T] is not supported"),
    ),
    "s3-bucket-name-valid": _set(BUCKET, "", bucket="Tap_Data"),
    "s3-bucket-names-prefix-free": _set(BUCKET, "", bucket="tap-tap-data-prod-useast1"),
    "s3-bucket-public-access-blocked": _set(PUBLIC_ACCESS_BLOCK, "", blockPublicPolicy=False),
    "s3-bucket-tls-only": _json(BUCKET_POLICY, "", "policy", _first_statement(Condition={})),
    "s3-bucket-versioned": _set(
        BUCKET_VERSIONING, "", versioningConfiguration={"status": "Suspended"}
    ),
    "s3-bucket-encrypted": _drop(BUCKET_ENCRYPTION),
    "s3-bucket-eventbridge-enabled": _set(BUCKET_NOTIFICATION, "", eventbridge=False),
    "events-rule-on-default-bus": _set(EVENT_RULE, "", eventBusName="custom"),
    "events-rule-matches-bucket-events": _json(
        EVENT_RULE, "", "eventPattern", lambda d: d["detail"]["bucket"].update(name=[BUCKET_ARN])
    ),
    "events-lambda-target-permitted": _set(PERMISSION, "", sourceArn=OTHER_RULE),
    "events-lambda-target-no-role": _set(
        EVENT_TARGET, "", roleArn="arn:aws:iam::777788889999:role/events"
    ),
    "events-target-retry-policy": _pop(EVENT_TARGET, "retryPolicy"),
    "events-target-dead-letter-queue": _pop(EVENT_TARGET, "deadLetterConfig"),
    "events-dead-letter-queue-admits-rule": _drop(QUEUE_POLICY, "delivery-dlq-policy"),
    "lambda-async-failure-destination": _drop(INVOKE_CONFIG),
    "lambda-role-reaches-failure-destination": _json(ROLE_POLICY, "", "policy", _without_send),
    "lambda-tracing-active": _set(FUNCTION, "", tracingConfig={"mode": "PassThrough"}),
    "lambda-log-retention": _pop(LOG_GROUP, "retentionInDays"),
    "lambda-reserved-concurrency": _set(FUNCTION, "", reservedConcurrentExecutions=10),
    "iam-policy-document-valid": _json(
        ROLE_POLICY, "", "policy", lambda d: d.update(Version="2008-10-17")
    ),
    "iam-no-wildcard-actions": _json(
        ROLE_POLICY, "", "policy", _first_statement(Action=["dynamodb:*"])
    ),
    "iam-resource-star-only-where-required": _json(
        ROLE_POLICY, "", "policy", _first_statement(Resource="*")
    ),
    "iam-actions-exist": _json(
        ROLE_POLICY, "", "policy", _first_statement(Action=["dynamodb:PutItems"])
    ),
    "iam-batch-role-invokes-only-the-alias": _batch_role_invoking_the_function,
    "iam-processor-role-matches-handler-needs": _json(
        ROLE_POLICY, "", "policy", _first_statement(Action=["dynamodb:GetItem"])
    ),
    "iam-roles-have-permissions-boundary": _pop(ROLE, "permissionsBoundary"),
    "dynamodb-table-point-in-time-recovery": _set(
        TABLE, "", pointInTimeRecovery={"enabled": False}
    ),
    "dynamodb-table-deletion-protection": _set(TABLE, "", deletionProtectionEnabled=False),
    "dynamodb-replica-in-other-region": _set(TABLE_REPLICA, "", region="us-east-1"),
    "sqs-queue-encrypted": _pop(QUEUE, "kmsMasterKeyId", "delivery-dlq"),
    "sqs-queue-tls-only": _drop(QUEUE_POLICY, "processor-dlq-policy"),
    "kms-key-rotation": _set(KMS_KEY, "", enableKeyRotation=False),
    "kms-key-protected-in-production": lambda g: replace(g, only(g, KMS_KEY), options={}),
    "kms-key-admits-senders": _json(KMS_KEY, "", "policy", _unscoped_eventbridge_grant),
    "alarms-cover-dead-letter-queues": _drop(METRIC_ALARM, "-delivery-dlq-depth"),
    "alarms-cover-rule-failures": _drop(METRIC_ALARM, "-data-ingest-failed-invocations"),
    "alarms-cover-lambda-failures": _drop(METRIC_ALARM, "-processor-destination-failures"),
    "alarms-cover-dynamodb-throttles": _drop(METRIC_ALARM, "-items-throttled-writes"),
}
