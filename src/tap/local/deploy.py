"""Stage 1, deploy: apply the graph to the emulator and read back what the later stages need."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tap.facts import tokens
from tap.local.appliers import ApplyContext, apply_graph
from tap.local.appliers.context import Applied, ObserverTarget
from tap.local.delivery import DEFAULT_LAMBDA_RETRIES, AsyncConfig
from tap.local.emulator import Emulator
from tap.local.errors import GraphError
from tap.local.function import LambdaFunction
from tap.local.graph import GraphResource
from tap_processor.env import DLQ_URL, TABLE_NAME


@dataclass(frozen=True, slots=True)
class Deployment:
    """The graph as applied: the emulator's names and settings of everything a run touches."""

    functions: tuple[LambdaFunction, ...]
    buckets: tuple[str, ...]
    table_name: str
    queue_urls: Mapping[str, str]
    """Queue URL by queue ARN."""
    queue_keys: Mapping[str, str]
    """The CMK ARN of each queue encrypted with one, by queue ARN."""
    async_configs: Mapping[tuple[str, str | None], AsyncConfig]
    """By (function name, qualifier)."""
    permissions: tuple[Mapping[str, Any], ...]
    """Every Lambda Permission's inputs."""
    observers: tuple[ObserverTarget, ...]
    rules_enabled: Mapping[str, bool]
    """Whether each EventBridge rule is ENABLED, by rule name."""
    role_policies: tuple[Mapping[str, Any], ...]
    """Every RolePolicy's inputs."""
    adaptations: tuple[str, ...]
    """Emulator adaptations the appliers made."""

    @property
    def function(self) -> LambdaFunction:
        """The processor: the graph's first function."""
        return self.functions[0]

    @property
    def delivery_dlqs(self) -> frozenset[str]:
        """ARNs of the queues EventBridge dead-letters undeliverable events to."""
        return frozenset(o.dead_letter_arn for o in self.observers if o.dead_letter_arn)

    @property
    def processor_dlqs(self) -> frozenset[str]:
        """ARNs of the processor's on-failure destinations and of the queue its DLQ_URL names."""
        destinations = {c.on_failure for c in self.async_configs.values() if c.on_failure}
        dlq_url = self.function.variables.get(DLQ_URL)
        return frozenset(
            destinations | {arn for arn, url in self.queue_urls.items() if url == dlq_url}
        )

    def policies_of(self, role_arn: str) -> list[dict[str, Any]]:
        """The policy documents of every RolePolicy on the role (named by name or ARN)."""
        role_name = role_arn.rsplit("/", 1)[-1]
        return [
            json.loads(str(inputs["policy"]))
            for inputs in self.role_policies
            if inputs.get("role") in (role_name, role_arn)
        ]


def deploy(
    emulator: Emulator,
    resources: Sequence[GraphResource],
    *,
    artifact: bytes,
    on_resource: Callable[[int, int], None] | None = None,
) -> Deployment:
    """Create every resource of the graph in the emulator, in dependency order."""
    ctx = ApplyContext(emulator=emulator, artifact=artifact)
    total = len(resources)
    done = 0

    def applied(_resource: GraphResource) -> None:
        nonlocal done
        done += 1
        if on_resource is not None:
            on_resource(done, total)

    apply_graph(ctx, list(resources), on_resource=applied)
    if not ctx.observers:
        raise GraphError("the graph routes no events to a Lambda function")
    return _read_back(ctx)


def _read_back(ctx: ApplyContext) -> Deployment:
    functions = tuple(_function(a) for a in ctx.applied_of_type(tokens.FUNCTION))
    if not functions:
        raise GraphError("the graph has no Lambda function to run")
    buckets = tuple(
        str(a.outputs.get("bucket") or a.inputs["bucket"])
        for a in ctx.applied_of_type(tokens.BUCKET)
    )
    if not buckets:
        raise GraphError("the graph has no bucket to upload to")
    queues = ctx.applied_of_type(tokens.QUEUE)
    return Deployment(
        functions=functions,
        buckets=buckets,
        table_name=functions[0].variables.get(TABLE_NAME)
        or str(_inputs(ctx, tokens.TABLE)[0]["name"]),
        queue_urls={str(a.outputs["arn"]): str(a.outputs["url"]) for a in queues},
        queue_keys=_queue_keys(ctx, queues),
        async_configs={
            (str(i["functionName"]), i.get("qualifier")): _async_config(i)
            for i in _inputs(ctx, tokens.INVOKE_CONFIG)
        },
        permissions=tuple(_inputs(ctx, tokens.PERMISSION)),
        observers=tuple(ctx.observers),
        rules_enabled={
            str(i["name"]): (i.get("state") or "ENABLED") == "ENABLED"
            for i in _inputs(ctx, tokens.EVENT_RULE)
        },
        role_policies=tuple(_inputs(ctx, tokens.ROLE_POLICY)),
        adaptations=tuple(ctx.adaptations),
    )


def _inputs(ctx: ApplyContext, type_token: str) -> list[Mapping[str, Any]]:
    return [a.inputs for a in ctx.applied_of_type(type_token)]


def _function(applied: Applied) -> LambdaFunction:
    inputs, outputs = applied.inputs, applied.outputs
    name = str(inputs["name"])
    variables = (inputs.get("environment") or {}).get("variables") or {}
    return LambdaFunction(
        name=name,
        arn=str(outputs["arn"]),
        version=str(outputs["version"]),
        role_arn=str(inputs["role"]),
        variables={str(k): str(v) for k, v in variables.items()},
        log_group=str((inputs.get("loggingConfig") or {}).get("logGroup") or f"/aws/lambda/{name}"),
        memory_mb=int(inputs.get("memorySize") or 128),
        timeout_s=int(inputs.get("timeout") or 3),
    )


def _async_config(inputs: Mapping[str, Any]) -> AsyncConfig:
    on_failure = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destination")
    return AsyncConfig(
        maximum_retry_attempts=int(inputs.get("maximumRetryAttempts", DEFAULT_LAMBDA_RETRIES)),
        on_failure=on_failure,
    )


def _queue_keys(ctx: ApplyContext, queues: list[Applied]) -> dict[str, str]:
    """The CMK ARN of each queue whose kmsMasterKeyId is not an AWS-managed key."""
    keys = {}
    for applied in queues:
        key = applied.inputs.get("kmsMasterKeyId")
        if isinstance(key, str) and key and not key.startswith("alias/aws/"):
            metadata = ctx.emulator.client("kms").describe_key(KeyId=key)["KeyMetadata"]
            keys[str(applied.outputs["arn"])] = str(metadata["Arn"])
    return keys
