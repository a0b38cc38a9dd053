"""Stage 2, drive: the workload on S3, and every event it emitted delivered to the handler."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from tap.calls import AwsCall, CallRecorder, CallSource
from tap.facts.arns import build_arn, partition_of
from tap.local.artifact import LoadedArtifact
from tap.local.delivery import EventRecord, LambdaDelivery
from tap.local.deploy import Deployment
from tap.local.emulator import Emulator
from tap.local.faults import FaultInjector
from tap.local.function import FunctionInstance, HandlerFactory, cold_start
from tap.local.observer import Observer
from tap.local.operations import S3Operations
from tap.local.options import LocalOptions
from tap.local.workload import Operation, plan_workload
from tap_processor.permissions import RUNTIME_NEEDS, ResourceKind

DELIVERY_BATCH: Final = 10
"""Deliveries shuffled together when reordering: about one SQS receive batch."""
LOG_STREAM: Final = "local/[$LATEST]tap-local"
LOG_BATCH: Final = 5000
"""Most events one PutLogEvents call takes (in count; the local lines stay far below its size)."""

StageProgress = Callable[[int, int], None]
"""(done, total) within one stage."""


@dataclass(frozen=True, slots=True)
class Driven:
    """What the workload did and where each delivery ended; none of it is a verdict."""

    operations: tuple[Operation, ...]
    records: tuple[EventRecord, ...]
    events_emitted: int
    """Distinct S3 events seen at the observer boundary."""
    injected: dict[str, int]
    """Faults injected, and the deliveries before duplication (`first_deliveries`)."""
    handler_calls: tuple[AwsCall, ...]
    """Calls the function's session made: the handler's, and destination sends as its role."""
    runtime_calls: tuple[AwsCall, ...]
    """Calls Lambda's runtime makes for the function (logs, traces)."""
    adaptations: tuple[str, ...]
    """Emulator adaptations the workload needed."""
    path: DeliveryPath
    """The delivery path the workload went through, for live traffic after the run."""


@dataclass(frozen=True, slots=True)
class DeliveryPath:
    """How an event reaches the handler: the observer, EventBridge's and Lambda's semantics, the
    running function instances, and the faults and call recording around them.

    One run's workload goes through it; `tap local --keep-running` keeps it for live traffic.
    """

    instances: Mapping[str, FunctionInstance]
    observer: Observer
    delivery: LambdaDelivery
    faults: FaultInjector
    recorder: CallRecorder


def delivery_path(
    emulator: Emulator,
    deployment: Deployment,
    options: LocalOptions,
    *,
    artifact: LoadedArtifact,
    factory: HandlerFactory,
) -> DeliveryPath:
    """Cold-start each function and wire the observer to Lambda's delivery, faults included."""
    recorder = CallRecorder(region=emulator.region, account_id=emulator.account_id)
    faults = FaultInjector(
        seed=options.seed,
        fail_rate=options.fail_rate,
        duplicate_rate=options.duplicate_rate,
        reorder=options.reorder,
        invoke_throttle_rate=options.invoke_throttle_rate,
    )
    instances = {
        f.name: cold_start(
            emulator,
            f,
            artifact=artifact,
            factory=factory,
            first_hooks=(("before-parameter-build", recorder),),
            hooks=(("before-call.dynamodb.PutItem", faults.throttle_hook),),
        )
        for f in deployment.functions
    }
    observer = Observer(emulator.queue_taker(), list(deployment.observers), seed=options.seed)
    delivery = LambdaDelivery(
        functions=instances,
        async_configs=deployment.async_configs,
        permissions=deployment.permissions,
        queue_urls=deployment.queue_urls,
        operator_sqs=emulator.client("sqs"),
        recorder=recorder,
        faults=faults,
        account_id=emulator.account_id,
        seed=options.seed,
    )
    return DeliveryPath(instances, observer, delivery, faults, recorder)


def drive(
    emulator: Emulator,
    deployment: Deployment,
    options: LocalOptions,
    *,
    artifact: LoadedArtifact,
    factory: HandlerFactory,
    on_operation: StageProgress | None = None,
    on_delivery: StageProgress | None = None,
) -> Driven:
    """Cold-start each function, perform the workload on S3, then deliver what it emitted."""
    path = delivery_path(emulator, deployment, options, artifact=artifact, factory=factory)
    faults, observer, recorder = path.faults, path.observer, path.recorder
    instances = path.instances
    s3 = S3Operations(
        s3=emulator.client("s3"),
        events=emulator.client("events"),
        observer=observer,
        rules_enabled=deployment.rules_enabled,
        account_id=emulator.account_id,
        seed=options.seed,
    )
    operations = plan_workload(
        list(deployment.buckets),
        options.objects,
        options.seed,
        versioned=s3.versioned(deployment.buckets),
    )
    deliveries = []
    for index, op in enumerate(operations):
        deliveries += s3.perform(index, op)
        if on_operation is not None:
            on_operation(index + 1, len(operations))
    delivery = path.delivery
    scheduled = faults.with_duplicates(deliveries)
    records = []
    for start in range(0, len(scheduled), DELIVERY_BATCH):
        for item in faults.ordered(scheduled[start : start + DELIVERY_BATCH]):
            records.append(delivery.deliver(item))
            emulator.release_copies()  # the handler's version listings
            if on_delivery is not None:
                on_delivery(len(records), len(scheduled))
    return Driven(
        operations=tuple(operations),
        records=tuple(records),
        events_emitted=observer.emitted,
        injected={
            "throttled_writes": sum(faults.throttles.values()),
            "duplicates": faults.duplicates,
            "reordered_batches": faults.reordered_batches,
            "invoke_throttles": faults.invoke_throttles,
            "first_deliveries": len(deliveries),
        },
        handler_calls=tuple(recorder.calls),
        runtime_calls=tuple(c for i in instances.values() for c in write_runtime_logs(emulator, i)),
        adaptations=tuple(s3.adaptations),
        path=path,
    )


def write_runtime_logs(
    emulator: Emulator, instance: FunctionInstance, *, stream: str = LOG_STREAM
) -> list[AwsCall]:
    """Write the captured output to the function's log group, as the runtime does; the calls
    the runtime makes for that (and for traces), for the access proof."""
    function = instance.function
    logs = emulator.client("logs")
    lines = [line for line in instance.runtime.log_stream.getvalue().splitlines() if line]
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=function.log_group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=function.log_group, logStreamName=stream)
    now = int(time.time() * 1000)
    for start in range(0, len(lines), LOG_BATCH):
        logs.put_log_events(
            logGroupName=function.log_group,
            logStreamName=stream,
            logEvents=[{"timestamp": now, "message": m} for m in lines[start : start + LOG_BATCH]],
        )
    stream_arn = build_arn(
        partition_of(emulator.region),
        "logs",
        emulator.region,
        emulator.account_id,
        f"log-group:{function.log_group}:log-stream:{stream}",
    )
    return [
        AwsCall(
            need.action,
            stream_arn if need.resource == ResourceKind.LOG_GROUP else "*",
            CallSource.RUNTIME,
        )
        for need in RUNTIME_NEEDS
    ]
