"""ResourceGraph: JSON contract, queries and logical paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tap.synth import GraphFormatError, Resource, ResourceGraph
from tap.synth.graph import load_graph
from tests.support.shipped import graph as shipped_graph

STACK = "urn:pulumi:prod::tap::"


def resource(urn_tail: str, name: str, parent: str | None = None, **extra: object) -> Resource:
    fields: dict[str, object] = {
        "urn": STACK + urn_tail,
        "type": urn_tail.split("::", maxsplit=1)[0].rsplit("$", maxsplit=1)[-1],
        "name": name,
        "custom": True,
        "parent": parent,
        "provider": None,
        "dependencies": [],
        "inputs": {},
        "outputs": {},
        **extra,
    }
    return Resource.model_validate(fields)


PIPELINE = resource("tap:pipeline:TapPipeline::prod", "prod", custom=False)
PROVIDER = resource("pulumi:providers:aws::aws-prod", "aws-prod")
DATA = resource(
    "tap:pipeline:TapPipeline$tap:bucket:DataBucket::prod-data", "prod-data", PIPELINE.urn
)
BUCKET = resource(
    "tap:pipeline:TapPipeline$tap:bucket:DataBucket$aws:s3/bucket:Bucket::prod-data-bucket",
    "prod-data-bucket",
    DATA.urn,
    provider=PROVIDER.urn,
    outputs={"id": "tap-data-prod", "arn": "arn:aws:s3:::tap-data-prod"},
)
GRAPH = ResourceGraph(
    project="tap",
    stack="prod",
    resources=[PROVIDER, PIPELINE, DATA, BUCKET],
    outputs={"bucket": "tap-data-prod"},
)


def test_json_has_the_contract_shape() -> None:
    document = json.loads(GRAPH.to_json())
    assert list(document) == ["outputs", "project", "resources", "stack"]
    bucket = document["resources"][3]
    assert bucket["urn"] == BUCKET.urn
    assert bucket["type"] == "aws:s3/bucket:Bucket"
    assert bucket["parent"] == DATA.urn
    assert bucket["provider"] == PROVIDER.urn
    assert bucket["propertyDependencies"] == {}
    assert bucket["outputs"]["arn"] == "arn:aws:s3:::tap-data-prod"


def test_json_round_trips_and_is_stable() -> None:
    text = GRAPH.to_json()
    assert ResourceGraph.from_json(text) == GRAPH
    assert ResourceGraph.from_json(text).to_json() == text
    assert text.endswith("}\n")


def test_reading_a_document_of_the_wrong_shape_names_the_field() -> None:
    document = json.loads(GRAPH.to_json())
    del document["resources"][0]["urn"]
    with pytest.raises(GraphFormatError, match=r"resources\.0\.urn"):
        ResourceGraph.from_json(json.dumps(document))
    with pytest.raises(GraphFormatError):
        ResourceGraph.from_json("not json")


def test_queries() -> None:
    assert GRAPH.get(BUCKET.urn) == BUCKET
    assert GRAPH.by_type("aws:s3/bucket:Bucket") == [BUCKET]
    assert GRAPH.children(DATA.urn) == [BUCKET]
    assert GRAPH.children(None) == [PROVIDER, PIPELINE]
    assert GRAPH.providers() == [PROVIDER]
    with pytest.raises(KeyError):
        GRAPH.get(STACK + "nothing")


def test_logical_path_drops_parent_prefixes_and_generalizes_the_stack() -> None:
    assert GRAPH.logical_path(BUCKET) == "{stack}/data/bucket"
    assert GRAPH.logical_path(PIPELINE) == "{stack}"
    assert GRAPH.logical_path(PROVIDER) == "aws-{stack}"


def test_logical_paths_match_across_stacks() -> None:
    dev = ResourceGraph.from_json(GRAPH.to_json().replace("prod", "dev"))
    assert [dev.logical_path(r) for r in dev.resources] == [
        GRAPH.logical_path(r) for r in GRAPH.resources
    ]


def test_a_name_not_prefixed_by_its_parent_is_kept_whole() -> None:
    odd = resource("tap:pipeline:TapPipeline$aws:sqs/queue:Queue::dlq", "dlq", PIPELINE.urn)
    graph = GRAPH.model_copy(update={"resources": [*GRAPH.resources, odd]})
    assert graph.logical_path(odd) == "{stack}/dlq"


# --- reading a graph file: what is not a graph is refused, naming the first problem ---------


def document() -> dict[str, Any]:
    """GRAPH as plain JSON data, free to break."""
    parsed: dict[str, Any] = json.loads(GRAPH.to_json())
    return parsed


def refusal(text: str) -> str:
    with pytest.raises(GraphFormatError) as caught:
        ResourceGraph.from_json(text)
    return str(caught.value)


def test_a_urn_twice_is_refused() -> None:
    broken = document()
    broken["resources"].append(broken["resources"][1])

    assert refusal(json.dumps(broken)) == (
        f"not a resource graph: URN {PIPELINE.urn} appears twice (resources[1] and resources[4])"
    )


def test_a_dependency_cycle_is_refused_and_drawn() -> None:
    broken = document()
    broken["resources"][3]["dependencies"] = [DATA.urn]
    broken["resources"][2]["dependencies"] = [BUCKET.urn]

    assert refusal(json.dumps(broken)) == (
        f"not a resource graph: dependency cycle {DATA.urn} -> {BUCKET.urn} -> {DATA.urn}"
    )


def test_a_resource_depending_on_itself_is_a_cycle() -> None:
    broken = document()
    broken["resources"][3]["propertyDependencies"] = {"bucket": [BUCKET.urn]}

    assert refusal(json.dumps(broken)) == (
        f"not a resource graph: dependency cycle {BUCKET.urn} -> {BUCKET.urn}"
    )


def test_a_parent_cycle_is_refused() -> None:
    broken = document()
    broken["resources"][1]["parent"] = BUCKET.urn

    assert refusal(json.dumps(broken)) == (
        f"not a resource graph: dependency cycle {PIPELINE.urn} -> {BUCKET.urn} -> {DATA.urn} "
        f"-> {PIPELINE.urn}"
    )


MISSING = STACK + "aws:sqs/queue:Queue::gone"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("dependencies", [MISSING], f"depends on {MISSING}"),
        ("propertyDependencies", {"policy": [MISSING]}, f"property policy depends on {MISSING}"),
        ("parent", MISSING, f"has parent {MISSING}"),
        ("provider", MISSING, f"has provider {MISSING}"),
    ],
)
def test_a_reference_to_a_resource_not_in_the_graph_is_refused(
    field: str, value: object, problem: str
) -> None:
    broken = document()
    broken["resources"][3][field] = value

    assert refusal(json.dumps(broken)) == (
        f"not a resource graph: resources[3] ({BUCKET.urn}) {problem}, which is not in the graph"
    )


def test_a_provider_that_is_not_a_provider_is_refused() -> None:
    broken = document()
    broken["resources"][3]["provider"] = DATA.urn

    assert refusal(json.dumps(broken)) == (
        f"not a resource graph: resources[3] ({BUCKET.urn}) has provider {DATA.urn}, "
        "which is a tap:bucket:DataBucket, not a provider"
    )


def test_a_provider_reference_with_an_id_as_pulumi_stack_export_writes_it_is_read() -> None:
    exported = document()
    exported["resources"][3]["provider"] = PROVIDER.urn + "::04da6b54-80e4-46f7-96ec-b56ff0331ba9"

    assert (
        ResourceGraph.from_json(json.dumps(exported))
        .resources[3]
        .provider.startswith(PROVIDER.urn + "::")
    )


def test_a_parent_that_is_the_left_out_root_stack_is_read() -> None:
    exported = document()
    exported["resources"][1]["parent"] = "urn:pulumi:prod::tap::pulumi:pulumi:Stack::tap-prod"

    assert ResourceGraph.from_json(json.dumps(exported)).resources[1].parent is not None


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    text = GRAPH.to_json().replace('"bucket": "tap-data-prod"', f'"bucket": {constant}')

    assert refusal(text) == (
        f"not JSON: {constant} is not a JSON value (JSON has no NaN or Infinity)"
    )


def test_a_key_twice_in_one_object_is_refused() -> None:
    text = GRAPH.to_json().replace('"project": "tap"', '"project": "tap", "project": "other"')

    assert refusal(text) == "not a resource graph: key 'project' appears twice in one object"


@pytest.mark.parametrize("depth", [150, 5000])
def test_nesting_deeper_than_the_limit_is_refused(depth: int) -> None:
    broken = GRAPH.to_json().replace(
        '"outputs": {', '"outputs": {"deep": ' + "[" * depth + "]" * depth + ",", 1
    )

    assert refusal(broken) == "not a resource graph: nested deeper than 100 levels"


def test_text_that_is_not_json_names_where() -> None:
    assert refusal("not json") == "not JSON: Expecting value at line 1, column 1"


def test_the_wrong_shape_names_the_first_field_and_counts_the_rest() -> None:
    broken = document()
    del broken["resources"][0]["urn"]
    del broken["resources"][1]["name"]

    assert refusal(json.dumps(broken)) == (
        "not a resource graph: resources.0.urn: Field required (and 1 more)"
    )


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_shipped_graphs_round_trip_through_a_file(tmp_path: Path, stack: str) -> None:
    path = tmp_path / f"{stack}.json"
    path.write_text(shipped_graph(stack).to_json(), encoding="utf-8")

    assert load_graph(path) == shipped_graph(stack)


def test_an_unreadable_file_is_a_graph_format_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_bytes(b"\xff\xfe{\x00}\x00")

    with pytest.raises(GraphFormatError) as caught:
        load_graph(path)

    assert str(caught.value) == (
        f"{path}: not UTF-8 text (byte 0 is 0xff); it looks like UTF-16, save it as UTF-8"
    )


def test_a_problem_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "graph.json"
    path.write_text("[]", encoding="utf-8")

    with pytest.raises(GraphFormatError) as caught:
        load_graph(path)

    assert str(caught.value).startswith(f"{path}: not a resource graph: <root>: ")
