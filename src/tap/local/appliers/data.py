"""Appliers for the key, the items table and the queues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.facts.arns import build_arn, partition_of
from tap.local.appliers.context import ApplyContext
from tap.local.appliers.values import compact, mapping, optional_int, required_str, tags_list
from tap.local.graph import GraphResource


def kms_key(
    ctx: ApplyContext, _resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A KMS key; the emulator's key id replaces the graph's made-up one."""
    kms = ctx.client("kms", inputs)
    metadata = kms.create_key(
        **compact(
            Description=inputs.get("description"),
            Policy=inputs.get("policy"),
            MultiRegion=inputs.get("multiRegion"),
            KeyUsage=inputs.get("keyUsage"),
            KeySpec=inputs.get("customerMasterKeySpec"),
        )
    )["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return {"id": metadata["KeyId"], "keyId": metadata["KeyId"], "arn": metadata["Arn"]}


def kms_replica_key(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A KMS replica key: replicated into its `region`.

    ReplicateKey takes the primary's key id or ARN; moto finds a key only by its id (an ARN is
    a KeyError inside moto), so the applier passes the id, which AWS accepts as well.
    """
    primary = required_str(inputs, "primaryKeyArn", resource.urn)
    region = required_str(inputs, "region", resource.urn)
    kms = ctx.emulator.client("kms", primary.split(":")[3])
    replica = kms.replicate_key(
        **compact(
            KeyId=primary.rsplit("key/", 1)[-1],
            ReplicaRegion=region,
            Policy=inputs.get("policy"),
            Description=inputs.get("description"),
        )
    )["ReplicaKeyMetadata"]
    return {"id": replica["KeyId"], "keyId": replica["KeyId"], "arn": replica["Arn"]}


def kms_alias(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A KMS alias."""
    name = required_str(inputs, "name", resource.urn)
    kms = ctx.client("kms", inputs)
    kms.create_alias(AliasName=name, TargetKeyId=required_str(inputs, "targetKeyId", resource.urn))
    region = kms.meta.region_name
    arn = build_arn(partition_of(region), "kms", region, ctx.emulator.account_id, name)
    return {"id": name, "arn": arn}


def table(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Table, with streams, SSE, PITR and deletion protection from the graph."""
    name = required_str(inputs, "name", resource.urn)
    dynamodb = ctx.client("dynamodb", inputs)
    keys = [{"AttributeName": required_str(inputs, "hashKey", resource.urn), "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        keys.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    sse = mapping(inputs, "serverSideEncryption")
    stream = None
    if inputs.get("streamEnabled"):
        stream = {"StreamEnabled": True, "StreamViewType": inputs.get("streamViewType")}
    billing = inputs.get("billingMode") or "PROVISIONED"
    throughput = None
    if billing == "PROVISIONED":
        throughput = {
            "ReadCapacityUnits": optional_int(inputs, "readCapacity") or 1,
            "WriteCapacityUnits": optional_int(inputs, "writeCapacity") or 1,
        }
    description = dynamodb.create_table(
        **compact(
            TableName=name,
            KeySchema=keys,
            AttributeDefinitions=[
                {"AttributeName": a["name"], "AttributeType": a["type"]}
                for a in inputs.get("attributes") or []
            ],
            BillingMode=billing,
            ProvisionedThroughput=throughput,
            StreamSpecification=stream,
            SSESpecification=compact(
                Enabled=True, SSEType="KMS", KMSMasterKeyId=sse.get("kmsKeyArn")
            )
            if sse.get("enabled")
            else None,
            DeletionProtectionEnabled=inputs.get("deletionProtectionEnabled"),
            Tags=tags_list(inputs) or None,
        )
    )["TableDescription"]
    if mapping(inputs, "pointInTimeRecovery").get("enabled"):
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    outputs = {"id": name, "name": name, "arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        outputs["streamArn"] = description["LatestStreamArn"]
    return outputs


def table_replica(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A DynamoDB global table replica; moto accepts the replica update and ignores it."""
    table_arn = required_str(inputs, "globalTableArn", resource.urn)
    region = required_str(inputs, "region", resource.urn)
    table_region, table_name = table_arn.split(":")[3], table_arn.rsplit("/", 1)[-1]
    ctx.emulator.client("dynamodb", table_region).update_table(
        TableName=table_name,
        ReplicaUpdates=[
            {"Create": compact(RegionName=region, KMSMasterKeyId=inputs.get("kmsKeyArn"))}
        ],
    )
    ctx.adapt(
        "DynamoDB replicas are accepted but not created by the emulator: nothing is replicated"
    )
    return {"id": f"{table_name}:{table_region}"}


def queue(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An SQS queue."""
    name = required_str(inputs, "name", resource.urn)
    attributes = {
        attribute: str(value).lower()
        if isinstance(value, bool)
        else str(int(value))
        if isinstance(value, float)
        else str(value)
        for attribute, value in {
            "MessageRetentionPeriod": inputs.get("messageRetentionSeconds"),
            "VisibilityTimeout": inputs.get("visibilityTimeoutSeconds"),
            "DelaySeconds": inputs.get("delaySeconds"),
            "KmsMasterKeyId": inputs.get("kmsMasterKeyId"),
            "KmsDataKeyReusePeriodSeconds": inputs.get("kmsDataKeyReusePeriodSeconds"),
            "SqsManagedSseEnabled": inputs.get("sqsManagedSseEnabled"),
            "FifoQueue": inputs.get("fifoQueue") or None,
            "RedrivePolicy": inputs.get("redrivePolicy"),
        }.items()
        if value is not None
    }
    sqs = ctx.client("sqs", inputs)
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return {"id": url, "url": url, "arn": arn, "name": name}


def queue_policy(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """QueuePolicy (stored; moto does not evaluate queue policies)."""
    url = required_str(inputs, "queueUrl", resource.urn)
    ctx.client("sqs", inputs).set_queue_attributes(
        QueueUrl=url, Attributes={"Policy": required_str(inputs, "policy", resource.urn)}
    )
    ctx.adapt(
        "queue policies are stored but not evaluated by moto: EventBridge's right to send to "
        "the delivery DLQ is not checked"
    )
    return {"id": url}
