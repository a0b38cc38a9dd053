"""One explicit applier per resource type the program uses; a type without one is an error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

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
    "pulumi:providers:aws": no_op,
    "tap:pipeline:TapPipeline": no_op,
    "tap:key:EncryptionKey": no_op,
    "tap:bucket:DataBucket": no_op,
    "tap:table:ItemsTable": no_op,
    "tap:queues:FailureQueues": no_op,
    "tap:processor:ProcessorFunction": no_op,
    "tap:routing:EventRouting": no_op,
    "tap:alarms:PipelineAlarms": no_op,
    "aws:kms/key:Key": data.kms_key,
    "aws:kms/replicaKey:ReplicaKey": data.kms_replica_key,
    "aws:kms/alias:Alias": data.kms_alias,
    "aws:s3/bucket:Bucket": storage.bucket,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": storage.ownership_controls,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": storage.public_access_block,
    "aws:s3/bucketVersioning:BucketVersioning": storage.versioning,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        storage.encryption
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": storage.lifecycle,
    "aws:s3/bucketPolicy:BucketPolicy": storage.policy,
    "aws:s3/bucketNotification:BucketNotification": storage.notification,
    "aws:dynamodb/table:Table": data.table,
    "aws:dynamodb/tableReplica:TableReplica": data.table_replica,
    "aws:sqs/queue:Queue": data.queue,
    "aws:sqs/queuePolicy:QueuePolicy": data.queue_policy,
    "aws:cloudwatch/logGroup:LogGroup": compute.log_group,
    "aws:iam/role:Role": compute.role,
    "aws:iam/rolePolicy:RolePolicy": compute.role_policy,
    "aws:lambda/function:Function": compute.function,
    "aws:lambda/alias:Alias": compute.alias,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": compute.event_invoke_config,
    "aws:lambda/permission:Permission": compute.permission,
    "aws:cloudwatch/eventRule:EventRule": events.rule,
    "aws:cloudwatch/eventTarget:EventTarget": events.target,
    "aws:sns/topic:Topic": monitoring.topic,
    "aws:sns/topicSubscription:TopicSubscription": monitoring.subscription,
    "aws:cloudwatch/metricAlarm:MetricAlarm": monitoring.alarm,
    "aws:cloudwatch/dashboard:Dashboard": monitoring.dashboard,
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
