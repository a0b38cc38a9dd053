"""FailureQueues: the two dead-letter queues, encrypted, each with a TLS-only queue policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from tap import iam, resources
from tap.facts.principals import EVENTS_PRINCIPAL

RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum: two weeks to inspect and redrive


@dataclass(frozen=True)
class FailureQueuesArgs:
    """Inputs of FailureQueues."""

    delivery_dlq_name: str
    """Queue for events EventBridge could not deliver to the processor."""
    processor_dlq_name: str
    """Queue for processor failures after Lambda's retries, and for rejected events."""
    kms_key_arn: pulumi.Output[str] | None = None
    """The environment's key; None uses SQS-managed encryption (SSE-SQS)."""


class FailureQueues(pulumi.ComponentResource):
    """Two standard DLQs: one per failure path, so an alarm says which path failed."""

    TYPE: ClassVar[str] = resources.FAILURE_QUEUES.token

    delivery_dlq: aws.sqs.Queue
    processor_dlq: aws.sqs.Queue

    def __init__(
        self, name: str, args: FailureQueuesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self._name = name
        self.delivery_dlq = self._queue(f"{name}-delivery-dlq", args.delivery_dlq_name, args)
        self.processor_dlq = self._queue(f"{name}-processor-dlq", args.processor_dlq_name, args)
        self.processor_dlq_policy = aws.sqs.QueuePolicy(
            f"{name}-processor-dlq-policy",
            queue_url=self.processor_dlq.url,
            policy=iam.document(iam.deny_insecure_transport(["sqs:*"], [self.processor_dlq.arn])),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "deliveryDlqUrl": self.delivery_dlq.url,
                "processorDlqUrl": self.processor_dlq.url,
            }
        )

    def _queue(self, logical: str, physical: str, args: FailureQueuesArgs) -> aws.sqs.Queue:
        cmk = args.kms_key_arn is not None
        return aws.sqs.Queue(
            logical,
            name=physical,
            message_retention_seconds=RETENTION_SECONDS,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=300 if cmk else None,
            sqs_managed_sse_enabled=None if cmk else True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def admit_rules(self, rule_arns: Sequence[pulumi.Output[str]]) -> aws.sqs.QueuePolicy:
        """Let EventBridge dead-letter into the delivery DLQ, only on behalf of these rules."""
        self.delivery_dlq_policy = aws.sqs.QueuePolicy(
            f"{self._name}-delivery-dlq-policy",
            queue_url=self.delivery_dlq.url,
            policy=iam.document(
                iam.allow(
                    "EventBridgeDeadLettersFromOwnRules",
                    ["sqs:SendMessage"],
                    [self.delivery_dlq.arn],
                    principal={"Service": EVENTS_PRINCIPAL},
                    condition={"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
                ),
                iam.deny_insecure_transport(["sqs:*"], [self.delivery_dlq.arn]),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return self.delivery_dlq_policy
