"""`tap diff`: compare two stacks' resource graphs structurally, environment tokens normalised."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tap.config import EnvironmentConfig
from tap.naming import region_token
from tap.synth.graph import Resource, ResourceGraph

_MISSING = object()


class DiffKind(StrEnum):
    """How a resource or property differs."""

    ONLY_IN_A = "only-in-a"
    ONLY_IN_B = "only-in-b"
    CHANGED = "changed"


@dataclass(frozen=True)
class Difference:
    """One difference: a whole resource on one side only, or one property that changed."""

    kind: DiffKind
    path: str
    type: str
    property: str | None = None
    a: Any = None
    b: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": str(self.kind),
            "path": self.path,
            "type": self.type,
            "property": self.property,
            "a": self.a,
            "b": self.b,
        }


@dataclass(frozen=True)
class Normaliser:
    """Replaces one environment's own tokens with placeholders so two stacks line up."""

    tokens: tuple[tuple[re.Pattern[str], str], ...]

    @classmethod
    def of(cls, config: EnvironmentConfig) -> Normaliser:
        """Tokens of `config`: account id, region (both spellings), environment name."""
        pairs = [
            (config.account_id, "<account>"),
            (config.region, "<region>"),
            (region_token(config.region), "<region>"),
            (config.environment, "<env>"),
        ]
        return cls(
            tuple(
                (re.compile(rf"(?<![A-Za-z0-9]){re.escape(token)}(?![A-Za-z0-9])"), label)
                for token, label in pairs
            )
        )

    def text(self, value: str) -> str:
        """`value` with this environment's tokens replaced."""
        for pattern, label in self.tokens:
            value = pattern.sub(label, value)
        return value


def _decode_json_strings(value: Any) -> Any:
    """Policies, patterns and dashboards are JSON strings; compare them as structures."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _decode_json_strings(json.loads(value))
        except json.JSONDecodeError:
            return value
    if isinstance(value, Mapping):
        return {k: _decode_json_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_json_strings(v) for v in value]
    return value


def _output_refs(graph: ResourceGraph, resource: Resource, norm: Normaliser) -> dict[str, str]:
    """String outputs of what `resource` depends on, mapped to symbolic references.

    Only dependencies count, so two resources sharing a value (a table's ARN and its replica's
    global table ARN) never get confused.
    """
    by_urn = {r.urn: r for r in graph.resources}
    deps = sorted(
        (by_urn[u] for u in resource.dependencies if u in by_urn and by_urn[u].custom),
        key=lambda r: _path(graph, r, norm),
    )
    refs: dict[str, str] = {}
    for dep in deps:
        for prop, value in sorted(dep.outputs.items()):
            if isinstance(value, str) and len(value) >= 8 and value not in refs:
                refs[value] = f"${{{_path(graph, dep, norm)}.{prop}}}"
    return refs


def _path(graph: ResourceGraph, resource: Resource, norm: Normaliser) -> str:
    return norm.text(graph.logical_path(resource))


def _normalise(value: Any, refs: Mapping[str, str], norm: Normaliser) -> Any:
    if isinstance(value, str):
        return norm.text(refs.get(value, value))
    if isinstance(value, Mapping):
        return {k: _normalise(v, refs, norm) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, refs, norm) for v in value]
    return value


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for i, item in enumerate(_sorted_items(value)):
            yield from _flatten(item, f"{prefix}[{i}]")
    elif isinstance(value, list):
        yield prefix, sorted(value, key=repr)
    else:
        yield prefix, value


def _sorted_items(items: list[Any]) -> list[Any]:
    """Lists of objects (statements, rules) compare regardless of order."""
    return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))


def comparable(
    graph: ResourceGraph, config: EnvironmentConfig
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each resource by normalised logical path: its type and normalised, flattened inputs."""
    norm = Normaliser.of(config)
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for resource in graph.resources:
        refs = _output_refs(graph, resource, norm)
        inputs = _normalise(_decode_json_strings(resource.inputs), refs, norm)
        props = dict(_flatten(inputs))
        if resource.options:
            props.update(_flatten(resource.options, "options"))
        result[_path(graph, resource, norm)] = (resource.type, props)
    return result


def diff_graphs(
    a: ResourceGraph, a_config: EnvironmentConfig, b: ResourceGraph, b_config: EnvironmentConfig
) -> list[Difference]:
    """Differences between two stacks, resources matched by their normalised logical path."""
    left = comparable(a, a_config)
    right = comparable(b, b_config)
    found: list[Difference] = []
    for path in sorted(left.keys() | right.keys()):
        if path not in right:
            found.append(Difference(DiffKind.ONLY_IN_A, path, left[path][0]))
            continue
        if path not in left:
            found.append(Difference(DiffKind.ONLY_IN_B, path, right[path][0]))
            continue
        type_, a_props = left[path]
        b_props = right[path][1]
        for prop in sorted(a_props.keys() | b_props.keys()):
            a_value = a_props.get(prop, _MISSING)
            b_value = b_props.get(prop, _MISSING)
            if a_value != b_value:
                found.append(
                    Difference(
                        DiffKind.CHANGED,
                        path,
                        type_,
                        prop,
                        None if a_value is _MISSING else a_value,
                        None if b_value is _MISSING else b_value,
                    )
                )
    return found
