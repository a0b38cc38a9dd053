"""tap graph: the pipeline diagram is drawn from the graph's recorded dependencies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tap.diagram import DiagramFormat, build_diagram, render
from tap.synth.graph import ResourceGraph
from tap.synth.stack import synthesize_stack

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prod() -> ResourceGraph:
    return synthesize_stack(REPO, "prod")


@pytest.fixture(scope="module")
def dev() -> ResourceGraph:
    return synthesize_stack(REPO, "dev")


def _edges(graph: ResourceGraph) -> set[tuple[str, str, str, bool]]:
    diagram = build_diagram(graph)
    labels = {n.id: n.label.split("<br/>")[0] for n in diagram.nodes}
    return {(labels[e.source], labels[e.target], e.label, e.failure) for e in diagram.edges}


def test_prod_diagram_draws_every_hop_and_failure_path(prod: ResourceGraph) -> None:
    assert _edges(prod) == {
        ("S3 bucket", "EventBridge rule", "Object Created / Object Deleted", False),
        ("EventBridge rule", "Lambda processor", "invoke (live)", False),
        ("EventBridge rule", "SQS DLQ", "delivery failures", True),
        ("Lambda processor", "DynamoDB items table", "conditional PutItem", False),
        ("Lambda processor", "SQS DLQ", "rejected events", True),
        ("Lambda processor", "SQS DLQ", "retries exhausted", True),
        ("DynamoDB items table", "Replica table", "global table", False),
        ("9 CloudWatch alarms", "SNS alarm topic", "notify", False),
    }


def test_dev_diagram_has_no_replica(dev: ResourceGraph) -> None:
    labels = {n.label for n in build_diagram(dev).nodes}

    assert not any(label.startswith("Replica") for label in labels)


def test_mermaid_and_dot_render_the_same_edges(prod: ResourceGraph) -> None:
    mermaid = render(prod, DiagramFormat.MERMAID)
    dot = render(prod, DiagramFormat.DOT)
    edges = len(build_diagram(prod).edges)

    assert mermaid.startswith("flowchart LR\n")
    assert mermaid.count("-->") + mermaid.count("-.->") == edges
    assert dot.startswith('digraph "tap prod" {')
    assert dot.rstrip().endswith("}")
    assert dot.count(" -> ") == edges
    assert dot.count("style=dashed") == 3
