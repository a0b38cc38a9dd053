"""The processor function as Lambda would run it: its environment, clients, context and handler."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import boto3

from tap.local.artifact import LoadedArtifact

if TYPE_CHECKING:
    from tap.local.emulator import Emulator

IN_PROCESS_NOTE: Final = (
    "the processor runs in-process from the extracted artifact (not in a Lambda container); "
    "Lambda's async retries happen immediately, so maximumEventAgeInSeconds never expires"
)
"""Standing adaptation of every run: how the function runs."""


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    """A function from the graph, as applied to the emulator."""

    name: str
    arn: str
    """Unqualified."""
    version: str
    role_arn: str
    variables: Mapping[str, str]
    log_group: str
    memory_mb: int
    timeout_s: int


@dataclass(frozen=True, slots=True)
class LambdaContext:
    """The attributes of Lambda's context object that handlers commonly read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    timeout_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        """Local invocations never run out of time."""
        return self.timeout_ms


@dataclass(frozen=True, slots=True)
class HandlerRuntime:
    """What a handler factory gets: the artifact, a hooked session, the function's settings."""

    artifact: LoadedArtifact
    session: boto3.session.Session
    """Its clients are recorded for the access proof, and faults are injected into them. They use
    AWS's own endpoints, answered by moto's backends in this process without a network request,
    with a served emulator too (`Emulator.in_process_session`)."""
    function_name: str
    variables: Mapping[str, str]
    """The function's environment from the graph (translated) plus the emulator's endpoint."""
    log_stream: io.StringIO = field(default_factory=io.StringIO)
    """Stands in for CloudWatch Logs: the handler's stdout and log records."""

    def client(self, service: str) -> Any:
        """A client of the hooked session, answered by the emulator's backends."""
        from botocore.config import Config

        return self.session.client(
            service,  # type: ignore[call-overload]
            config=Config(  # type: ignore[call-arg]  # as emulator's clients
                retries={"mode": "standard", "max_attempts": 3},
                ignore_configured_endpoint_urls=True,
            ),
        )


EventHandler = Callable[[dict[str, Any], LambdaContext], object]
"""Processes one event; raising means the invocation failed and Lambda may retry it."""
HandlerFactory = Callable[[HandlerRuntime], EventHandler]
"""Builds a handler once per function, as a Lambda container would at cold start."""


@dataclass(frozen=True, slots=True)
class FunctionInstance:
    """A warm container: the function, its handler and the runtime the handler was built in."""

    function: LambdaFunction
    handler: EventHandler
    runtime: HandlerRuntime
    destination_sqs: Any
    """A client of the role's (hooked) session: destinations are sent to as the role."""


SessionHook = tuple[str, Callable[..., Any]]
"""(botocore event name, handler) registered on the function's session."""


def cold_start(
    emulator: Emulator,
    function: LambdaFunction,
    *,
    artifact: LoadedArtifact,
    factory: HandlerFactory,
    first_hooks: tuple[SessionHook, ...] = (),
    hooks: tuple[SessionHook, ...] = (),
) -> FunctionInstance:
    """Build the function's handler in its environment, with its session's hooks registered."""
    session = emulator.in_process_session()
    for event_name, hook in first_hooks:
        session.events.register_first(event_name, hook)
    for event_name, hook in hooks:
        session.events.register(event_name, hook)
    runtime = HandlerRuntime(
        artifact=artifact,
        session=session,
        function_name=function.name,
        variables=runtime_variables(emulator, function),
    )
    with function_environment(runtime.variables, runtime.log_stream):
        handler = factory(runtime)
    return FunctionInstance(function, handler, runtime, runtime.client("sqs"))


def runtime_variables(emulator: Emulator, function: LambdaFunction) -> dict[str, str]:
    """The function's environment plus what Lambda's runtime sets, pointed at the emulator."""
    endpoint = {"AWS_ENDPOINT_URL": emulator.endpoint} if emulator.endpoint else {}
    return {
        **function.variables,
        "AWS_REGION": emulator.region,
        "AWS_DEFAULT_REGION": emulator.region,
        **endpoint,
        "AWS_ACCESS_KEY_ID": emulator.credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": emulator.credentials.secret_access_key,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": function.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
    }


def artifact_handler(runtime: HandlerRuntime) -> EventHandler:
    """The real processor from the artifact, with the hooked clients and a captured logger."""
    handler_module = runtime.artifact.module("tap_processor.handler")
    logs_module = runtime.artifact.module("tap_processor.logs")
    logger = logging.getLogger(f"tap.local.function.{runtime.function_name}")
    logger.handlers.clear()
    stream_handler = logging.StreamHandler(runtime.log_stream)
    stream_handler.setFormatter(logs_module.JsonFormatter())
    logger.addHandler(stream_handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    processor = handler_module.Processor(
        dynamodb_client=runtime.client("dynamodb"),
        sqs_client=runtime.client("sqs"),
        s3_client=runtime.client("s3"),
        logger=logger,
    )

    def handle(event: dict[str, Any], context: LambdaContext) -> object:
        return processor.process(event, context).as_dict()

    return handle


@contextmanager
def function_environment(variables: Mapping[str, str], log_stream: io.StringIO) -> Iterator[None]:
    """Set the function's environment variables and capture stdout, restoring both on exit."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        with redirect_stdout(log_stream):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
