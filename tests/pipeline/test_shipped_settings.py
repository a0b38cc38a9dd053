"""Settings of the shipped graphs that no guardrail rule reads, pinned so a regression shows.

Each assertion here survived a mutation review: changing the component's literal left every
other test green. They read the synthesized graph, i.e. what `pulumi up` would send to AWS.
"""

import pytest

from pipeline.shipped import STACKS, graph, only, shipped
from tap.rules.lookup import ALIAS, FUNCTION, LOG_GROUP, QUEUE, TABLE

OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
FOURTEEN_DAYS = 14 * 24 * 60 * 60
EXPORTS = {
    "bucketNames",
    "tableName",
    "tableArn",
    "functionName",
    "aliasArn",
    "ruleArns",
    "deliveryDlqUrl",
    "processorDlqUrl",
    "alarmTopicArn",
}


@pytest.mark.parametrize("stack", STACKS)
def test_buckets_enforce_owner_and_use_a_bucket_key(stack: str) -> None:
    g, config = shipped(stack)
    ownership = g.by_type(OWNERSHIP)
    encryption = g.by_type(ENCRYPTION)
    assert len(ownership) == len(encryption) == len(config.buckets)
    assert {o.inputs["rule"]["objectOwnership"] for o in ownership} == {"BucketOwnerEnforced"}
    for e in encryption:
        [rule] = e.inputs["rules"]
        assert rule["bucketKeyEnabled"] is True
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"


@pytest.mark.parametrize("stack", STACKS)
def test_the_table_is_on_demand_keyed_by_id_with_full_stream_images(stack: str) -> None:
    table = only(graph(stack), TABLE).inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert table["hashKey"] == "id"
    assert table["attributes"] == [{"name": "id", "type": "S"}]
    assert table["streamEnabled"] is True
    assert table["streamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["serverSideEncryption"]["enabled"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_both_dead_letter_queues_keep_messages_fourteen_days(stack: str) -> None:
    queues = graph(stack).by_type(QUEUE)
    assert len(queues) == 2
    assert [q.inputs["messageRetentionSeconds"] for q in queues] == [FOURTEEN_DAYS] * 2
    assert all(q.inputs.get("fifoQueue") in (None, False) for q in queues)


@pytest.mark.parametrize("stack", STACKS)
def test_the_function_publishes_logs_json_and_retains_logs_as_configured(stack: str) -> None:
    g, config = shipped(stack)
    function = only(g, FUNCTION).inputs
    assert function["publish"] is True
    assert function["handler"] == "process_handler.lambda_handler"
    assert function["loggingConfig"]["logFormat"] == "JSON"
    log_group = only(g, LOG_GROUP).inputs
    assert function["loggingConfig"]["logGroup"] == log_group["name"]
    assert log_group["retentionInDays"] == config.processor.log_retention_days
    alias = only(g, ALIAS).inputs
    assert alias["name"] == "live"
    assert alias["functionName"] == function["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_exports_every_name_a_team_needs(stack: str) -> None:
    g, config = shipped(stack)
    assert set(g.outputs) == EXPORTS
    assert set(g.outputs["bucketNames"]) == {b.name for b in config.buckets}
    assert len(g.outputs["ruleArns"]) == sum(len(b.routes) for b in config.buckets)


def test_every_stack_deploys_the_same_code() -> None:
    """One artifact, built once, promoted from dev to prod: the same sha256 everywhere."""
    hashes = {stack: only(graph(stack), FUNCTION).inputs["code"]["sha256"] for stack in STACKS}
    assert len(set(hashes.values())) == 1, hashes
    assert len(hashes["dev"]) == 64
