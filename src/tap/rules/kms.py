"""KMS rules: customer-managed keys rotate."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tap.rules.lookup import KMS_KEY, of_type, prop
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable

if TYPE_CHECKING:
    from tap.synth.graph import ResourceGraph


def kms_key_rotation(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every customer-managed key has automatic rotation on (replicas follow their primary)."""
    keys = of_type(graph, KMS_KEY)
    if not keys:
        yield not_applicable("no KMS keys")
    for key in keys:
        if prop(key, "enableKeyRotation") is True:
            yield compliant(key.urn)
        else:
            yield non_compliant(key.urn, f"key {key.name} does not rotate")
