"""run_local: apply a stack's graph to an embedded emulator and drive objects through it."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from tap.local.access.calls import AwsCall, CallRecorder, CallSource
from tap.local.access.proof import prove_access
from tap.local.accounting import (
    account,
    current_states,
    dead_letters,
    read_queue,
    scan_items,
)
from tap.local.appliers import ApplyContext, apply_graph, check_supported
from tap.local.artifact import LoadedArtifact, loaded_artifact
from tap.local.delivery import (
    AsyncConfig,
    FunctionInstance,
    LambdaDelivery,
    LambdaFunction,
    Outcome,
)
from tap.local.emulator import Emulator, aws_scan_command, running_emulator
from tap.local.errors import ArtifactError, EmulatorError, GraphError, InvalidOptionsError
from tap.local.faults import FaultInjector
from tap.local.function import (
    HandlerFactory,
    HandlerRuntime,
    artifact_handler,
    function_environment,
)
from tap.local.graph import Graph, GraphResource
from tap.local.observer import (
    DISABLED_NOTE,
    LIFECYCLE_NOTE,
    STAMP_NOTE,
    VERSIONED_DELETE_NOTE,
    Delivery,
    Observer,
    deleted_entry,
)
from tap.local.options import LocalOptions
from tap.local.report import LocalReport
from tap.local.workload import Operation, OpKind, body, plan_workload
from tap_processor.event import DELETE_MARKER_CREATED, PERMANENTLY_DELETED
from tap_processor.permissions import RUNTIME_NEEDS, ResourceKind

ProgressCallback = Callable[[int, int, str], None]
DELIVERY_BATCH: Final = 10
"""Deliveries shuffled together when reordering: about one SQS receive batch."""
FUNCTION: Final = "aws:lambda/function:Function"
IN_PROCESS_NOTE: Final = (
    "the processor runs in-process from the extracted artifact (not in a Lambda container); "
    "Lambda's async retries happen immediately, so maximumEventAgeInSeconds never expires"
)
ACCOUNT_NOTE: Final = (
    "a local-only IAM user (tap-local-operator) makes the emulator answer as the stack's account"
)
IAM_NOTE: Final = (
    "moto does not enforce IAM here; every handler call is judged against the role's policies "
    "by two offline evaluators instead"
)


def stack_identity(resources: Sequence[GraphResource]) -> tuple[str, str]:
    """(account id, region) of the stack, from its AWS provider's inputs."""
    for resource in resources:
        if resource.type != "pulumi:providers:aws":
            continue
        region = resource.inputs.get("region")
        accounts: Any = resource.inputs.get("allowedAccountIds")
        if isinstance(accounts, str):
            accounts = json.loads(accounts)
        if isinstance(region, str) and isinstance(accounts, list) and accounts:
            return str(accounts[0]), region
    raise GraphError("the graph has no AWS provider with a region and allowedAccountIds")


def _artifact_path(resources: Sequence[GraphResource], options: LocalOptions) -> Path:
    if options.artifact_path is not None:
        return Path(options.artifact_path)
    functions = [r for r in resources if r.type == FUNCTION]
    if not functions:
        raise GraphError("the graph has no Lambda function to run")
    from tap.packaging import PackagingError, build_artifact

    inputs = functions[0].inputs
    architectures = inputs.get("architectures") or ["x86_64"]
    try:
        return build_artifact(
            runtime=str(inputs.get("runtime") or "python3.12"), architecture=str(architectures[0])
        ).path
    except PackagingError as error:
        raise ArtifactError(f"cannot build the processor artifact: {error}") from error


def run_local(
    graph: Graph,
    options: LocalOptions,
    *,
    on_progress: ProgressCallback | None = None,
    handler_factory: HandlerFactory | None = None,
) -> LocalReport:
    """Apply the graph to a fresh emulator, upload and delete objects, and account for each one."""
    if not isinstance(options, LocalOptions):
        raise InvalidOptionsError(f"options must be LocalOptions, got {type(options).__name__}")
    started = time.perf_counter()
    resources = list(graph.resources)
    check_supported(resources)
    account_id, region = stack_identity(resources)
    zip_path = _artifact_path(resources, options)
    progress = on_progress or (lambda _done, _total, _stage: None)
    progress(0, 1, "starting emulator")
    with (
        running_emulator(
            account_id=account_id, region=region, keep_running=options.keep_running
        ) as emulator,
        loaded_artifact(zip_path) as artifact,
    ):
        progress(1, 1, "starting emulator")
        run = _Run(emulator, artifact, zip_path.read_bytes(), options, progress)
        run.apply(resources)
        return run.execute(handler_factory or artifact_handler, started)


class _Run:
    """The state of one run between applying the graph and writing the report."""

    def __init__(
        self,
        emulator: Emulator,
        artifact: LoadedArtifact,
        artifact_bytes: bytes,
        options: LocalOptions,
        progress: ProgressCallback,
    ) -> None:
        self.emulator = emulator
        self.artifact = artifact
        self.options = options
        self.progress = progress
        self.ctx = ApplyContext(emulator=emulator, artifact=artifact_bytes)
        for note in (STAMP_NOTE, IN_PROCESS_NOTE, ACCOUNT_NOTE, IAM_NOTE):
            self.ctx.adapt(note)
        self.recorder = CallRecorder(region=emulator.region, account_id=emulator.account_id)
        self.faults = FaultInjector(
            seed=options.seed,
            fail_rate=options.fail_rate,
            duplicate_rate=options.duplicate_rate,
            reorder=options.reorder,
            invoke_throttle_rate=options.invoke_throttle_rate,
        )

    def apply(self, resources: list[GraphResource]) -> None:
        """Create every resource of the graph in the emulator."""
        total = len(resources)
        done = 0

        def applied(_resource: GraphResource) -> None:
            nonlocal done
            done += 1
            self.progress(done, total, "applying graph")

        apply_graph(self.ctx, resources, on_resource=applied)
        if not self.ctx.observers:
            raise GraphError("the graph routes no events to a Lambda function")

    def _inputs(self, type_token: str) -> list[Mapping[str, Any]]:
        return [a.inputs for a in self.ctx.applied_of_type(type_token)]

    def _functions(self) -> list[LambdaFunction]:
        functions = []
        for applied in self.ctx.applied_of_type(FUNCTION):
            inputs, outputs = applied.inputs, applied.outputs
            name = str(inputs["name"])
            variables = (inputs.get("environment") or {}).get("variables") or {}
            functions.append(
                LambdaFunction(
                    name=name,
                    arn=str(outputs["arn"]),
                    version=str(outputs["version"]),
                    role_arn=str(inputs["role"]),
                    variables={str(k): str(v) for k, v in variables.items()},
                    log_group=str(
                        (inputs.get("loggingConfig") or {}).get("logGroup") or f"/aws/lambda/{name}"
                    ),
                    memory_mb=int(inputs.get("memorySize") or 128),
                    timeout_s=int(inputs.get("timeout") or 3),
                )
            )
        return functions

    def _runtime_variables(self, function: LambdaFunction) -> dict[str, str]:
        emulator = self.emulator
        return {
            **function.variables,
            "AWS_REGION": emulator.region,
            "AWS_DEFAULT_REGION": emulator.region,
            "AWS_ENDPOINT_URL": emulator.endpoint,
            "AWS_ACCESS_KEY_ID": emulator.credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": emulator.credentials.secret_access_key,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": function.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
        }

    def _instance(self, function: LambdaFunction, factory: HandlerFactory) -> FunctionInstance:
        session = self.emulator.session()
        session.events.register_first("before-parameter-build", self.recorder)
        session.events.register("before-call.dynamodb.PutItem", self.faults.throttle_hook)
        runtime = HandlerRuntime(
            artifact=self.artifact,
            session=session,
            endpoint=self.emulator.endpoint,
            function_name=function.name,
            variables=self._runtime_variables(function),
        )
        with function_environment(runtime.variables, runtime.log_stream):
            handler = factory(runtime)
        return FunctionInstance(function, handler, runtime, runtime.client("sqs"))

    def execute(self, factory: HandlerFactory, started: float) -> LocalReport:
        """Build the functions, run the workload, deliver, and account."""
        functions = self._functions()
        instances = {f.name: self._instance(f, factory) for f in functions}
        queue_urls = {
            str(a.outputs["arn"]): str(a.outputs["url"])
            for a in self.ctx.applied_of_type("aws:sqs/queue:Queue")
        }
        async_configs = {
            (str(i["functionName"]), i.get("qualifier")): AsyncConfig(
                maximum_retry_attempts=int(i.get("maximumRetryAttempts", 2)),
                on_failure=((i.get("destinationConfig") or {}).get("onFailure") or {}).get(
                    "destination"
                ),
            )
            for i in self._inputs("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
        }
        deliveries, operations = self._workload()
        delivery = LambdaDelivery(
            functions=instances,
            async_configs=async_configs,
            permissions=self._inputs("aws:lambda/permission:Permission"),
            queue_urls=queue_urls,
            operator_sqs=self.emulator.client("sqs"),
            recorder=self.recorder,
            faults=self.faults,
            account_id=self.emulator.account_id,
            seed=self.options.seed,
        )
        scheduled = self.faults.with_duplicates(deliveries)
        records = []
        for start in range(0, len(scheduled), DELIVERY_BATCH):
            for item in self.faults.ordered(scheduled[start : start + DELIVERY_BATCH]):
                records.append(delivery.deliver(item))
                self.progress(len(records), len(scheduled), "delivering events")
        handler_calls = self.recorder.calls
        runtime_calls = [c for i in instances.values() for c in self._runtime_logs(i)]
        return self._report(
            functions=functions,
            operations=operations,
            records=records,
            handler_calls=handler_calls,
            runtime_calls=runtime_calls,
            async_configs=async_configs,
            first_deliveries=len(deliveries),
            started=started,
        )

    def _workload(self) -> tuple[list[Delivery], list[Operation]]:
        buckets = [
            str(a.outputs.get("bucket") or a.inputs["bucket"])
            for a in self.ctx.applied_of_type("aws:s3/bucket:Bucket")
        ]
        if not buckets:
            raise GraphError("the graph has no bucket to upload to")
        s3 = self.emulator.client("s3")
        versioned = frozenset(
            b for b in buckets if s3.get_bucket_versioning(Bucket=b).get("Status") == "Enabled"
        )
        operations = plan_workload(
            buckets, self.options.objects, self.options.seed, versioned=versioned
        )
        self.observer = Observer(
            self.emulator.client("sqs"), self.ctx.observers, seed=self.options.seed
        )
        enabled = {
            str(i["name"]): (i.get("state") or "ENABLED") == "ENABLED"
            for i in self._inputs("aws:cloudwatch/eventRule:EventRule")
        }
        if not all(enabled.values()):
            self.ctx.adapt(DISABLED_NOTE)
        deliveries: list[Delivery] = []
        for index, op in enumerate(operations):
            if op.kind is OpKind.PUT:
                s3.put_object(
                    Bucket=op.bucket, Key=op.key, Body=body(op.size, self.options.seed, index)
                )
                found = self.observer.drain(enabled)
            else:
                found = self._delete(s3, op, enabled)
            deliveries += found
            self.progress(index + 1, len(operations), "uploading objects")
        return deliveries, operations

    def _delete(self, s3: Any, op: Operation, enabled: dict[str, bool]) -> list[Delivery]:
        """Perform one delete (or lifecycle expiry) and return the events it emitted.

        moto emits no event for a versioned delete; then the runner puts the one S3 documents.
        """
        version_id = _version_to_remove(s3, op) if op.kind.by_version_id else None
        if version_id is None:
            response = s3.delete_object(Bucket=op.bucket, Key=op.key)
            version_id = response.get("VersionId")
            deletion_type = DELETE_MARKER_CREATED if response.get("DeleteMarker") else None
        else:
            s3.delete_object(Bucket=op.bucket, Key=op.key, VersionId=version_id)
            deletion_type = PERMANENTLY_DELETED
        if op.kind.lifecycle:
            self.ctx.adapt(LIFECYCLE_NOTE)
        found = self.observer.drain(enabled)
        if found or deletion_type is None:
            return found
        self.ctx.adapt(VERSIONED_DELETE_NOTE)
        self._put_events(
            deleted_entry(
                bucket=op.bucket,
                key=op.key,
                version_id=version_id,
                deletion_type=deletion_type,
                lifecycle=op.kind.lifecycle,
                account_id=self.emulator.account_id,
            )
        )
        return self.observer.drain(enabled)

    def _put_events(self, entry: dict[str, Any]) -> None:
        response = self.emulator.client("events").put_events(Entries=[entry])
        if response.get("FailedEntryCount"):
            raise GraphError(f"the emulator refused an S3 event: {response['Entries']}")

    def _runtime_logs(self, instance: FunctionInstance) -> list[AwsCall]:
        """Write the captured output to the function's log group, as the runtime does."""
        function = instance.function
        logs = self.emulator.client("logs")
        stream = "local/[$LATEST]tap-local"
        lines = [line for line in instance.runtime.log_stream.getvalue().splitlines() if line]
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=function.log_group)
        logs.create_log_stream(logGroupName=function.log_group, logStreamName=stream)
        now = int(time.time() * 1000)
        for start in range(0, len(lines), 5000):
            logs.put_log_events(
                logGroupName=function.log_group,
                logStreamName=stream,
                logEvents=[{"timestamp": now, "message": m} for m in lines[start : start + 5000]],
            )
        base = f"arn:aws:logs:{self.emulator.region}:{self.emulator.account_id}"
        stream_arn = f"{base}:log-group:{function.log_group}:log-stream:{stream}"
        return [
            AwsCall(
                need.action,
                stream_arn if need.resource == ResourceKind.LOG_GROUP else "*",
                CallSource.RUNTIME,
            )
            for need in RUNTIME_NEEDS
        ]

    def _queue_keys(self) -> dict[str, str]:
        kms = self.emulator.client("kms")
        keys = {}
        for applied in self.ctx.applied_of_type("aws:sqs/queue:Queue"):
            key = applied.inputs.get("kmsMasterKeyId")
            if isinstance(key, str) and key and not key.startswith("alias/aws/"):
                keys[str(applied.outputs["arn"])] = kms.describe_key(KeyId=key)["KeyMetadata"][
                    "Arn"
                ]
        return keys

    def _role_policies(self, role_arn: str) -> list[dict[str, Any]]:
        role_name = role_arn.rsplit("/", 1)[-1]
        documents = []
        for inputs in self._inputs("aws:iam/rolePolicy:RolePolicy"):
            if inputs.get("role") in (role_name, role_arn):
                documents.append(json.loads(str(inputs["policy"])))
        return documents

    def _report(
        self,
        *,
        functions: list[LambdaFunction],
        operations: list[Operation],
        records: list[Any],
        handler_calls: list[AwsCall],
        runtime_calls: list[AwsCall],
        async_configs: Mapping[tuple[str, str | None], AsyncConfig],
        first_deliveries: int,
        started: float,
    ) -> LocalReport:
        self.progress(0, 1, "verifying")
        function = functions[0]
        table_name = function.variables.get("TABLE_NAME") or str(
            self._inputs("aws:dynamodb/table:Table")[0]["name"]
        )
        sqs = self.emulator.client("sqs")
        queue_urls = {
            str(a.outputs["arn"]): str(a.outputs["url"])
            for a in self.ctx.applied_of_type("aws:sqs/queue:Queue")
        }
        delivery_dlqs = {o.dead_letter_arn for o in self.ctx.observers if o.dead_letter_arn}
        processor_dlqs = {c.on_failure for c in async_configs.values() if c.on_failure}
        processor_dlqs |= {
            arn for arn, url in queue_urls.items() if url == function.variables.get("DLQ_URL")
        }
        letters = []
        for arn in sorted(delivery_dlqs | processor_dlqs):
            if arn in queue_urls:
                letters += dead_letters(arn, read_queue(sqs, queue_urls[arn]))
        items = scan_items(self.emulator.client("dynamodb"), table_name)
        states = current_states(self.emulator.client("s3"), operations)
        accounting = account(states, items, letters)
        proof = prove_access(
            self._role_policies(function.role_arn),
            handler_calls,
            queue_keys=self._queue_keys(),
            runtime_calls=runtime_calls,
            context={
                "aws:SecureTransport": "true",
                "aws:RequestedRegion": self.emulator.region,
                "aws:PrincipalArn": function.role_arn,
                "aws:PrincipalAccount": self.emulator.account_id,
            },
        )
        handler_requests = sum(1 for c in handler_calls if c.source == CallSource.HANDLER)
        outcomes = Counter(r.outcome.value for r in records)
        for record in records:
            if record.outcome is Outcome.PROCESSED and isinstance(record.result, dict):
                outcomes[f"handler:{record.result.get('outcome')}"] += 1
        keep = self.options.keep_running
        self.progress(1, 1, "verifying")
        return LocalReport(
            uploaded=len(states),
            deleted=sum(1 for s in states.values() if s.status == "deleted"),
            operations=len(operations),
            operations_by_kind={
                kind.value: sum(1 for op in operations if op.kind is kind) for kind in OpKind
            },
            events_emitted=self.observer.emitted,
            events_delivered=sum(1 for r in records if r.handler_attempts > 0),
            processed=sum(1 for r in records if r.outcome is Outcome.PROCESSED),
            items=accounting.items,
            in_dlq=len(letters),
            in_delivery_dlq=sum(1 for letter in letters if letter.queue in delivery_dlqs),
            in_processor_dlq=sum(1 for letter in letters if letter.queue in processor_dlqs),
            duplicate_items=accounting.duplicate_items,
            stale_overwrites=accounting.stale_overwrites,
            lost=len(accounting.lost),
            lost_objects=accounting.lost,
            requests_per_object=round(handler_requests / max(len(states), 1), 3),
            unauthorized_calls=proof.unauthorized,
            evaluator_disagreements=proof.disagreements,
            unused_permissions=proof.unused,
            runtime_permissions=proof.runtime_implied,
            evaluators=proof.evaluators,
            injected={
                "throttled_writes": sum(self.faults.throttles.values()),
                "duplicates": self.faults.duplicates,
                "reordered_batches": self.faults.reordered_batches,
                "invoke_throttles": self.faults.invoke_throttles,
                "first_deliveries": first_deliveries,
            },
            adaptations=tuple(self.ctx.adaptations),
            events=tuple(records),
            table_name=table_name,
            region=self.emulator.region,
            account_id=self.emulator.account_id,
            duration_seconds=round(time.perf_counter() - started, 3),
            endpoint=self.emulator.endpoint if keep else None,
            scan_command=aws_scan_command(
                endpoint=self.emulator.endpoint,
                table_name=table_name,
                region=self.emulator.region,
                credentials=self.emulator.credentials,
            )
            if keep
            else None,
            outcomes=dict(outcomes),
            credentials=self.emulator.credentials if keep else None,
        )


def _version_to_remove(s3: Any, op: Operation) -> str:
    """The version or marker a by-id delete removes, from the key's version listing in S3."""
    listing = s3.list_object_versions(Bucket=op.bucket, Prefix=op.key)
    versions = [v for v in listing.get("Versions", []) if v["Key"] == op.key]
    markers = [m for m in listing.get("DeleteMarkers", []) if m["Key"] == op.key]
    if op.kind is OpKind.REMOVE_MARKER:
        candidates = [m for m in markers if m["IsLatest"]]
    elif op.kind is OpKind.DELETE_CURRENT:
        candidates = [v for v in versions if v["IsLatest"]]
    else:
        # Lifecycle expires the oldest noncurrent versions first; listings are newest first.
        candidates = [v for v in versions if not v["IsLatest"]][-1:]
    if not candidates:
        raise EmulatorError(f"{op.kind.value}: the emulator lists nothing to remove for {op.key!r}")
    return str(candidates[0]["VersionId"])
