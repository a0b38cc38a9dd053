"""Appliers for the data bucket and its sub-resources."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tap.facts.arns import bucket_arn, partition_of
from tap.local.appliers.context import ApplyContext
from tap.local.appliers.values import compact, mapping, optional_int, required_str
from tap.local.graph import GraphResource


def bucket(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An S3 bucket."""
    name = required_str(inputs, "bucket", resource.urn)
    s3 = ctx.client("s3", inputs)
    region = s3.meta.region_name
    params: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**params)
    return {"id": name, "bucket": name, "arn": bucket_arn(name, partition_of(region))}


def ownership_controls(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A bucket's object ownership controls."""
    name = required_str(inputs, "bucket", resource.urn)
    rule = mapping(inputs, "rule")
    ctx.client("s3", inputs).put_bucket_ownership_controls(
        Bucket=name,
        OwnershipControls={"Rules": [{"ObjectOwnership": rule.get("objectOwnership")}]},
    )
    return {"id": name}


def public_access_block(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A bucket's public access block."""
    name = required_str(inputs, "bucket", resource.urn)
    ctx.client("s3", inputs).put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": bool(inputs.get("blockPublicAcls")),
            "IgnorePublicAcls": bool(inputs.get("ignorePublicAcls")),
            "BlockPublicPolicy": bool(inputs.get("blockPublicPolicy")),
            "RestrictPublicBuckets": bool(inputs.get("restrictPublicBuckets")),
        },
    )
    return {"id": name}


def versioning(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A bucket's versioning."""
    name = required_str(inputs, "bucket", resource.urn)
    status = mapping(inputs, "versioningConfiguration").get("status", "Suspended")
    ctx.client("s3", inputs).put_bucket_versioning(
        Bucket=name, VersioningConfiguration={"Status": status}
    )
    return {"id": name}


def encryption(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A bucket's default encryption."""
    name = required_str(inputs, "bucket", resource.urn)
    rules = []
    for rule in inputs.get("rules") or []:
        default = mapping(rule, "applyServerSideEncryptionByDefault")
        rules.append(
            compact(
                ApplyServerSideEncryptionByDefault=compact(
                    SSEAlgorithm=default.get("sseAlgorithm"),
                    KMSMasterKeyID=default.get("kmsMasterKeyId"),
                ),
                BucketKeyEnabled=rule.get("bucketKeyEnabled"),
            )
        )
    ctx.client("s3", inputs).put_bucket_encryption(
        Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return {"id": name}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    expiration = mapping(rule, "expiration")
    noncurrent = mapping(rule, "noncurrentVersionExpiration")
    abort = mapping(rule, "abortIncompleteMultipartUpload")
    return compact(
        ID=rule.get("id"),
        Status=rule.get("status"),
        Filter=compact(Prefix=mapping(rule, "filter").get("prefix", "")),
        Transitions=[
            {"Days": int(t["days"]), "StorageClass": t["storageClass"]}
            for t in rule.get("transitions") or []
        ]
        or None,
        Expiration=compact(Days=optional_int(expiration, "days")) or None,
        NoncurrentVersionTransitions=[
            {"NoncurrentDays": int(t["noncurrentDays"]), "StorageClass": t["storageClass"]}
            for t in rule.get("noncurrentVersionTransitions") or []
        ]
        or None,
        NoncurrentVersionExpiration=compact(
            NoncurrentDays=optional_int(noncurrent, "noncurrentDays")
        )
        or None,
        AbortIncompleteMultipartUpload=compact(
            DaysAfterInitiation=optional_int(abort, "daysAfterInitiation")
        )
        or None,
    )


def lifecycle(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A bucket's lifecycle rules."""
    name = required_str(inputs, "bucket", resource.urn)
    ctx.client("s3", inputs).put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={"Rules": [_lifecycle_rule(r) for r in inputs.get("rules") or []]},
    )
    return {"id": name}


MOTO_CONDITION_OPERATORS = frozenset({"StringEquals"})
"""The only condition operator moto evaluates in a bucket policy; any other one always matches."""


def _moto_safe(policy: str) -> tuple[str, list[str]]:
    """The policy without statements whose conditions moto would misjudge, and their Sids."""
    document = json.loads(policy)
    statements = document.get("Statement")
    if not isinstance(statements, list):
        statements = [statements]
    kept, dropped = [], []
    for statement in statements:
        operators = set((statement.get("Condition") or {}).keys())
        if operators - MOTO_CONDITION_OPERATORS:
            dropped.append(str(statement.get("Sid") or "<no Sid>"))
        else:
            kept.append(statement)
    return json.dumps({**document, "Statement": kept}), dropped


def policy(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """BucketPolicy, minus statements whose conditions moto cannot evaluate.

    moto ignores a `Bool aws:SecureTransport=false` condition, so the TLS-only Deny would deny
    every object request, TLS or not.
    """
    name = required_str(inputs, "bucket", resource.urn)
    applied, dropped = _moto_safe(required_str(inputs, "policy", resource.urn))
    if dropped:
        ctx.adapt(
            f"bucket policy statements {', '.join(sorted(dropped))} are not applied: their "
            "conditions (e.g. Bool aws:SecureTransport) are ignored by moto, which would make a "
            "conditional Deny unconditional"
        )
    ctx.client("s3", inputs).put_bucket_policy(Bucket=name, Policy=applied)
    return {"id": name}


def notification(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A bucket's notifications: the bucket's whole notification config."""
    name = required_str(inputs, "bucket", resource.urn)
    config: dict[str, Any] = {}
    if inputs.get("eventbridge"):
        config["EventBridgeConfiguration"] = {}
    for source, target, arn_key in (
        ("queues", "QueueConfigurations", "QueueArn"),
        ("topics", "TopicConfigurations", "TopicArn"),
        ("lambdaFunctions", "LambdaFunctionConfigurations", "LambdaFunctionArn"),
    ):
        entries = inputs.get(source) or []
        config_entries = []
        for entry in entries:
            arn = entry.get("queueArn") or entry.get("topicArn") or entry.get("lambdaFunctionArn")
            config_entries.append({arn_key: arn, "Events": list(entry.get("events") or [])})
        if config_entries:
            config[target] = config_entries
    ctx.client("s3", inputs).put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration=config
    )
    return {"id": name}
