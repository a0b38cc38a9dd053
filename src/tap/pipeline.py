"""TapPipeline: every component of one environment, wired together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pulumi

from tap import resources
from tap.components.alarms import PipelineAlarms, PipelineAlarmsArgs, WatchedRule
from tap.components.batch_operations import BatchOperationsRole, BatchOperationsRoleArgs
from tap.components.bucket import DataBucket, DataBucketArgs
from tap.components.key import EncryptionKey, EncryptionKeyArgs
from tap.components.processor import ProcessorFunction, ProcessorFunctionArgs
from tap.components.queues import FailureQueues, FailureQueuesArgs
from tap.components.routing import EventRouting, EventRoutingArgs
from tap.components.table import ItemsTable, ItemsTableArgs
from tap.config import EnvironmentConfig
from tap.facts.arns import partition_of
from tap.naming import Names


@dataclass(frozen=True)
class TapPipelineArgs:
    """Inputs of TapPipeline."""

    config: EnvironmentConfig
    """The environment's validated settings."""
    code_path: str
    """The processor artifact; the same zip in every environment."""


class TapPipeline(pulumi.ComponentResource):
    """S3 → EventBridge → Lambda → DynamoDB, with DLQs, alarms and (in prod) a replica."""

    TYPE: ClassVar[str] = resources.PIPELINE.token

    bucket_names: pulumi.Output[dict[str, str]]
    table_name: pulumi.Output[str]
    table_arn: pulumi.Output[str]
    function_name: pulumi.Output[str]
    alias_arn: pulumi.Output[str]
    rule_arns: pulumi.Output[dict[str, str]]
    delivery_dlq_url: pulumi.Output[str]
    processor_dlq_url: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str]
    batch_operations_role_arn: pulumi.Output[str] | None
    """Only with tap:backfill.batchOperations."""

    def __init__(
        self, name: str, args: TapPipelineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        config = args.config
        names = Names.of(config)
        key = self._key(name, config, names)
        key_arn = key.key.arn if key else None
        buckets = self._buckets(name, config, names, key_arn)
        table = self._table(name, config, names, key)
        queues = FailureQueues(
            f"{name}-queues",
            FailureQueuesArgs(
                delivery_dlq_name=names.delivery_dlq,
                processor_dlq_name=names.processor_dlq,
                kms_key_arn=key_arn,
            ),
            opts=self._child(),
        )
        processor = self._processor(name, args, names, table, buckets, queues, key_arn)
        batch_role = self._batch_operations_role(name, config, names, processor)
        routes = self._routes(name, config, names, buckets, processor, queues)
        queues.admit_rules([routing.rule.arn for routing in routes.values()])
        alarms = self._alarms(name, config, names, queues, routes, processor, table, key_arn)

        self.bucket_names = pulumi.Output.all(
            **{k: b.bucket.bucket for k, b in buckets.items()}
        ).apply(dict)
        self.table_name = table.table.name
        self.table_arn = table.table.arn
        self.function_name = processor.function.name
        self.alias_arn = processor.alias.arn
        self.rule_arns = pulumi.Output.all(**{k: r.rule.arn for k, r in routes.items()}).apply(dict)
        self.delivery_dlq_url = queues.delivery_dlq.url
        self.processor_dlq_url = queues.processor_dlq.url
        self.alarm_topic_arn = alarms.topic.arn
        self.batch_operations_role_arn = batch_role.role.arn if batch_role else None
        self.kms_key_arn = key_arn
        self.register_outputs(self.exports())

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _key(self, name: str, config: EnvironmentConfig, names: Names) -> EncryptionKey | None:
        """The environment's key (with a replica per replica region), unless `kmsKey` is off."""
        if not config.kms_key:
            return None
        return EncryptionKey(
            f"{name}-key",
            EncryptionKeyArgs(
                account_id=config.account_id,
                region=config.region,
                alias=names.kms_alias,
                replica_regions=config.table.replica_regions,
                protect=config.production,
                dead_letter_queue_names=(names.delivery_dlq,),
            ),
            opts=self._child(),
        )

    def _buckets(
        self,
        name: str,
        config: EnvironmentConfig,
        names: Names,
        key_arn: pulumi.Output[str] | None,
    ) -> dict[str, DataBucket]:
        """A DataBucket per configured bucket, by its logical name."""
        return {
            b.name: DataBucket(
                f"{name}-{b.name}",
                DataBucketArgs(
                    bucket_name=names.bucket(b.name),
                    settings=b,
                    kms_key_arn=key_arn,
                    protect=config.production,
                ),
                opts=self._child(),
            )
            for b in config.buckets
        }

    def _table(
        self, name: str, config: EnvironmentConfig, names: Names, key: EncryptionKey | None
    ) -> ItemsTable:
        """The items table, its replicas encrypted with the key's replicas."""
        replica_keys = {region: k.arn for region, k in key.replicas.items()} if key else {}
        return ItemsTable(
            f"{name}-items",
            ItemsTableArgs(
                table_name=names.table,
                region=config.region,
                settings=config.table,
                kms_key_arn=key.key.arn if key else None,
                replica_kms_key_arns=replica_keys,
            ),
            opts=self._child(),
        )

    def _processor(
        self,
        name: str,
        args: TapPipelineArgs,
        names: Names,
        table: ItemsTable,
        buckets: dict[str, DataBucket],
        queues: FailureQueues,
        key_arn: pulumi.Output[str] | None,
    ) -> ProcessorFunction:
        """The processor, writing the table, reading the buckets, failing into its DLQ."""
        config = args.config
        return ProcessorFunction(
            f"{name}-processor",
            ProcessorFunctionArgs(
                function_name=names.function,
                role_name=names.processor_role,
                log_group_name=names.log_group,
                environment=config.environment,
                settings=config.processor,
                retry=config.failure_handling.processing,
                code_path=args.code_path,
                table=table.table,
                buckets=tuple(b.bucket for b in buckets.values()),
                dlq=queues.processor_dlq,
                kms_key_arn=key_arn,
            ),
            opts=self._child(),
        )

    def _batch_operations_role(
        self, name: str, config: EnvironmentConfig, names: Names, processor: ProcessorFunction
    ) -> BatchOperationsRole | None:
        """The S3 Batch Operations role, only with `backfill.batchOperations`."""
        backfill = config.backfill
        if not (backfill.batch_operations and backfill.manifest_bucket and backfill.report_bucket):
            return None
        return BatchOperationsRole(
            f"{name}-batch-operations",
            BatchOperationsRoleArgs(
                role_name=names.batch_operations_role,
                alias=processor.alias,
                manifest_bucket=backfill.manifest_bucket,
                report_bucket=backfill.report_bucket,
                report_prefix=backfill.report_prefix,
                partition=partition_of(config.region),
            ),
            opts=self._child(),
        )

    def _routes(
        self,
        name: str,
        config: EnvironmentConfig,
        names: Names,
        buckets: dict[str, DataBucket],
        processor: ProcessorFunction,
        queues: FailureQueues,
    ) -> dict[str, EventRouting]:
        """An EventRouting per bucket and route, keyed `<bucket>-<route>`."""
        return {
            f"{b.name}-{r.name}": EventRouting(
                f"{name}-{b.name}-{r.name}",
                EventRoutingArgs(
                    rule_name=names.rule(b.name, r.name),
                    route=r,
                    bucket=buckets[b.name].bucket,
                    function=processor.function,
                    alias=processor.alias,
                    delivery_dlq=queues.delivery_dlq,
                    retry=config.failure_handling.delivery,
                ),
                opts=self._child(),
            )
            for b in config.buckets
            for r in b.routes
        }

    def _alarms(
        self,
        name: str,
        config: EnvironmentConfig,
        names: Names,
        queues: FailureQueues,
        routes: dict[str, EventRouting],
        processor: ProcessorFunction,
        table: ItemsTable,
        key_arn: pulumi.Output[str] | None,
    ) -> PipelineAlarms:
        """Alarms on every failure path of the queues, routes, processor and table."""
        return PipelineAlarms(
            f"{name}-alarms",
            PipelineAlarmsArgs(
                settings=config.alarms,
                topic_name=names.alarm_topic,
                alarm_name=names.alarm,
                dashboard_name=names.dashboard,
                region=config.region,
                queues=[
                    ("delivery-dlq", queues.delivery_dlq),
                    ("processor-dlq", queues.processor_dlq),
                ],
                rules=[WatchedRule(k, r.rule) for k, r in routes.items()],
                function=processor.function,
                table=table.table,
                kms_key_arn=key_arn,
            ),
            opts=self._child(),
        )

    def exports(self) -> dict[str, pulumi.Output[object]]:
        """The stack outputs, by their exported names."""
        exports: dict[str, pulumi.Output[object]] = {
            "bucketNames": self.bucket_names,
            "tableName": self.table_name,
            "tableArn": self.table_arn,
            "functionName": self.function_name,
            "aliasArn": self.alias_arn,
            "ruleArns": self.rule_arns,
            "deliveryDlqUrl": self.delivery_dlq_url,
            "processorDlqUrl": self.processor_dlq_url,
            "alarmTopicArn": self.alarm_topic_arn,
        }
        if self.batch_operations_role_arn is not None:
            exports["batchOperationsRoleArn"] = self.batch_operations_role_arn
        if self.kms_key_arn is not None:
            # tap operator-policy --outputs: the key's real id, known only once it is deployed
            exports["kmsKeyArn"] = self.kms_key_arn
        return exports
