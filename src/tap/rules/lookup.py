"""Typed access to a resource graph: resources by type, properties, and references between them."""

from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from tap.facts.markers import SECRET_MARK, UNKNOWN_MARK
from tap.facts.policies import as_list, parse_json

if TYPE_CHECKING:
    from tap.synth.graph import Resource, ResourceGraph

T = TypeVar("T")

POLICY_PROPERTIES = ("policy", "assumeRolePolicy")
"""Inputs that hold an IAM policy document, on whichever resource type carries them."""

_UNKNOWN = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (also the SDK's generic unknown)
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
        UNKNOWN_MARK,  # graph JSON's marker for values not known yet
        SECRET_MARK,  # graph JSON's marker for secrets: present, but not readable here
    }
)
"""Values a rule cannot judge: the engine's unknown sentinels (preview) and graph markers."""


def is_known(value: object) -> bool:
    """False for None and for the engine's unknown-value sentinels."""
    return value is not None and not (isinstance(value, str) and value in _UNKNOWN)


class GraphIndex:
    """One graph's resources indexed once: by type, by URN and by property value.

    Every lookup a rule makes costs about what it returns, so a rule that looks up each
    resource's related resources is linear in the graph, not quadratic. The graph is read as
    immutable: `index_of` builds a new index when its resource list was replaced or resized.
    """

    def __init__(self, graph: ResourceGraph) -> None:
        self._resources = graph.resources
        self._size = len(graph.resources)
        self._position = {id(r): i for i, r in enumerate(graph.resources)}
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._by_urn: dict[str, list[Resource]] = defaultdict(list)
        for resource in graph.resources:
            self._by_type[resource.type].append(resource)
            self._by_urn[resource.urn].append(resource)
        self._referrers: dict[tuple[str, str], _Referrers] = {}
        self._named: dict[tuple[str, str, bool], dict[str, list[Resource]]] = {}
        self._parsed: dict[tuple[int, str], Any] = {}
        self._derived: dict[str, Any] = {}

    def describes(self, graph: ResourceGraph) -> bool:
        """Whether this index was built from `graph`'s current resource list."""
        return graph.resources is self._resources and len(graph.resources) == self._size

    def in_graph_order(self, resources: Iterable[Resource]) -> list[Resource]:
        """`resources` without repeats, in the order the graph lists them."""
        unique = {id(r): r for r in resources}
        return sorted(unique.values(), key=lambda r: self._position[id(r)])

    def of_type(self, *types: str) -> list[Resource]:
        """Every resource of the given type tokens, in graph order."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return self.in_graph_order(r for t in set(types) for r in self._by_type.get(t, ()))

    def by_urn(self, urns: Iterable[str], *types: str) -> list[Resource]:
        """The resources with these URNs (of `types`, when given), in graph order."""
        found = (r for u in set(urns) for r in self._by_urn.get(u, ()))
        return self.in_graph_order(r for r in found if not types or r.type in types)

    def referring(self, type_: str, key: str, target: Resource, *ids: str) -> list[Resource]:
        """Resources of `type_` whose `key` names `target` by one of its `ids` (see refers_to)."""
        referrers = self._referrers.get((type_, key))
        if referrers is None:
            referrers = _Referrers(self._by_type.get(type_, ()), key)
            self._referrers[(type_, key)] = referrers
        found = [r for v in identifiers(target, *ids) for r in referrers.by_value.get(v, ())]
        found += referrers.by_source.get(target.urn, ())
        return self.in_graph_order(found)

    def named(
        self, type_: str, key: str, value: object, *, outputs_only: bool = False
    ) -> list[Resource]:
        """Resources of `type_` whose `key` (output, or input unless outputs_only) is `value`."""
        if not isinstance(value, str) or not is_known(value):
            return []
        table = self._named.get((type_, key, outputs_only))
        if table is None:
            table = defaultdict(list)
            for resource in self._by_type.get(type_, ()):
                names = {out(resource, key)} if outputs_only else identifiers(resource, key)
                for name in names:
                    if isinstance(name, str):
                        table[name].append(resource)
            self._named[(type_, key, outputs_only)] = table
        return list(table.get(value, ()))

    def parsed(self, resource: Resource, key: str) -> Any:
        """`parse_json(prop(resource, key))`, parsed once; callers must not mutate it."""
        cache_key = (id(resource), key)
        if cache_key not in self._parsed:
            self._parsed[cache_key] = parse_json(prop(resource, key))
        return self._parsed[cache_key]

    def derived(self, name: str, build: Callable[[], T]) -> T:
        """A value computed from the graph once, e.g. a table a rule consults per resource."""
        if name not in self._derived:
            self._derived[name] = build()
        value: T = self._derived[name]
        return value


class _Referrers:
    """Resources of one type by the value of one reference property, or by its source URNs."""

    def __init__(self, resources: Iterable[Resource], key: str) -> None:
        self.by_value: dict[str, list[Resource]] = defaultdict(list)
        self.by_source: dict[str, list[Resource]] = defaultdict(list)
        for resource in resources:
            value = prop(resource, key)
            if is_known(value):
                if isinstance(value, str):
                    self.by_value[value].append(resource)
            else:
                for urn in set(resource.property_dependencies.get(key, [])):
                    self.by_source[urn].append(resource)


_INDEXES: dict[int, GraphIndex] = {}


def index_of(graph: ResourceGraph) -> GraphIndex:
    """The graph's index, built on first use and dropped with the graph."""
    key = id(graph)
    index = _INDEXES.get(key)
    if index is None or not index.describes(graph):
        index = _INDEXES[key] = GraphIndex(graph)
        weakref.finalize(graph, _INDEXES.pop, key, None)
    return index


def of_type(graph: ResourceGraph, *types: str) -> list[Resource]:
    """Every resource of the given type tokens, in graph order."""
    return index_of(graph).of_type(*types)


def prop(resource: Resource, key: str) -> Any:
    """A property: the input when declared (what the program asked for), else the output."""
    value = resource.inputs.get(key)
    if is_known(value):
        return value
    return resource.outputs.get(key)


def out(resource: Resource, key: str) -> Any:
    """A computed output, e.g. `arn`, `id`, `url`; None when unknown."""
    value = resource.outputs.get(key)
    return value if is_known(value) else None


def identifiers(resource: Resource, *keys: str) -> set[str]:
    """The known string values of `keys` (e.g. id, name, arn) that other resources refer by."""
    values = {out(resource, k) for k in keys} | {prop(resource, k) for k in keys}
    return {v for v in values if isinstance(v, str) and is_known(v)}


def refers_to(resource: Resource, key: str, target: Resource, *ids: str) -> bool:
    """Whether `resource`'s `key` names `target` by one of its `ids`.

    An unknown value (preview) counts when the property was computed from `target`.
    """
    value = prop(resource, key)
    if is_known(value):
        return isinstance(value, str) and value in identifiers(target, *ids)
    return target.urn in resource.property_dependencies.get(key, [])


def referring(
    graph: ResourceGraph, type_: str, key: str, target: Resource, *ids: str
) -> list[Resource]:
    """Resources of `type_` whose `key` property names `target` by one of its `ids` outputs."""
    return index_of(graph).referring(type_, key, target, *ids)


def referenced(
    graph: ResourceGraph, resource: Resource, key: str, value: object, *types: str
) -> Resource | None:
    """The resource of `types` that `value` (found under `resource`'s `key`) is the ARN of.

    An unknown value (preview) resolves to the one resource of `types` the property came from.
    """
    if is_known(value):
        return by_arn(graph, value, *types)
    found = index_of(graph).by_urn(resource.property_dependencies.get(key, []), *types)
    return found[0] if len(found) == 1 else None


def bucket_name(bucket: Resource) -> str | None:
    """The physical bucket name (`bucket` property)."""
    name = prop(bucket, "bucket")
    return name if isinstance(name, str) and is_known(name) else None


def bucket_children(graph: ResourceGraph, type_: str, bucket: Resource) -> list[Resource]:
    """Bucket sub-resources of `type_` configuring `bucket` (their `bucket` is its id or name)."""
    return referring(graph, type_, "bucket", bucket, "id", "bucket")


def by_arn(graph: ResourceGraph, arn: object, *types: str) -> Resource | None:
    """The resource of one of `types` whose `arn` output is `arn`."""
    index = index_of(graph)
    found = index.in_graph_order(
        r for t in types for r in index.named(t, "arn", arn, outputs_only=True)
    )
    return found[0] if found else None


def policy_documents(graph: ResourceGraph) -> Iterator[tuple[Resource, str, Any]]:
    """Every (resource, property, raw value) that holds an IAM policy document."""
    for resource in graph.resources:
        if not resource.type.startswith("aws:"):
            continue
        for key in POLICY_PROPERTIES:
            raw = prop(resource, key)
            if is_known(raw) and raw != "":
                yield resource, key, raw


def condition_values(statement: dict[str, Any], key: str) -> set[str]:
    """Every value any condition operator of `statement` tests `key` against."""
    condition = statement.get("Condition")
    values: set[str] = set()
    if isinstance(condition, dict):
        for tests in condition.values():
            if isinstance(tests, dict):
                values.update(str(v) for v in as_list(tests.get(key)))
    return values


def denies_insecure_transport(statement: dict[str, Any], service: str, arns: Iterable[str]) -> bool:
    """Whether `statement` denies every `service` action on all of `arns` to non-TLS requests."""
    if statement.get("Effect") != "Deny":
        return False
    if not {str(a) for a in as_list(statement.get("Action"))} & {f"{service}:*", "*"}:
        return False
    condition = statement.get("Condition")
    tests = condition.get("Bool") if isinstance(condition, dict) else None
    flag = tests.get("aws:SecureTransport") if isinstance(tests, dict) else None
    if str(flag).lower() != "false":
        return False
    return set(arns) <= {str(r) for r in as_list(statement.get("Resource"))}
