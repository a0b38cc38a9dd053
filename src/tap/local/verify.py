"""Stage 3, verify: judge the run from what S3, DynamoDB and SQS hold, and prove the role's access.

Nothing the runner intended is compared: S3's version listing, a table scan and a receive of
every DLQ are the evidence, and the handler's recorded calls are judged against the role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from tap.local.access.proof import AccessProof, prove_access
from tap.local.accounting import (
    Accounting,
    DeadLetter,
    FinalState,
    ObjectRef,
    account,
    current_states,
    dead_letters,
    read_queue,
    scan_items,
)
from tap.local.deploy import Deployment
from tap.local.drive import Driven
from tap.local.emulator import Emulator

IAM_NOTE: Final = (
    "moto does not enforce IAM here; every handler call is judged against the role's policies "
    "by two offline evaluators instead"
)
"""Standing adaptation of every run: how access is judged."""


@dataclass(frozen=True, slots=True)
class Verification:
    """The emulator's final state compared with S3's, and the access proof."""

    states: Mapping[ObjectRef, FinalState]
    """S3's current version of every key the workload touched."""
    accounting: Accounting
    in_delivery_dlq: int
    in_processor_dlq: int
    proof: AccessProof

    @property
    def letters(self) -> tuple[DeadLetter, ...]:
        """Every message in every DLQ."""
        return self.accounting.dead_letters


def verify(emulator: Emulator, deployment: Deployment, driven: Driven) -> Verification:
    """List S3, scan the table, receive the DLQs and judge the handler's calls."""
    letters = _dead_letters(emulator, deployment)
    items = scan_items(emulator.client("dynamodb"), deployment.table_name)
    states = current_states(emulator.client("s3"), driven.operations)
    return Verification(
        states=states,
        accounting=account(states, items, letters),
        in_delivery_dlq=sum(1 for d in letters if d.queue in deployment.delivery_dlqs),
        in_processor_dlq=sum(1 for d in letters if d.queue in deployment.processor_dlqs),
        proof=_prove(emulator, deployment, driven),
    )


def _dead_letters(emulator: Emulator, deployment: Deployment) -> list[DeadLetter]:
    """Every message of the delivery and processor DLQs, left in place."""
    sqs = emulator.client("sqs")
    letters = []
    for arn in sorted(deployment.delivery_dlqs | deployment.processor_dlqs):
        if arn in deployment.queue_urls:
            letters += dead_letters(arn, read_queue(sqs, deployment.queue_urls[arn]))
    return letters


def _prove(emulator: Emulator, deployment: Deployment, driven: Driven) -> AccessProof:
    role_arn = deployment.function.role_arn
    return prove_access(
        deployment.policies_of(role_arn),
        driven.handler_calls,
        queue_keys=deployment.queue_keys,
        runtime_calls=driven.runtime_calls,
        context={
            "aws:SecureTransport": "true",
            "aws:RequestedRegion": emulator.region,
            "aws:PrincipalArn": role_arn,
            "aws:PrincipalAccount": emulator.account_id,
        },
    )
