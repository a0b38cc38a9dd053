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


class _Drawing:
    """The nodes and edges drawn so far from one graph."""

    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.by_urn = {r.urn: r for r in graph.resources}

    def deps(self, resource: Resource, type_: str) -> list[Resource]:
        """The resources of `type_` that `resource` depends on."""
        found = (self.by_urn.get(u) for u in resource.dependencies)
        return [r for r in found if r is not None and r.type == type_]

    def add(self, resource: Resource, label: str, shape: str) -> str:
        """A box for `resource`; its node id."""
        node = Node(_node_id(resource), label, shape)
        self.nodes[node.id] = node
        return node.id

    def arrows(self, source: Resource, type_: str, label: str, *, failure: bool = False) -> None:
        """An arrow from `source` to each resource of `type_` it depends on."""
        self.edges.extend(
            Edge(_node_id(source), _node_id(t), label, failure=failure)
            for t in self.deps(source, type_)
        )


def _draw_routing(drawing: _Drawing) -> None:
    """Bucket → rule (its detail-types), rule → function (the alias) and → delivery DLQ."""
    for r in drawing.graph.by_type(tokens.EVENT_RULE):
        pattern = json.loads(str(r.inputs.get("eventPattern", "{}")))
        events = " / ".join(pattern.get("detail-type", []))
        drawing.edges.extend(
            Edge(_node_id(b), _node_id(r), events) for b in drawing.deps(r, tokens.BUCKET)
        )
    for t in drawing.graph.by_type(tokens.EVENT_TARGET):
        for rule in drawing.deps(t, tokens.EVENT_RULE):
            for alias in drawing.deps(t, tokens.LAMBDA_ALIAS):
                for fn in drawing.deps(alias, tokens.FUNCTION):
                    name = alias.inputs.get("name", "alias")
                    drawing.edges.append(Edge(_node_id(rule), _node_id(fn), f"invoke ({name})"))
            drawing.edges.extend(
                Edge(_node_id(rule), _node_id(q), "delivery failures", failure=True)
                for q in drawing.deps(t, tokens.QUEUE)
            )


def _draw_processing(drawing: _Drawing) -> None:
    """Function → table, → its DLQ (rejected events, and retries exhausted)."""
    for fn in drawing.graph.by_type(tokens.FUNCTION):
        drawing.arrows(fn, tokens.TABLE, "conditional PutItem")
        drawing.arrows(fn, tokens.QUEUE, "rejected events", failure=True)
    for cfg in drawing.graph.by_type(tokens.INVOKE_CONFIG):
        for fn in drawing.deps(cfg, tokens.FUNCTION):
            drawing.edges.extend(
                Edge(_node_id(fn), _node_id(q), "retries exhausted", failure=True)
                for q in drawing.deps(cfg, tokens.QUEUE)
            )


def _draw_replicas_and_alarms(drawing: _Drawing) -> None:
    """A box per replica fed by its table; one box counting the alarms that notify a topic."""
    for replica in drawing.graph.by_type(tokens.TABLE_REPLICA):
        region = replica.inputs.get("region", "?")
        replica_id = drawing.add(replica, f"Replica table<br/>{region}", "db")
        drawing.edges.extend(
            Edge(_node_id(t), replica_id, "global table")
            for t in drawing.deps(replica, tokens.TABLE)
        )
    alarms = drawing.graph.by_type(tokens.METRIC_ALARM)
    for topic in drawing.graph.by_type(tokens.TOPIC):
        watching = [a for a in alarms if topic.urn in a.dependencies]
        if watching:
            alarm_node = Node("alarms", f"{len(watching)} CloudWatch alarms", "box")
            drawing.nodes[alarm_node.id] = alarm_node
            drawing.edges.append(Edge(alarm_node.id, _node_id(topic), "notify"))


def build_diagram(graph: ResourceGraph) -> Diagram:
    """Boxes for buckets, rules, the function, table, replicas, queues and alarms; arrows from
    the graph's recorded dependencies."""
    drawing = _Drawing(graph)
    for type_, (label, shape) in _BOXES.items():
        for r in graph.by_type(type_):
            drawing.add(r, f"{label}<br/>{_physical(r)}", shape)
    _draw_routing(drawing)
    _draw_processing(drawing)
    _draw_replicas_and_alarms(drawing)
    unique_edges = tuple(dict.fromkeys(drawing.edges))
    return Diagram(f"tap {graph.stack}", tuple(drawing.nodes.values()), unique_edges)


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
