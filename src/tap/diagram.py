"""`tap graph`: draw an environment's pipeline (Mermaid or Graphviz dot) from its resource graph."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from tap.facts import tokens
from tap.resources import DECLARED

if TYPE_CHECKING:  # only annotations: the CLI reads DiagramFormat without loading pydantic
    from tap.synth.graph import Resource, ResourceGraph

_BOXES: Final[Mapping[str, tuple[str, str]]] = {
    d.token: (d.box.label, d.box.shape) for d in DECLARED.values() if d.box is not None
}
"""Types drawn as one box per resource, labelled with the physical name: (label, shape)."""

DRAWING: Final[Mapping[str, str]] = {
    d.token: d.drawing for d in DECLARED.values() if d.drawing is not None
}
"""How each custom resource type shows up in the diagram, or why it does not (`tap.resources`)."""


class DiagramFormat(StrEnum):
    """Output formats."""

    MERMAID = "mermaid"
    DOT = "dot"


@dataclass(frozen=True)
class Node:
    """A box in the diagram."""

    id: str
    label: str
    shape: str  # "box" | "queue" | "db" | "event"


@dataclass(frozen=True)
class Edge:
    """An arrow; dashed arrows are failure paths."""

    source: str
    target: str
    label: str
    failure: bool = False


@dataclass(frozen=True)
class Diagram:
    """Nodes and edges of one environment's pipeline."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def _node_id(resource: Resource) -> str:
    return "n" + "".join(c if c.isalnum() else "_" for c in resource.name)


def _physical(resource: Resource) -> str:
    for key in ("bucket", "name", "dashboardName"):
        value = resource.outputs.get(key) or resource.inputs.get(key)
        if isinstance(value, str):
            return value
    return resource.name


def build_diagram(graph: ResourceGraph) -> Diagram:
    """Boxes for buckets, rules, the function, table, replicas, queues and alarms; arrows from
    the graph's recorded dependencies."""
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    by_urn = {r.urn: r for r in graph.resources}

    def deps(resource: Resource, type_: str) -> list[Resource]:
        return [by_urn[u] for u in resource.dependencies if u in by_urn and by_urn[u].type == type_]

    def add(resource: Resource, label: str, shape: str) -> str:
        node = Node(_node_id(resource), label, shape)
        nodes[node.id] = node
        return node.id

    for type_, (label, shape) in _BOXES.items():
        for r in graph.by_type(type_):
            add(r, f"{label}<br/>{_physical(r)}", shape)
    for r in graph.by_type(tokens.EVENT_RULE):
        rule_id = _node_id(r)
        pattern = json.loads(str(r.inputs.get("eventPattern", "{}")))
        events = " / ".join(pattern.get("detail-type", []))
        edges.extend(Edge(_node_id(b), rule_id, events) for b in deps(r, tokens.BUCKET))
    for t in graph.by_type(tokens.EVENT_TARGET):
        for rule in deps(t, tokens.EVENT_RULE):
            for alias in deps(t, tokens.LAMBDA_ALIAS):
                for fn in deps(alias, tokens.FUNCTION):
                    name = alias.inputs.get("name", "alias")
                    edges.append(Edge(_node_id(rule), _node_id(fn), f"invoke ({name})"))
            edges.extend(
                Edge(_node_id(rule), _node_id(q), "delivery failures", failure=True)
                for q in deps(t, tokens.QUEUE)
            )
    for fn in graph.by_type(tokens.FUNCTION):
        edges.extend(
            Edge(_node_id(fn), _node_id(t), "conditional PutItem") for t in deps(fn, tokens.TABLE)
        )
        edges.extend(
            Edge(_node_id(fn), _node_id(q), "rejected events", failure=True)
            for q in deps(fn, tokens.QUEUE)
        )
    for cfg in graph.by_type(tokens.INVOKE_CONFIG):
        for fn in deps(cfg, tokens.FUNCTION):
            edges.extend(
                Edge(_node_id(fn), _node_id(q), "retries exhausted", failure=True)
                for q in deps(cfg, tokens.QUEUE)
            )
    for replica in graph.by_type(tokens.TABLE_REPLICA):
        region = replica.inputs.get("region", "?")
        replica_id = add(replica, f"Replica table<br/>{region}", "db")
        edges.extend(
            Edge(_node_id(t), replica_id, "global table") for t in deps(replica, tokens.TABLE)
        )
    alarms = graph.by_type(tokens.METRIC_ALARM)
    for topic in graph.by_type(tokens.TOPIC):
        watching = [a for a in alarms if topic.urn in a.dependencies]
        if watching:
            alarm_node = Node("alarms", f"{len(watching)} CloudWatch alarms", "box")
            nodes[alarm_node.id] = alarm_node
            edges.append(Edge(alarm_node.id, _node_id(topic), "notify"))
    unique_edges = tuple(dict.fromkeys(edges))
    return Diagram(f"tap {graph.stack}", tuple(nodes.values()), unique_edges)


_MERMAID_SHAPES = {"box": ('["', '"]'), "queue": ('[("', '")]'), "db": ('[("', '")]'),
                   "event": ('{{"', '"}}')}  # fmt: skip


def to_mermaid(diagram: Diagram) -> str:
    """Mermaid flowchart text."""
    lines = ["flowchart LR", f"  %% {diagram.title}"]
    for node in diagram.nodes:
        left, right = _MERMAID_SHAPES[node.shape]
        lines.append(f"  {node.id}{left}{node.label}{right}")
    for edge in diagram.edges:
        arrow = "-.->" if edge.failure else "-->"
        label = f"|{edge.label}|" if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


_DOT_SHAPES = {"box": "box", "queue": "cylinder", "db": "cylinder", "event": "hexagon"}


def to_dot(diagram: Diagram) -> str:
    """Graphviz dot text."""
    lines = [f'digraph "{diagram.title}" {{', "  rankdir=LR;", "  node [fontsize=10];"]
    for node in diagram.nodes:
        label = node.label.replace("<br/>", "\\n")
        lines.append(f'  {node.id} [label="{label}", shape={_DOT_SHAPES[node.shape]}];')
    for edge in diagram.edges:
        style = ", style=dashed, color=red" if edge.failure else ""
        lines.append(f'  {edge.source} -> {edge.target} [label="{edge.label}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(graph: ResourceGraph, fmt: DiagramFormat) -> str:
    """The diagram of `graph` in `fmt`."""
    diagram = build_diagram(graph)
    return to_mermaid(diagram) if fmt is DiagramFormat.MERMAID else to_dot(diagram)
