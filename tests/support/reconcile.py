"""Helpers for reconcile tests: what S3 and the table hold, read independently of tap."""

from __future__ import annotations

from typing import Any

from tap.local.access.evaluators import evaluators_for, judge
from tap.ops.needs import Command, OpsResource, needs_of, operator_policy
from tap.ops.session import OpsSession
from tap.ops.stack import StackResources


def latest(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    """Each key's latest entry in the version listing, with `marker` saying whether it is a
    delete marker."""
    found: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []):
            if entry["IsLatest"]:
                found[entry["Key"]] = {**entry, "marker": False}
        for entry in page.get("DeleteMarkers", []):
            if entry["IsLatest"]:
                found[entry["Key"]] = {**entry, "marker": True}
    return found


def items_by_key(dynamodb: Any, table: str) -> dict[str, dict[str, Any]]:
    """Every item of the table by its `key` attribute, from an independent Scan."""
    pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return {item["key"]["S"]: item for page in pages for item in page["Items"]}


def disallowed_calls(
    resources: StackResources, session: OpsSession, *, inventory_bucket: str | None = None
) -> list[tuple[str, str]]:
    """The recorded calls that the reconcile operator policy does not allow (both evaluators).

    An inventory's destination bucket is outside the stack: its statement is the one
    docs/operations.md tells the operator to add, with the actions OPERATOR_NEEDS lists for it.
    """
    documents = [operator_policy(resources, [Command.RECONCILE])]
    if inventory_bucket:
        actions = [
            n.action for n in needs_of([Command.RECONCILE]) if n.resource is OpsResource.INVENTORY
        ]
        statement = {
            "Effect": "Allow",
            "Action": actions,
            "Resource": f"arn:aws:s3:::{inventory_bucket}/*",
        }
        documents.append({"Version": "2012-10-17", "Statement": [statement]})
    evaluators = evaluators_for(documents)
    return sorted(
        {
            (call.action, call.resource)
            for call in session.calls
            if not judge(evaluators, call.action, call.resource, {}).allowed
        }
    )
