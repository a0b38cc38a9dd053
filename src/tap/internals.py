"""Every use of a dependency's private API, each behind one function.

Nothing else in tap reaches into `pulumi.runtime.stack`, `pulumi.runtime.settings`,
`pulumi.runtime.config`, `pulumi.runtime.resource`, `pulumi_policy.proxy`, `moto.events.models`
or `yaml._yaml`.
tests/test_internals.py checks the name, signature and behaviour each function relies on, and
names the internal that changed when one does; the pins in pyproject.toml cover the versions
those tests ran against.
`pulumi_policy` and `moto` are not in the base install, so their adapters import them on use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any


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


def unwrap_policy_proxy(value: Any) -> Any:
    """The value inside pulumi-policy's unknown-checking `_DictProxy`/`_ListProxy`, else `value`."""
    from pulumi_policy.proxy import _DictProxy, _ListProxy

    return value["__target"] if isinstance(value, _DictProxy | _ListProxy) else value


def moto_event_pattern_matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """moto's EventBridge matcher (`moto.events.models.EventPattern`), the oracle for ours."""
    from moto.events.models import EventPattern

    return bool(EventPattern(None, dict(pattern)).matches_event(dict(event)))  # type: ignore[arg-type]


def libyaml_parser() -> Any:
    """`yaml._yaml.CParser`, libyaml's scanner and parser (the first base of `yaml.CSafeLoader`,
    which PyYAML exports only assembled), or None where PyYAML was built without libyaml."""
    import yaml

    if not yaml.__with_libyaml__:
        return None
    from yaml._yaml import CParser

    return CParser
