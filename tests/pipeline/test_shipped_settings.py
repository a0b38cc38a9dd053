"""Settings of the shipped graphs that no guardrail rule reads, pinned so a regression shows.

Each assertion here survived a mutation review: changing the component's literal left every
other test green. They read the synthesized graph, i.e. what `pulumi up` would send to AWS.
"""

import pytest

from tap.facts.tokens import (
    BUCKET,
    BUCKET_VERSIONING,
    FUNCTION,
    KMS_ALIAS,
    KMS_KEY,
    LAMBDA_ALIAS,
    LOG_GROUP,
    QUEUE,
    ROLE_POLICY,
    TABLE,
)
from tests.support.shipped import STACKS, graph, only, shipped

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
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
    "kmsKeyArn",  # every shipped stack has tap:kmsKey on; tap operator-policy --outputs reads it
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
    alias = only(g, LAMBDA_ALIAS).inputs
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


@pytest.mark.parametrize("stack", STACKS)
def test_lifecycle_rules_are_the_configured_ones_after_versioning(stack: str) -> None:
    g, config = shipped(stack)
    [lifecycle] = g.by_type(LIFECYCLE)
    [versioning] = g.by_type(BUCKET_VERSIONING)
    assert versioning.urn in lifecycle.dependencies
    deployed = {rule["id"]: rule for rule in lifecycle.inputs["rules"]}
    configured = config.buckets[0].lifecycle_rules
    assert set(deployed) == {r.id for r in configured}
    for rule in configured:
        got = deployed[rule.id]
        assert got["status"] == ("Enabled" if rule.enabled else "Disabled")
        assert got["filter"] == {"prefix": rule.prefix}
        assert got.get("transitions", []) == [
            {"days": t.days, "storageClass": t.storage_class}
            for t in sorted(rule.transitions, key=lambda t: t.days)
        ]
        assert got.get("noncurrentVersionTransitions", []) == [
            {"noncurrentDays": t.days, "storageClass": t.storage_class}
            for t in sorted(rule.noncurrent_version_transitions, key=lambda t: t.days)
        ]
        assert got.get("expiration") == (
            {"days": rule.expiration_days} if rule.expiration_days else None
        )
        assert got.get("noncurrentVersionExpiration") == (
            {"noncurrentDays": rule.noncurrent_version_expiration_days}
            if rule.noncurrent_version_expiration_days
            else None
        )
        assert got.get("abortIncompleteMultipartUpload") == (
            {"daysAfterInitiation": rule.abort_incomplete_multipart_upload_days}
            if rule.abort_incomplete_multipart_upload_days
            else None
        )


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_is_a_child_of_a_tap_component(stack: str) -> None:
    g = graph(stack)
    by_urn = {r.urn: r for r in g.resources}
    aws = [r for r in g.resources if r.type.startswith("aws:")]
    assert aws
    for resource in aws:
        assert resource.parent is not None, resource.name
        assert by_urn[resource.parent].type.startswith("tap:"), resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_the_function_environment_names_its_table_environment_dlq_and_buckets(stack: str) -> None:
    g, config = shipped(stack)
    function = only(g, FUNCTION)
    table = only(g, TABLE)
    [processor_dlq] = [q for q in g.by_type(QUEUE) if q.name.endswith("processor-dlq")]
    buckets = [b.outputs["bucket"] for b in g.by_type(BUCKET)]
    assert buckets
    assert function.inputs["environment"]["variables"] == {
        "TABLE_NAME": table.inputs["name"],
        "ENVIRONMENT": config.environment,
        "DLQ_URL": processor_dlq.outputs["url"],
        "BUCKET_NAMES": ",".join(buckets),
    }


@pytest.mark.parametrize("stack", STACKS)
def test_the_function_is_created_after_its_log_group_and_role_policy(stack: str) -> None:
    g = graph(stack)
    function = only(g, FUNCTION)
    assert only(g, LOG_GROUP).urn in function.dependencies
    assert only(g, ROLE_POLICY).urn in function.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_the_key_alias_points_at_the_environment_key(stack: str) -> None:
    g = graph(stack)
    [alias] = g.by_type(KMS_ALIAS)
    key = only(g, KMS_KEY)
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"]
    assert alias.inputs["name"].startswith("alias/tap-")
    assert key.inputs["multiRegion"] is True
    assert key.inputs["enableKeyRotation"] is True
