"""pulumi's private API (the SDK's runtime modules), each behind one function.

Used by `tap.synth` (and `tap.config.loading`, which reads the config keys set). Everything
imports pulumi when called, so `tap validate` loads no pulumi. `SURFACES` names each internal
this module reaches; tests/test_internals.py guards each one, and names it when it changes.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

SURFACES: Final = frozenset(
    {
        "pulumi.runtime.stack.massage",
        "pulumi.runtime.stack.run_pulumi_func",
        "pulumi.runtime.resource._get_stack_trace",
        "pulumi.runtime.settings.Settings",
        "pulumi.runtime.settings.get_root_resource",
        "pulumi.runtime.config.CONFIG",
        "pulumi.runtime.rpc._special_sig_key",
        "pulumi.runtime.rpc.serialize_properties",
        "pulumi.runtime.rpc.is_rpc_secret",
    }
)
"""Each private surface of pulumi this module reaches, as tests/test_internals.py names it."""


def massage_outputs(value: Any) -> Any:
    """`pulumi.runtime.stack.massage`: stack exports as the engine stores them (Outputs kept)."""
    from pulumi.runtime.stack import massage

    return massage(value, [])


async def run_pulumi_program(program: Callable[[], Awaitable[None] | None]) -> None:
    """`pulumi.runtime.stack.run_pulumi_func`: run `program` and wait for every RPC it started."""
    from pulumi.runtime.stack import run_pulumi_func

    await run_pulumi_func(program)


@contextmanager
def without_source_positions() -> Iterator[None]:
    """`pulumi.runtime.resource._get_stack_trace` answers an empty stack trace while the block
    runs. The SDK walks the Python stack and reads each frame's source line for every resource
    registered, so the engine can point an error at the user's code; the mock monitor ignores
    it (a synthesized graph is byte-identical without it), and it is about 12% of a synthesis.
    Not thread-safe: tap.synth.runner holds it only while its one run at a time runs. Never used
    for a real deployment, which does not go through tap.synth."""
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    kept = resource._get_stack_trace
    resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        resource._get_stack_trace = kept


def seed_settings(project: str, stack: str) -> None:
    """`pulumi.runtime.settings.Settings(...)`: constructing it seeds the context's settings."""
    from pulumi.runtime.settings import Settings

    Settings(project=project, stack=stack)


def explicit_config_keys() -> frozenset[str]:
    """The config keys set in this context (`pulumi.runtime.config.CONFIG`, a ContextVar)."""
    from pulumi.runtime.config import CONFIG

    return frozenset(CONFIG.get())


@dataclass(frozen=True, slots=True)
class WireSignatures:
    """How the engine's wire format tags a special value: the key a struct carries it under
    (`sig_key`), the value of that key for each kind, and the string an unknown is sent as."""

    sig_key: str
    secret: str
    asset: str
    archive: str
    resource: str
    unknown: str


@functools.cache
def wire_signatures() -> WireSignatures:
    """`pulumi.runtime.rpc._special_*_sig` and `rpc.UNKNOWN`: the engine's wire tags."""
    from pulumi.runtime import rpc

    return WireSignatures(
        sig_key=rpc._special_sig_key,
        secret=rpc._special_secret_sig,
        asset=rpc._special_asset_sig,
        archive=rpc._special_archive_sig,
        resource=rpc._special_resource_sig,
        unknown=rpc.UNKNOWN,
    )


def is_wire_secret(value: Any) -> bool:
    """`pulumi.runtime.rpc.is_rpc_secret`: whether a decoded value is the SDK's secret wrapper."""
    from pulumi.runtime import rpc

    return bool(rpc.is_rpc_secret(value))


def unwrap_wire_secret(value: Any) -> Any:
    """`pulumi.runtime.rpc.unwrap_rpc_secret`: the value inside the SDK's secret wrapper."""
    from pulumi.runtime import rpc

    return rpc.unwrap_rpc_secret(value)


async def serialized_stack_exports() -> Any:
    """The stack's `pulumi.export`s as the engine stores them: the root resource's outputs
    (`pulumi.runtime.settings.get_root_resource`), massaged and serialized to a wire struct
    (`pulumi.runtime.rpc.serialize_properties`)."""
    from pulumi.runtime import rpc
    from pulumi.runtime.settings import get_root_resource

    exports = getattr(get_root_resource(), "outputs", None) or {}
    return await rpc.serialize_properties(massage_outputs(dict(exports)), {})
