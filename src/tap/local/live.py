"""A live local stack: after `tap local --keep-running`'s run, events keep flowing.

While the emulator is up, a background thread pumps: it drains the observer queues (S3 events
the rules matched, with each rule's state read afresh, so disabling a rule stops delivery) and
the invoke inbox (asynchronous invokes an operator made, e.g. `tap redrive`), and delivers each
through the run's own `DeliveryPath`: the same handler instances, EventBridge and Lambda retry
semantics, dead-letter queues and injected faults. An object put to the endpoint reaches the
table within one pump interval plus the handler's time.

The emulator cannot run Lambda code, so an operator's `Invoke` cannot reach the handler through
moto's Lambda API: `tap redrive --endpoint-url` sends the invoke to the inbox queue instead
(`inbox_name`), a local-only queue like the observers, and the pump invokes from there.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Final, overload

from tap.internals.moto import observe_versioned_deletes
from tap.local.delivery import EventRecord
from tap.local.drive import DeliveryPath, write_runtime_logs
from tap.local.emulator import Emulator
from tap.local.errors import GraphError
from tap.local.observer import deleted_entry
from tap.ops.inbox import inbox_name, read_inbox_message
from tap_processor.event import DELETE_MARKER_CREATED, PERMANENTLY_DELETED

PUMP_INTERVAL: Final = 0.2
"""Seconds between pumps that found nothing to deliver."""
STOP_TIMEOUT: Final = 2.0
"""Seconds `stop` waits for the pump to finish the delivery in hand."""
RECENT_RECORDS: Final = 256
"""Deliveries a live stack keeps (`records`): it runs for hours, its memory must not grow."""
KEPT_ERRORS: Final = 100
LOG_LINES_PER_STREAM: Final = 500
"""Lines a live log stream takes before the next one starts."""
LIVE_NOTE: Final = (
    "after the run, a thread in tap local pumps the observer queues and the invoke inbox every "
    f"{PUMP_INTERVAL} s and delivers through the run's own path; for a delete in a versioned "
    "bucket, which moto emits no event for, it puts the Object Deleted event S3 documents "
    "(deletion-type, the version id S3 answered with) on the default bus first"
)


def live_log_stream(number: int) -> str:
    """The name of a live stack's `number`th log stream (from 1) in each function's log group."""
    return f"local/[$LATEST]tap-live-{number}"


class RecentRecords:
    """Every delivery's record in order, keeping only the most recent `keep` of them.

    `len` counts every delivery, and indexes and slices are positions among all of them, so
    `records[len_before:]` reads what was delivered since; a record older than the kept ones is
    gone (IndexError).
    """

    def __init__(self, keep: int) -> None:
        self._kept: deque[EventRecord] = deque(maxlen=keep)
        self._count = 0

    def extend(self, records: list[EventRecord]) -> None:
        """Add deliveries, oldest first."""
        self._kept.extend(records)
        self._count += len(records)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[EventRecord]:
        return iter(list(self._kept))

    @overload
    def __getitem__(self, index: int) -> EventRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[EventRecord]: ...
    def __getitem__(self, index: int | slice) -> EventRecord | list[EventRecord]:
        first = self._count - len(self._kept)
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if start < first:
                raise IndexError(f"deliveries before #{first} are no longer kept")
            return list(self._kept)[start - first : stop - first : step]
        position = index + self._count if index < 0 else index
        if not first <= position < self._count:
            raise IndexError(f"delivery #{index} is not kept (kept: #{first} to #{self._count})")
        return self._kept[position - first]


class LiveStack:
    """The deployed graph on a kept emulator, delivering events as they happen."""

    def __init__(
        self,
        emulator: Emulator,
        path: DeliveryPath,
        *,
        keep: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.emulator = emulator
        self.path = path
        self._keep = keep
        sqs = emulator.client("sqs")
        self._events = emulator.client("events")
        self._take = emulator.queue_taker()
        self._inboxes = {
            name: sqs.create_queue(QueueName=inbox_name(name))["QueueUrl"]
            for name in path.instances
        }
        self._unobserve: Callable[[], None] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pumped = threading.Condition()
        self._lock = threading.Lock()
        self.records = RecentRecords(RECENT_RECORDS)
        """Deliveries since the stack went live, in order: all counted, the latest kept."""
        self.errors: list[str] = []
        """Pump failures (the pump goes on after each), the latest `KEPT_ERRORS`."""
        self.idle_pumps = 0
        """Pumps that found nothing to deliver: one after a change means it was all delivered."""
        self.undelivered = 0
        """Events taken off the queues but not delivered because the stack was stopping."""
        self._log_streams: dict[str, tuple[int, int]] = {}
        """Each function's current live log stream, and the lines written to it."""

    @property
    def stopping(self) -> bool:
        """Whether `stop` was called: the pump delivers nothing more."""
        return self._stop.is_set()

    def pump(self) -> list[EventRecord]:
        """Deliver everything waiting now: S3 events, then operator invokes.

        A pump stops between two deliveries once the stack is stopping; what it took and did
        not deliver is counted in `undelivered`.
        """
        with self._lock:
            rules = self._events.list_rules().get("Rules", [])
            enabled = {r["Name"]: r.get("State") == "ENABLED" for r in rules}
            records = self._deliver(self.path.observer.drain(enabled), self.path.delivery.deliver)
            for function, url in self._inboxes.items():
                records += self._deliver(self._take(url), functools.partial(self._invoke, function))
            if records:
                self.records.extend(records)
                self._flush_logs()
                self.path.recorder.clear()  # the run's proof is made; calls since are not kept
            else:
                self.idle_pumps += 1
            self.emulator.release_copies()
        with self._pumped:
            self._pumped.notify_all()
        return records

    def _deliver(
        self, waiting: list[Any], deliver: Callable[[Any], EventRecord]
    ) -> list[EventRecord]:
        records: list[EventRecord] = []
        for taken, each in enumerate(waiting):
            if self._stop.is_set():
                self.undelivered += len(waiting) - taken
                break
            records.append(deliver(each))
        return records

    def _invoke(self, function: str, body: str) -> EventRecord:
        """One inbox message, invoked on its function (the inbox's own for a bare event); a body
        that is not a JSON object is refused, as Lambda refuses it, and recorded. Before, a bare
        event named no function ARN and stopped the pump (it vanished: nothing dead-lettered)."""
        arn = self.path.instances[function].function.arn
        try:
            target, payload = read_inbox_message(body)
        except ValueError:
            return self.path.delivery.refuse_invoke(arn, "InvalidRequestContentException")
        return self.path.delivery.invoke_async(target or arn, payload)

    def _put_delete_event(
        self, bucket: str, key: str, version_id: str | None, marker: bool
    ) -> None:
        """Put the event S3 sends for a versioned delete moto emitted none for.

        Called while moto handles the delete, under the lock that applies S3's writes one at a
        time (`tap.internals.moto.s3_events_in_order`): the event is on the bus, with the next
        sequencer, before any later write on the key emits its own.
        """
        entry = deleted_entry(
            bucket=bucket,
            key=key,
            version_id=version_id,
            deletion_type=DELETE_MARKER_CREATED if marker else PERMANENTLY_DELETED,
            lifecycle=False,
            account_id=self.emulator.account_id,
        )
        response = self._events.put_events(Entries=[entry])
        if response.get("FailedEntryCount"):
            raise GraphError(f"the emulator refused an S3 event: {response['Entries']}")

    def _flush_logs(self) -> None:
        """The handler's output since the last flush, to its log group, as the runtime writes.

        A stream holds about `LOG_LINES_PER_STREAM` lines, then the next one starts and the one
        before the previous is deleted: the log group keeps the latest two streams, where moto
        would keep every line for as long as the stack runs.
        """
        logs = self.emulator.client("logs")
        for name, instance in self.path.instances.items():
            output = instance.runtime.log_stream
            lines = sum(1 for line in output.getvalue().splitlines() if line)
            stream, held = self._log_streams.get(name, (1, 0))
            if held and held + lines > LOG_LINES_PER_STREAM:
                stream, held = stream + 1, 0
                if stream > 2:
                    with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
                        logs.delete_log_stream(
                            logGroupName=instance.function.log_group,
                            logStreamName=live_log_stream(stream - 2),
                        )
            self._log_streams[name] = (stream, held + lines)
            write_runtime_logs(self.emulator, instance, stream=live_log_stream(stream))
            output.seek(0)
            output.truncate()

    def start(self) -> None:
        """Pump in a daemon thread until `stop`."""
        if self._thread is not None:
            return
        self._unobserve = observe_versioned_deletes(self._put_delete_event)
        self._thread = threading.Thread(target=self._serve, name="tap-live", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.pump()
            except Exception as error:  # a pump failure must not end live delivery
                self.errors.append(f"{type(error).__name__}: {error}")
                del self.errors[:-KEPT_ERRORS]
                delivered = []
            if not delivered:
                self._stop.wait(PUMP_INTERVAL)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait, pump by pump, until `predicate()` holds; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._pumped:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._pumped.wait(min(left, 1.0))
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until a pump that started after this call found nothing left to deliver."""
        seen = self.idle_pumps
        return self.wait_until(lambda: self.idle_pumps >= seen + 2, timeout)

    def stop(self) -> None:
        """Stop pumping and release what the run kept (the extracted artifact); idempotent.

        The pump finishes the delivery in hand and delivers nothing more; `stop` waits for it
        `STOP_TIMEOUT` seconds at most (the thread is a daemon).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT)
        if self._unobserve is not None:
            self._unobserve()
            self._unobserve = None
        if self._keep is not None:
            keep, self._keep = self._keep, None
            with contextlib.suppress(Exception):
                keep.__exit__(None, None, None)


_LIVE: dict[str, LiveStack] = {}
"""Live stacks by endpoint."""


def go_live(endpoint: str, stack: LiveStack) -> LiveStack:
    """Start pumping and register the stack, so `stop_live(endpoint)` can end it."""
    _LIVE[endpoint] = stack
    stack.start()
    return stack


def live_stack(endpoint: str) -> LiveStack | None:
    """The live stack serving an endpoint, if any."""
    return _LIVE.get(endpoint)


def stop_live(endpoint: str) -> None:
    """Stop the live stack at `endpoint`, if any."""
    stack = _LIVE.pop(endpoint, None)
    if stack is not None:
        stack.stop()
