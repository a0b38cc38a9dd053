"""EventRouting: one rule per route on the default bus, targeting the processor's alias."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from tap import resources
from tap.config.model import DeliveryRetry, Route
from tap.facts.principals import EVENTS_PRINCIPAL


def key_filter(route: Route) -> list[Any] | None:
    """EventBridge filter on `detail.object.key`; prefix AND suffix needs a wildcard."""
    if route.prefix and route.suffix:
        escape = str.maketrans({"*": r"\*", "\\": "\\\\"})
        pattern = f"{route.prefix.translate(escape)}*{route.suffix.translate(escape)}"
        return [{"wildcard": pattern}]
    if route.prefix:
        return [{"prefix": route.prefix}]
    if route.suffix:
        return [{"suffix": route.suffix}]
    return None


def event_pattern(route: Route, bucket_name: pulumi.Input[str]) -> dict[str, Any]:
    """The rule's pattern: S3 events of the route's types from exactly this bucket (by name)."""
    detail: dict[str, Any] = {"bucket": {"name": [bucket_name]}}
    keys = key_filter(route)
    if keys is not None:
        detail["object"] = {"key": keys}
    return {"source": ["aws.s3"], "detail-type": list(route.events), "detail": detail}


@dataclass(frozen=True)
class EventRoutingArgs:
    """Inputs of EventRouting."""

    rule_name: str
    """Physical rule name."""
    route: Route
    """Which events, and which keys."""
    bucket: aws.s3.Bucket
    """The bucket whose events this rule matches; its name output, never its id."""
    function: aws.lambda_.Function
    """The processor function."""
    alias: aws.lambda_.Alias
    """The alias events are delivered to."""
    delivery_dlq: aws.sqs.Queue
    """Where EventBridge puts events it could not deliver."""
    retry: DeliveryRetry
    """EventBridge's retry policy for this target."""


class EventRouting(pulumi.ComponentResource):
    """Rule, target and invoke permission for one route."""

    TYPE: ClassVar[str] = resources.EVENT_ROUTING.token

    rule: aws.cloudwatch.EventRule
    target: aws.cloudwatch.EventTarget
    permission: aws.lambda_.Permission

    def __init__(
        self, name: str, args: EventRoutingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=args.rule_name,
            description=f"S3 {', '.join(args.route.events)} events to the processor",
            event_pattern=pulumi.Output.json_dumps(event_pattern(args.route, args.bucket.bucket)),
            state="ENABLED",
            opts=child,
        )
        # A Lambda target is authorised by the function's resource policy, not a role.
        self.permission = aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=args.function.name,
            qualifier=args.alias.name,
            principal=EVENTS_PRINCIPAL,
            source_arn=self.rule.arn,
            opts=child,
        )
        self.target = aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=self.rule.name,
            target_id="processor",
            arn=args.alias.arn,
            retry_policy={
                "maximum_retry_attempts": args.retry.maximum_retry_attempts,
                "maximum_event_age_in_seconds": args.retry.maximum_event_age_seconds,
            },
            dead_letter_config={"arn": args.delivery_dlq.arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.permission]),
        )
        self.register_outputs({"ruleArn": self.rule.arn, "ruleName": self.rule.name})
