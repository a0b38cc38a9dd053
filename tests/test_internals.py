"""Each private API tap relies on still has the shape its adapter in tap.internals expects.

Every surface an adapter module names in its `SURFACES` has exactly one guard here (`@guards`),
which checks the name, signature, source and behaviour the adapter relies on; a dependency
upgrade that changes one fails that guard, whose name and message name the surface. Update its
adapter (one function) and the pin. The other tests here prove what the adapters do with those
surfaces (answers the same as moto's own, under concurrent writers); they are not guards.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import contextvars
import functools
import inspect
import json
import pkgutil
import threading
from collections.abc import Callable, Iterator
from importlib import import_module
from typing import Any, Final, TypeVar

import pulumi
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeKey, S3Backend

import tap.internals
from tap.internals import pulumi as pulumi_adapter
from tap.internals.moto import (
    SharedPatch,
    convert_queue_attribute_names_once,
    forget_tracked_models,
    moto_event_pattern_matches,
    parse_json_paths_once,
    s3_events_in_order,
    take_from_backend,
    trimmed_streams,
    windowed_version_listing,
)
from tap.internals.pulumi_policy import unwrap_policy_proxy
from tap.internals.pyyaml import libyaml_parser
from tests.support.paths import REPO_ROOT

Test = TypeVar("Test", bound=Callable[..., None])
SHARED_PATCHES: tuple[SharedPatch, ...] = (
    windowed_version_listing,
    parse_json_paths_once,
    convert_queue_attribute_names_once,
    s3_events_in_order,
    trimmed_streams,
)


@pytest.fixture(autouse=True)
def moto_as_shipped() -> Iterator[None]:
    """Every guard sees moto's own code and takes the patch it guards itself: a kept emulator
    an earlier test on this worker left up holds tap local's patches for as long as it runs
    (a fresh-clone `make test` failed two guards that way, by test order)."""
    with contextlib.ExitStack() as stack:
        for patch in SHARED_PATCHES:
            stack.enter_context(patch.lifted())
        yield


GUARDS: dict[str, str] = {}
"""Each private surface, and the one test here that guards it."""


def guards(surface: str) -> Callable[[Test], Test]:
    """Register the decorated test as the one guard of `surface`."""

    def register(test: Test) -> Test:
        assert surface not in GUARDS, f"{surface} has two guards: {GUARDS[surface]}, {test}"
        GUARDS[surface] = test.__name__
        return test

    return register


def _adapter_modules() -> list[str]:
    return [f"tap.internals.{m.name}" for m in pkgutil.iter_modules(tap.internals.__path__)]


def test_every_private_surface_an_adapter_names_has_exactly_one_guard() -> None:
    declared: dict[str, str] = {}
    for module in _adapter_modules():
        surfaces = getattr(import_module(module), "SURFACES", None)
        assert surfaces, f"{module} names no SURFACES: say which internals it reaches"
        for surface in surfaces:
            assert surface not in declared, f"{surface} is in {declared[surface]} and {module}"
            declared[surface] = module
    assert sorted(set(declared) - set(GUARDS)) == [], "surfaces without a guard here"
    assert sorted(set(GUARDS) - set(declared)) == [], "guards of surfaces no adapter names"
    for name in GUARDS.values():
        assert name.startswith("test_"), name
        assert callable(globals().get(name)), name


def test_the_adapter_package_imports_no_dependency_of_its_own() -> None:
    """`tap.internals` is imported by `tap validate`'s config loading: it must not load pulumi,
    moto or PyYAML's internals itself, only its modules' functions do, on use."""
    source = inspect.getsource(tap.internals)
    assert "import" not in source.split('"""', 2)[2], "tap/internals/__init__.py imports"


def _private(module: str, name: str) -> Any:
    found = getattr(import_module(module), name, None)
    assert found is not None, f"{module}.{name} is gone: adapt tap.internals and the pin"
    return found


def _parameters(module: str, name: str) -> list[str]:
    return list(inspect.signature(_private(module, name)).parameters)


@guards("pulumi.runtime.stack.massage")
def test_massage_still_takes_a_value_and_a_seen_list_and_unwraps_outputs() -> None:
    assert _parameters("pulumi.runtime.stack", "massage") == ["attr", "seen"], (
        "pulumi.runtime.stack.massage(attr, seen) changed its signature"
    )
    massaged = pulumi_adapter.massage_outputs({"n": 1, "nested": {"l": [1, "a"]}})
    assert massaged == {"n": 1, "nested": {"l": [1, "a"]}}


@guards("pulumi.runtime.stack.run_pulumi_func")
def test_run_pulumi_func_still_awaits_the_program() -> None:
    assert _parameters("pulumi.runtime.stack", "run_pulumi_func") == ["func"], (
        "pulumi.runtime.stack.run_pulumi_func(func) changed its signature"
    )
    ran: list[str] = []

    def program() -> None:
        ran.append("ran")

    def in_fresh_context() -> None:
        pulumi_adapter.seed_settings("proj", "stk")
        asyncio.run(pulumi_adapter.run_pulumi_program(program))

    # Its own thread: asyncio.run would leave the main thread with no event loop.
    worker = threading.Thread(target=contextvars.Context().run, args=(in_fresh_context,))
    worker.start()
    worker.join()
    assert ran == ["ran"]


@guards("pulumi.runtime.settings.Settings")
def test_constructing_settings_still_seeds_project_and_stack() -> None:
    parameters = _parameters("pulumi.runtime.settings", "Settings")
    assert parameters[:2] == ["project", "stack"], (
        f"pulumi.runtime.settings.Settings takes {parameters}, no longer (project, stack, ...)"
    )

    def seeded() -> tuple[str, str]:
        pulumi_adapter.seed_settings("proj", "stk")
        return pulumi.get_project(), pulumi.get_stack()

    assert contextvars.Context().run(seeded) == ("proj", "stk")


@guards("pulumi.runtime.config.CONFIG")
def test_config_is_still_a_context_variable_of_explicit_keys() -> None:
    config = _private("pulumi.runtime.config", "CONFIG")
    assert isinstance(config, contextvars.ContextVar), (
        "pulumi.runtime.config.CONFIG is no longer a ContextVar"
    )

    def keys() -> frozenset[str]:
        pulumi.runtime.set_all_config({"tap:a": "1", "aws:region": "x"})
        return pulumi_adapter.explicit_config_keys()

    assert contextvars.Context().run(keys) == {"tap:a", "aws:region"}


@guards("pulumi_policy.proxy._DictProxy")
def test_policy_proxies_still_hold_their_value_under_the_target_key() -> None:
    from pulumi_policy.proxy import unknown_checking_proxy

    for name in ("_DictProxy", "_ListProxy"):
        assert _parameters("pulumi_policy.proxy", name) == ["target", "props_acc"], (
            f"pulumi_policy.proxy.{name}(target, props_acc) changed its signature"
        )
    proxied = unknown_checking_proxy({"a": 1, "b": "x"})
    assert type(proxied).__name__ == "_DictProxy", "unknown_checking_proxy no longer a _DictProxy"
    unwrapped = unwrap_policy_proxy(proxied)
    assert type(unwrapped) is dict, "a _DictProxy no longer holds its dict under '__target'"
    assert unwrapped == {"a": 1, "b": "x"}
    assert unwrap_policy_proxy([1]) == [1]


@guards("moto.events.models.EventPattern")
@pytest.mark.slow  # imports moto
def test_motos_event_pattern_still_matches_from_a_parsed_pattern() -> None:
    assert _parameters("moto.events.models", "EventPattern")[:2] == ["raw_pattern", "pattern"], (
        "moto.events.models.EventPattern(raw_pattern, pattern) changed its signature"
    )
    event = {"source": "aws.s3", "detail": {"n": 5}}
    assert moto_event_pattern_matches({"detail": {"n": [{"numeric": [">", 1]}]}}, event)
    assert not moto_event_pattern_matches({"source": ["aws.ec2"]}, event)


@guards("yaml._yaml.CParser")
def test_libyamls_parser_is_still_csafeloaders_first_base_and_yields_pyyamls_events() -> None:
    import yaml

    parser = libyaml_parser()
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


@guards("pulumi.runtime.resource._get_stack_trace")
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
        "adapt tap.pulumi_adapter.without_source_positions"
    )
    with pulumi_adapter.without_source_positions():
        assert resource._get_stack_trace() == source_pb2.StackTrace()
    assert resource._get_stack_trace is trace


@guards("pulumi.runtime.rpc._special_sig_key")
def test_the_wire_still_tags_special_values_with_the_signatures_the_adapter_reads() -> None:
    from pulumi.runtime import rpc

    for name in ("sig_key", "secret_sig", "asset_sig", "archive_sig", "resource_sig"):
        tag = _private("pulumi.runtime.rpc", f"_special_{name}")
        assert isinstance(tag, str), f"pulumi.runtime.rpc._special_{name} is no string"
    wire = pulumi_adapter.wire_signatures()
    source = inspect.getsource(rpc)
    # The SDK's serializer still tags each kind with its signature, under the one key.
    for name in ("asset_sig", "archive_sig", "resource_sig"):
        assert f"_special_sig_key: _special_{name}" in source, (
            f"pulumi.runtime.rpc no longer tags a value with _special_{name} under "
            "_special_sig_key: adapt tap.internals.pulumi.wire_signatures"
        )
    assert rpc.wrap_rpc_secret("v") == {wire.sig_key: wire.secret, "value": "v"}, (
        "pulumi.runtime.rpc._special_secret_sig no longer tags a secret on the wire"
    )
    assert wire.unknown == rpc.UNKNOWN
    assert len({wire.secret, wire.asset, wire.archive, wire.resource}) == 4


@guards("pulumi.runtime.rpc.is_rpc_secret")
def test_the_sdks_secret_wrapper_is_still_recognised_and_unwrapped() -> None:
    from pulumi.runtime import rpc

    for name in ("is_rpc_secret", "unwrap_rpc_secret"):
        assert _parameters("pulumi.runtime.rpc", name) == ["value"], (
            f"pulumi.runtime.rpc.{name}(value) changed its signature"
        )
    wrapped = rpc.wrap_rpc_secret({"k": 1})
    assert pulumi_adapter.is_wire_secret(wrapped)
    assert not pulumi_adapter.is_wire_secret({"k": 1})
    assert pulumi_adapter.unwrap_wire_secret(wrapped) == {"k": 1}


@guards("pulumi.runtime.rpc.serialize_properties")
def test_serialize_properties_still_turns_plain_values_into_a_wire_struct() -> None:
    assert _parameters("pulumi.runtime.rpc", "serialize_properties")[:2] == [
        "inputs",
        "property_deps",
    ], "pulumi.runtime.rpc.serialize_properties(inputs, property_deps, ...) changed"
    from pulumi.runtime import rpc

    struct = asyncio.run(rpc.serialize_properties({"n": 1, "l": [1, "a"], "d": {"x": True}}, {}))
    assert type(struct).__name__ == "Struct", "serialize_properties no longer answers a Struct"
    from google.protobuf.json_format import MessageToDict

    assert MessageToDict(struct) == {"n": 1.0, "l": [1.0, "a"], "d": {"x": True}}


@guards("pulumi.runtime.settings.get_root_resource")
def test_the_root_resource_is_still_the_stack_that_holds_the_exports() -> None:
    """Under the SDK's public mocks alone: no other surface tap adapts is on this path."""
    assert _parameters("pulumi.runtime.settings", "get_root_resource") == [], (
        "pulumi.runtime.settings.get_root_resource() changed its signature"
    )
    from pulumi.runtime import Mocks

    class NoMocks(Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            return "", {}

        def call(self, args: Any) -> dict[str, Any]:
            return {}

    found: list[Any] = []

    def in_fresh_context() -> None:
        get_root_resource = _private("pulumi.runtime.settings", "get_root_resource")
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_mocks(NoMocks(), project="p", stack="s", preview=False)
            pulumi.export("n", 1)
            root = get_root_resource()
            found.extend([type(root).__name__, dict(getattr(root, "outputs", None) or {})])
            # Let the registrations the SDK started finish, so none is left unawaited.
            pending = asyncio.all_tasks(loop)
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            loop.close()
            asyncio.set_event_loop(None)

    worker = threading.Thread(target=contextvars.Context().run, args=(in_fresh_context,))
    worker.start()
    worker.join()
    assert found == ["Stack", {"n": 1}], (
        "pulumi.runtime.settings.get_root_resource() no longer answers the stack, its exports "
        "under `outputs`: adapt tap.internals.pulumi.serialized_stack_exports"
    )


@guards("pulumi.runtime.mocks.MockMonitor")
def test_the_mock_monitor_still_answers_get_resource_from_its_registrations() -> None:
    from google.protobuf import struct_pb2  # type: ignore[import-untyped,unused-ignore]
    from google.protobuf.json_format import MessageToDict
    from pulumi.runtime import Mocks
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.proto import resource_pb2

    from tap.internals.pulumi_mocks import MockMonitorBase

    assert _parameters("pulumi.runtime.mocks", "MockMonitor") == ["mocks"], (
        "pulumi.runtime.mocks.MockMonitor(mocks) changed its signature"
    )
    assert list(MockMonitor.ResourceRegistration._fields) == ["urn", "id", "state"], (
        "pulumi.runtime.mocks.MockMonitor.ResourceRegistration is no longer (urn, id, state)"
    )
    for method in ("RegisterResource", "RegisterResourceOutputs", "ReadResource", "Invoke"):
        assert callable(getattr(MockMonitor, method, None)), f"MockMonitor.{method} is gone"

    class NoMocks(Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            return "", {}

        def call(self, args: Any) -> dict[str, Any]:
            return {}

    monitor = MockMonitorBase(NoMocks())
    monitor.remember_registration("urn:pulumi:s::p::t::n", "id-1", {"a": 1})
    args = struct_pb2.Struct()
    args.update({"urn": "urn:pulumi:s::p::t::n"})
    request = resource_pb2.ResourceInvokeRequest(tok="pulumi:pulumi:getResource", args=args)
    answer = MessageToDict(getattr(monitor.answer_get_resource(request), "return"))
    assert answer == {"urn": "urn:pulumi:s::p::t::n", "id": "id-1", "state": {"a": 1.0}}, (
        "pulumi.runtime.mocks.MockMonitor no longer answers getResource from `resources`"
    )
    outputs = resource_pb2.RegisterResourceOutputsRequest(urn="urn:pulumi:s::p::t::n")
    assert type(monitor.acknowledge_outputs(outputs)).__name__ == "Empty"


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


BUCKET = "tap-internals-guard"


@guards("moto.core.model_instances.reset_model_data")
@pytest.mark.slow  # drives moto
def test_forgetting_tracked_models_drops_the_copies_a_version_listing_makes() -> None:
    assert hasattr(FakeKey, "instances_tracked"), (
        "moto no longer tracks model instances in `instances_tracked`: "
        "tap.internals.moto.forget_tracked_models has nothing to forget; revisit it"
    )
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
        before = len(FakeKey.instances_tracked)
        s3.list_object_versions(Bucket=BUCKET, Prefix="k")
        # GIVEN moto tracks the listing's deep copies (the memory this adapter releases)
        assert len(FakeKey.instances_tracked) > before, (
            "moto's ListObjectVersions no longer leaves tracked copies: "
            "forget_tracked_models may be unnecessary"
        )
        # WHEN they are forgotten
        forget_tracked_models()
        # THEN the record is empty and the bucket still serves the object
        assert FakeKey.instances_tracked == [], (
            "moto.core.model_instances.reset_model_data no longer empties instances_tracked"
        )
        assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"x"


def _listing(s3: Any, **params: Any) -> dict[str, Any]:
    response = s3.list_object_versions(Bucket=VERSIONED, **params)
    return {key: response.get(key) for key in _LISTED}


def _pages(s3: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, following the markers each page answers."""
    pages = [_listing(s3, **params)]
    while pages[-1]["IsTruncated"]:
        markers = {"KeyMarker": pages[-1]["NextKeyMarker"]}
        if pages[-1]["NextVersionIdMarker"]:
            markers["VersionIdMarker"] = pages[-1]["NextVersionIdMarker"]
        pages.append(_listing(s3, **params, **markers))
    return pages


_LISTED = (
    "Versions",
    "DeleteMarkers",
    "CommonPrefixes",
    "IsTruncated",
    "NextKeyMarker",
    "NextVersionIdMarker",
)
VERSIONED = "tap-internals-versions"


def _windowed_listing_shape() -> None:
    source = inspect.getsource(S3Backend.list_object_versions)
    parameters = list(inspect.signature(S3Backend.list_object_versions).parameters)
    assert parameters == [
        "self",
        "bucket_name",
        "delimiter",
        "key_marker",
        "max_keys",
        "prefix",
        "version_id_marker",
    ], (
        "moto's S3Backend.list_object_versions changed its parameters: "
        "tap.internals.moto.windowed_version_listing passes them positionally; revisit it"
    )
    for fragment in ("self.get_bucket(bucket_name)", "bucket.keys.iterlists()"):
        assert fragment in source, (
            f"moto's S3Backend.list_object_versions no longer calls {fragment}: "
            "windowed_version_listing's view of the bucket no longer applies; revisit it"
        )
    for fragment in (
        "name.startswith(prefix)",
        "all_versions.sort(key=lambda r: (r.name, -unix_time_millis(r.last_modified)))",
        ">= max_keys",
    ):
        assert fragment in source, (
            f"moto's S3Backend.list_object_versions no longer does {fragment!r} itself: "
            "windowed_version_listing may change its answer; revisit it"
        )


@guards("moto.s3.models.S3Backend.list_object_versions")
@pytest.mark.slow  # drives moto
def test_the_windowed_version_listing_answers_as_moto_and_copies_only_a_page() -> None:
    _windowed_listing_shape()
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=VERSIONED)
        s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
        for key in ("a", "a/1", "a/2", "ab", "b", "b/1"):
            s3.put_object(Bucket=VERSIONED, Key=key, Body=b"1")
            s3.put_object(Bucket=VERSIONED, Key=key, Body=b"22")
        s3.delete_object(Bucket=VERSIONED, Key="a/1")
        ab = s3.list_object_versions(Bucket=VERSIONED, Prefix="ab")["Versions"][1]["VersionId"]
        cases: list[dict[str, Any]] = [
            {"Prefix": "a", "MaxKeys": 1},
            {"Prefix": "a/1", "MaxKeys": 1},
            {"Prefix": "a"},
            {"Prefix": "a", "MaxKeys": 3},
            {"Prefix": "a", "Delimiter": "/"},
            {"Prefix": "c"},
            {},
            {"Prefix": "a", "KeyMarker": "a/1"},
            {"KeyMarker": "a/1"},
            {"KeyMarker": "a/1", "MaxKeys": 2},
            {"KeyMarker": "ab", "VersionIdMarker": ab, "MaxKeys": 2},
            {"Prefix": "a/", "KeyMarker": "a/1", "MaxKeys": 1},
            {"Prefix": "b", "KeyMarker": "a", "MaxKeys": 1},
            {"KeyMarker": "zz"},
            {"MaxKeys": 0},
        ]
        paged: list[dict[str, Any]] = [{"MaxKeys": n} for n in (1, 2, 3, 5)]
        paged += [{"Prefix": "a", "MaxKeys": 2}, {"Prefix": "a/", "MaxKeys": 1}]
        # GIVEN moto's own answers, and how many versions its first page of two copies
        expected = [_listing(s3, **case) for case in cases]
        expected_pages = [_pages(s3, **case) for case in paged]
        forget_tracked_models()
        s3.list_object_versions(Bucket=VERSIONED, MaxKeys=2)
        copied_by_moto = len(FakeKey.instances_tracked)
        # WHEN the adapter is in place
        undo = windowed_version_listing()
        try:
            answered = [_listing(s3, **case) for case in cases]
            answered_pages = [_pages(s3, **case) for case in paged]
            forget_tracked_models()
            s3.list_object_versions(Bucket=VERSIONED, MaxKeys=2)
            copied_adapted = len(FakeKey.instances_tracked)
        finally:
            undo()
        # THEN every answer and every page is moto's
        assert answered == expected
        assert answered_pages == expected_pages
        assert [len(pages) for pages in expected_pages] == [13, 7, 5, 3, 5, 5]
        # AND a page of two copied the versions of four names, not every version in the bucket
        assert copied_by_moto == 12  # every version of six keys (markers are no FakeKey)
        assert copied_adapted == 4 * 2  # two versions each of a, a/1, a/2, ab
        # AND undo restores moto's own listing
        forget_tracked_models()
        s3.list_object_versions(Bucket=VERSIONED, MaxKeys=2)
        assert len(FakeKey.instances_tracked) == copied_by_moto


@guards("jsonpath_ng.ext.parse")
@pytest.mark.slow  # drives moto
def test_parsing_json_paths_once_relies_on_moto_importing_parse_at_call_time() -> None:
    from moto.events.utils import EventTemplateParser

    assert "from jsonpath_ng.ext import parse" in inspect.getsource(EventTemplateParser.parse), (
        "moto's EventTemplateParser.parse no longer imports jsonpath_ng.ext.parse when called: "
        "tap.internals.moto.parse_json_paths_once no longer reaches it; revisit it"
    )
    import jsonpath_ng.ext

    module: Any = jsonpath_ng.ext
    original = module.parse
    # GIVEN the adapter in place
    undo = parse_json_paths_once()
    try:
        # WHEN the same path is parsed twice
        first, second = module.parse("$.detail.key"), module.parse("$.detail.key")
        found = [match.value for match in first.find({"detail": {"key": "k"}})]
    finally:
        undo()
    # THEN one expression serves both and finds as parsed, and undo restores the parser
    assert first is second
    assert found == ["k"]
    assert module.parse is original
    assert module.parse("$.a") is not module.parse("$.a")


@guards("moto.s3.models.S3Backend.delete_object")
@pytest.mark.slow  # drives moto
def test_observing_versioned_deletes_relies_on_what_moto_still_does() -> None:
    from tap.internals.moto import observe_versioned_deletes

    parameters = list(inspect.signature(S3Backend.delete_object).parameters)
    assert parameters == ["self", "bucket_name", "key_name", "version_id", "bypass"], (
        "moto's S3Backend.delete_object changed its parameters: "
        "tap.internals.moto.observe_versioned_deletes wraps it; revisit it"
    )
    original = S3Backend.delete_object
    seen: list[tuple[str, str, str | None, bool]] = []
    undo = observe_versioned_deletes(lambda *delete: seen.append(delete))
    try:
        with mock_aws():
            import boto3

            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket=VERSIONED)
            s3.put_bucket_versioning(
                Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"}
            )
            one = s3.put_object(Bucket=VERSIONED, Key="k", Body=b"1")["VersionId"]
            two = s3.put_object(Bucket=VERSIONED, Key="k", Body=b"2")["VersionId"]
            marker = s3.delete_object(Bucket=VERSIONED, Key="k")["VersionId"]
            s3.delete_objects(
                Bucket=VERSIONED, Delete={"Objects": [{"Key": "k", "VersionId": one}]}
            )
            s3.delete_object(Bucket=VERSIONED, Key="k", VersionId=marker)
            # The last version: moto emits its own event, so the sink is not called.
            s3.delete_object(Bucket=VERSIONED, Key="k", VersionId=two)
    finally:
        undo()
    assert seen == [
        (VERSIONED, "k", marker, True),
        (VERSIONED, "k", one, False),
        (VERSIONED, "k", marker, False),
    ], "moto's delete_object no longer answers as observe_versioned_deletes expects"
    assert S3Backend.delete_object is original, "the undo did not restore moto's method"


@guards("moto.sqs.models.camelcase_to_underscores")
@pytest.mark.slow  # drives moto
def test_converting_queue_attribute_names_once_relies_on_moto_looking_them_up_per_call() -> None:
    import moto.sqs.models

    module: Any = moto.sqs.models
    assert "camelcase_to_underscores(attribute)" in inspect.getsource(
        moto.sqs.models.Queue.attributes.fget
    ), (
        "moto's SQS Queue.attributes no longer converts names with camelcase_to_underscores: "
        "tap.internals.moto.convert_queue_attribute_names_once no longer reaches it; revisit it"
    )
    original = module.camelcase_to_underscores
    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="tap-internals-names")["QueueUrl"]
        before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        # GIVEN the adapter in place
        undo = convert_queue_attribute_names_once()
        try:
            cached = module.camelcase_to_underscores
            # WHEN moto reads the attributes and sends a message
            after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            sqs.send_message(QueueUrl=url, MessageBody="m")
            hits = cached.cache_info().hits
        finally:
            undo()
    # THEN moto answered the same through the cached conversions, and undo restores them
    assert after == before
    assert hits > 0, "moto's SQS did not call the module's camelcase_to_underscores"
    assert module.camelcase_to_underscores is original


def _receive_all(sqs: Any, url: str) -> list[str]:
    """Every message in a queue through the SQS API (receive, then delete), the oracle."""
    bodies: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _taking_shape() -> None:
    from moto.sqs.models import Message, Queue

    source = inspect.getsource(Queue.add_message)
    assert "with self._messages_lock:" in source, (
        "moto's Queue.add_message no longer appends under `_messages_lock`: "
        "tap.internals.moto.take_from_backend takes under that lock; revisit it"
    )
    assert "self._messages.append(message)" in source, (
        "moto's Queue.add_message no longer appends to `_messages`: revisit take_from_backend"
    )
    for name in ("visible", "delayed"):
        assert isinstance(inspect.getattr_static(Message, name), property), (
            f"moto's sqs Message.{name} is no longer a property: revisit take_from_backend"
        )


@guards("moto.sqs.models.Queue._messages")
@pytest.mark.slow  # drives moto
def test_taking_from_moto_s_backend_takes_what_the_sqs_api_takes() -> None:
    """The taker and the SQS API, over queues holding 0, 7, 10 and 23 messages: the same bodies
    in the same order, and both queues left empty."""
    _taking_shape()
    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        for count in (0, 7, 10, 23):
            urls = [
                sqs.create_queue(QueueName=f"tap-internals-take-{side}-{count}")["QueueUrl"]
                for side in ("api", "backend")
            ]
            for url in urls:
                for n in range(count):
                    sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")
            # WHEN the SQS API takes from one queue, and the taker from the other
            through_api = _receive_all(sqs, urls[0])
            from_backend = take_from_backend(DEFAULT_ACCOUNT_ID, "us-east-1")(urls[1])
            # THEN they took the same messages, in order, and left nothing behind
            assert from_backend == through_api == [f"message {n}" for n in range(count)]
            for url in urls:
                left = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=[
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                    ],
                )["Attributes"]
                assert left == {
                    "ApproximateNumberOfMessages": "0",
                    "ApproximateNumberOfMessagesNotVisible": "0",
                }, (count, url)


@pytest.mark.slow  # drives moto
def test_taking_from_moto_s_backend_while_messages_arrive_loses_none() -> None:
    """Four senders on threads, and takes in a loop meanwhile: every message is taken once,
    each sender's in the order it sent them, and a message in flight stays in the queue."""
    from moto.sqs.models import sqs_backends

    with mock_aws():
        import boto3

        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="tap-internals-take-busy")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="in flight")
        assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"]
        backend = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        take = take_from_backend(DEFAULT_ACCOUNT_ID, "us-east-1")
        sent = 4 * 500
        taken: list[str] = []

        def send(sender: int) -> None:
            for n in range(sent // 4):
                backend.send_message("tap-internals-take-busy", f"{sender}:{n}")

        senders = [threading.Thread(target=send, args=(s,)) for s in range(4)]
        for thread in senders:
            thread.start()
        while any(thread.is_alive() for thread in senders) or len(taken) < sent:
            taken += take(url)
            assert len(taken) <= sent
        for thread in senders:
            thread.join()
        # THEN each message was taken once, in each sender's order
        assert sorted(taken) == sorted(f"{s}:{n}" for s in range(4) for n in range(sent // 4))
        for sender in range(4):
            mine = [int(m.split(":")[1]) for m in taken if m.startswith(f"{sender}:")]
            assert mine == sorted(mine)
        # AND the message in flight is still in the queue, not taken
        left = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        assert left == {"ApproximateNumberOfMessagesNotVisible": "1"}


def _s3_events_in_order_shape() -> None:
    from moto.events.models import Rule
    from moto.s3 import notifications

    for name in ("put_object", "delete_object", "copy_object", "complete_multipart_upload"):
        assert callable(getattr(S3Backend, name, None)), (
            f"moto's S3Backend.{name} is gone: tap.internals.moto.s3_events_in_order wraps it"
        )
    assert list(inspect.signature(Rule.send_to_targets).parameters) == [
        "self",
        "original_event",
        "transform_input",
    ], "moto's Rule.send_to_targets changed: tap.internals.moto.s3_events_in_order wraps it"
    source = inspect.getsource(notifications._send_event_bridge_message)
    for fragment in ("copy.deepcopy(_BASE_EVENT_MESSAGE)", "rule.send_to_targets(event"):
        assert fragment in source, (
            f"moto's S3 EventBridge emission no longer does {fragment!r}: "
            "s3_events_in_order stamps the one event it sends to every rule; revisit it"
        )
    assert 'event["id"]' not in source, (
        "moto's S3 EventBridge emission now sets its own event id: s3_events_in_order "
        "recognises S3's events by moto's constant id; revisit it"
    )


def _two_rules_on_a_versioned_bucket(s3: Any, events: Any, sqs: Any) -> list[str]:
    """A versioned bucket sending to EventBridge, and two rules each sending to its queue."""
    s3.create_bucket(Bucket=VERSIONED)
    s3.put_bucket_versioning(Bucket=VERSIONED, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=VERSIONED, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    urls = []
    for n in (1, 2):
        url = sqs.create_queue(QueueName=f"tap-internals-order-{n}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        pattern = {"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"]}
        events.put_rule(Name=f"rule-{n}", EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule=f"rule-{n}", Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}]
        )
        urls.append(url)
    return urls


@guards("moto.events.models.Rule.send_to_targets")
@pytest.mark.slow  # drives moto
def test_s3_events_follow_s3s_order_each_with_its_own_stamp_under_concurrent_writers() -> None:
    _s3_events_in_order_shape()
    from tap.internals.moto import s3_events_in_order

    writers, puts = 8, 25
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        urls = _two_rules_on_a_versioned_bucket(s3, boto3.client("events", "us-east-1"), sqs)
        take = take_from_backend(DEFAULT_ACCOUNT_ID, "us-east-1")
        # GIVEN moto alone gives every S3 event one constant id and sequencer
        s3.put_object(Bucket=VERSIONED, Key="plain", Body=b"1")
        s3.put_object(Bucket=VERSIONED, Key="plain", Body=b"2")
        plain = [json.loads(body) for body in take(urls[0])]
        assert len({(e["id"], e["detail"]["object"]["sequencer"]) for e in plain}) == 1, (
            "moto now stamps S3 events itself: s3_events_in_order may be unnecessary"
        )
        take(urls[1])
        # WHEN eight writers put to one key at once with the adapter in place
        undo = s3_events_in_order()
        try:

            def write(writer: int) -> None:
                client = boto3.client("s3", region_name="us-east-1")
                for n in range(puts):
                    client.put_object(Bucket=VERSIONED, Key="k", Body=b"%d:%d" % (writer, n))

            threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            s3.delete_object(Bucket=VERSIONED, Key="k")
        finally:
            undo()
        queues = [[json.loads(body) for body in take(url)] for url in urls]
        listing = s3.list_object_versions(Bucket=VERSIONED, Prefix="k")
    # THEN S3 kept every version, and each queue holds one event per write, in S3's order
    versions = [v["VersionId"] for v in reversed(listing["Versions"])]  # oldest first
    assert len(versions) == writers * puts
    for events in queues:
        created = [e for e in events if e["detail-type"] == "Object Created"]
        assert [e["detail"]["object"]["version-id"] for e in created] == versions
    # AND each event has its own id and a greater sequencer, the same in both queues
    stamps = [[(e["id"], e["detail"]["object"]["sequencer"]) for e in q] for q in queues]
    assert stamps[0] == stamps[1]
    assert len({event_id for event_id, _ in stamps[0]}) == len(stamps[0]) == writers * puts
    sequencers = [sequencer for _, sequencer in stamps[0]]
    assert sequencers == sorted(sequencers)
    assert len(set(sequencers)) == len(sequencers)
    # AND the undo restored moto's own methods
    assert not hasattr(S3Backend.put_object, "__wrapped__")


@guards("moto.dynamodb.models.table.StreamShard.add")
@pytest.mark.slow  # drives moto
def test_trimmed_streams_keep_the_latest_records_in_order() -> None:
    from moto.dynamodb.models.table import StreamShard

    from tap.internals.moto import STREAM_RECORDS_KEPT, trimmed_streams

    assert list(inspect.signature(StreamShard.add).parameters) == ["self", "old", "new"], (
        "moto's StreamShard.add changed: tap.internals.moto.trimmed_streams wraps it"
    )
    source = inspect.getsource(StreamShard.add)
    assert "seq = len(self.items) + self.starting_sequence_number" in source, (
        "moto's StreamShard.add no longer numbers records from starting_sequence_number: "
        "trimmed_streams moves that start as it trims; revisit it"
    )
    original = StreamShard.add
    with mock_aws():
        import boto3

        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(
            TableName="tap-internals-stream",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]
        # GIVEN the adapter, and more writes than a shard keeps
        undo = trimmed_streams()
        try:
            for n in range(STREAM_RECORDS_KEPT + 10):
                dynamodb.put_item(
                    TableName="tap-internals-stream", Item={"id": {"S": "k"}, "n": {"N": str(n)}}
                )
        finally:
            undo()
        # WHEN the stream is read from its oldest record
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = table["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    # THEN it holds the latest records only, numbered on from the trimmed ones, in order
    assert [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in records] == list(
        range(10, STREAM_RECORDS_KEPT + 10)
    )
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == list(range(numbers[0], numbers[0] + STREAM_RECORDS_KEPT))
    assert numbers[0] == int(shard["SequenceNumberRange"]["StartingSequenceNumber"])
    # AND undo restored moto's own method
    assert StreamShard.add is original


@guards("moto.core.botocore_stubber.BotocoreStubber")
@pytest.mark.slow  # drives moto
def test_answering_in_process_reaches_a_served_emulators_backends_without_http() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    from tap.local.emulator import running_emulator

    assert list(inspect.signature(BotocoreStubber.__call__).parameters) == [
        "self",
        "event_name",
        "request",
        "kwargs",
    ], "moto's BotocoreStubber changed: tap.internals.moto.answer_in_process registers one"
    assert BotocoreStubber().enabled is False, (
        "moto's BotocoreStubber no longer starts disabled: answer_in_process enables its own"
    )
    # GIVEN a served emulator holding a bucket, and a session answered in this process
    with running_emulator(account_id="111122223333", region="us-east-1", keep_running=True) as (
        emulator
    ):
        emulator.client("s3").create_bucket(Bucket=BUCKET)
        session = emulator.in_process_session()
    # WHEN the server is stopped
    emulator.stop()
    # THEN the session's clients still reach its backends, as the stack's account
    assert [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]] == [BUCKET]
    assert session.client("sts").get_caller_identity()["Account"] == "111122223333"


# --- No private surface outside the adapter -------------------------------------------------

WATCHED: Final = ("pulumi", "pulumi_policy", "moto", "yaml", "jsonpath_ng")
"""The dependencies whose private surfaces only tap.internals may reach."""
IMPLEMENTATION_PACKAGES: Final = {"pulumi.runtime": {"proto"}, "moto": {"server"}}
"""Packages whose submodules are the dependency's implementation, not its API, though no name
in their path starts with `_`, and the submodules among them that are API: the SDK's runtime
(the package itself exports the mocks API; `proto` holds the engine's gRPC messages the mock
monitor speaks) and moto (the package exports `mock_aws`; `server` its documented server)."""
IMPLEMENTATION_MODULES: Final = ("pulumi_policy.proxy",)
SCANNED: Final = (REPO_ROOT / "src", REPO_ROOT / "policy")
ADAPTER: Final = REPO_ROOT / "src" / "tap" / "internals"


@functools.cache
def _implementation_modules() -> tuple[str, ...]:
    found = list(IMPLEMENTATION_MODULES)
    for package, public in IMPLEMENTATION_PACKAGES.items():
        path = import_module(package).__path__
        found += [f"{package}.{m.name}" for m in pkgutil.iter_modules(path) if m.name not in public]
    return tuple(found)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _offence(dotted: str) -> str | None:
    """Why the dotted path `dotted` reaches a watched dependency's private surface, or None."""
    if dotted.split(".", maxsplit=1)[0] not in WATCHED:
        return None
    if any(_is_private(part) for part in dotted.split(".")):
        return "a private name"
    if any(dotted == m or dotted.startswith(m + ".") for m in _implementation_modules()):
        return "an implementation module"
    return None


def _bindings(tree: ast.AST) -> dict[str, str]:
    """Each local name an import binds to a watched dependency, and the path it stands for."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in WATCHED:
                    bound[alias.asname or root] = alias.name if alias.asname else root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names if node.module.split(".")[0] in WATCHED else ():
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _spelled(node: ast.AST, bound: dict[str, str]) -> str | None:
    """The dependency path an import, an attribute chain on an imported name, or an
    `import_module("...")` spells, or None."""
    if isinstance(node, ast.Import):
        return None  # each alias is checked by `private_uses`
    if isinstance(node, ast.Attribute):
        parts: list[str] = []
        inner: ast.expr = node
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id in bound:
            return ".".join([bound[inner.id], *reversed(parts)])
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        callee = node.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            return node.args[0].value
    return None


def private_uses(source: str) -> list[str]:
    """Each use in `source` of a private name, or an implementation module, of a watched
    dependency: imported (`from yaml._yaml import CParser`, `from moto.s3.models import x`,
    `from pulumi.runtime import rpc`), reached through an imported name (`rpc._special_sig_key`,
    `pulumi.runtime.mocks.MockMonitor`), or imported by name (`import_module("moto.sqs.models")`),
    at any depth, a function's lazy imports included. An attribute of a value a dependency
    returned (a moto queue's `_messages`) is not followed: reaching one takes an implementation
    module first, which is caught."""
    tree = ast.parse(source)
    bound = _bindings(tree)
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    found: set[str] = set()
    for node in ast.walk(tree):
        spelled: list[str] = []
        if isinstance(node, ast.Import):
            spelled = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            spelled = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif id(node) not in inner and (path := _spelled(node, bound)) is not None:
            spelled = [path]
        for dotted in spelled:
            why = _offence(dotted)
            if why is not None:
                found.add(f"line {getattr(node, 'lineno', 0)}: {dotted} ({why})")
    return sorted(found)


PLANTED: Final = {
    "from pulumi.runtime import rpc\nrpc._special_sig_key": "pulumi.runtime.rpc",
    "import pulumi\npulumi.runtime.rpc._special_sig_key": "pulumi.runtime.rpc._special_sig_key",
    "from pulumi.runtime.mocks import MockMonitor": "pulumi.runtime.mocks",
    "def f():\n    from pulumi.runtime.settings import get_root_resource": (
        "pulumi.runtime.settings"
    ),
    "from yaml._yaml import CParser": "yaml._yaml",
    "import yaml\nyaml._yaml.CParser": "yaml._yaml.CParser",
    "from yaml import _yaml": "yaml._yaml",
    "import moto.s3.models as m": "moto.s3.models",
    "def f():\n    from moto.sqs.models import sqs_backends": "moto.sqs.models",
    "import importlib\nimportlib.import_module('moto.sqs.models')": "moto.sqs.models",
    "from pulumi_policy.proxy import unknown_checking_proxy": "pulumi_policy.proxy",
    "import jsonpath_ng.ext as j\nj._private": "jsonpath_ng.ext._private",
}
"""Snippets the check must refuse, each with a path its finding must name."""
ALLOWED: Final = (
    "import pulumi\npulumi.runtime.set_all_config({})\npulumi.export('a', 1)",
    "from pulumi.runtime import MockResourceArgs, Mocks\nfrom pulumi.runtime.proto import x",
    "from moto import mock_aws\nfrom moto.server import ThreadedMotoServer",
    "import yaml\nyaml.__with_libyaml__\nfrom yaml.composer import Composer",
    "class A:\n    def f(self):\n        return self._lock, A._x",
    "import boto3\nboto3._private",
)
"""Public API (and tap's own or another dependency's private names) the check must let be."""


@pytest.mark.parametrize("snippet", sorted(PLANTED))
def test_the_private_access_check_refuses_a_planted_use(snippet: str) -> None:
    found = private_uses(snippet)
    assert any(PLANTED[snippet] in each for each in found), (snippet, found)


@pytest.mark.parametrize("snippet", ALLOWED)
def test_the_private_access_check_lets_public_api_be(snippet: str) -> None:
    assert private_uses(snippet) == []


def test_no_private_surface_of_a_dependency_is_reached_outside_tap_internals() -> None:
    """Every file of src/ and policy/ but the adapter's: a use names the file and the line."""
    found = [
        f"{path.relative_to(REPO_ROOT)} {use}"
        for root in SCANNED
        for path in sorted(root.rglob("*.py"))
        if ADAPTER not in path.parents
        for use in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "reach these through tap.internals (and guard them here):\n" + "\n".join(
        found
    )


def test_a_lifted_shared_patch_is_moto_as_shipped_then_back_for_its_holders() -> None:
    """`SharedPatch.lifted`, which the guards above run under: within it moto is unpatched and a
    guard takes and releases the patch itself; afterwards the earlier holder has it again."""
    log: list[str] = []

    def install() -> Callable[[], None]:
        log.append("install")
        return lambda: log.append("undo")

    patch = SharedPatch(install)
    release = patch()  # a kept emulator's hold
    with patch.lifted():
        assert log == ["install", "undo"]
        patch()()  # a guard's own take and release
        assert log == ["install", "undo", "install", "undo"]
    assert log == ["install", "undo", "install", "undo", "install"]
    release()
    assert log[-1] == "undo"
    release()  # a release counts once
    assert log.count("undo") == 3
