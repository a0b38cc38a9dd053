"""Each private API tap relies on still has the shape its adapter in tap.internals expects.

A failure here names the internal that changed: update its adapter (one function) and the pin.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from importlib import import_module
from typing import Any

import pulumi
import pytest

from tap import internals


def _private(module: str, name: str) -> Any:
    found = getattr(import_module(module), name, None)
    assert found is not None, f"{module}.{name} is gone: adapt tap.internals and the pin"
    return found


def _parameters(module: str, name: str) -> list[str]:
    return list(inspect.signature(_private(module, name)).parameters)


def test_massage_still_takes_a_value_and_a_seen_list_and_unwraps_outputs() -> None:
    assert _parameters("pulumi.runtime.stack", "massage") == ["attr", "seen"], (
        "pulumi.runtime.stack.massage(attr, seen) changed its signature"
    )
    massaged = internals.massage_outputs({"n": 1, "nested": {"l": [1, "a"]}})
    assert massaged == {"n": 1, "nested": {"l": [1, "a"]}}


def test_run_pulumi_func_still_awaits_the_program() -> None:
    assert _parameters("pulumi.runtime.stack", "run_pulumi_func") == ["func"], (
        "pulumi.runtime.stack.run_pulumi_func(func) changed its signature"
    )
    ran: list[str] = []

    def program() -> None:
        ran.append("ran")

    def in_fresh_context() -> None:
        internals.seed_settings("proj", "stk")
        asyncio.run(internals.run_pulumi_program(program))

    # Its own thread: asyncio.run would leave the main thread with no event loop.
    worker = threading.Thread(target=contextvars.Context().run, args=(in_fresh_context,))
    worker.start()
    worker.join()
    assert ran == ["ran"]


def test_constructing_settings_still_seeds_project_and_stack() -> None:
    parameters = _parameters("pulumi.runtime.settings", "Settings")
    assert parameters[:2] == ["project", "stack"], (
        f"pulumi.runtime.settings.Settings takes {parameters}, no longer (project, stack, ...)"
    )

    def seeded() -> tuple[str, str]:
        internals.seed_settings("proj", "stk")
        return pulumi.get_project(), pulumi.get_stack()

    assert contextvars.Context().run(seeded) == ("proj", "stk")


def test_config_is_still_a_context_variable_of_explicit_keys() -> None:
    config = _private("pulumi.runtime.config", "CONFIG")
    assert isinstance(config, contextvars.ContextVar), (
        "pulumi.runtime.config.CONFIG is no longer a ContextVar"
    )

    def keys() -> frozenset[str]:
        pulumi.runtime.set_all_config({"tap:a": "1", "aws:region": "x"})
        return internals.explicit_config_keys()

    assert contextvars.Context().run(keys) == {"tap:a", "aws:region"}


def test_policy_proxies_still_hold_their_value_under_the_target_key() -> None:
    from pulumi_policy.proxy import unknown_checking_proxy

    for name in ("_DictProxy", "_ListProxy"):
        assert _parameters("pulumi_policy.proxy", name) == ["target", "props_acc"], (
            f"pulumi_policy.proxy.{name}(target, props_acc) changed its signature"
        )
    proxied = unknown_checking_proxy({"a": 1, "b": "x"})
    assert type(proxied).__name__ == "_DictProxy", "unknown_checking_proxy no longer a _DictProxy"
    unwrapped = internals.unwrap_policy_proxy(proxied)
    assert type(unwrapped) is dict, "a _DictProxy no longer holds its dict under '__target'"
    assert unwrapped == {"a": 1, "b": "x"}
    assert internals.unwrap_policy_proxy([1]) == [1]


def test_motos_event_pattern_still_matches_from_a_parsed_pattern() -> None:
    assert _parameters("moto.events.models", "EventPattern")[:2] == ["raw_pattern", "pattern"], (
        "moto.events.models.EventPattern(raw_pattern, pattern) changed its signature"
    )
    event = {"source": "aws.s3", "detail": {"n": 5}}
    assert internals.moto_event_pattern_matches({"detail": {"n": [{"numeric": [">", 1]}]}}, event)
    assert not internals.moto_event_pattern_matches({"source": ["aws.ec2"]}, event)


def test_libyamls_parser_is_still_csafeloaders_first_base_and_yields_pyyamls_events() -> None:
    import yaml

    parser = internals.libyaml_parser()
    assert parser is not None, "PyYAML lost libyaml (yaml.__with_libyaml__): tap reads slower"
    assert yaml.CSafeLoader.__mro__[1] is parser, (
        "yaml.CSafeLoader is no longer built on yaml._yaml.CParser: adapt tap.internals"
    )
    events = parser("a: [1, &x b]\n")
    try:
        kinds = []
        while events.check_event():
            event = events.peek_event()
            assert event is events.get_event()
            kinds.append(type(event))
    finally:
        events.dispose()
    assert kinds == [
        yaml.StreamStartEvent, yaml.DocumentStartEvent, yaml.MappingStartEvent,
        yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.ScalarEvent, yaml.ScalarEvent,
        yaml.SequenceEndEvent, yaml.MappingEndEvent, yaml.DocumentEndEvent, yaml.StreamEndEvent,
    ], "yaml._yaml.CParser no longer yields PyYAML's event classes"  # fmt: skip


def test_registering_a_resource_still_reads_the_stack_trace_from_the_module_global() -> None:
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    trace = _private("pulumi.runtime.resource", "_get_stack_trace")
    assert _parameters("pulumi.runtime.resource", "_get_stack_trace") == []
    assert isinstance(trace(), source_pb2.StackTrace)
    assert resource._get_source_position(source_pb2.StackTrace()) is None
    source = inspect.getsource(resource.register_resource)
    assert "_get_stack_trace()" in source, (
        "pulumi.runtime.resource.register_resource no longer calls _get_stack_trace(): "
        "adapt tap.internals.without_source_positions"
    )
    with internals.without_source_positions():
        assert resource._get_stack_trace() == source_pb2.StackTrace()
    assert resource._get_stack_trace is trace


@pytest.mark.slow  # two syntheses of the dev stack
def test_a_graph_synthesized_without_source_positions_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import contextlib
    from pathlib import Path

    from tap.synth import runner
    from tap.synth.stack import synthesize_project
    from tap.validation import stack_config, validate_project

    project = validate_project(Path(__file__).resolve().parents[1])
    config = stack_config(project, "dev")
    without = synthesize_project(project, "dev", config).to_json()
    monkeypatch.setattr(runner, "without_source_positions", contextlib.nullcontext)

    assert synthesize_project(project, "dev", config).to_json() == without
