"""The deploy role's identity policy and the permissions boundary, from an environment's config.

Every grant names the environment's own physical names (`tap.naming`) and ARNs
(`tap.facts.arns`); an action no name can scope (`kms:CreateKey`) is scoped by the `environment`
tag the provider's default tags put on every resource. docs/deploy-role.md explains each choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from tap.config.model import EnvironmentConfig
from tap.facts import tokens
from tap.facts.arns import bucket_arn, build_arn, parse_arn, partition_of
from tap.facts.implied import REPLICA_ACTIONS, REPLICATION_ROLE
from tap.facts.principals import DYNAMODB_REPLICATION_PRINCIPAL, LAMBDA_PRINCIPAL
from tap.facts.provider_reads import UNSCOPED_ACTIONS, reads_of
from tap.iam import (
    BATCH_INVOKE_ACTIONS,
    BATCH_MANIFEST_ACTIONS,
    BATCH_REPORT_ACTIONS,
    VERSION,
    Statement,
    allow,
)
from tap.naming import Names
from tap_processor.permissions import ResourceKind, needs

ENVIRONMENT_TAG: Final = "environment"
"""The tag key `tap.provider.default_tags` puts on every resource, valued with the environment."""

BUCKET_WRITES: Final = (
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketNotification",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
TABLE_WRITES: Final = (
    "dynamodb:CreateTable",
    "dynamodb:CreateTableReplica",
    "dynamodb:DeleteTable",
    "dynamodb:DeleteTableReplica",
    "dynamodb:TagResource",
    "dynamodb:UntagResource",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateTable",
    "dynamodb:UpdateTimeToLive",
)
FUNCTION_WRITES: Final = (
    "lambda:AddPermission",
    "lambda:CreateAlias",
    "lambda:CreateFunction",
    "lambda:DeleteAlias",
    "lambda:DeleteFunction",
    "lambda:DeleteFunctionConcurrency",
    "lambda:DeleteFunctionEventInvokeConfig",
    "lambda:PublishVersion",
    "lambda:PutFunctionConcurrency",
    "lambda:PutFunctionEventInvokeConfig",
    "lambda:RemovePermission",
    "lambda:TagResource",
    "lambda:UntagResource",
    "lambda:UpdateAlias",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "lambda:UpdateFunctionEventInvokeConfig",
)
QUEUE_WRITES: Final = (
    "sqs:CreateQueue",
    "sqs:DeleteQueue",
    "sqs:SetQueueAttributes",
    "sqs:TagQueue",
    "sqs:UntagQueue",
)
LOG_GROUP_WRITES: Final = (
    "logs:CreateLogGroup",
    "logs:DeleteLogGroup",
    "logs:DeleteRetentionPolicy",
    "logs:PutRetentionPolicy",
    "logs:TagResource",
    "logs:UntagResource",
)
RULE_WRITES: Final = (
    "events:DeleteRule",
    "events:DisableRule",
    "events:EnableRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "events:TagResource",
    "events:UntagResource",
)
TOPIC_WRITES: Final = (
    "sns:CreateTopic",
    "sns:DeleteTopic",
    "sns:SetSubscriptionAttributes",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:TagResource",
    "sns:Unsubscribe",
    "sns:UntagResource",
)
ALARM_WRITES: Final = (
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DeleteDashboards",
    "cloudwatch:PutDashboard",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    "cloudwatch:UntagResource",
)
KEY_WRITES: Final = (
    "kms:CancelKeyDeletion",
    "kms:CreateGrant",
    "kms:DisableKeyRotation",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
)
ALIAS_WRITES: Final = ("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")
ROLE_WRITES_BOUNDED: Final = (
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)
"""Role changes that grant: allowed only while the role carries the boundary."""
ROLE_WRITES: Final = (
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
"""Role changes that grant nothing (a trust policy still ends at the boundary)."""
BOUNDARY_TAMPERING: Final = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
BUCKET_TYPES: Final = (
    tokens.BUCKET,
    tokens.BUCKET_OWNERSHIP_CONTROLS,
    tokens.PUBLIC_ACCESS_BLOCK,
    tokens.BUCKET_VERSIONING,
    tokens.BUCKET_ENCRYPTION,
    tokens.BUCKET_LIFECYCLE,
    tokens.BUCKET_POLICY,
    tokens.BUCKET_NOTIFICATION,
)


@dataclass(frozen=True, slots=True)
class _Scope:
    """The environment's account, partition, regions and names."""

    config: EnvironmentConfig
    names: Names

    @property
    def partition(self) -> str:
        return partition_of(self.config.region)

    @property
    def regions(self) -> tuple[str, ...]:
        """The primary region, then the table's replica regions."""
        return (self.config.region, *self.config.table.replica_regions)

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        """An ARN in the environment's account (and the primary region unless given)."""
        where = self.config.region if region is None else region
        return build_arn(self.partition, service, where, self.config.account_id, resource)

    def in_regions(self, service: str, resource: str) -> list[str]:
        return [self.arn(service, resource, r) for r in self.regions]


def _of(config: EnvironmentConfig) -> _Scope:
    return _Scope(config, Names.of(config))


def boundary_arn(config: EnvironmentConfig) -> str:
    """The permissions boundary's ARN: `tap:permissionsBoundaryArn` when set, else the policy
    `Names.permissions_boundary` in the environment's account."""
    if config.permissions_boundary_arn:
        return config.permissions_boundary_arn
    return _of(config).arn("iam", f"policy/{Names.of(config).permissions_boundary}", region="")


def _reads(*type_tokens: str) -> list[str]:
    """The provider's reads of these resource types (`tap.facts.provider_reads`)."""
    return sorted({a for t in type_tokens for a in reads_of(t).actions})


def _tagged(scope: _Scope, key: str) -> dict[str, Any]:
    return {"StringEquals": {f"aws:{key}/{ENVIRONMENT_TAG}": scope.config.environment}}


def _bucket_arns(scope: _Scope) -> list[str]:
    return [bucket_arn(scope.names.bucket(b.name), scope.partition) for b in scope.config.buckets]


def _role_arns(scope: _Scope) -> list[str]:
    roles = [scope.names.processor_role]
    if scope.config.backfill.batch_operations:
        roles.append(scope.names.batch_operations_role)
    return [scope.arn("iam", f"role/{r}", region="") for r in roles]


def _data_statements(scope: _Scope) -> list[Statement]:
    """The bucket, table and queues: writes and the provider's reads, on their own names."""
    n = scope.names
    buckets = [*BUCKET_WRITES, *_reads(*BUCKET_TYPES)]
    table = [*TABLE_WRITES, *_reads(tokens.TABLE, tokens.TABLE_REPLICA)]
    queues = [*QUEUE_WRITES, *_reads(tokens.QUEUE, tokens.QUEUE_POLICY)]
    statements = [
        allow("DataBuckets", buckets, _bucket_arns(scope)),
        allow("ItemsTable", table, scope.in_regions("dynamodb", f"table/{n.table}")),
        allow(
            "FailureQueues",
            queues,
            [scope.arn("sqs", n.delivery_dlq), scope.arn("sqs", n.processor_dlq)],
        ),
    ]
    replicas = [scope.arn("dynamodb", f"table/{n.table}", r) for r in scope.regions[1:]]
    if replicas:
        statements.append(allow("AddTableReplicas", REPLICA_ACTIONS, replicas))
        statements.append(
            allow(
                "ReplicationServiceLinkedRole",
                ["iam:CreateServiceLinkedRole"],
                [scope.arn("iam", REPLICATION_ROLE, region="")],
                condition={"StringEquals": {"iam:AWSServiceName": DYNAMODB_REPLICATION_PRINCIPAL}},
            )
        )
    return statements


def _compute_statements(scope: _Scope) -> list[Statement]:
    """The function (and its versions and alias), its log group, roles and rule."""
    n = scope.names
    function = scope.arn("lambda", f"function:{n.function}")
    log_group = scope.arn("logs", f"log-group:{n.log_group}")
    function_actions = [*FUNCTION_WRITES, *_reads(tokens.FUNCTION, tokens.LAMBDA_ALIAS)]
    function_actions += _reads(tokens.PERMISSION, tokens.INVOKE_CONFIG)
    return [
        allow("ProcessorFunction", function_actions, [function, f"{function}:*"]),
        allow(
            "ProcessorLogGroup",
            [*LOG_GROUP_WRITES, *_reads(tokens.LOG_GROUP)],
            [
                log_group,
                f"{log_group}:*",
            ],
        ),
        allow(
            "EventRules",
            [*RULE_WRITES, *_reads(tokens.EVENT_RULE, tokens.EVENT_TARGET)],
            [scope.arn("events", f"rule/{n.pattern()}")],
        ),
        allow(
            "PassProcessorRoleToLambda",
            ["iam:PassRole"],
            [scope.arn("iam", f"role/{n.processor_role}", region="")],
            condition={"StringEquals": {"iam:PassedToService": LAMBDA_PRINCIPAL}},
        ),
    ]


def _monitoring_statements(scope: _Scope) -> list[Statement]:
    """The alarm topic, the alarms and the dashboard."""
    n = scope.names
    topic = scope.arn("sns", n.alarm_topic)
    alarms = [*ALARM_WRITES, *_reads(tokens.METRIC_ALARM, tokens.DASHBOARD)]
    return [
        allow(
            "AlarmTopic",
            [*TOPIC_WRITES, *_reads(tokens.TOPIC, tokens.TOPIC_SUBSCRIPTION, tokens.TOPIC_POLICY)],
            [topic, f"{topic}:*"],
        ),
        allow(
            "AlarmsAndDashboard",
            alarms,
            [
                scope.arn("cloudwatch", f"alarm:{n.pattern()}"),
                scope.arn("cloudwatch", f"dashboard/{n.dashboard}", region=""),
            ],
        ),
    ]


def _key_statements(scope: _Scope) -> list[Statement]:
    """The environment's key, found by its tag, and its alias, found by its name."""
    keys = scope.in_regions("kms", "key/*")
    aliases = scope.in_regions("kms", scope.names.kms_alias)
    return [
        allow(
            "CreateTaggedKeys",
            ["kms:CreateKey", "kms:TagResource"],
            ["*"],
            condition=_tagged(scope, "RequestTag"),
        ),
        allow(
            "EnvironmentKeys",
            [*KEY_WRITES, *ALIAS_WRITES, *_reads(tokens.KMS_KEY, tokens.KMS_REPLICA_KEY)],
            keys,
            condition=_tagged(scope, "ResourceTag"),
        ),
        allow("EnvironmentKeyAlias", [*ALIAS_WRITES, *_reads(tokens.KMS_ALIAS)], aliases),
    ]


def _role_statements(scope: _Scope) -> list[Statement]:
    """The stack's roles: created and granted only with the boundary, read and removed freely."""
    roles = _role_arns(scope)
    bounded = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn(scope.config)}}
    return [
        allow("StackRolesWithBoundary", ROLE_WRITES_BOUNDED, roles, condition=bounded),
        allow("StackRoles", [*ROLE_WRITES, *_reads(tokens.ROLE, tokens.ROLE_POLICY)], roles),
    ]


def _deny(sid: str, actions: list[str], resources: list[str], **condition: Any) -> Statement:
    statement: Statement = {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def _guard_statements(config: EnvironmentConfig) -> list[Statement]:
    """Explicit denies: no role without the boundary, no change to it or to the deploy role."""
    boundary = boundary_arn(config)
    own = parse_arn(config.deploy_role_arn)
    own_policies = build_arn(
        own.partition, "iam", "", own.account, f"policy/{own.resource.rsplit('/', 1)[-1]}*"
    )
    return [
        _deny(
            "DenyRoleChangesWithoutBoundary",
            [*ROLE_WRITES_BOUNDED, "iam:AttachRolePolicy"],
            ["*"],
            StringNotEquals={"iam:PermissionsBoundary": boundary},
        ),
        _deny("DenyBoundaryRemoval", ["iam:DeleteRolePermissionsBoundary"], ["*"]),
        _deny("DenyBoundaryChanges", list(BOUNDARY_TAMPERING), [boundary]),
        _deny("DenyChangesToDeployRole", ["iam:*"], [config.deploy_role_arn, own_policies]),
    ]


def deploy_policy(config: EnvironmentConfig) -> dict[str, Any]:
    """The deploy role's identity policy: what `pulumi up`, `refresh` and `destroy` need, on
    this environment's names and tagged keys only."""
    scope = _of(config)
    statements = [
        *_data_statements(scope),
        *_compute_statements(scope),
        *_monitoring_statements(scope),
        *(_key_statements(scope) if config.kms_key else []),
        *_role_statements(scope),
        allow("ReadsWithoutResourceScope", sorted(UNSCOPED_ACTIONS), ["*"]),
        *_guard_statements(config),
    ]
    return {"Version": VERSION, "Statement": statements}


def _handler_arns(scope: _Scope) -> dict[ResourceKind, list[str]]:
    """The ARNs each kind of handler need acts on, in this environment."""
    n = scope.names
    log_group = scope.arn("logs", f"log-group:{n.log_group}")
    return {
        ResourceKind.TABLE: [scope.arn("dynamodb", f"table/{n.table}")],
        ResourceKind.BUCKET: _bucket_arns(scope),
        ResourceKind.DLQ: [scope.arn("sqs", n.processor_dlq), scope.arn("sqs", n.delivery_dlq)],
        ResourceKind.KMS_KEY: scope.in_regions("kms", "key/*"),
        ResourceKind.LOG_GROUP: [log_group, f"{log_group}:*"],
        ResourceKind.ANY: ["*"],
    }


def _batch_statements(scope: _Scope) -> list[Statement]:
    """What the S3 Batch Operations role needs (`components/batch_operations.py`), if any."""
    backfill = scope.config.backfill
    if not (backfill.batch_operations and backfill.manifest_bucket and backfill.report_bucket):
        return []
    function = scope.arn("lambda", f"function:{scope.names.function}")
    manifests = f"{bucket_arn(backfill.manifest_bucket, scope.partition)}/*"
    reports = f"{bucket_arn(backfill.report_bucket, scope.partition)}/{backfill.report_prefix}*"
    return [
        allow("BatchInvokesProcessor", BATCH_INVOKE_ACTIONS, [function, f"{function}:*"]),
        allow("BatchReadsManifests", BATCH_MANIFEST_ACTIONS, [manifests]),
        allow("BatchWritesReports", BATCH_REPORT_ACTIONS, [reports]),
    ]


def boundary_policy(config: EnvironmentConfig) -> dict[str, Any]:
    """The cap on every role the stack creates: the union of what its roles need, on this
    environment's names, and no change to the boundary itself."""
    scope = _of(config)
    arns = _handler_arns(scope)
    statements: list[Statement] = []
    granted = needs(dlq_uses_cmk=config.kms_key)
    for kind in ResourceKind:
        actions = sorted({need.action for need in granted if need.resource == kind})
        condition = _tagged(scope, "ResourceTag") if kind == ResourceKind.KMS_KEY else None
        if actions:
            statements.append(
                allow(
                    f"Processor{kind.name.title().replace('_', '')}",
                    actions,
                    arns[kind],
                    condition=condition,
                )
            )
    statements += _batch_statements(scope)
    statements.append(
        _deny(
            "DenyBoundaryChanges",
            [*BOUNDARY_TAMPERING, "iam:DeleteRolePermissionsBoundary"],
            [boundary_arn(config), scope.arn("iam", "role/*", region="")],
        )
    )
    return {"Version": VERSION, "Statement": statements}
