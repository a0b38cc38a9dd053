"""ResourceGraph: what a program registers, as `tap synth --format json` writes it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tap.errors import EXIT_USAGE
from tap.synth.errors import SynthError
from tap.textfile import TextFileError, read_text

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
STACK_PLACEHOLDER = "{stack}"

MAX_GRAPH_BYTES = 512 << 20
"""The most tap reads from a graph file.

The shipped prod graph is about 100 KB; `make bench`'s 10^5-resource graphs are 145-208 MiB
(about 2 KB a resource), and `tap check` reads one in about 1.2 GB of memory. 512 MiB leaves room
for 2.5 times that, and still refuses a file that would take the machine's memory.
"""

MAX_GRAPH_DEPTH = 100
"""Deepest JSON nesting accepted in a graph file."""


def lifecycle_options(
    *,
    protect: bool = False,
    retain_on_delete: bool = False,
    ignore_changes: list[str] | tuple[str, ...] = (),
    delete_before_replace: bool = False,
) -> dict[str, Any]:
    """A resource's `options` as the graph records them: only those that differ from defaults."""
    options: dict[str, Any] = {}
    if protect:
        options["protect"] = True
    if retain_on_delete:
        options["retainOnDelete"] = True
    if ignore_changes:
        options["ignoreChanges"] = sorted(ignore_changes)
    if delete_before_replace:
        options["deleteBeforeReplace"] = True
    return options


class GraphFormatError(SynthError):
    """A resource graph file that cannot be read, is not JSON, or is not a graph."""

    exit_code = EXIT_USAGE
    prefix = ""


class Resource(BaseModel):
    """One registered resource: identity, placement in the tree, and resolved properties."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    urn: str
    type: str
    """Engine type token (`tap.facts.tokens` names the AWS ones)."""
    name: str
    custom: bool
    """False for components."""
    parent: str | None
    """Parent URN; None for resources directly under the stack."""
    provider: str | None
    """URN of the provider resource that manages it; None for components and default providers."""
    dependencies: list[str]
    """URNs it depends on: `depends_on` plus those behind its input Outputs."""
    property_dependencies: dict[str, list[str]] = Field(
        default_factory=dict, alias="propertyDependencies"
    )
    """For each input property, the URNs its value came from."""
    inputs: dict[str, Any]
    """Engine (camelCase) property names, resolved; secrets and unknowns as markers."""
    outputs: dict[str, Any]
    """Inputs merged with what the provider computed, `id` included."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Lifecycle options that differ from the defaults: protect, retainOnDelete, ignoreChanges."""

    @property
    def short_type(self) -> str:
        """The type token's last part, e.g. `Bucket`."""
        return self.type.rsplit(":", 1)[-1]


class ResourceGraph(BaseModel):
    """Every resource of one stack's program run, with the stack's exports."""

    model_config = ConfigDict(frozen=True)

    project: str
    stack: str
    resources: list[Resource]
    outputs: dict[str, Any]

    def to_json(self) -> str:
        """Stable JSON: sorted keys, two-space indent, trailing newline."""
        document = self.model_dump(mode="json", by_alias=True)
        return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ResourceGraph:
        """Read a graph written by `to_json` (or by hand, or `pulumi stack export`, in its shape).

        Refuses, naming the first problem: what is not strict JSON (NaN, Infinity, a key twice in
        one object, nesting deeper than MAX_GRAPH_DEPTH), a document of the wrong shape, and a
        graph that is not one (a URN twice; a parent, dependency or provider that is not in it;
        a dependency cycle).
        """
        document = _parse_json(text)
        try:
            graph = cls.model_validate(document)
        except ValidationError as exc:
            errors = exc.errors()
            first = errors[0]
            where = ".".join(str(p) for p in first["loc"]) or "<root>"
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise GraphFormatError(f"not a resource graph: {where}: {first['msg']}{more}") from None
        problem = structure_problem(graph.resources)
        if problem:
            raise GraphFormatError(f"not a resource graph: {problem}")
        return graph

    def get(self, urn: str) -> Resource:
        """The resource with this URN; KeyError when there is none."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def by_type(self, token: str) -> list[Resource]:
        """Resources of one type token, in graph order."""
        return [r for r in self.resources if r.type == token]

    def children(self, urn: str | None) -> list[Resource]:
        """Resources whose parent is `urn`; None gives the top-level ones."""
        return [r for r in self.resources if r.parent == urn]

    def providers(self) -> list[Resource]:
        """Provider resources (`pulumi:providers:*`)."""
        return [r for r in self.resources if r.type.startswith(PROVIDER_TYPE_PREFIX)]

    def ancestors(self, resource: Resource) -> list[Resource]:
        """The parent chain from the top-level resource down to (excluding) `resource`."""
        chain: list[Resource] = []
        parent = resource.parent
        while parent is not None:
            ancestor = self.get(parent)
            if ancestor in chain:
                raise GraphFormatError(f"parent cycle at {parent}")
            chain.append(ancestor)
            parent = ancestor.parent
        return chain[::-1]

    def logical_path(self, resource: Resource) -> str:
        """Names from the top component down, each without its parent's name prefix.

        The stack name in a top-level name becomes `{stack}`, so paths match across stacks.
        """
        segments: list[str] = []
        parent_name: str | None = None
        for item in [*self.ancestors(resource), resource]:
            if parent_name is None:
                segments.append(_generalize(item.name, self.stack))
            else:
                segments.append(item.name.removeprefix(f"{parent_name}-") or item.name)
            parent_name = item.name
        return "/".join(segments)


def _generalize(name: str, stack: str) -> str:
    """Replace the stack name where it stands as a whole dash-separated part of `name`."""
    return re.sub(rf"(?<![^-]){re.escape(stack)}(?![^-])", STACK_PLACEHOLDER, name)


def load_graph(path: Path) -> ResourceGraph:
    """The graph in a `tap synth --format json` file; GraphFormatError naming the file if not."""
    try:
        text = read_text(path, limit=MAX_GRAPH_BYTES, what="a graph file")
    except TextFileError as exc:
        raise GraphFormatError(str(exc)) from None
    try:
        return ResourceGraph.from_json(text)
    except GraphFormatError as exc:
        raise GraphFormatError(f"{path}: {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise GraphFormatError(f"not JSON: {name} is not a JSON value (JSON has no NaN or Infinity)")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise GraphFormatError(f"not a resource graph: key '{key}' appears twice in one object")
        document[key] = value
    return document


def _parse_json(text: str) -> Any:
    too_deep = f"not a resource graph: nested deeper than {MAX_GRAPH_DEPTH} levels"
    try:
        document = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise GraphFormatError(
            f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise GraphFormatError(too_deep) from None
    if _depth(document) > MAX_GRAPH_DEPTH:
        raise GraphFormatError(too_deep)
    return document


def _depth(document: Any) -> int:
    """How deeply `document` nests, without recursion."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            pending.extend(
                (v, depth + 1) for v in (value.values() if isinstance(value, dict) else value)
            )
    return deepest


def is_root_stack(urn: str) -> bool:
    """Whether `urn` is the stack's root resource, which a graph may leave out."""
    parts = urn.split("::")
    return len(parts) >= 4 and parts[2] == ROOT_STACK_TYPE


def urn_type(urn: str) -> str:
    """The type token a URN names: `urn:pulumi:S::P::parent$...$type::name` gives `type`."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def provider_urn(reference: str) -> str:
    """The URN in a provider reference: tap writes the URN, `pulumi stack export` `URN::id`."""
    # A URN has three `::` separators (stack, project, type, name); a reference adds the id.
    return reference.rpartition("::")[0] if reference.count("::") >= 4 else reference


def structure_problem(resources: Sequence[Resource]) -> str | None:
    """The first reason `resources` do not form a graph, or None."""
    index: dict[str, int] = {}
    for i, resource in enumerate(resources):
        if resource.urn in index:
            first = index[resource.urn]
            return f"URN {resource.urn} appears twice (resources[{first}] and resources[{i}])"
        index[resource.urn] = i
    for i, resource in enumerate(resources):
        problem = _reference_problem(resource, resources, index)
        if problem:
            return f"resources[{i}] ({resource.urn}) {problem}"
    cycle = _first_cycle({r.urn: _prerequisites(r, index) for r in resources})
    return f"dependency cycle {' -> '.join(cycle)}" if cycle else None


def _reference_problem(
    resource: Resource, resources: Sequence[Resource], index: Mapping[str, int]
) -> str | None:
    """What `resource` names that is not in the graph (or is no provider), or None."""
    parent = resource.parent
    if parent is not None and parent not in index and not is_root_stack(parent):
        return f"has parent {parent}, which is not in the graph"
    named = [("depends on", resource.dependencies)] + [
        (f"property {key} depends on", urns) for key, urns in resource.property_dependencies.items()
    ]
    for how, urns in named:
        missing = next((u for u in urns if u not in index), None)
        if missing is not None:
            return f"{how} {missing}, which is not in the graph"
    if resource.provider is not None:
        provider = provider_urn(resource.provider)
        if provider not in index:
            return f"has provider {resource.provider}, which is not in the graph"
        kind = resources[index[provider]].type
        if not kind.startswith(PROVIDER_TYPE_PREFIX):
            return f"has provider {resource.provider}, which is a {kind}, not a provider"
    return None


def _prerequisites(resource: Resource, index: Mapping[str, int]) -> list[str]:
    """The resources that must exist before `resource`: dependencies, parent, provider."""
    provider = provider_urn(resource.provider) if resource.provider else None
    wanted = [
        *resource.dependencies,
        *chain.from_iterable(resource.property_dependencies.values()),
        *(u for u in (resource.parent, provider) if u is not None),
    ]
    return [u for u in dict.fromkeys(wanted) if u in index]


def _first_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """The first cycle met walking `edges` depth-first in their order, closed; None if none."""
    done: set[str] = set()
    for start, first in edges.items():
        if start in done:
            continue
        path = [start]
        on_path = {start}
        pending = [iter(first)]
        while pending:
            following = next(pending[-1], None)
            if following is None:
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                pending.pop()
                continue
            if following in on_path:
                return [*path[path.index(following) :], following]
            if following not in done:
                path.append(following)
                on_path.add(following)
                pending.append(iter(edges[following]))
    return None
