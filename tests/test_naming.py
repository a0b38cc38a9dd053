"""Physical names: within limits, never repeating tokens, valid for S3, unique per environment."""

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tap.config.model import aws_regions
from tap.naming import (
    Limit,
    Names,
    compose,
    region_token,
    s3_bucket_name_problems,
    short_hash,
)
from tests.support.properties import examples

PROPERTY = settings(max_examples=examples(200), deadline=None)

REGIONS = sorted(aws_regions())
LOGICAL_TAIL = string.ascii_lowercase + string.digits + "-"

regions = st.sampled_from(REGIONS)
envs = st.from_regex(r"\A[a-z][a-z0-9]{1,11}\Z")
logical = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(string.ascii_lowercase),
    st.text(LOGICAL_TAIL, max_size=23),
)
prefixes = logical.filter(lambda p: not p.startswith(("xn--", "sthree-", "amzn-s3-demo-")))
components = st.one_of(logical, st.builds(lambda b, r: f"{b}-{r}", logical, logical))
limits = st.sampled_from(list(Limit))


def names_of(prefix: str, env: str, region: str) -> Names:
    return Names(prefix=prefix, env=env, region=region)


def every_name(names: Names, component: str) -> dict[str, str]:
    return {
        "bucket": names.bucket(component),
        "rule": names.rule(component, "ingest"),
        "alarm": names.alarm(component),
        "table": names.table,
        "function": names.function,
        "role": names.processor_role,
        "delivery_dlq": names.delivery_dlq,
        "processor_dlq": names.processor_dlq,
        "topic": names.alarm_topic,
        "dashboard": names.dashboard,
        "kms_alias": names.kms_alias,
    }


# --- examples --------------------------------------------------------------------------


def test_shipped_dev_names_read_prefix_component_environment_region() -> None:
    names = names_of("tap", "dev", "us-east-1")

    assert names.bucket("data") == "tap-data-dev-useast1"
    assert names.table == "tap-items-dev-useast1"
    assert names.function == "tap-processor-dev-useast1"
    assert names.log_group == "/aws/lambda/tap-processor-dev-useast1"
    assert names.delivery_dlq == "tap-delivery-dlq-dev-useast1"
    assert names.processor_dlq == "tap-processor-dlq-dev-useast1"
    assert names.rule("data", "ingest") == "tap-data-ingest-dev-useast1"
    assert names.kms_alias == "alias/tap-dev-useast1"


def test_component_that_repeats_prefix_or_environment_is_not_doubled() -> None:
    names = names_of("tap", "dev", "us-east-1")

    assert names.bucket("tap-data") == "tap-data-dev-useast1"
    assert names.bucket("tap-tap-data") == "tap-data-dev-useast1"
    assert names.bucket("data-dev") == "tap-data-dev-useast1"
    assert names.bucket("data-dev-useast1") == "tap-data-dev-useast1"
    assert names.bucket("tap") == "tap-dev-useast1"


def test_over_long_bucket_name_keeps_prefix_suffix_and_a_hash() -> None:
    component = "a" * 24 + "-" + "b" * 24
    full = f"tap-{component}-staging-apsoutheast2"

    name = compose("tap", component, "staging", "ap-southeast-2", Limit.S3_BUCKET)

    assert len(full) > 63
    assert name == f"tap-{'a' * 24}-bbbb-{short_hash(full)}-staging-apsoutheast2"
    assert len(name) == 63


def test_name_whose_fixed_parts_exceed_the_limit_is_cut_and_hashed() -> None:
    full = "tap-data-dev-useast1"

    assert compose("tap", "data", "dev", "us-east-1", 15) == f"tap-da-{short_hash(full)}"


def test_short_hash_is_eight_stable_hex_digits() -> None:
    assert short_hash("tap") == "729cd87c"
    assert short_hash("tap") == short_hash("tap")
    assert short_hash("tap") != short_hash("tap ")


def test_region_token_is_unique_for_every_known_region() -> None:
    tokens = {region_token(r) for r in REGIONS}

    assert len(tokens) == len(REGIONS)
    assert region_token("us-east-1") == "useast1"


# --- properties ------------------------------------------------------------------------


@PROPERTY
@given(prefix=prefixes, component=components, env=envs, region=regions, limit=limits)
def test_every_composed_name_fits_its_limit(
    prefix: str, component: str, env: str, region: str, limit: Limit
) -> None:
    name = compose(prefix, component, env, region, int(limit))

    assert len(name) <= limit
    assert name == compose(prefix, component, env, region, int(limit))


@PROPERTY
@given(prefix=prefixes, component=components, env=envs, region=regions)
def test_every_environment_name_fits_its_service_limit(
    prefix: str, component: str, env: str, region: str
) -> None:
    names = every_name(names_of(prefix, env, region), component)

    assert len(names["bucket"]) <= Limit.S3_BUCKET
    assert len(names["rule"]) <= Limit.EVENT_RULE
    assert len(names["function"]) <= Limit.LAMBDA_FUNCTION
    assert len(names["role"]) <= Limit.IAM_ROLE
    assert len(names["delivery_dlq"]) <= Limit.SQS_QUEUE
    assert len(names["processor_dlq"]) <= Limit.SQS_QUEUE
    assert len(names["table"]) <= Limit.DYNAMODB_TABLE
    assert len(names["topic"]) <= Limit.SNS_TOPIC
    assert len(names["alarm"]) <= Limit.ALARM
    assert len(names["kms_alias"]) <= 256


@PROPERTY
@given(prefix=prefixes, component=logical, env=envs, region=regions)
def test_prefix_is_never_repeated(prefix: str, component: str, env: str, region: str) -> None:
    # A component named like the prefix itself is written once after it (t0-t0-dev-...), as
    # any component is: that is not the prefix repeated.
    assume(component != prefix and not component.startswith(f"{prefix}-"))
    names = names_of(prefix, env, region)

    doubled = names.bucket(f"{prefix}-{component}")

    assert doubled == names.bucket(component)
    assert doubled.startswith(f"{prefix}-")
    assert not doubled.startswith(f"{prefix}-{prefix}-")


@PROPERTY
@given(prefix=prefixes, component=components, env=envs, region=regions)
def test_generated_bucket_names_follow_s3_rules(
    prefix: str, component: str, env: str, region: str
) -> None:
    name = names_of(prefix, env, region).bucket(component)

    assert s3_bucket_name_problems(name) == []


@PROPERTY
@given(
    prefix=prefixes,
    head=st.text(LOGICAL_TAIL, min_size=40, max_size=48).map(lambda t: "x" + t),
    tails=st.lists(st.text(string.ascii_lowercase, min_size=1, max_size=6), min_size=2,
                   max_size=2, unique=True),
    env=envs,
    region=regions,
)  # fmt: skip
def test_long_names_sharing_a_long_head_stay_distinct(
    prefix: str, head: str, tails: list[str], env: str, region: str
) -> None:
    first, second = (compose(prefix, head + t, env, region, 63) for t in tails)

    assert first != second
    assert len(first) <= 63
    assert len(second) <= 63


@PROPERTY
@given(
    prefix=prefixes,
    component=components,
    envs_=st.lists(envs, min_size=2, max_size=2, unique=True),
    region=regions,
)
def test_two_environments_never_share_a_name(
    prefix: str, component: str, envs_: list[str], region: str
) -> None:
    first, second = (every_name(names_of(prefix, e, region), component) for e in envs_)

    assert set(first.values()).isdisjoint(second.values())


@PROPERTY
@given(
    prefix=prefixes,
    component=components,
    env=envs,
    regions_=st.lists(regions, min_size=2, max_size=2, unique=True),
)
def test_two_regions_never_share_a_name(
    prefix: str, component: str, env: str, regions_: list[str]
) -> None:
    first, second = (every_name(names_of(prefix, env, r), component) for r in regions_)

    assert set(first.values()).isdisjoint(second.values())


@PROPERTY
@given(prefix=prefixes, env=envs, region=regions, pair=st.lists(components, min_size=2,
       max_size=2, unique=True))  # fmt: skip
def test_distinct_components_of_one_environment_get_distinct_bucket_names(
    prefix: str, env: str, region: str, pair: list[str]
) -> None:
    names = names_of(prefix, env, region)
    stripped = {c.removeprefix(f"{prefix}-").removesuffix(f"-{env}") for c in pair}
    assume(len(stripped) == 2 and "" not in stripped and prefix not in stripped)

    assert names.bucket(pair[0]) != names.bucket(pair[1])


# --- S3 bucket name rules (S3 user guide, "General purpose bucket naming rules") ------


def test_valid_bucket_name_has_no_problems() -> None:
    assert s3_bucket_name_problems("tap-data-dev-useast1") == []
    assert s3_bucket_name_problems("a.b-c") == []
    assert s3_bucket_name_problems("x" * 63) == []


CHARS = (
    "must use only lowercase letters, digits, '.' and '-', and start and end with a letter or digit"
)


@pytest.mark.parametrize(
    ("name", "problems"),
    [
        ("Tap-data", [CHARS]),
        ("tap_data", [CHARS]),
        ("x" * 64, ["must be 3-63 characters long, is 64"]),
        ("ab", ["must be 3-63 characters long, is 2"]),
        ("tap..data", ["must not contain '..'"]),
        ("192.168.5.4", ["must not be formatted like an IP address"]),
        ("xn--tap", ["must not start with the reserved prefix 'xn--'"]),
        ("sthree-tap", ["must not start with the reserved prefix 'sthree-'"]),
        ("amzn-s3-demo-tap", ["must not start with the reserved prefix 'amzn-s3-demo-'"]),
        ("tap-s3alias", ["must not end with the reserved suffix '-s3alias'"]),
        ("tap--ol-s3", ["must not end with the reserved suffix '--ol-s3'"]),
        ("tap.mrap", ["must not end with the reserved suffix '.mrap'"]),
        ("tap--x-s3", ["must not end with the reserved suffix '--x-s3'"]),
        ("tap--table-s3", ["must not end with the reserved suffix '--table-s3'"]),
        ("-tap", [CHARS]),
        ("tap-", [CHARS]),
        (".tap", [CHARS]),
    ],
)
def test_each_s3_naming_rule_is_caught(name: str, problems: list[str]) -> None:
    assert s3_bucket_name_problems(name) == problems


def test_every_broken_rule_is_reported_not_just_the_first() -> None:
    assert s3_bucket_name_problems("xn--Tap..data" + "x" * 60) == [
        "must be 3-63 characters long, is 73",
        CHARS,
        "must not contain '..'",
        "must not start with the reserved prefix 'xn--'",
    ]
