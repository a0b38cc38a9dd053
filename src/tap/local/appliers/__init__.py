"""One explicit applier per resource type the program uses; a type without one is an error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from tap.facts import tokens
from tap.local.appliers import compute, data, events, monitoring, storage
from tap.local.appliers.context import Applied, Applier, ApplyContext, ObserverTarget
from tap.local.errors import ApplyError, UnsupportedResourceError
from tap.local.graph import GraphResource, dependency_order


def no_op(
    _ctx: ApplyContext, _resource: GraphResource, _inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Components and providers create nothing in the emulator."""
    return {}


APPLIERS: Final[Mapping[str, Applier]] = {
    "pulumi:pulumi:Stack": no_op,
    tokens.AWS_PROVIDER: no_op,
    "tap:pipeline:TapPipeline": no_op,
    "tap:key:EncryptionKey": no_op,
    "tap:bucket:DataBucket": no_op,
    "tap:table:ItemsTable": no_op,
    "tap:queues:FailureQueues": no_op,
    "tap:processor:ProcessorFunction": no_op,
    "tap:routing:EventRouting": no_op,
    "tap:alarms:PipelineAlarms": no_op,
    tokens.KMS_KEY: data.kms_key,
    tokens.KMS_REPLICA_KEY: data.kms_replica_key,
    tokens.KMS_ALIAS: data.kms_alias,
    tokens.BUCKET: storage.bucket,
    tokens.BUCKET_OWNERSHIP_CONTROLS: storage.ownership_controls,
    tokens.PUBLIC_ACCESS_BLOCK: storage.public_access_block,
    tokens.BUCKET_VERSIONING: storage.versioning,
    tokens.BUCKET_ENCRYPTION: (storage.encryption),
    tokens.BUCKET_LIFECYCLE: storage.lifecycle,
    tokens.BUCKET_POLICY: storage.policy,
    tokens.BUCKET_NOTIFICATION: storage.notification,
    tokens.TABLE: data.table,
    tokens.TABLE_REPLICA: data.table_replica,
    tokens.QUEUE: data.queue,
    tokens.QUEUE_POLICY: data.queue_policy,
    tokens.LOG_GROUP: compute.log_group,
    tokens.ROLE: compute.role,
    tokens.ROLE_POLICY: compute.role_policy,
    tokens.FUNCTION: compute.function,
    tokens.LAMBDA_ALIAS: compute.alias,
    tokens.INVOKE_CONFIG: compute.event_invoke_config,
    tokens.PERMISSION: compute.permission,
    tokens.EVENT_RULE: events.rule,
    tokens.EVENT_TARGET: events.target,
    tokens.TOPIC: monitoring.topic,
    tokens.TOPIC_SUBSCRIPTION: monitoring.subscription,
    tokens.METRIC_ALARM: monitoring.alarm,
    tokens.DASHBOARD: monitoring.dashboard,
}


def check_supported(
    resources: list[GraphResource], appliers: Mapping[str, Applier] = APPLIERS
) -> None:
    """Raise UnsupportedResourceError for the first resource whose type has no applier."""
    for resource in resources:
        if resource.type not in appliers:
            raise UnsupportedResourceError(resource.type, resource.urn)


def apply_graph(
    ctx: ApplyContext,
    resources: list[GraphResource],
    *,
    appliers: Mapping[str, Applier] = APPLIERS,
    on_resource: Callable[[GraphResource], None] | None = None,
) -> None:
    """Create every resource in dependency order, translating graph values as they become known."""
    ordered = dependency_order(resources)
    check_supported(ordered, appliers)
    for resource in ordered:
        inputs = ctx.translation.apply(dict(resource.inputs))
        try:
            outputs = appliers[resource.type](ctx, resource, inputs)
        except ClientError as error:
            raise ApplyError(resource.urn, str(error)) from error
        except BotoCoreError as error:
            raise ApplyError(resource.urn, str(error)) from error
        ctx.translation.learn(resource.outputs, outputs)
        ctx.applied[resource.urn] = Applied(resource, inputs, outputs)
        if on_resource is not None:
            on_resource(resource)


__all__ = [
    "APPLIERS",
    "Applied",
    "Applier",
    "ApplyContext",
    "ObserverTarget",
    "apply_graph",
    "check_supported",
    "no_op",
]
