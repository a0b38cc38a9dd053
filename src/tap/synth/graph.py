"""ResourceGraph: what a program registers, as `tap synth --format json` writes it."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tap.synth.errors import SynthError

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
STACK_PLACEHOLDER = "{stack}"


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
    """A resource graph JSON document does not have the contract's shape."""


class Resource(BaseModel):
    """One registered resource: identity, placement in the tree, and resolved properties."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    urn: str
    type: str
    """Engine type token, e.g. `aws:s3/bucket:Bucket`."""
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
        """Read a graph written by `to_json` (or by hand in the same shape)."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
                for e in exc.errors()
            )
            raise GraphFormatError(f"not a resource graph: {problems}") from None

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
