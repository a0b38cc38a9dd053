"""Appliers for the alarm topic, its subscription, the alarms and the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.facts.arns import build_arn, partition_of
from tap.local.appliers.context import ApplyContext
from tap.local.appliers.values import compact, mapping, optional_int, required_str
from tap.local.graph import GraphResource


def topic(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An SNS topic."""
    attributes = compact(KmsMasterKeyId=inputs.get("kmsMasterKeyId"))
    arn = ctx.client("sns", inputs).create_topic(
        Name=required_str(inputs, "name", resource.urn), Attributes=attributes
    )["TopicArn"]
    return {"id": arn, "arn": arn}


def subscription(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An SNS subscription (an email one stays pending, as in AWS)."""
    arn = ctx.client("sns", inputs).subscribe(
        TopicArn=required_str(inputs, "topic", resource.urn),
        Protocol=required_str(inputs, "protocol", resource.urn),
        Endpoint=required_str(inputs, "endpoint", resource.urn),
    )["SubscriptionArn"]
    return {"id": arn, "arn": arn}


def alarm(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A CloudWatch metric alarm."""
    name = required_str(inputs, "name", resource.urn)
    dimensions = mapping(inputs, "dimensions")
    cloudwatch = ctx.client("cloudwatch", inputs)
    cloudwatch.put_metric_alarm(
        **compact(
            AlarmName=name,
            AlarmDescription=inputs.get("alarmDescription"),
            Namespace=inputs.get("namespace"),
            MetricName=inputs.get("metricName"),
            Dimensions=[{"Name": k, "Value": str(v)} for k, v in dimensions.items()] or None,
            Statistic=inputs.get("statistic"),
            Period=optional_int(inputs, "period"),
            EvaluationPeriods=optional_int(inputs, "evaluationPeriods"),
            Threshold=float(inputs.get("threshold") or 0),
            ComparisonOperator=inputs.get("comparisonOperator"),
            TreatMissingData=inputs.get("treatMissingData"),
            AlarmActions=list(inputs.get("alarmActions") or []) or None,
            OKActions=list(inputs.get("okActions") or []) or None,
        )
    )
    region = cloudwatch.meta.region_name
    return {
        "id": name,
        "arn": build_arn(
            partition_of(region), "cloudwatch", region, ctx.emulator.account_id, f"alarm:{name}"
        ),
    }


def dashboard(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A CloudWatch dashboard."""
    name = required_str(inputs, "dashboardName", resource.urn)
    ctx.client("cloudwatch", inputs).put_dashboard(
        DashboardName=name, DashboardBody=required_str(inputs, "dashboardBody", resource.urn)
    )
    return {"id": name}
