"""Rich renderables of a ResourceGraph; returned, never printed."""

from __future__ import annotations

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


def _label(graph: ResourceGraph, resource: Resource) -> Text:
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
            label.append(f"  via {graph.get(resource.provider).name}", style="dim")
    return label


def render_tree(graph: ResourceGraph) -> Tree:
    """Components and resources nested by parent, under a line naming the providers."""
    root = Tree(
        Text.assemble(
            (f"{graph.project}/{graph.stack}", "bold"), f"  {len(graph.resources)} resources"
        )
    )
    root.add(_provider_line(graph))
    known = {r.urn for r in graph.resources}
    pending: list[tuple[Tree, Resource]] = [
        (root, r) for r in graph.resources if r.parent is None or r.parent not in known
    ]
    while pending:
        branch, resource = pending.pop(0)
        node = branch.add(_label(graph, resource))
        pending.extend((node, child) for child in graph.children(resource.urn))
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
