"""EventBridge delivery to a Lambda target and Lambda's async invocation, emulated from the graph.

EventBridge: the invoke is authorised only by a Permission for EventBridge's principal naming the
rule's ARN and the target's qualifier; otherwise the event goes straight to the target's DLQ
(NO_PERMISSIONS, no retries). Throttled invokes are retried per the target's RetryPolicy.
Lambda: a failed invocation is retried `maximumRetryAttempts` times, then an invocation record
goes to the on-failure destination. Retries happen at once: time is compressed, so
`maximumEventAgeInSeconds` never expires locally.
"""

from __future__ import annotations

import json
import random
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from tap.calls import CallRecorder, CallSource
from tap.facts.arns import is_arn, split_function_arn
from tap.facts.principals import EVENTS_PRINCIPAL
from tap.local.appliers.context import ObserverTarget
from tap.local.faults import FaultInjector
from tap.local.function import (
    FunctionInstance,
    LambdaContext,
    LambdaFunction,
    function_environment,
)
from tap.local.observer import Delivery

DEFAULT_EVENTBRIDGE_RETRIES: Final = 185
DEFAULT_LAMBDA_RETRIES: Final = 2
DIRECT_INVOKE: Final = "(invoke)"
"""The rule name recorded for an event an operator invoked directly, through no rule."""
NOT_RETRIED: Final = "NotRetried"
"""EXHAUSTED_RETRY_CONDITION for errors EventBridge does not retry; AWS documents no value."""


class Outcome(StrEnum):
    """Where one delivery ended."""

    PROCESSED = "processed"
    """The handler returned."""
    PROCESSOR_DLQ = "processor_dlq"
    """Lambda's retries were exhausted; the invocation record went to the on-failure destination."""
    DELIVERY_DLQ = "delivery_dlq"
    """EventBridge could not invoke the target; the event went to the target's DLQ."""
    DROPPED = "dropped"
    """Failed with no DLQ or destination to take it (or sending there failed)."""


@dataclass(frozen=True, slots=True)
class AsyncConfig:
    """A FunctionEventInvokeConfig: retries, then where failed events go."""

    maximum_retry_attempts: int = DEFAULT_LAMBDA_RETRIES
    on_failure: str | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """What happened to one delivery."""

    event_id: str
    bucket: str
    key: str
    sequencer: str
    detail_type: str
    rule_name: str
    outcome: Outcome
    invoke_attempts: int
    handler_attempts: int
    error_code: str | None = None
    result: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "event_id": self.event_id,
            "bucket": self.bucket,
            "key": self.key,
            "sequencer": self.sequencer,
            "detail_type": self.detail_type,
            "rule": self.rule_name,
            "outcome": self.outcome.value,
            "invoke_attempts": self.invoke_attempts,
            "handler_attempts": self.handler_attempts,
            "error_code": self.error_code,
            "result": self.result,
        }


def invoke_authorised(
    permissions: Sequence[Mapping[str, Any]],
    *,
    function_name: str,
    qualifier: str | None,
    rule_arn: str,
    account_id: str,
) -> bool:
    """Whether the function's resource policy lets EventBridge invoke it for this rule.

    A grant covers only the exact ARN it names: an unqualified grant does not cover an alias.
    """
    for permission in permissions:
        if permission.get("principal") != EVENTS_PRINCIPAL:
            continue
        if permission.get("action") not in ("lambda:InvokeFunction", "lambda:*"):
            continue
        named = str(permission.get("function") or "")
        name, arn_qualifier = split_function_arn(named) if is_arn(named) else (named, None)
        if name != function_name:
            continue
        if (permission.get("qualifier") or arn_qualifier) != qualifier:
            continue
        if permission.get("sourceArn") not in (None, rule_arn):
            continue
        if permission.get("sourceAccount") not in (None, account_id):
            continue
        return True
    return False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def invocation_record(
    event: Mapping[str, Any],
    function: LambdaFunction,
    *,
    invoked_arn: str,
    request_id: str,
    attempts: int,
    error: BaseException,
) -> dict[str, Any]:
    """The record Lambda sends to an on-failure destination when the retries are exhausted."""
    return {
        "version": "1.0",
        "timestamp": _now(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": invoked_arn,
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": function.version,
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_exception(error)[-3:],
        },
    }


class LambdaDelivery:
    """Delivers events to Lambda targets with EventBridge's and Lambda's failure semantics."""

    def __init__(
        self,
        *,
        functions: Mapping[str, FunctionInstance],
        async_configs: Mapping[tuple[str, str | None], AsyncConfig],
        permissions: Sequence[Mapping[str, Any]],
        queue_urls: Mapping[str, str],
        operator_sqs: Any,
        recorder: CallRecorder,
        faults: FaultInjector,
        account_id: str,
        seed: int,
    ) -> None:
        self._functions = functions
        self._async_configs = async_configs
        self._permissions = permissions
        self._queue_urls = queue_urls
        self._sqs = operator_sqs
        self._recorder = recorder
        self._faults = faults
        self._account_id = account_id
        self._request_ids = random.Random(f"{seed}:request-ids")

    def deliver(self, delivery: Delivery) -> EventRecord:
        """Deliver one event to its target and return where it ended."""
        target = delivery.target
        name, qualifier = split_function_arn(target.target_arn)
        instance = self._functions.get(name)
        if instance is None:
            return self._dead_letter(
                delivery, "NO_RESOURCE", f"function {target.target_arn} does not exist", 0
            )
        if not invoke_authorised(
            self._permissions,
            function_name=name,
            qualifier=qualifier,
            rule_arn=target.rule_arn,
            account_id=self._account_id,
        ):
            return self._dead_letter(
                delivery,
                "NO_PERMISSIONS",
                f"EventBridge is not authorized to invoke {target.target_arn} for "
                f"{target.rule_arn}: no lambda:InvokeFunction permission for the rule",
                0,
            )
        retries = int(target.retry_policy.get("maximumRetryAttempts", DEFAULT_EVENTBRIDGE_RETRIES))
        invoke_attempts = 1
        while self._faults.invoke_throttled():
            if invoke_attempts > retries:
                return self._dead_letter(
                    delivery,
                    "THROTTLING",
                    "Lambda throttled the invocation (TooManyRequestsException)",
                    retries,
                    exhausted="MaximumRetryAttempts",
                    invoke_attempts=invoke_attempts,
                )
            invoke_attempts += 1
        return self._invoke_async(delivery, instance, qualifier, invoke_attempts)

    def invoke_async(self, function_arn: str, event: Mapping[str, Any]) -> EventRecord:
        """`lambda:InvokeFunction` with InvocationType=Event, as an operator makes it (a redrive):
        Lambda's retries and on-failure destination apply; no EventBridge rule is involved."""
        name, qualifier = split_function_arn(function_arn)
        instance = self._functions.get(name)
        if instance is None:
            return self.refuse_invoke(function_arn, "ResourceNotFoundException", event)
        delivery = Delivery(_direct_invoke(function_arn), dict(event), emission=0)
        return self._invoke_async(delivery, instance, qualifier, 1)

    def refuse_invoke(
        self, function_arn: str, error_code: str, event: Mapping[str, Any] | None = None
    ) -> EventRecord:
        """An invoke Lambda's API refuses before any handler runs, recorded as dropped."""
        delivery = Delivery(_direct_invoke(function_arn), dict(event or {}), emission=0)
        return self._record(
            delivery, Outcome.DROPPED, invoke_attempts=1, handler_attempts=0, error_code=error_code
        )

    def _invoke_async(
        self,
        delivery: Delivery,
        instance: FunctionInstance,
        qualifier: str | None,
        invoke_attempts: int,
    ) -> EventRecord:
        """Lambda's async invocation: the handler with retries, then the on-failure destination."""
        function = instance.function
        config = self._async_configs.get((function.name, qualifier)) or AsyncConfig()
        invoked_arn = f"{function.arn}:{qualifier}" if qualifier else function.arn
        attempts, result, error = self._attempts(delivery, instance, invoked_arn, config)
        if error is None:
            outcome, code = Outcome.PROCESSED, None
        elif config.on_failure is None:
            outcome, code = Outcome.DROPPED, type(error).__name__
        else:
            record = invocation_record(
                delivery.event,
                function,
                invoked_arn=invoked_arn,
                request_id=self._request_id(),
                attempts=attempts,
                error=error,
            )
            sent = self._send_to_destination(instance, config.on_failure, record)
            outcome = Outcome.PROCESSOR_DLQ if sent else Outcome.DROPPED
            code = type(error).__name__ if sent else "DestinationDeliveryFailure"
        return self._record(
            delivery,
            outcome,
            invoke_attempts=invoke_attempts,
            handler_attempts=attempts,
            error_code=code,
            result=result,
        )

    def _attempts(
        self,
        delivery: Delivery,
        instance: FunctionInstance,
        invoked_arn: str,
        config: AsyncConfig,
    ) -> tuple[int, Any, Exception | None]:
        """Run the handler until it returns or the retries are spent: (attempts, result, error)."""
        function = instance.function
        error: Exception | None = None
        for attempt in range(1, config.maximum_retry_attempts + 2):
            context = LambdaContext(
                function_name=function.name,
                function_version=function.version,
                invoked_function_arn=invoked_arn,
                memory_limit_in_mb=function.memory_mb,
                aws_request_id=self._request_id(),
                log_group_name=function.log_group,
                timeout_ms=function.timeout_s * 1000,
            )
            self._recorder.source = CallSource.HANDLER
            try:
                with function_environment(instance.runtime.variables, instance.runtime.log_stream):
                    return attempt, instance.handler(delivery.event, context), None
            except Exception as failure:  # Lambda catches whatever the handler raises.
                error = failure
        return config.maximum_retry_attempts + 1, None, error

    def _send_to_destination(
        self, instance: FunctionInstance, destination: str, record: Mapping[str, Any]
    ) -> bool:
        """Send an invocation record as the function's role; False if the send failed (AWS then
        drops the event)."""
        self._recorder.source = CallSource.DESTINATION
        try:
            instance.destination_sqs.send_message(
                QueueUrl=self._queue_urls[destination], MessageBody=json.dumps(record)
            )
        except Exception:  # A failed destination delivery drops the event, as in AWS.
            return False
        finally:
            self._recorder.source = CallSource.HANDLER
        return True

    def _request_id(self) -> str:
        return str(uuid.UUID(int=self._request_ids.getrandbits(128), version=4))

    def _dead_letter(
        self,
        delivery: Delivery,
        code: str,
        message: str,
        retry_attempts: int,
        *,
        exhausted: str = NOT_RETRIED,
        invoke_attempts: int = 0,
    ) -> EventRecord:
        target: ObserverTarget = delivery.target
        if target.dead_letter_arn is None or target.dead_letter_arn not in self._queue_urls:
            return self._record(
                delivery,
                Outcome.DROPPED,
                invoke_attempts=invoke_attempts,
                handler_attempts=0,
                error_code=code,
            )
        attributes = {
            "RULE_ARN": target.rule_arn,
            "TARGET_ARN": target.target_arn,
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message,
            "EXHAUSTED_RETRY_CONDITION": exhausted,
            "RETRY_ATTEMPTS": str(retry_attempts),
        }
        self._sqs.send_message(
            QueueUrl=self._queue_urls[target.dead_letter_arn],
            MessageBody=json.dumps(delivery.event),
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
            },
        )
        return self._record(
            delivery,
            Outcome.DELIVERY_DLQ,
            invoke_attempts=invoke_attempts,
            handler_attempts=0,
            error_code=code,
        )

    def _record(
        self,
        delivery: Delivery,
        outcome: Outcome,
        *,
        invoke_attempts: int,
        handler_attempts: int,
        error_code: str | None,
        result: Any = None,
    ) -> EventRecord:
        bucket, key = delivery.object_ref
        detail = delivery.event.get("detail") or {}
        return EventRecord(
            event_id=str(delivery.event.get("id")),
            bucket=bucket,
            key=key,
            sequencer=str((detail.get("object") or {}).get("sequencer")),
            detail_type=str(delivery.event.get("detail-type")),
            rule_name=delivery.target.rule_name,
            outcome=outcome,
            invoke_attempts=invoke_attempts,
            handler_attempts=handler_attempts,
            error_code=error_code,
            result=result
            if isinstance(result, dict | list | str | int | float | None)
            else repr(result),
        )


def _direct_invoke(function_arn: str) -> ObserverTarget:
    """The target of an operator's invoke: the function itself, through no rule."""
    return ObserverTarget(
        rule_name=DIRECT_INVOKE,
        rule_arn="",
        target_id=DIRECT_INVOKE,
        target_arn=function_arn,
        queue_url="",
        queue_arn="",
        retry_policy={},
        dead_letter_arn=None,
    )
