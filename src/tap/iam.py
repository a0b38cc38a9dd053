"""IAM policy documents, built as plain data from values or Outputs; never inside an `apply`.

pulumi is imported by the functions that build Outputs, not by the module: `tap bootstrap`
builds its plain documents with `allow` and never loads the Pulumi SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pulumi

# Plain data, so it lives in the facts layer; components keep calling tap.iam's name.
from tap.facts.policies import deny_insecure_transport as deny_insecure_transport  # noqa: PLC0414
from tap.facts.tokens import ROLE
from tap_processor.permissions import HandlerNeed, ResourceKind

VERSION = "2012-10-17"

# What the S3 Batch Operations role may do (the component grants them; the deploy role's boundary
# must allow them): invoke the processor, read the manifest, write the completion report.
BATCH_INVOKE_ACTIONS = ("lambda:InvokeFunction",)
BATCH_MANIFEST_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
BATCH_REPORT_ACTIONS = ("s3:PutObject",)

Statement = dict[str, Any]
Input: TypeAlias = "str | pulumi.Output[str]"


def document(*statements: Statement) -> pulumi.Output[str]:
    """A policy document as a JSON string Output; nested Outputs resolve through `json_dumps`."""
    import pulumi

    return pulumi.Output.json_dumps({"Version": VERSION, "Statement": list(statements)})


def allow(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[Input],
    *,
    principal: Mapping[str, Any] | None = None,
    condition: Mapping[str, Any] | None = None,
) -> Statement:
    """An Allow statement with sorted actions."""
    stmt: Statement = {"Sid": sid, "Effect": "Allow"}
    if principal is not None:
        stmt["Principal"] = dict(principal)
    stmt["Action"] = sorted(actions)
    stmt["Resource"] = list(resources)
    if condition:
        stmt["Condition"] = dict(condition)
    return stmt


def service_trust(service: str) -> pulumi.Output[str]:
    """A role trust policy letting one AWS service assume the role."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }
    )


_SID = {
    ResourceKind.TABLE: "WriteItems",
    ResourceKind.BUCKET: "ListDataBucketVersions",
    ResourceKind.DLQ: "SendToDeadLetterQueue",
    ResourceKind.KMS_KEY: "UseEnvironmentKey",
    ResourceKind.LOG_GROUP: "WriteOwnLogs",
    ResourceKind.ANY: "ActionsWithoutResourceLevelPermissions",
}


def needs_policy(
    needs: Sequence[HandlerNeed], resources: Mapping[ResourceKind, Sequence[Input]]
) -> pulumi.Output[str]:
    """Grant exactly `needs`: one statement per resource kind, scoped to that kind's ARNs."""
    statements: list[Statement] = []
    for kind in ResourceKind:
        actions = sorted({n.action for n in needs if n.resource == kind})
        if not actions:
            continue
        arns: Sequence[Input] = ["*"] if kind == ResourceKind.ANY else resources[kind]
        statements.append(allow(_SID[kind], actions, arns))
    return document(*statements)


def boundary_on_every_role(boundary_arn: str) -> pulumi.ResourceTransformation:
    """A transformation giving every IAM role beneath the resource it is set on this boundary.

    Set once on the pipeline, so no component can create a role without it.
    """
    import pulumi

    def attach(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        props = dict(args.props)
        if args.type_ == ROLE:
            props["permissions_boundary"] = boundary_arn
        return pulumi.ResourceTransformationResult(props, args.opts)

    return attach
