"""Every table keyed by resource type covers every type the shipped stacks create.

`REGISTRIES` is the list of tables a new resource type must be added to (docs/architecture.md
points here): adding a type to the program without an entry in each fails this test, naming the
table and the type.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache

import pytest

from benchmarks.critical_path import WEIGHTS
from tap import diagram
from tap.facts import tokens
from tap.local.appliers import APPLIERS
from tap.synth.fake_aws import RESOURCE_TYPES
from tap.synth.graph import Resource
from tests.support.shipped import STACKS, shipped

AWS_TOKENS = frozenset(getattr(tokens, n) for n in dir(tokens) if n.isupper())


def _created(resource: Resource) -> bool:
    """Created in AWS: a custom resource other than the provider, which is only configured."""
    return resource.custom and resource.type != tokens.AWS_PROVIDER


@dataclass(frozen=True)
class Registry:
    """A table keyed by resource type, and which of a graph's resources it must cover."""

    name: str
    table: Collection[str]
    covers: Callable[[Resource], bool]


REGISTRIES = (
    Registry("tap.synth.fake_aws.RESOURCE_TYPES (outputs AWS computes)", RESOURCE_TYPES, _created),
    Registry(
        "tap.local.appliers.APPLIERS (creating it in the emulator)",
        APPLIERS,
        lambda _resource: True,  # components and the provider too: each needs its no-op entry
    ),
    Registry("tap.diagram.DRAWING (how `tap graph` shows it)", diagram.DRAWING, lambda r: r.custom),
    Registry("benchmarks.critical_path.WEIGHTS (its create time)", WEIGHTS, _created),
)


@cache
def _resources() -> list[Resource]:
    """One resource per type, across every shipped stack's graph."""
    by_type = {r.type: r for stack in STACKS for r in shipped(stack)[0].resources}
    return list(by_type.values())


def test_the_shipped_stacks_create_the_types_this_test_relies_on() -> None:
    created = {r.type for r in _resources() if _created(r)}
    assert {tokens.BUCKET, tokens.TABLE_REPLICA, tokens.FUNCTION, tokens.KMS_KEY} <= created
    assert created <= AWS_TOKENS, "name each created type in tap.facts.tokens"


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.name.split(" ")[0])
def test_every_created_type_has_an_entry_in_each_registry(registry: Registry) -> None:
    missing = sorted({r.type for r in _resources() if registry.covers(r)} - set(registry.table))
    assert not missing, f"{registry.name} has no entry for: {', '.join(missing)}"


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.name.split(" ")[0])
def test_registries_spell_aws_types_only_as_facts_names(registry: Registry) -> None:
    aws_keys = {t for t in registry.table if t.startswith(("aws:", "pulumi:providers:aws"))}
    assert aws_keys <= AWS_TOKENS, f"{registry.name}: {sorted(aws_keys - AWS_TOKENS)}"


def test_a_missing_entry_names_the_table_and_the_type() -> None:
    lacking = Registry("the table", set(WEIGHTS) - {tokens.TABLE_REPLICA}, _created)
    with pytest.raises(AssertionError, match=f"the table has no entry for: {tokens.TABLE_REPLICA}"):
        test_every_created_type_has_an_entry_in_each_registry(lacking)
