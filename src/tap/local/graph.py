"""What a local run reads from a resource graph: typed views, dependency order, translation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from tap.local.errors import GraphError
from tap.resources import STACK


class GraphResource(Protocol):
    """One resource of a `tap.synth.ResourceGraph`, as far as a local run reads it."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def custom(self) -> bool: ...
    @property
    def parent(self) -> str | None: ...
    @property
    def dependencies(self) -> Sequence[str]: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...


class Graph(Protocol):
    """A `tap.synth.ResourceGraph`, as far as a local run reads it."""

    @property
    def resources(self) -> Sequence[GraphResource]: ...


def dependency_order(resources: Sequence[GraphResource]) -> list[GraphResource]:
    """Resources in an order where each comes after its parent and its dependencies.

    Ties keep the graph's own order, so the result is deterministic.
    """
    by_urn = {r.urn: r for r in resources}
    if len(by_urn) != len(resources):
        raise GraphError("the graph holds two resources with the same URN")
    position = {r.urn: i for i, r in enumerate(resources)}
    prerequisites: dict[str, set[str]] = {}
    for resource in resources:
        wanted = set(resource.dependencies)
        if resource.parent:
            wanted.add(resource.parent)
        # A graph may leave out the root stack resource; nothing else may be missing.
        missing = sorted(u for u in wanted if u not in by_urn and not _is_root_stack(u))
        if missing:
            raise GraphError(f"{resource.urn} depends on resources not in the graph: {missing}")
        prerequisites[resource.urn] = {u for u in wanted if u in by_urn}
    ordered: list[GraphResource] = []
    done: set[str] = set()
    pending = [r.urn for r in resources]
    while pending:
        ready = [u for u in pending if prerequisites[u] <= done]
        if not ready:
            raise GraphError(f"the graph has a dependency cycle among {sorted(pending)}")
        ready.sort(key=position.__getitem__)
        for urn in ready:
            ordered.append(by_urn[urn])
            done.add(urn)
        pending = [u for u in pending if u not in done]
    return ordered


def _is_root_stack(urn: str) -> bool:
    parts = urn.split("::")
    return len(parts) >= 4 and parts[2] == STACK.token


MIN_TRANSLATED_LENGTH = 6
"""Shorter values (`live`, `dev`) are too likely to occur inside unrelated strings."""


class Translation:
    """Maps the graph's fake provider values (ids, ARNs, URLs) to the emulator's real ones."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def learn(self, graph_outputs: Mapping[str, Any], emulator_outputs: Mapping[str, Any]) -> None:
        """Record every output both sides know whose string values differ; skip short values."""
        for name, real in emulator_outputs.items():
            fake = graph_outputs.get(name)
            if (
                isinstance(fake, str)
                and isinstance(real, str)
                and fake != real
                and len(fake) >= MIN_TRANSLATED_LENGTH
            ):
                self.add(fake, real)

    def add(self, fake: str, real: str) -> None:
        """Record one substitution; refuses values short enough to corrupt unrelated strings."""
        if len(fake) < MIN_TRANSLATED_LENGTH:
            raise GraphError(f"refusing to translate the short value {fake!r} to {real!r}")
        known = self._map.get(fake)
        if known is not None and known != real:
            raise GraphError(f"{fake!r} maps to both {known!r} and {real!r}")
        self._map[fake] = real
        self._pattern = None

    @property
    def substitutions(self) -> dict[str, str]:
        """A copy of the map, graph value to emulator value."""
        return dict(self._map)

    def apply(self, value: Any) -> Any:
        """Deep-replace every known graph value inside strings, lists and mappings."""
        if not self._map:
            return value
        if self._pattern is None:
            # Longest first, so an ARN is replaced whole before an id inside it could be.
            keys = sorted(self._map, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(k) for k in keys))
        return _replace(value, self._pattern, self._map)

    def reverse(self, value: str) -> str:
        """Map an emulator value back to the graph's, where it is one; otherwise unchanged."""
        for fake, real in self._map.items():
            if real == value:
                return fake
        return value


def _replace(value: Any, pattern: re.Pattern[str], mapping: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(lambda m: mapping[m.group(0)], value)
    if isinstance(value, Mapping):
        return {k: _replace(v, pattern, mapping) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, pattern, mapping) for v in value]
    return value


def of_type(resources: Iterable[GraphResource], type_token: str) -> list[GraphResource]:
    """Every resource of one type token, in graph order."""
    return [r for r in resources if r.type == type_token]
