"""ARN building and parsing: each field lands where AWS puts it."""

from __future__ import annotations

import pytest

from tap.facts.arns import (
    Arn,
    bucket_arn,
    build_arn,
    dns_suffix_of,
    iam_path_and_name,
    is_policy_arn,
    parse_arn,
    partition_of,
    queue_url,
    split_function_arn,
    unqualified_function_arn,
)

FUNCTION = "arn:aws:lambda:eu-west-1:111122223333:function:tap-dev-processor"


def test_parse_arn_keeps_colons_inside_the_resource_part() -> None:
    assert parse_arn(f"{FUNCTION}:live") == Arn(
        "aws", "lambda", "eu-west-1", "111122223333", "function:tap-dev-processor:live"
    )


def test_an_arn_round_trips_through_its_fields() -> None:
    arn = "arn:aws-cn:sqs:cn-north-1:111122223333:dlq"
    assert str(parse_arn(arn)) == arn
    assert (
        build_arn("aws", "iam", "", "111122223333", "role/r") == "arn:aws:iam::111122223333:role/r"
    )


@pytest.mark.parametrize("text", ["tap-dev-processor", "arn:aws:s3", ""])
def test_parse_arn_refuses_what_is_not_an_arn(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ARN"):
        parse_arn(text)


def test_function_arns_split_into_name_and_qualifier() -> None:
    assert split_function_arn(FUNCTION) == ("tap-dev-processor", None)
    assert split_function_arn(f"{FUNCTION}:live") == ("tap-dev-processor", "live")
    assert unqualified_function_arn(f"{FUNCTION}:7") == FUNCTION
    assert unqualified_function_arn(FUNCTION) == FUNCTION


def test_partitions_and_endpoints_follow_the_region() -> None:
    assert [partition_of(r) for r in ("us-east-1", "cn-north-1", "us-gov-west-1")] == [
        "aws",
        "aws-cn",
        "aws-us-gov",
    ]
    assert dns_suffix_of("aws-cn") == "amazonaws.com.cn"
    assert queue_url("cn-north-1", "1", "q") == "https://sqs.cn-north-1.amazonaws.com.cn/1/q"
    assert queue_url("us-east-1", "1", "q") == "https://sqs.us-east-1.amazonaws.com/1/q"
    assert bucket_arn("data") == "arn:aws:s3:::data"


@pytest.mark.parametrize(
    ("arn", "path_and_name"),
    [
        ("arn:aws:iam::111122223333:role/tap-deployer", ("/", "tap-deployer")),
        ("arn:aws:iam::111122223333:role/ci/tap/deployer", ("/ci/tap/", "deployer")),
        ("arn:aws-cn:iam::111122223333:policy/guard/b", ("/guard/", "b")),
        ("arn:aws:iam::111122223333:policy/b", ("/", "b")),
    ],
)
def test_an_iam_arn_splits_into_its_path_and_name(arn: str, path_and_name: tuple[str, str]) -> None:
    assert iam_path_and_name(arn) == path_and_name


def test_only_a_customer_managed_policy_arn_is_a_policy_arn() -> None:
    assert is_policy_arn("arn:aws:iam::111122223333:policy/guard/tap-boundary")
    assert not is_policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
    assert not is_policy_arn("arn:aws:iam::111122223333:role/tap-deployer")
