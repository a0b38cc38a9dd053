"""The live local stack's invoke inbox: how an operator's asynchronous invoke reaches the handler.

The emulator cannot run Lambda code, so `tap local --keep-running` drains a local-only queue per
function and invokes through its own delivery path. Both sides (the live stack that creates and
drains the queue, and `tap redrive --endpoint-url` that sends to it) take the names from here,
which imports nothing of the emulator.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

LOCAL_QUEUE_PREFIX: Final = "tap-local-observer-"
"""Local-only SQS queues that stand in for Lambda targets; nothing like them exists in AWS."""
MAX_QUEUE_NAME: Final = 80


def inbox_name(function_name: str) -> str:
    """The local-only queue that stands in for `lambda:InvokeFunction` on one function."""
    name = f"{LOCAL_QUEUE_PREFIX}invoke-{function_name}"
    if len(name) <= MAX_QUEUE_NAME:
        return name
    digest = hashlib.sha256(function_name.encode()).hexdigest()[:16]
    return f"{LOCAL_QUEUE_PREFIX}invoke-{digest}"


def inbox_message(function_arn: str, payload: Any) -> str:
    """The inbox message for one asynchronous invoke of `function_arn` (qualified or not)."""
    return json.dumps({"FunctionName": function_arn, "Payload": payload})


ENVELOPE: Final = frozenset({"FunctionName", "Payload"})


def read_inbox_message(body: str) -> tuple[str | None, dict[str, Any]]:
    """The function (None: the inbox's own) and payload of one inbox message: the envelope
    `inbox_message` writes, or a bare JSON event, as `aws sqs send-message` might send one.

    Raises ValueError when the body is not JSON (Lambda refuses such a payload), or its event
    is not a JSON object (no invocation shape the handler takes is anything else).
    """
    message = json.loads(body)
    function = None
    if isinstance(message, dict) and message.keys() == ENVELOPE:
        function, message = str(message["FunctionName"]), message["Payload"]
    if not isinstance(message, dict):
        raise ValueError(f"the event is not a JSON object: {body[:200]!r}")
    return function, message
