"""ProcessorFunction: the Lambda, alias, async failure handling, logs and least-privilege IAM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from tap import iam, resources
from tap.config.model import AsyncRetry, Processor
from tap.facts.principals import LAMBDA_PRINCIPAL
from tap_processor.env import BUCKET_NAMES, DLQ_URL, ENVIRONMENT, TABLE_NAME
from tap_processor.permissions import ResourceKind, needs

ALIAS = "live"


@dataclass(frozen=True)
class ProcessorFunctionArgs:
    """Inputs of ProcessorFunction."""

    function_name: str
    """Physical function name; the log group and role are named after it."""
    role_name: str
    """Physical name of the execution role."""
    log_group_name: str
    """`/aws/lambda/<function>`, created here so retention is ours, not Lambda's default."""
    environment: str
    """Environment name, passed to the handler."""
    settings: Processor
    """Runtime, architecture, memory, timeout, concurrency, retention."""
    retry: AsyncRetry
    """Lambda async retries before the on-failure destination."""
    code_path: str
    """The deterministic artifact zip (see `tap.packaging`)."""
    table: aws.dynamodb.Table
    """Where the handler writes."""
    buckets: tuple[aws.s3.Bucket, ...]
    """The data buckets; the handler lists a key's versions after a version is removed."""
    dlq: aws.sqs.Queue
    """Rejected events and exhausted async invocations go here."""
    kms_key_arn: pulumi.Output[str] | None = None
    """The key encrypting the DLQ, when it is a customer-managed one."""


class ProcessorFunction(pulumi.ComponentResource):
    """The processor, published with a `live` alias that events target."""

    TYPE: ClassVar[str] = resources.PROCESSOR_FUNCTION.token

    function: aws.lambda_.Function
    alias: aws.lambda_.Alias
    role: aws.iam.Role

    def __init__(
        self, name: str, args: ProcessorFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=args.log_group_name,
            retention_in_days=args.settings.log_retention_days,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"Execution role of {args.function_name}: exactly what its handler needs",
            assume_role_policy=iam.service_trust(LAMBDA_PRINCIPAL),
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-permissions",
            name="handler-needs",
            role=self.role.id,
            policy=self._handler_needs(args),
            opts=child,
        )
        self.function = self._function(name, args)
        self.alias = aws.lambda_.Alias(
            f"{name}-alias",
            name=ALIAS,
            function_name=self.function.name,
            function_version=self.function.version,
            opts=child,
        )
        self.invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=self.function.name,
            qualifier=self.alias.name,
            maximum_retry_attempts=args.retry.maximum_retry_attempts,
            maximum_event_age_in_seconds=args.retry.maximum_event_age_seconds,
            destination_config={"on_failure": {"destination": args.dlq.arn}},
            # Lambda validates the destination against the role's permissions at create time.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.register_outputs(
            {
                "functionName": self.function.name,
                "aliasArn": self.alias.arn,
                "roleArn": self.role.arn,
            }
        )

    def _handler_needs(self, args: ProcessorFunctionArgs) -> pulumi.Output[str]:
        """The role's policy: what the handler declares it needs, on these resources only."""
        granted = needs(dlq_uses_cmk=args.kms_key_arn is not None)
        log_streams = self.log_group.arn.apply(lambda arn: f"{arn}:*")
        resources: dict[ResourceKind, list[iam.Input]] = {
            ResourceKind.TABLE: [args.table.arn],
            ResourceKind.BUCKET: [bucket.arn for bucket in args.buckets],
            ResourceKind.DLQ: [args.dlq.arn],
            ResourceKind.LOG_GROUP: [log_streams],
        }
        if args.kms_key_arn is not None:
            resources[ResourceKind.KMS_KEY] = [args.kms_key_arn]
        return iam.needs_policy(granted, resources)

    def _function(self, name: str, args: ProcessorFunctionArgs) -> aws.lambda_.Function:
        """The published function, logging JSON to its own log group, traced."""
        settings = args.settings
        return aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            role=self.role.arn,
            runtime=settings.runtime,
            architectures=[settings.architecture],
            handler=settings.handler,
            code=pulumi.FileArchive(args.code_path),
            memory_size=settings.memory_mb,
            timeout=settings.timeout_seconds,
            reserved_concurrent_executions=settings.reserved_concurrency,
            publish=True,
            environment={
                "variables": {
                    TABLE_NAME: args.table.name,
                    ENVIRONMENT: args.environment,
                    DLQ_URL: args.dlq.url,
                    BUCKET_NAMES: pulumi.Output.all(*(b.bucket for b in args.buckets)).apply(
                        ",".join
                    ),
                }
            },
            logging_config={
                "log_format": "JSON",
                "log_group": self.log_group.name,
                "application_log_level": "INFO",
                "system_log_level": "WARN",
            },
            tracing_config={"mode": "Active"},
            # The log group must exist first, or Lambda creates one with no retention.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.role_policy]),
        )
