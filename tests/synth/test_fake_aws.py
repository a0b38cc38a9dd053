"""FakeAws: the ids and ARNs AWS would return, per resource type, deterministically."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import MockCallArgs, MockResourceArgs

from tap.facts.tokens import AWS_PROVIDER
from tap.synth.errors import MissingInputError, UnknownInvokeError, UnknownResourceTypeError
from tap.synth.fake_aws import RESOURCE_TYPES, FakeAws

ACCOUNT = "111122223333"
PROVIDER_URN = "urn:pulumi:dev::tap::pulumi:providers:aws::aws-dev"


def fake() -> FakeAws:
    return FakeAws(account_id=ACCOUNT, region="us-east-1")


def create(
    aws: FakeAws, typ: str, logical_name: str, /, provider: str = "", **inputs: Any
) -> tuple[str, dict[str, Any]]:
    return aws.new_resource(
        MockResourceArgs(typ=typ, name=logical_name, inputs=inputs, provider=provider, custom=True)
    )


def provider_ref(aws: FakeAws, **inputs: Any) -> str:
    provider_id, _ = create(aws, AWS_PROVIDER, "aws-dev", **inputs)
    return f"{PROVIDER_URN}::{provider_id}"


MINIMAL_INPUTS: dict[str, dict[str, Any]] = {
    "aws:s3/bucket:Bucket": {"bucket": "b"},
    "aws:dynamodb/tableReplica:TableReplica": {
        "globalTableArn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/items",
        "region": "us-west-2",
    },
    "aws:sqs/queuePolicy:QueuePolicy": {"queueUrl": "https://sqs/q"},
    "aws:iam/rolePolicy:RolePolicy": {"role": "r", "name": "p"},
    "aws:lambda/alias:Alias": {"name": "live", "functionName": "fn"},
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {"functionName": "fn"},
    "aws:cloudwatch/eventTarget:EventTarget": {"rule": "r", "targetId": "t"},
    "aws:cloudwatch/dashboard:Dashboard": {"dashboardName": "d"},
    "aws:sns/topicSubscription:TopicSubscription": {"topic": "arn:t", "protocol": "email"},
    "aws:kms/replicaKey:ReplicaKey": {
        "primaryKeyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-1",
        "region": "us-west-2",
    },
    "aws:kms/alias:Alias": {"name": "alias/x", "targetKeyId": "k"},
}
SUB_RESOURCE_INPUTS = {"bucket": "b"}


@pytest.mark.parametrize("typ", sorted(RESOURCE_TYPES))
def test_every_known_type_answers_with_an_id_and_the_same_answer_twice(typ: str) -> None:
    inputs = MINIMAL_INPUTS.get(typ, SUB_RESOURCE_INPUTS if typ.startswith("aws:s3/") else {})

    first = create(fake(), typ, "thing", **inputs)
    second = create(fake(), typ, "thing", **inputs)

    assert first[0]
    assert first == second
    for key, value in inputs.items():
        assert first[1][key] == value


def test_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(UnknownResourceTypeError, match="aws:ec2/vpc:Vpc") as caught:
        create(fake(), "aws:ec2/vpc:Vpc", "vpc")
    assert caught.value.name == "vpc"


def test_missing_required_input_is_refused() -> None:
    with pytest.raises(MissingInputError, match="queueUrl"):
        create(fake(), "aws:sqs/queuePolicy:QueuePolicy", "qp", policy="{}")


def test_provider_region_overrides_the_stack_region_and_resource_region_overrides_both() -> None:
    aws = fake()
    ref = provider_ref(aws, region="eu-west-1")

    _, queue = create(aws, "aws:sqs/queue:Queue", "q", provider=ref, name="q")
    _, other = create(
        aws, "aws:sqs/queue:Queue", "q2", provider=ref, name="q2", region="ap-south-1"
    )
    _, default = create(aws, "aws:sqs/queue:Queue", "q3", name="q3")

    assert queue["arn"] == f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q"
    assert other["arn"] == f"arn:aws:sqs:ap-south-1:{ACCOUNT}:q2"
    assert default["url"] == f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q3"


def test_tags_all_merges_provider_default_tags_under_resource_tags() -> None:
    aws = fake()
    ref = provider_ref(aws, defaultTags='{"tags":{"team":"platform","environment":"dev"}}')

    _, bucket = create(
        aws, "aws:s3/bucket:Bucket", "b", provider=ref, bucket="b", tags={"team": "data"}
    )

    assert bucket["tagsAll"] == {"team": "data", "environment": "dev"}


def test_table_replica_is_the_table_in_the_replica_region() -> None:
    resource_id, replica = create(
        fake(),
        "aws:dynamodb/tableReplica:TableReplica",
        "replica",
        globalTableArn=f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/tap-items",
        region="us-west-2",
    )
    assert resource_id == "tap-items:us-east-1"
    assert replica["arn"] == f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/tap-items"


def test_table_stream_arn_only_when_streams_are_enabled() -> None:
    _, streamed = create(fake(), "aws:dynamodb/table:Table", "t", name="items", streamEnabled=True)
    _, plain = create(fake(), "aws:dynamodb/table:Table", "t", name="items")
    arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/items"
    assert streamed["streamArn"] == f"{arn}/stream/2026-01-01T00:00:00.000"
    assert "streamArn" not in plain


def test_event_rule_on_a_custom_bus_has_the_bus_in_its_arn() -> None:
    _, default = create(fake(), "aws:cloudwatch/eventRule:EventRule", "r", name="ingest")
    _, custom = create(
        fake(), "aws:cloudwatch/eventRule:EventRule", "r", name="ingest", eventBusName="orders"
    )
    assert default["arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ingest"
    assert custom["arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/orders/ingest"


def test_lambda_alias_arn_extends_the_function_arn() -> None:
    function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
    by_name = create(fake(), "aws:lambda/alias:Alias", "a", name="live", functionName="fn")
    by_arn = create(fake(), "aws:lambda/alias:Alias", "a", name="live", functionName=function_arn)
    assert by_name[0] == by_arn[0] == f"{function_arn}:live"
    assert by_name[1]["arn"] == by_arn[1]["arn"] == f"{function_arn}:live"
    assert by_name[1]["invokeArn"].endswith(f"/functions/{function_arn}:live/invocations")


def test_unpublished_function_version_is_latest() -> None:
    _, function = create(fake(), "aws:lambda/function:Function", "f", name="fn")
    assert function["version"] == "$LATEST"
    assert function["qualifiedArn"].endswith(":function:fn:$LATEST")


def test_kms_key_id_is_stable_per_account_and_multi_region_keys_use_mrk() -> None:
    key_id, key = create(fake(), "aws:kms/key:Key", "k")
    other_id, _ = create(
        FakeAws(account_id="999999999999", region="us-east-1"), "aws:kms/key:Key", "k"
    )
    mrk_id, _ = create(fake(), "aws:kms/key:Key", "k", multiRegion=True)
    assert key_id != other_id
    assert key["arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}"
    assert mrk_id.startswith("mrk-")


def test_replica_key_keeps_the_key_id_in_its_own_region() -> None:
    key_id, replica = create(
        fake(),
        "aws:kms/replicaKey:ReplicaKey",
        "rk",
        primaryKeyArn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/mrk-abc",
        region="us-west-2",
    )
    assert key_id == "mrk-abc"
    assert replica["arn"] == f"arn:aws:kms:us-west-2:{ACCOUNT}:key/mrk-abc"


def test_autonamed_resources_get_a_deterministic_name() -> None:
    first_id, queue = create(fake(), "aws:sqs/queue:Queue", "delivery-dlq")
    second_id, _ = create(fake(), "aws:sqs/queue:Queue", "delivery-dlq")
    assert first_id == second_id
    assert queue["name"].startswith("delivery-dlq-")
    assert len(queue["name"]) == len("delivery-dlq-") + 7


def test_caller_identity_reports_the_account_and_assumed_role() -> None:
    aws = fake()
    ref = provider_ref(
        aws,
        assumeRoles=f'[{{"roleArn":"arn:aws:iam::{ACCOUNT}:role/deployer","sessionName":"tap-dev"}}]',
    )
    identity, _ = aws.call(MockCallArgs("aws:index/getCallerIdentity:getCallerIdentity", {}, ref))
    assert identity["accountId"] == ACCOUNT
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/tap-dev"


def test_region_and_partition_follow_the_provider() -> None:
    aws = fake()
    ref = provider_ref(aws, region="cn-north-1")
    region, _ = aws.call(MockCallArgs("aws:index/getRegion:getRegion", {}, ref))
    partition, _ = aws.call(MockCallArgs("aws:index/getPartition:getPartition", {}, ref))
    default_region, _ = aws.call(MockCallArgs("aws:index/getRegion:getRegion", {}, ""))
    assert region["region"] == "cn-north-1"
    assert partition["partition"] == "aws-cn"
    assert partition["dnsSuffix"] == "amazonaws.com.cn"
    assert default_region["region"] == "us-east-1"


def test_unknown_invoke_is_refused_by_token() -> None:
    with pytest.raises(UnknownInvokeError, match="aws:iam/getPolicyDocument:getPolicyDocument"):
        fake().call(MockCallArgs("aws:iam/getPolicyDocument:getPolicyDocument", {}, ""))
