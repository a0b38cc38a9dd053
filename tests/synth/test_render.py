"""render_tree / render_table: what `tap synth` shows, as renderables."""

from __future__ import annotations

from rich.console import Console, RenderableType

from tap.synth import ResourceGraph
from tap.synth.render import render_table, render_tree


def text_of(renderable: RenderableType) -> str:
    console = Console(width=200, record=True, color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def test_tree_nests_resources_under_components_with_their_ids(dev_graph: ResourceGraph) -> None:
    lines = text_of(render_tree(dev_graph)).splitlines()
    assert lines[0].startswith("toy/dev")
    assert "providers: aws-dev (eu-west-1)" in lines[1]
    ingest = next(i for i, line in enumerate(lines) if "Ingest ingest" in line)
    queue = next(i for i, line in enumerate(lines) if "Queue ingest-dlq" in line)
    assert queue > ingest
    assert lines[queue].index("Queue") > lines[ingest].index("Ingest")
    assert "https://sqs.eu-west-1.amazonaws.com/111122223333/toy-dev-dlq" in lines[queue]
    assert "default provider" not in "\n".join(lines)


def test_tree_flags_resources_on_a_default_provider(dev_graph: ResourceGraph) -> None:
    [queue] = dev_graph.by_type("aws:sqs/queue:Queue")
    orphan = queue.model_copy(update={"provider": None})
    graph = dev_graph.model_copy(
        update={"resources": [orphan if r is queue else r for r in dev_graph.resources]}
    )
    flagged = [
        line for line in text_of(render_tree(graph)).splitlines() if "[default provider]" in line
    ]
    assert len(flagged) == 1
    assert "ingest-dlq" in flagged[0]


def test_table_lists_logical_path_type_and_id_verbatim(dev_graph: ResourceGraph) -> None:
    text = text_of(render_table(dev_graph))
    assert "ingest/dlq" in text
    assert "toy:index:Ingest" in text
    assert "aws:sqs/queue:Queue" in text


def test_tree_marks_protected_resources(dev_graph: ResourceGraph) -> None:
    [queue] = dev_graph.by_type("aws:sqs/queue:Queue")
    kept = queue.model_copy(update={"options": {"protect": True, "retainOnDelete": True}})
    graph = dev_graph.model_copy(
        update={"resources": [kept if r is queue else r for r in dev_graph.resources]}
    )
    marked = [line for line in text_of(render_tree(graph)).splitlines() if "[protect" in line]
    assert len(marked) == 1
    assert "ingest-dlq" in marked[0]
    assert "ingest-dlq  [protect, retainOnDelete]" in marked[0]
    assert "[protect" not in text_of(render_tree(dev_graph))
