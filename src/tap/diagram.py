"""`tap graph`: draw an environment's pipeline (Mermaid or Graphviz dot) from its resource graph."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: the CLI reads DiagramFormat without loading pydantic
    from tap.synth.graph import Resource, ResourceGraph

BUCKET = "aws:s3/bucket:Bucket"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FUNCTION = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
TABLE = "aws:dynamodb/table:Table"
REPLICA = "aws:dynamodb/tableReplica:TableReplica"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


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

    for r in graph.by_type(BUCKET):
        add(r, f"S3 bucket<br/>{_physical(r)}", "box")
    for r in graph.by_type(TABLE):
        add(r, f"DynamoDB items table<br/>{_physical(r)}", "db")
    for r in graph.by_type(QUEUE):
        add(r, f"SQS DLQ<br/>{_physical(r)}", "queue")
    for r in graph.by_type(FUNCTION):
        add(r, f"Lambda processor<br/>{_physical(r)}", "box")
    for r in graph.by_type(TOPIC):
        add(r, f"SNS alarm topic<br/>{_physical(r)}", "box")
    for r in graph.by_type(RULE):
        rule_id = add(r, f"EventBridge rule<br/>{_physical(r)}", "event")
        pattern = json.loads(str(r.inputs.get("eventPattern", "{}")))
        events = " / ".join(pattern.get("detail-type", []))
        edges.extend(Edge(_node_id(b), rule_id, events) for b in deps(r, BUCKET))
    for t in graph.by_type(TARGET):
        for rule in deps(t, RULE):
            for alias in deps(t, ALIAS):
                for fn in deps(alias, FUNCTION):
                    name = alias.inputs.get("name", "alias")
                    edges.append(Edge(_node_id(rule), _node_id(fn), f"invoke ({name})"))
            edges.extend(
                Edge(_node_id(rule), _node_id(q), "delivery failures", failure=True)
                for q in deps(t, QUEUE)
            )
    for fn in graph.by_type(FUNCTION):
        edges.extend(
            Edge(_node_id(fn), _node_id(t), "conditional PutItem") for t in deps(fn, TABLE)
        )
        edges.extend(
            Edge(_node_id(fn), _node_id(q), "rejected events", failure=True)
            for q in deps(fn, QUEUE)
        )
    for cfg in graph.by_type(INVOKE_CONFIG):
        for fn in deps(cfg, FUNCTION):
            edges.extend(
                Edge(_node_id(fn), _node_id(q), "retries exhausted", failure=True)
                for q in deps(cfg, QUEUE)
            )
    for replica in graph.by_type(REPLICA):
        region = replica.inputs.get("region", "?")
        replica_id = add(replica, f"Replica table<br/>{region}", "db")
        edges.extend(Edge(_node_id(t), replica_id, "global table") for t in deps(replica, TABLE))
    alarms = graph.by_type(ALARM)
    for topic in graph.by_type(TOPIC):
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
