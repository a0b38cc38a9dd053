"""Every type the program can register is declared once (`tap.resources`), and every table keyed
by type finds its entry from that declaration.

Three views of "every type", none of them only the shipped stacks:
- the source: each ComponentResource class of the program, and each pulumi_aws resource class
  it constructs anywhere, whatever the config (read from the code, no synthesis);
- the graphs: the shipped stacks, and the dev stack with every flag that adds resources on
  (`tests.support.flags`), whose types must be exactly the declared ones;
- `REGISTRIES`: the tables docs/architecture.md lists, each of which must hold every declared
  type of the kinds it covers. A missing entry fails naming the table and the type.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws
import pytest

import tap.components
from benchmarks.critical_path import SOURCES, WEIGHTS
from tap import diagram, resources
from tap.facts import tokens
from tap.local.appliers import APPLIERS
from tap.resources import DECLARED, Kind, ResourceType, Weight
from tap.rules import RuleContext, check_graph
from tap.synth.cache import synthesize_cached
from tap.synth.fake_aws import RESOURCE_TYPES
from tap.synth.graph import ResourceGraph
from tap.validation import validate_project
from tests.support.flags import EVERY_FLAG_OFF, EVERY_FLAG_ON, Flags
from tests.support.paths import REPO_ROOT
from tests.support.shipped import STACKS, shipped

AWS_TOKENS = frozenset(getattr(tokens, n) for n in dir(tokens) if n.isupper())
PROGRAM = (REPO_ROOT / "src" / "tap" / "components", REPO_ROOT / "src" / "tap" / "pipeline.py",
           REPO_ROOT / "src" / "tap" / "provider.py")  # fmt: skip
"""Where the program registers resources."""


@dataclass(frozen=True)
class Registry:
    """A table keyed by resource type, and which kinds of declared type it must hold."""

    name: str
    table: Collection[str]
    kinds: frozenset[Kind]


CUSTOM = frozenset({Kind.PROVIDER, Kind.CREATED})
REGISTRIES = (
    Registry("tap.synth.fake_aws.RESOURCE_TYPES (outputs AWS computes)", RESOURCE_TYPES,
             frozenset({Kind.CREATED})),
    Registry("tap.local.appliers.APPLIERS (creating it in the emulator)", APPLIERS,
             frozenset(Kind)),  # components and the provider too: each has its no-op
    Registry("tap.diagram.DRAWING (how `tap graph` shows it)", diagram.DRAWING, CUSTOM),
    Registry("benchmarks.critical_path.WEIGHTS (its create time)", WEIGHTS,
             frozenset({Kind.CREATED})),
)  # fmt: skip


def missing_entries(registry: Registry, types: Collection[str]) -> list[str]:
    """The declared `types` of the registry's kinds that it lacks, and undeclared `types`."""
    undeclared = sorted(set(types) - set(DECLARED))
    wanted = {t for t in types if t in DECLARED and DECLARED[t].kind in registry.kinds}
    return undeclared + sorted(wanted - set(registry.table))


def assert_covered(registry: Registry, types: Collection[str]) -> None:
    """Fail naming the table and each type it has no entry for."""
    missing = missing_entries(registry, types)
    assert not missing, f"{registry.name} has no entry for: {', '.join(missing)}"


def _component_classes() -> Iterator[type[pulumi.ComponentResource]]:
    modules = [
        importlib.import_module(f"tap.components.{m.name}")
        for m in pkgutil.iter_modules(tap.components.__path__)
    ]
    modules.append(importlib.import_module("tap.pipeline"))
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, pulumi.ComponentResource) and cls.__module__ == module.__name__:
                yield cls


def _token_of(cls: type[pulumi.CustomResource]) -> str:
    """The engine token a pulumi_aws class registers with: its `__init__` passes the token (a
    provider passes its package, and the engine names it `pulumi:providers:<package>`)."""
    found = re.search(r"__self__\)\.__init__\(\s*'([^']+)'", inspect.getsource(cls))
    assert found, f"{cls.__qualname__}: no type token in its source"
    if issubclass(cls, pulumi.ProviderResource):
        return f"pulumi:providers:{found.group(1)}"
    return found.group(1)


def _constructed() -> dict[str, str]:
    """Each pulumi_aws resource type the program's source constructs: token -> where."""
    files = [
        p for root in PROGRAM for p in ([root] if root.is_file() else sorted(root.glob("*.py")))
    ]
    found: dict[str, str] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            dotted = ast.unparse(node.func).split(".")
            if dotted[0] != "aws":
                continue
            target: object = pulumi_aws
            for part in dotted[1:]:
                target = getattr(target, part, None)
            if inspect.isclass(target) and issubclass(target, pulumi.CustomResource):
                where = f"{path.relative_to(REPO_ROOT)}: {'.'.join(dotted)}"
                found.setdefault(_token_of(target), where)
    return found


def test_every_component_class_is_declared_as_a_component() -> None:
    classes = list(_component_classes())
    undeclared = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if getattr(cls, "TYPE", None) not in DECLARED
        or DECLARED[cls.TYPE].kind is not Kind.COMPONENT  # type: ignore[attr-defined]
    ]

    assert not undeclared, f"no component declaration in tap.resources for: {undeclared}"
    assert len(classes) == len(resources.of_kind(Kind.COMPONENT)) >= 9


def test_every_resource_class_the_program_constructs_is_declared() -> None:
    """Read from the source, so a type only a rare flag reaches is found too."""
    constructed = _constructed()
    undeclared = [
        f"{token} ({where})" for token, where in constructed.items() if token not in DECLARED
    ]

    assert not undeclared, f"tap.resources.DECLARED has no declaration for: {undeclared}"
    assert tokens.AWS_PROVIDER in constructed
    assert set(constructed) == {d.token for d in DECLARED.values() if d.custom}, (
        "a declared type the program never constructs"
    )


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.name.split(" ")[0])
def test_every_declared_type_has_an_entry_in_each_registry(registry: Registry) -> None:
    assert_covered(registry, list(DECLARED))


def test_every_weight_names_a_source() -> None:
    unsourced = {t: source for t, (_, source) in WEIGHTS.items() if source not in SOURCES}
    assert not unsourced, f"benchmarks.critical_path.SOURCES has no entry for: {unsourced}"


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.name.split(" ")[0])
def test_registries_spell_aws_types_only_as_facts_names(registry: Registry) -> None:
    aws_keys = {t for t in registry.table if t.startswith(("aws:", "pulumi:providers:aws"))}
    assert aws_keys <= AWS_TOKENS, f"{registry.name}: {sorted(aws_keys - AWS_TOKENS)}"


def test_a_missing_entry_names_the_table_and_the_type() -> None:
    lacking = Registry(
        "the table", set(WEIGHTS) - {tokens.TABLE_REPLICA}, frozenset({Kind.CREATED})
    )
    with pytest.raises(AssertionError, match=f"the table has no entry for: {tokens.TABLE_REPLICA}"):
        assert_covered(lacking, list(DECLARED))
    with pytest.raises(AssertionError, match="the table has no entry for: aws:ec2/vpc:Vpc"):
        assert_covered(lacking, ["aws:ec2/vpc:Vpc"])


def test_a_declaration_that_names_no_applier_or_fake_is_refused_naming_the_type() -> None:
    from tap.local.appliers import _applier_of
    from tap.synth.fake_aws import _fake_of

    wrong = ResourceType(
        "aws:ec2/vpc:Vpc", Kind.CREATED, "storage.vpc", fake="vpc", drawing="x",
        weight=Weight(1, "estimate"),
    )  # fmt: skip
    with pytest.raises(LookupError, match=r"aws:ec2/vpc:Vpc declares applier 'storage\.vpc'"):
        _applier_of(wrong)
    with pytest.raises(LookupError, match="aws:ec2/vpc:Vpc declares fake outputs '_vpc'"):
        _fake_of(wrong)
    with pytest.raises(ValueError, match="aws:ec2/vpc:Vpc: a created type needs a weight"):
        ResourceType("aws:ec2/vpc:Vpc", Kind.CREATED, "storage.bucket", fake="bucket", drawing="x")


def flag_graph(flags: Flags, directory: Path) -> tuple[ResourceGraph, bool]:
    """The dev stack with `flags`: its graph, and whether `tap check` passes it."""
    graph, config = synthesize_cached(
        validate_project(flags.write(directory)), "dev", use_cache=False
    )
    return graph, check_graph(graph, RuleContext(config), config.suppressions).passed


@pytest.fixture(scope="module")
def on_and_off(tmp_path_factory: pytest.TempPathFactory) -> tuple[tuple[ResourceGraph, bool], ...]:
    """The dev stack with every flag on, and with every flag off, synthesized once."""
    return tuple(
        flag_graph(flags, tmp_path_factory.mktemp(name))
        for name, flags in (("on", EVERY_FLAG_ON), ("off", EVERY_FLAG_OFF))
    )


@pytest.mark.slow
@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.name.split(" ")[0])
def test_every_type_a_graph_registers_has_an_entry(
    registry: Registry, on_and_off: tuple[tuple[ResourceGraph, bool], ...]
) -> None:
    """The shipped stacks and the dev stack with every flag on or off."""
    graphs = [shipped(stack)[0] for stack in STACKS] + [graph for graph, _ in on_and_off]

    assert_covered(registry, {r.type for graph in graphs for r in graph.resources})


def custom_types(graph: ResourceGraph) -> set[str]:
    """The custom resource types of a graph (created ones and the provider)."""
    return {r.type for r in graph.resources if r.custom}


@pytest.mark.slow
def test_every_flag_on_registers_every_declared_type_and_off_removes_the_optional_ones(
    on_and_off: tuple[tuple[ResourceGraph, bool], ...],
) -> None:
    """The flag list in tests.support.flags is complete: together the flags reach every
    declared type, and each type they add is absent with them off."""
    (on, on_passes), (off, off_passes) = on_and_off

    assert on_passes
    assert off_passes
    assert {r.type for r in on.resources} - {resources.STACK.token} == set(DECLARED) - {
        resources.STACK.token
    }
    assert custom_types(on) - custom_types(off) == {
        tokens.KMS_KEY, tokens.KMS_ALIAS, tokens.KMS_REPLICA_KEY, tokens.TABLE_REPLICA,
        tokens.TOPIC_SUBSCRIPTION, tokens.BUCKET_LIFECYCLE,
    }  # fmt: skip
    assert len(on.by_type(tokens.BUCKET)) == 2
    assert len(on.by_type(tokens.EVENT_RULE)) == 4
    assert len(on.by_type(tokens.ROLE)) == 2  # the processor's and batch operations'
