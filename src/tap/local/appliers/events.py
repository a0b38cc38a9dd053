"""Appliers for EventBridge rules and targets; Lambda targets are rerouted to observer queues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.local.appliers.context import OBSERVER_PREFIX, ApplyContext, ObserverTarget
from tap.local.appliers.values import compact, mapping, optional_int, required_str
from tap.local.graph import GraphResource

OBSERVER_NOTE = (
    "Lambda targets are delivered through local-only observer queues "
    f"({OBSERVER_PREFIX}*): moto cannot invoke Lambda targets, and one such target silently "
    "stops its delivery to every other target and rule"
)


def rule(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An EventBridge rule: the pattern exactly as the graph holds it."""
    name = required_str(inputs, "name", resource.urn)
    arn = ctx.client("events", inputs).put_rule(
        **compact(
            Name=name,
            EventPattern=inputs.get("eventPattern"),
            ScheduleExpression=inputs.get("scheduleExpression"),
            State=inputs.get("state") or "ENABLED",
            Description=inputs.get("description"),
            EventBusName=inputs.get("eventBusName"),
        )
    )["RuleArn"]
    return {"id": name, "name": name, "arn": arn}


def _target_params(inputs: Mapping[str, Any], arn: str) -> dict[str, Any]:
    retry = mapping(inputs, "retryPolicy")
    dead_letter = mapping(inputs, "deadLetterConfig").get("arn")
    return compact(
        Id=inputs.get("targetId"),
        Arn=arn,
        RoleArn=inputs.get("roleArn"),
        Input=inputs.get("input"),
        InputPath=inputs.get("inputPath"),
        RetryPolicy=compact(
            MaximumRetryAttempts=optional_int(retry, "maximumRetryAttempts"),
            MaximumEventAgeInSeconds=optional_int(retry, "maximumEventAgeInSeconds"),
        )
        or None,
        DeadLetterConfig=compact(Arn=dead_letter) or None,
    )


def target(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An EventBridge target; a Lambda target gets a local observer queue."""
    rule_name = required_str(inputs, "rule", resource.urn)
    arn = required_str(inputs, "arn", resource.urn)
    target_id = required_str(inputs, "targetId", resource.urn)
    events = ctx.client("events", inputs)
    if arn.split(":")[2] == "lambda":
        ctx.adapt(OBSERVER_NOTE)
        sqs = ctx.client("sqs", inputs)
        url = sqs.create_queue(QueueName=f"{OBSERVER_PREFIX}{rule_name}-{target_id}"[:80])[
            "QueueUrl"
        ]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        rule_arn = events.describe_rule(
            **compact(Name=rule_name, EventBusName=inputs.get("eventBusName"))
        )["Arn"]
        ctx.observers.append(
            ObserverTarget(
                rule_name=rule_name,
                rule_arn=rule_arn,
                target_id=target_id,
                target_arn=arn,
                queue_url=url,
                queue_arn=queue_arn,
                retry_policy=mapping(inputs, "retryPolicy"),
                dead_letter_arn=mapping(inputs, "deadLetterConfig").get("arn"),
            )
        )
        arn = queue_arn
    response = events.put_targets(
        **compact(
            Rule=rule_name,
            EventBusName=inputs.get("eventBusName"),
            Targets=[_target_params(inputs, arn)],
        )
    )
    if response.get("FailedEntryCount"):
        from tap.local.errors import ApplyError

        raise ApplyError(resource.urn, f"put_targets failed: {response['FailedEntries']}")
    return {"id": f"{rule_name}-{target_id}"}
