"""Rich renderables of a ResourceGraph; returned, never printed."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from tap.synth.graph import Resource, ResourceGraph

DEFAULT_PROVIDER_NOTE = "default provider"


def identity_of(resource: Resource) -> str | None:
    """The output that identifies a custom resource in AWS: its id (name, URL or ARN)."""
    value: Any = resource.outputs.get("id")
    return None if value is None else str(value)


def _provider_line(graph: ResourceGraph) -> Text:
    providers = graph.providers()
    if not providers:
        return Text("providers: none (every resource uses a default provider)", style="red")
    line = Text("providers: ")
    for index, provider in enumerate(providers):
        if index:
            line.append(", ")
        line.append(provider.name, style="bold")
        region = provider.inputs.get("region")
        if region:
            line.append(f" ({region})")
    return line


def _label(resource: Resource, names: dict[str, str]) -> Text:
    label = Text.assemble((resource.short_type, "cyan"), " ", (resource.name, "bold"))
    # Flags first: a narrow terminal crops the end of the line, where the long ids are.
    flags = [flag for flag in ("protect", "retainOnDelete") if resource.options.get(flag)]
    if flags:
        label.append(f"  [{', '.join(flags)}]", style="yellow")
    if resource.custom:
        identity = identity_of(resource)
        if identity:
            label.append(f"  {identity}", style="dim")
        if resource.provider is None and not resource.type.startswith("pulumi:providers:"):
            label.append(f"  [{DEFAULT_PROVIDER_NOTE}]", style="red")
        elif resource.provider is not None and resource.parent is None:
            label.append(f"  via {names.get(resource.provider, resource.provider)}", style="dim")
    return label


def render_tree(graph: ResourceGraph) -> Tree:
    """Components and resources nested by parent, under a line naming the providers."""
    root = Tree(
        Text.assemble(
            (f"{graph.project}/{graph.stack}", "bold"), f"  {len(graph.resources)} resources"
        )
    )
    root.add(_provider_line(graph))
    names = {r.urn: r.name for r in reversed(graph.resources)}  # the first of a URN wins
    children: dict[str | None, list[Resource]] = {}
    for resource in graph.resources:
        parent = resource.parent if resource.parent in names else None
        children.setdefault(parent, []).append(resource)
    pending: deque[tuple[Tree, Resource]] = deque((root, r) for r in children.get(None, []))
    while pending:
        branch, resource = pending.popleft()
        node = branch.add(_label(resource, names))
        pending.extend((node, child) for child in children.pop(resource.urn, []))
    return root


def render_table(graph: ResourceGraph) -> Table:
    """One row per resource: logical path, type token and identifying output."""
    table = Table(title=f"{graph.project}/{graph.stack}")
    table.add_column("logical path")
    table.add_column("type")
    table.add_column("id")
    for resource in graph.resources:
        table.add_row(graph.logical_path(resource), resource.type, identity_of(resource) or "")
    return table
