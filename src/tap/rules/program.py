"""Program-wide rules: every input the program sent is a resolved value, never an Output's repr."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tap.rules.model import Outcome, RuleContext, compliant, non_compliant

if TYPE_CHECKING:
    from tap.synth.graph import ResourceGraph

OUTPUT_STR_TEXT = "Calling __str__ on an Output"
"""What the Pulumi SDK renders when an Output is formatted into a string instead of resolved."""


def _paths_with_text(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if OUTPUT_STR_TEXT in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _paths_with_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _paths_with_text(item, f"{path}[{index}]")


def no_unresolved_output_text(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """No input anywhere contains the text of an Output formatted with str()."""
    for resource in graph.resources:
        paths = sorted(set(_paths_with_text(resource.inputs, "")))
        if paths:
            yield non_compliant(
                resource.urn,
                f"{resource.type} {resource.name} has '{OUTPUT_STR_TEXT}' in {', '.join(paths)}",
            )
        else:
            yield compliant(resource.urn)
