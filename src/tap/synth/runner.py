"""Run a Pulumi program under the recording mock monitor and return its ResourceGraph."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, Final

import pulumi

from tap.internals.pulumi import (
    run_pulumi_program,
    seed_settings,
    serialized_stack_exports,
    without_source_positions,
)
from tap.synth.errors import SynthError
from tap.synth.fake_aws import FakeAws
from tap.synth.graph import ResourceGraph
from tap.synth.monitor import RecordingMonitor
from tap.synth.values import decode_struct, to_json_value

ENVIRONMENT_CONFIG_PREFIX: Final = "PULUMI_CONFIG"
DISABLE_DEFAULT_PROVIDERS_KEY: Final = "pulumi:disable-default-providers"
ENGINE_LOGGER: Final = logging.getLogger("tap.synth.engine")
# Pulumi keeps some state per process (callback servers, resource modules): runs take turns.
_ONE_RUN_AT_A_TIME: Final = threading.Lock()

Program = Callable[[], object]
"""A Pulumi program: creates resources and exports outputs when called."""


def run_program(
    program: Program,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    preview: bool = False,
    account_id: str,
    region: str,
    secret_keys: Collection[str] = (),
) -> ResourceGraph:
    """Run `program` as `project`/`stack` under the fake AWS provider; return what it registered.

    `config` maps full keys (`tap:accountId`) to raw strings, structured values as JSON, as the
    Pulumi CLI passes them; `secret_keys` names the ones that are secrets. It is the only config
    the program sees: `PULUMI_CONFIG*` environment variables are hidden for the run. Each run has
    its own thread, event loop and context, so runs in one process share no Pulumi state.
    """
    outcome: list[ResourceGraph] = []
    failure: list[BaseException] = []

    def attempt() -> None:
        try:
            outcome.append(
                contextvars.Context().run(
                    _synthesize,
                    program,
                    project=project,
                    stack=stack,
                    config=dict(config),
                    preview=preview,
                    account_id=account_id,
                    region=region,
                    secret_keys=sorted(secret_keys),
                )
            )
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)

    # A daemon: an interrupted caller must not wait for the program to finish.
    worker = threading.Thread(target=attempt, name=f"tap-synth-{project}-{stack}", daemon=True)
    with _ONE_RUN_AT_A_TIME, _without_environment_config(), without_source_positions():
        worker.start()
        worker.join()
    if failure:
        raise failure[0]
    return outcome[0]


@contextlib.contextmanager
def _without_environment_config() -> Iterator[None]:
    """Hide `PULUMI_CONFIG*` variables, which the SDK reads when a key is not set explicitly."""
    hidden = {k: v for k, v in os.environ.items() if k.startswith(ENVIRONMENT_CONFIG_PREFIX)}
    for key in hidden:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(hidden)


def _synthesize(
    program: Program,
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    preview: bool,
    account_id: str,
    region: str,
    secret_keys: list[str],
) -> ResourceGraph:
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_note_unretrieved)
    asyncio.set_event_loop(loop)
    try:
        # A fresh context holds no settings; constructing Settings seeds every one of them.
        seed_settings(project, stack)
        pulumi.runtime.set_all_config(config, secret_keys=secret_keys)
        fake = FakeAws(account_id=account_id, region=region)
        monitor = RecordingMonitor(
            fake,
            project=project,
            stack=stack,
            preview=preview,
            disabled_default_providers=_disabled_default_providers(config),
        )
        pulumi.runtime.set_mocks(
            fake,
            project=project,
            stack=stack,
            preview=preview,
            logger=ENGINE_LOGGER,
            monitor=monitor,
        )
        try:
            loop.run_until_complete(run_pulumi_program(lambda: _call(program)))
            exports = loop.run_until_complete(_stack_exports())
        except Exception as exc:
            raise _as_synth_error(exc, monitor) from exc
        if monitor.errors:
            # The program caught an engine failure; the graph would be incomplete.
            raise _as_synth_error(monitor.errors[0], monitor)
        return ResourceGraph(
            project=project,
            stack=stack,
            resources=monitor.resources_recorded(),
            outputs=exports,
        )
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        asyncio.set_event_loop(None)


def _note_unretrieved(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Log, without a traceback, the futures a failed run leaves unretrieved.

    The failure itself is raised as a SynthError; asyncio's default handler would print every
    dependent Output's copy of it to stderr when the futures are collected, from any thread,
    and Python 3.11's traceback formatting is not safe to run in two threads at once.
    """
    ENGINE_LOGGER.debug("unretrieved after a failed run: %s", context.get("exception"))


def _call(program: Program) -> None:
    program()


async def _stack_exports() -> dict[str, Any]:
    """The stack's `pulumi.export`s, resolved the way the engine would store them."""
    struct = await serialized_stack_exports()
    exported: dict[str, Any] = to_json_value(decode_struct(struct))
    return exported


def _disabled_default_providers(config: Mapping[str, str]) -> frozenset[str]:
    raw = config.get(DISABLE_DEFAULT_PROVIDERS_KEY)
    if not raw:
        return frozenset()
    try:
        packages = json.loads(raw)
    except json.JSONDecodeError:
        packages = [raw]
    if not isinstance(packages, list):
        raise SynthError(f"{DISABLE_DEFAULT_PROVIDERS_KEY} must be a list of package names")
    return frozenset(str(p) for p in packages)


def _as_synth_error(exc: BaseException, monitor: RecordingMonitor) -> SynthError:
    """The engine-side failure if there was one (it is the cause), else the program's own."""
    cause = monitor.errors[0] if monitor.errors else exc
    if isinstance(cause, SynthError):
        return cause
    return SynthError(str(cause) or type(cause).__name__)
