"""Single-field rules of the settings model, seen through `parse_environment`."""

from typing import Any

import pytest

from tap.config import ConfigError, parse_environment
from tap.config.model import (
    HANDLER,
    LOG_RETENTION_DAYS,
    REGION_SERVICES,
    EnvironmentConfig,
    aws_regions,
)

Settings = dict[str, Any]


def problem_lines(stack: str, settings: Settings) -> list[str]:
    """Every problem `parse_environment` reports, as the user reads it."""
    with pytest.raises(ConfigError) as caught:
        parse_environment(stack, settings)
    return [str(p) for p in caught.value.problems]


def test_shipped_dev_settings_parse_to_typed_values(dev_settings: Settings) -> None:
    config = parse_environment("dev", dev_settings)

    assert config.environment == "dev"
    assert config.account_id == "111122223333"
    assert config.region == "us-east-1"
    assert config.processor.log_retention_days == 14
    assert config.processor.handler == HANDLER
    assert [r.id for r in config.buckets[0].lifecycle_rules] == [
        "raw-to-infrequent-access",
        "expire-noncurrent-versions",
        "abort-incomplete-multipart",
        "expire-tmp",
    ]


def test_omitted_keys_take_production_safe_defaults() -> None:
    config = parse_environment(
        "qa",
        {
            "environment": "qa",
            "accountId": "123456789012",
            "region": "eu-west-1",
            "deployRoleArn": "arn:aws:iam::123456789012:role/deployer",
            "buckets": [{"name": "data", "routes": [{"name": "ingest"}]}],
        },
    )

    assert config.production is False
    assert config.name_prefix == "tap"
    assert config.kms_key is True
    assert config.allow_shared_account is False
    assert config.external_id is None
    bucket = config.buckets[0]
    assert bucket.versioning is True
    assert bucket.encryption.algorithm == "aws:kms"
    assert bucket.routes[0].events == ("Object Created", "Object Deleted")
    assert config.table.point_in_time_recovery is True
    assert config.table.deletion_protection is True
    assert config.processor.runtime == "python3.12"
    assert config.processor.architecture == "arm64"
    assert config.processor.log_retention_days == 30
    assert config.failure_handling.processing.maximum_retry_attempts == 2
    assert config.failure_handling.delivery.maximum_retry_attempts == 185


def test_parsed_config_is_immutable(dev_settings: Settings) -> None:
    config = parse_environment("dev", dev_settings)

    with pytest.raises(ValueError, match="frozen"):
        config.region = "us-west-2"  # type: ignore[misc]


def test_unknown_top_level_key_suggests_the_closest_key(dev_settings: Settings) -> None:
    dev_settings["regoin"] = "us-east-1"

    assert problem_lines("dev", dev_settings) == [
        "dev: regoin: unknown key; did you mean 'region'?"
    ]


def test_unknown_nested_key_names_its_dotted_path_and_suggestion(dev_settings: Settings) -> None:
    dev_settings["processor"]["memroyMb"] = 512

    assert problem_lines("dev", dev_settings) == [
        "dev: processor.memroyMb: unknown key; did you mean 'memoryMb'?"
    ]


def test_unknown_key_inside_a_list_item_uses_the_index_in_its_path(
    dev_settings: Settings,
) -> None:
    dev_settings["buckets"][0]["lifecycleRules"][1]["expirationDay"] = 3

    assert problem_lines("dev", dev_settings) == [
        "dev: buckets[0].lifecycleRules[1].expirationDay: unknown key; "
        "did you mean 'expirationDays'?"
    ]


def test_unknown_key_without_a_close_match_gets_no_suggestion(dev_settings: Settings) -> None:
    dev_settings["table"]["zzz"] = True

    assert problem_lines("dev", dev_settings) == ["dev: table.zzz: unknown key"]


def test_snake_case_keys_are_not_the_documented_spelling_but_are_accepted(
    dev_settings: Settings,
) -> None:
    dev_settings["processor"] = {"memory_mb": 512}

    assert parse_environment("dev", dev_settings).processor.memory_mb == 512


def test_misspelled_region_is_rejected_with_an_example(dev_settings: Settings) -> None:
    dev_settings["region"] = "us-wset-2"

    assert problem_lines("dev", dev_settings) == [
        "dev: region: 'us-wset-2' is not an AWS region code (e.g. us-east-1, eu-west-2)"
    ]


def test_misspelled_replica_region_names_its_index(prod_settings: Settings) -> None:
    prod_settings["table"]["replicaRegions"] = ["us-west-2", "eu-wset-1"]

    assert problem_lines("prod", prod_settings) == [
        "prod: table.replicaRegions[1]: 'eu-wset-1' is not an AWS region code "
        "(e.g. us-east-1, eu-west-2)"
    ]


def test_region_list_comes_from_botocore_and_covers_the_shipped_regions() -> None:
    regions = aws_regions()

    assert {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"} <= regions
    assert "us-wset-2" not in regions


def test_region_list_read_without_botocore_equals_botocore_session_s() -> None:
    import botocore.session

    session = botocore.session.get_session()
    expected = {
        region
        for partition in session.get_available_partitions()
        for service in REGION_SERVICES
        for region in session.get_available_regions(service, partition_name=partition)
    }

    assert aws_regions() == expected


@pytest.mark.parametrize("account", ["11112222333", "1111222233334", "11112222333x"])
def test_account_id_must_be_twelve_digits(dev_settings: Settings, account: str) -> None:
    dev_settings["accountId"] = account

    assert problem_lines("dev", dev_settings) == [
        f"dev: accountId: '{account}' is not a 12-digit AWS account id (quote it in YAML)"
    ]


def test_unquoted_account_id_is_rejected_rather_than_coerced(dev_settings: Settings) -> None:
    dev_settings["accountId"] = 111122223333

    assert problem_lines("dev", dev_settings) == [
        "dev: accountId: Input should be a valid string, not the number 111122223333; quote it"
    ]


INT = "Input should be a valid integer"
BOOL = "Input should be a valid boolean"
STR = "Input should be a valid string"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("processor.reservedConcurrency", True, f"{INT}, not the boolean true"),
        ("processor.memoryMb", "512", f"{INT}, not the string '512'; write 512 without quotes"),
        ("processor.timeoutSeconds", 30.0, f"{INT}, not the number 30.0"),
        ("processor.logRetentionDays", None, f"{INT}, not null"),
        ("failureHandling.delivery.maximumRetryAttempts", "185",
         f"{INT}, not the string '185'; write 185 without quotes"),
        ("buckets.0.lifecycleRules.0.transitions.0.days", False, f"{INT}, not the boolean false"),
        ("production", "true", f"{BOOL}, not the string 'true'; write true without quotes"),
        ("buckets.0.versioning", 1, f"{BOOL}, not the number 1; write true or false"),
        ("table.pointInTimeRecovery", "yes", f"{BOOL}, not the string 'yes'"),
        ("kmsKey", 0, f"{BOOL}, not the number 0; write true or false"),
        ("tags.cost-center", 4711, f"{STR}, not the number 4711; quote it"),
        ("externalId", 123456, f"{STR}, not the number 123456; quote it"),
        ("namePrefix", True, f"{STR}, not the boolean true; quote it"),
        ("buckets.0.routes.0.prefix", 2026, f"{STR}, not the number 2026; quote it"),
        ("table.replicaRegions", "us-west-2", "Input should be a list, not the string 'us-west-2'"),
        ("processor", "big", "Input should be a mapping, not the string 'big'"),
        ("tags", ["team"], "Input should be a mapping, not a list"),
    ],
)  # fmt: skip
def test_a_value_of_another_type_is_refused_not_converted(
    dev_settings: Settings, path: str, value: object, message: str
) -> None:
    *parents, leaf = [int(p) if p.isdigit() else p for p in path.split(".")]
    target: Any = dev_settings
    for part in parents:
        target = target.setdefault(part, {}) if isinstance(part, str) else target[part]
    target[leaf] = value
    shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*parents, leaf))

    assert problem_lines("dev", dev_settings) == [f"dev: {shown.lstrip('.')}: {message}"]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::111122223333:role/tap-deployer",
        "tap-deploy-boundary",
    ],
)
def test_a_boundary_that_is_no_customer_managed_policy_is_refused(
    dev_settings: Settings, arn: str
) -> None:
    dev_settings["permissionsBoundaryArn"] = arn

    assert problem_lines("dev", dev_settings) == [
        f"dev: permissionsBoundaryArn: '{arn}' is not a customer-managed IAM policy ARN "
        "(arn:aws:iam::<account>:policy/<name>)"
    ]


def test_deploy_role_must_be_an_iam_role_arn(dev_settings: Settings) -> None:
    dev_settings["deployRoleArn"] = "arn:aws:iam::111122223333:user/deployer"

    assert problem_lines("dev", dev_settings) == [
        "dev: deployRoleArn: 'arn:aws:iam::111122223333:user/deployer' is not an IAM role ARN "
        "(arn:aws:iam::<account>:role/<name>)"
    ]


@pytest.mark.parametrize("environment", ["Dev", "d", "dev-1", "averyveryverylongname"])
def test_environment_name_must_be_short_lowercase_alphanumeric(
    dev_settings: Settings, environment: str
) -> None:
    dev_settings["environment"] = environment

    lines = problem_lines(environment, dev_settings)

    assert lines == [
        f"{environment}: environment: String should match pattern '^[a-z][a-z0-9]{{1,11}}$'"
    ]


@pytest.mark.parametrize("days", [0, 2, 13, 366, 10000])
def test_log_retention_outside_cloudwatch_values_is_rejected_at_its_field(
    dev_settings: Settings, days: int
) -> None:
    dev_settings["processor"]["logRetentionDays"] = days
    allowed = ", ".join(str(d) for d in sorted(LOG_RETENTION_DAYS))

    assert problem_lines("dev", dev_settings) == [
        f"dev: processor.logRetentionDays: {days} is not a CloudWatch Logs retention; "
        f"use one of {allowed}"
    ]


@pytest.mark.parametrize("days", sorted(LOG_RETENTION_DAYS))
def test_every_cloudwatch_log_retention_is_accepted(dev_settings: Settings, days: int) -> None:
    dev_settings["processor"]["logRetentionDays"] = days

    assert parse_environment("dev", dev_settings).processor.log_retention_days == days


def test_zero_reserved_concurrency_is_rejected(dev_settings: Settings) -> None:
    dev_settings["processor"]["reservedConcurrency"] = 0

    assert problem_lines("dev", dev_settings) == [
        "dev: processor.reservedConcurrency: Input should be greater than or equal to 1"
    ]


@pytest.mark.parametrize("seconds", [61, 90, 150])
def test_alarm_period_must_be_whole_minutes(dev_settings: Settings, seconds: int) -> None:
    dev_settings.setdefault("alarms", {})["evaluationPeriodSeconds"] = seconds

    assert problem_lines("dev", dev_settings) == [
        f"dev: alarms.evaluationPeriodSeconds: {seconds} is not a multiple of 60; the Lambda, "
        "EventBridge, SQS and DynamoDB metrics tap alarms on are published once a minute"
    ]


def test_alarm_period_below_a_minute_is_rejected(dev_settings: Settings) -> None:
    dev_settings.setdefault("alarms", {})["evaluationPeriodSeconds"] = 10

    assert problem_lines("dev", dev_settings) == [
        "dev: alarms.evaluationPeriodSeconds: Input should be greater than or equal to 60"
    ]


def test_alarm_period_above_a_day_is_rejected(dev_settings: Settings) -> None:
    dev_settings.setdefault("alarms", {})["evaluationPeriodSeconds"] = 86460

    assert problem_lines("dev", dev_settings) == [
        "dev: alarms.evaluationPeriodSeconds: Input should be less than or equal to 86400"
    ]


@pytest.mark.parametrize("seconds", [60, 300, 3600, 86400])
def test_alarm_period_in_whole_minutes_is_accepted(dev_settings: Settings, seconds: int) -> None:
    dev_settings.setdefault("alarms", {})["evaluationPeriodSeconds"] = seconds

    assert parse_environment("dev", dev_settings).alarms.evaluation_period_seconds == seconds


def test_lifecycle_rule_without_any_action_is_rejected(dev_settings: Settings) -> None:
    dev_settings["buckets"][0]["lifecycleRules"].append({"id": "does-nothing", "prefix": "x/"})

    assert problem_lines("dev", dev_settings) == [
        "dev: buckets[0].lifecycleRules[4]: "
        "a lifecycle rule needs at least one transition or expiration"
    ]


@pytest.mark.parametrize(
    "action",
    [
        {"transitions": [{"days": 1, "storageClass": "GLACIER"}]},
        {"expirationDays": 1},
        {"noncurrentVersionTransitions": [{"days": 1, "storageClass": "GLACIER"}]},
        {"noncurrentVersionExpirationDays": 1},
        {"abortIncompleteMultipartUploadDays": 1},
    ],
)
def test_lifecycle_rule_with_any_single_action_is_accepted(
    dev_settings: Settings, action: Settings
) -> None:
    dev_settings["buckets"][0]["lifecycleRules"] = [{"id": "one-action", **action}]

    rule = parse_environment("dev", dev_settings).buckets[0].lifecycle_rules[0]

    assert rule.id == "one-action"


def test_duplicate_lifecycle_rule_ids_are_rejected(dev_settings: Settings) -> None:
    rules = dev_settings["buckets"][0]["lifecycleRules"]
    rules.append({**rules[0]})

    assert problem_lines("dev", dev_settings) == [
        "dev: buckets[0]: duplicate lifecycle rule id: raw-to-infrequent-access"
    ]


def test_route_with_unknown_event_type_names_the_event(dev_settings: Settings) -> None:
    dev_settings["buckets"][0]["routes"] = [{"name": "ingest", "events": ["Object Restored"]}]

    assert problem_lines("dev", dev_settings) == [
        "dev: buckets[0].routes[0].events[0]: Input should be 'Object Created' or 'Object Deleted'"
    ]


def test_invalid_item_does_not_also_report_its_list_as_empty(dev_settings: Settings) -> None:
    dev_settings["buckets"] = [{"name": "Data", "routes": [{"name": "ingest"}]}]

    assert problem_lines("dev", dev_settings) == [
        "dev: buckets[0].name: 'Data' must be 1-24 lowercase letters, digits or '-', "
        "starting with a letter"
    ]


def test_empty_bucket_list_is_reported_as_too_short(dev_settings: Settings) -> None:
    dev_settings["buckets"] = []

    assert problem_lines("dev", dev_settings) == [
        "dev: buckets: Tuple should have at least 1 item after validation, not 0"
    ]


def test_alarm_email_is_checked_at_its_field(prod_settings: Settings) -> None:
    prod_settings["alarms"]["email"] = "oncall-at-example.com"

    assert problem_lines("prod", prod_settings) == [
        "prod: alarms.email: 'oncall-at-example.com' is not an email address"
    ]


def test_suppression_reason_must_say_why(dev_settings: Settings) -> None:
    dev_settings["suppressions"] = [{"rule": "s3-versioning", "resource": "data", "reason": "x"}]

    assert problem_lines("dev", dev_settings) == [
        "dev: suppressions[0].reason: String should have at least 10 characters"
    ]


def test_required_keys_are_each_reported_missing() -> None:
    assert problem_lines("qa", {}) == [
        "qa: accountId: Field required",
        "qa: buckets: Field required",
        "qa: deployRoleArn: Field required",
        "qa: environment: Field required",
        "qa: region: Field required",
    ]


def test_model_fields_are_camel_case_aliases() -> None:
    aliases = {info.alias for info in EnvironmentConfig.model_fields.values()}

    assert {"accountId", "deployRoleArn", "allowSharedAccount", "namePrefix", "kmsKey"} <= aliases
