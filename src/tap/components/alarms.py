"""PipelineAlarms: an alarm on every failure path, a topic they notify, and a dashboard."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from tap import resources
from tap.config.model import Alarms


@dataclass(frozen=True)
class WatchedRule:
    """A rule whose delivery failures are alarmed."""

    key: str
    """Short stable label for resource names, e.g. `data-ingest`."""
    rule: aws.cloudwatch.EventRule


@dataclass(frozen=True)
class PipelineAlarmsArgs:
    """Inputs of PipelineAlarms."""

    settings: Alarms
    """Email and evaluation period."""
    topic_name: str
    """Physical SNS topic name."""
    alarm_name: Callable[[str], str]
    """Physical alarm name for a short label (from `tap.naming`)."""
    dashboard_name: str
    """Physical dashboard name."""
    region: str
    """The dashboard's region."""
    queues: Sequence[tuple[str, aws.sqs.Queue]]
    """Each DLQ, labelled."""
    rules: Sequence[WatchedRule]
    """Every routing rule."""
    function: aws.lambda_.Function
    """The processor."""
    table: aws.dynamodb.Table
    """The items table."""
    kms_key_arn: pulumi.Output[str] | None = None
    """Encrypts the topic when set."""


RUNBOOK = "docs/operations.md"
"""Where each alarm's description points: the section saying what it means and what to run."""


@dataclass(frozen=True)
class _Watch:
    label: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    description: str
    runbook: str
    """The anchor of the alarm's section in RUNBOOK."""
    statistic: str = "Sum"

    @property
    def alarm_description(self) -> str:
        """What fired, and the runbook section that says what to do."""
        return f"{self.description}. Runbook: {RUNBOOK}#{self.runbook}"


class PipelineAlarms(pulumi.ComponentResource):
    """Alarms that fire on the first failure anywhere, notifying one topic."""

    TYPE: ClassVar[str] = resources.PIPELINE_ALARMS.token

    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: PipelineAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=args.topic_name, kms_master_key_id=args.kms_key_arn, opts=child
        )
        if args.settings.email:
            self.subscription = aws.sns.TopicSubscription(
                f"{name}-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.settings.email,
                opts=child,
            )
        self.alarms = {watch.label: self._alarm(name, watch, args) for watch in _watches(args)}
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=_dashboard_body(args),
            opts=child,
        )
        self.register_outputs({"topicArn": self.topic.arn, "alarmCount": len(self.alarms)})

    def _alarm(
        self, name: str, watch: _Watch, args: PipelineAlarmsArgs
    ) -> aws.cloudwatch.MetricAlarm:
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{watch.label}",
            name=args.alarm_name(watch.label),
            alarm_description=watch.alarm_description,
            namespace=watch.namespace,
            metric_name=watch.metric,
            dimensions=watch.dimensions,
            statistic=watch.statistic,
            period=args.settings.evaluation_period_seconds,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            opts=pulumi.ResourceOptions(parent=self),
        )


def _watches(args: PipelineAlarmsArgs) -> list[_Watch]:
    """Every alarmed metric, in the order the alarms are created."""
    queues = [_queue_watch(label, queue) for label, queue in args.queues]
    rules = [watch for watched in args.rules for watch in _rule_watches(watched)]
    return [*queues, *rules, *_processor_watches(args.function), _table_watch(args.table)]


def _queue_watch(label: str, queue: aws.sqs.Queue) -> _Watch:
    return _Watch(
        f"{label}-depth",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": queue.name},
        f"Messages are waiting in the {label}: events failed and need a redrive",
        f"alarm-{label}-depth",
        statistic="Maximum",
    )


def _rule_watches(watched: WatchedRule) -> list[_Watch]:
    rule = {"RuleName": watched.rule.name}
    return [
        _Watch(
            f"{watched.key}-failed-invocations",
            "AWS/Events",
            "FailedInvocations",
            rule,
            "EventBridge failed to invoke the processor",
            "alarm-failed-invocations",
        ),
        _Watch(
            f"{watched.key}-sent-to-dlq",
            "AWS/Events",
            "InvocationsSentToDlq",
            rule,
            "EventBridge gave up on events and dead-lettered them",
            "alarm-sent-to-dlq",
        ),
        _Watch(
            f"{watched.key}-dlq-send-failed",
            "AWS/Events",
            "InvocationsFailedToBeSentToDlq",
            rule,
            "EventBridge could not dead-letter failed events: data lost",
            "alarm-dlq-send-failed",
        ),
    ]


def _processor_watches(function: aws.lambda_.Function) -> list[_Watch]:
    dimensions = {"FunctionName": function.name}
    return [
        _Watch(
            "processor-errors",
            "AWS/Lambda",
            "Errors",
            dimensions,
            "The processor raised",
            "alarm-processor-errors",
        ),
        _Watch(
            "processor-throttles",
            "AWS/Lambda",
            "Throttles",
            dimensions,
            "Invocations throttled",
            "alarm-processor-throttles",
        ),
        _Watch(
            "processor-destination-failures",
            "AWS/Lambda",
            "DestinationDeliveryFailures",
            dimensions,
            "Lambda could not deliver a failed event to the on-failure destination: data at risk",
            "alarm-processor-destination-failures",
        ),
    ]


def _table_watch(table: aws.dynamodb.Table) -> _Watch:
    return _Watch(
        "items-throttled-writes",
        "AWS/DynamoDB",
        "ThrottledRequests",
        {"TableName": table.name, "Operation": "PutItem"},
        "Writes to the items table are throttled",
        "alarm-items-throttled-writes",
    )


ROUTING_METRICS = (
    "MatchedEvents",
    "FailedInvocations",
    "InvocationsSentToDlq",
    "InvocationsFailedToBeSentToDlq",
)
"""What the dashboard's routing widget shows for each rule."""

Metrics = list[list[pulumi.Input[str]]]


def _widget(title: str, region: str, metrics: Metrics) -> dict[str, object]:
    """A 12x6 metric widget of five-minute sums."""
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "stat": "Sum",
            "period": 300,
            "metrics": metrics,
        },
    }


def _dashboard_body(args: PipelineAlarmsArgs) -> pulumi.Output[str]:
    """The processor, routing, dead-letter queue and items table widgets."""
    fn = args.function.name
    table = args.table.name
    processor: Metrics = [
        ["AWS/Lambda", metric, "FunctionName", fn]
        for metric in ("Invocations", "Errors", "Throttles", "DestinationDeliveryFailures")
    ]
    routing: Metrics = [
        ["AWS/Events", metric, "RuleName", w.rule.name]
        for w in args.rules
        for metric in ROUTING_METRICS
    ]
    queues: Metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q.name]
        for _, q in args.queues
    ]
    items: Metrics = [
        ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", table],
        ["AWS/DynamoDB", "ThrottledRequests", "TableName", table, "Operation", "PutItem"],
    ]
    widgets = [
        _widget(title, args.region, metrics)
        for title, metrics in (
            ("Processor", processor),
            ("Routing", routing),
            ("Dead-letter queues", queues),
            ("Items table", items),
        )
    ]
    return pulumi.Output.json_dumps({"widgets": widgets})
