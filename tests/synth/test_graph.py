"""ResourceGraph: JSON contract, queries and logical paths."""

from __future__ import annotations

import json

import pytest

from tap.synth import GraphFormatError, Resource, ResourceGraph

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
