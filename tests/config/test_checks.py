"""Rules across the fields of one environment and across environments."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap.config import ConfigError, EnvironmentConfig, parse_environment
from tap.config.checks import canonical, check_environment, check_environments
from tap.config.model import MAX_TAGS, TAP_TAG_KEYS
from tests.support.paths import STACKS

from .conftest import shipped_settings

Settings = dict[str, Any]
SettingsOf = Callable[[str], Settings]


def lines_of(problems: list[Any]) -> list[str]:
    return [str(p) for p in sorted(problems)]


def single_problems(stack: str, settings: Settings) -> list[str]:
    """Problems `check_environment` finds in settings the model itself accepts."""
    return lines_of(check_environment(stack, EnvironmentConfig.model_validate(settings)))


def shipped_configs(**overrides: Settings) -> dict[str, EnvironmentConfig]:
    """The three shipped environments, with some replaced by edited settings."""
    return {
        stack: parse_environment(stack, overrides.get(stack, shipped_settings(stack)))
        for stack in STACKS
    }


# --- one environment -------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_have_no_single_environment_problems(stack: str) -> None:
    assert single_problems(stack, shipped_settings(stack)) == []


def test_role_in_another_account_names_both_accounts(dev_settings: Settings) -> None:
    dev_settings["deployRoleArn"] = "arn:aws:iam::999988887777:role/tap-deployer"

    assert single_problems("dev", dev_settings) == [
        "dev: deployRoleArn: is in account 999988887777, but accountId is 111122223333; "
        "a stack may only assume a role in its own account"
    ]


def test_role_in_the_stack_account_is_accepted_in_any_partition(dev_settings: Settings) -> None:
    dev_settings["deployRoleArn"] = "arn:aws-us-gov:iam::111122223333:role/path/tap-deployer"

    assert single_problems("dev", dev_settings) == []


def test_boundary_in_another_account_names_both_accounts(dev_settings: Settings) -> None:
    dev_settings["permissionsBoundaryArn"] = "arn:aws:iam::999988887777:policy/b"

    assert single_problems("dev", dev_settings) == [
        "dev: permissionsBoundaryArn: is in account 999988887777, but accountId is "
        "111122223333; a stack may only use a policy in its own account"
    ]


def test_replica_in_the_primary_region_is_reported_at_its_index(prod_settings: Settings) -> None:
    prod_settings["table"]["replicaRegions"] = ["us-west-2", "us-east-1"]

    assert single_problems("prod", prod_settings) == [
        "prod: table.replicaRegions[1]: us-east-1 is the table's own region; "
        "a replica must be in another region"
    ]


def test_replica_only_in_the_primary_region_leaves_production_without_a_replica(
    prod_settings: Settings,
) -> None:
    prod_settings["table"]["replicaRegions"] = ["us-east-1"]

    assert single_problems("prod", prod_settings) == [
        "prod: table.replicaRegions: production needs at least one replica region other "
        "than its own region",
        "prod: table.replicaRegions[0]: us-east-1 is the table's own region; "
        "a replica must be in another region",
    ]


def test_replica_region_listed_twice_is_reported(prod_settings: Settings) -> None:
    prod_settings["table"]["replicaRegions"] = ["us-west-2", "us-west-2"]

    assert single_problems("prod", prod_settings) == [
        "prod: table.replicaRegions: lists a region more than once"
    ]


def test_production_without_deletion_protection_is_rejected(prod_settings: Settings) -> None:
    prod_settings["table"]["deletionProtection"] = False

    assert single_problems("prod", prod_settings) == [
        "prod: table.deletionProtection: must be true in production"
    ]


def test_production_without_point_in_time_recovery_is_rejected(prod_settings: Settings) -> None:
    prod_settings["table"]["pointInTimeRecovery"] = False

    assert single_problems("prod", prod_settings) == [
        "prod: table.pointInTimeRecovery: must be true in production"
    ]


def test_production_without_a_replica_is_rejected(prod_settings: Settings) -> None:
    del prod_settings["table"]["replicaRegions"]

    assert single_problems("prod", prod_settings) == [
        "prod: table.replicaRegions: production needs at least one replica region other "
        "than its own region"
    ]


def test_non_production_may_skip_protection_pitr_and_replicas(dev_settings: Settings) -> None:
    assert dev_settings["table"] == {"pointInTimeRecovery": False, "deletionProtection": False}

    assert single_problems("dev", dev_settings) == []


@pytest.mark.parametrize("name", ["prod", "production", "prd", "live"])
def test_a_production_name_without_the_production_flag_is_rejected(
    prod_settings: Settings, name: str
) -> None:
    """Every prod safeguard keys off `production`; a prod-named stack cannot silently lose them."""
    prod_settings["environment"] = name
    prod_settings["production"] = False

    assert single_problems(name, prod_settings) == [
        f"{name}: production: is false, but '{name}' names a production environment; set "
        "production: true so its data is protected, recoverable and replicated"
    ]


def test_a_production_name_with_the_flag_is_accepted(prod_settings: Settings) -> None:
    assert prod_settings["production"] is True

    assert single_problems("prod", prod_settings) == []


def test_dev_marked_production_gets_every_production_rule(dev_settings: Settings) -> None:
    dev_settings["production"] = True

    assert single_problems("dev", dev_settings) == [
        "dev: table.deletionProtection: must be true in production",
        "dev: table.pointInTimeRecovery: must be true in production",
        "dev: table.replicaRegions: production needs at least one replica region other "
        "than its own region",
    ]


def test_environment_must_match_the_stack_name(dev_settings: Settings) -> None:
    dev_settings["environment"] = "qa"

    assert single_problems("dev", dev_settings) == [
        "dev: environment: is 'qa', but the stack is named 'dev'"
    ]


def test_kms_encrypted_bucket_needs_the_kms_key(dev_settings: Settings) -> None:
    dev_settings["kmsKey"] = False

    assert single_problems("dev", dev_settings) == [
        "dev: buckets[0].encryption.algorithm: is aws:kms but kmsKey is false; "
        "set kmsKey: true or use AES256"
    ]


def test_sse_s3_bucket_needs_no_kms_key(dev_settings: Settings) -> None:
    dev_settings["kmsKey"] = False
    dev_settings["buckets"][0]["encryption"]["algorithm"] = "AES256"

    assert single_problems("dev", dev_settings) == []


def test_two_buckets_with_one_logical_name_are_rejected(dev_settings: Settings) -> None:
    dev_settings["buckets"].append(copy.deepcopy(dev_settings["buckets"][0]))

    assert single_problems("dev", dev_settings) == [
        "dev: buckets[1].name: 'data' is used by another bucket"
    ]


def test_three_mistakes_in_one_stack_yield_three_problems(dev_settings: Settings) -> None:
    dev_settings["region"] = "us-wset-2"
    dev_settings["processor"]["memroyMb"] = 512
    dev_settings["processor"]["logRetentionDays"] = 13

    with pytest.raises(ConfigError) as caught:
        parse_environment("dev", dev_settings)

    assert [(p.stack, p.path) for p in caught.value.problems] == [
        ("dev", "processor.logRetentionDays"),
        ("dev", "processor.memroyMb"),
        ("dev", "region"),
    ]


def test_cross_field_mistakes_are_all_collected(prod_settings: Settings) -> None:
    prod_settings["environment"] = "live"
    prod_settings["deployRoleArn"] = "arn:aws:iam::111122223333:role/tap-deployer"
    prod_settings["kmsKey"] = False
    prod_settings["table"]["deletionProtection"] = False

    with pytest.raises(ConfigError) as caught:
        parse_environment("prod", prod_settings)

    assert [p.path for p in caught.value.problems] == [
        "buckets[0].encryption.algorithm",
        "deployRoleArn",
        "environment",
        "table.deletionProtection",
    ]
    assert str(caught.value).splitlines()[1] == (
        "prod: deployRoleArn: is in account 111122223333, but accountId is 777788889999; "
        "a stack may only assume a role in its own account"
    )


# --- across environments ---------------------------------------------------------------


def test_shipped_environments_agree() -> None:
    assert check_environments(shipped_configs()) == []


def test_no_environments_have_no_problems() -> None:
    assert check_environments({}) == []


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda b: b.update(versioning=False), "buckets[0].versioning"),
        (
            lambda b: b["encryption"].update(algorithm="AES256"),
            "buckets[0].encryption.algorithm",
        ),
        (
            lambda b: b["lifecycleRules"][0]["transitions"][1].update(days=90),
            "buckets[0].lifecycleRules",
        ),
        (lambda b: b["lifecycleRules"].pop(), "buckets[0].lifecycleRules"),
        (
            lambda b: b["lifecycleRules"][3].update(prefix="temp/"),
            "buckets[0].lifecycleRules",
        ),
    ],
    ids=["versioning", "encryption", "transition-days", "rule-removed", "rule-prefix"],
)
def test_bucket_drift_from_production_names_stack_and_path(
    settings_of: SettingsOf, edit: Callable[[Settings], Any], path: str
) -> None:
    staging = settings_of("staging")
    edit(staging["buckets"][0])

    problems = check_environments(shipped_configs(staging=staging))

    assert lines_of(problems) == [
        f"staging: {path}: differs from prod (bucket 'data'); "
        "it must be identical in every environment"
    ]


@pytest.mark.parametrize(
    ("key", "value", "shipped"),
    [
        ("runtime", "python3.13", "python3.12"),
        ("architecture", "x86_64", "arm64"),
        ("handler", "app.handler", "process_handler.lambda_handler"),
    ],
)
def test_processor_drift_from_production_names_both_values(
    settings_of: SettingsOf, key: str, value: str, shipped: str
) -> None:
    dev = settings_of("dev")
    dev["processor"][key] = value

    problems = check_environments(shipped_configs(dev=dev))

    assert lines_of(problems) == [
        f"dev: processor.{key}: is '{value}' but prod has '{shipped}'; "
        "it must be identical in every environment"
    ]


def test_drift_in_production_is_reported_against_every_other_stack(
    settings_of: SettingsOf,
) -> None:
    prod = settings_of("prod")
    prod["processor"]["runtime"] = "python3.13"

    assert lines_of(check_environments(shipped_configs(prod=prod))) == [
        "dev: processor.runtime: is 'python3.12' but prod has 'python3.13'; "
        "it must be identical in every environment",
        "staging: processor.runtime: is 'python3.12' but prod has 'python3.13'; "
        "it must be identical in every environment",
    ]


def test_per_environment_sizing_may_differ(settings_of: SettingsOf) -> None:
    dev = settings_of("dev")
    dev["processor"].update(memoryMb=128, timeoutSeconds=5, logRetentionDays=1)
    dev["tags"] = {"team": "someone-else"}

    assert check_environments(shipped_configs(dev=dev)) == []


def test_without_production_the_first_stack_by_name_is_the_reference(
    settings_of: SettingsOf,
) -> None:
    staging = settings_of("staging")
    staging["processor"]["architecture"] = "x86_64"
    configs = {
        "dev": parse_environment("dev", settings_of("dev")),
        "staging": parse_environment("staging", staging),
    }

    assert lines_of(check_environments(configs)) == [
        "staging: processor.architecture: is 'x86_64' but dev has 'arm64'; "
        "it must be identical in every environment"
    ]


def test_bucket_missing_or_extra_relative_to_production_is_reported(
    settings_of: SettingsOf,
) -> None:
    dev = settings_of("dev")
    dev["buckets"][0]["name"] = "landing"

    assert lines_of(check_environments(shipped_configs(dev=dev))) == [
        "dev: buckets: has no bucket 'data', which prod has",
        "dev: buckets[0]: bucket 'landing' does not exist in prod",
    ]


def _share_staging_account_with_dev(staging: Settings) -> None:
    staging["accountId"] = "111122223333"
    staging["deployRoleArn"] = "arn:aws:iam::111122223333:role/tap-deployer"
    staging["permissionsBoundaryArn"] = "arn:aws:iam::111122223333:policy/tap-deploy-boundary"


def test_two_environments_in_one_account_are_rejected_without_opt_in(
    settings_of: SettingsOf,
) -> None:
    staging = settings_of("staging")
    _share_staging_account_with_dev(staging)

    assert lines_of(check_environments(shipped_configs(staging=staging))) == [
        "dev: accountId: 111122223333 is also used by staging; environments need separate "
        "accounts (set allowSharedAccount: true in each to share on purpose)",
        "staging: accountId: 111122223333 is also used by dev; environments need separate "
        "accounts (set allowSharedAccount: true in each to share on purpose)",
    ]


def test_shared_account_is_accepted_when_both_environments_opt_in(
    settings_of: SettingsOf,
) -> None:
    dev, staging = settings_of("dev"), settings_of("staging")
    _share_staging_account_with_dev(staging)
    dev["allowSharedAccount"] = staging["allowSharedAccount"] = True

    assert check_environments(shipped_configs(dev=dev, staging=staging)) == []


def test_shared_account_opt_in_by_one_side_still_flags_the_other(
    settings_of: SettingsOf,
) -> None:
    dev, staging = settings_of("dev"), settings_of("staging")
    _share_staging_account_with_dev(staging)
    staging["allowSharedAccount"] = True

    assert [
        (p.stack, p.path) for p in check_environments(shipped_configs(dev=dev, staging=staging))
    ] == [("dev", "accountId")]


def test_drift_in_several_stacks_is_collected_together(settings_of: SettingsOf) -> None:
    dev, staging = settings_of("dev"), settings_of("staging")
    dev["processor"]["handler"] = "app.handler"
    dev["buckets"][0]["versioning"] = False
    staging["buckets"][0]["encryption"]["algorithm"] = "AES256"

    problems = check_environments(shipped_configs(dev=dev, staging=staging))

    assert sorted((p.stack, p.path) for p in problems) == [
        ("dev", "buckets[0].versioning"),
        ("dev", "processor.handler"),
        ("staging", "buckets[0].encryption.algorithm"),
    ]


# --- order does not matter -------------------------------------------------------------

RULES = shipped_settings("dev")["buckets"][0]["lifecycleRules"]


@st.composite
def reordered_rules(draw: st.DrawFn) -> list[Settings]:
    """The shipped lifecycle rules in any order, each rule's transitions in any order."""
    rules = draw(st.permutations(copy.deepcopy(RULES)))
    for rule in rules:
        for key in ("transitions", "noncurrentVersionTransitions"):
            if key in rule:
                rule[key] = draw(st.permutations(rule[key]))
    return list(rules)


@pytest.mark.slow  # 150 hypothesis examples
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=reordered_rules())
def test_reordering_lifecycle_rules_or_transitions_is_no_drift(rules: list[Settings]) -> None:
    """Validation compares structure; the synthesized graph is checked in
    tests/pipeline/test_reordering.py (tags are never compared across stacks)."""
    prod = shipped_settings("prod")
    prod["buckets"][0]["lifecycleRules"] = rules
    staging = shipped_settings("staging")
    staging["buckets"][0]["lifecycleRules"] = list(reversed(rules))

    configs = shipped_configs(prod=prod, staging=staging)

    assert check_environments(configs) == []


@pytest.mark.slow  # 100 hypothesis examples
@settings(max_examples=100, deadline=None)
@given(rules=reordered_rules(), days=st.integers(min_value=1, max_value=3000))
def test_reordered_rules_with_one_changed_value_still_drift(
    rules: list[Settings], days: int
) -> None:
    dev = shipped_settings("dev")
    target = next(r for r in rules if r["id"] == "expire-tmp")
    target["expirationDays"] = days
    dev["buckets"][0]["lifecycleRules"] = rules

    problems = check_environments(shipped_configs(dev=dev))

    expected = [] if days == 14 else [("dev", "buckets[0].lifecycleRules")]
    assert [(p.stack, p.path) for p in problems] == expected


def test_canonical_ignores_order_at_every_depth_but_not_values() -> None:
    a = {"x": [1, {"y": [3, 2]}], "z": (4, 5)}
    b = {"z": [5, 4], "x": [{"y": [2, 3]}, 1]}
    c = {"z": [5, 4], "x": [{"y": [2, 9]}, 1]}

    assert canonical(a) == canonical(b)
    assert canonical(a) != canonical(c)
    assert hash(canonical(a)) == hash(canonical(b))


# --- tags against AWS's limits -----------------------------------------------------------------

CHARACTERS = "AWS tags allow only letters, digits, spaces and _ . : / = + - @"


def tag_lines(dev_settings: Settings, tags: dict[str, str]) -> list[str]:
    dev_settings["tags"] = tags
    return single_problems("dev", dev_settings)


def test_tags_up_to_the_limit_with_taps_own_three_are_accepted(dev_settings: Settings) -> None:
    tags = {f"tag-{i}": "v" for i in range(MAX_TAGS - len(TAP_TAG_KEYS))}

    assert tag_lines(dev_settings, tags) == []


@pytest.mark.parametrize("count", [48, 51])
def test_more_tags_than_aws_allows_with_taps_own_is_one_line(
    dev_settings: Settings, count: int
) -> None:
    tags = {f"tag-{i}": "v" for i in range(count)}

    assert tag_lines(dev_settings, tags) == [
        f"dev: tags: {count + 3} tags with tap's own (environment, managed-by, project) are more "
        "than the 50 AWS allows on a resource; keep at most 47 others"
    ]


def test_a_configured_tag_that_tap_overrides_is_counted_once(dev_settings: Settings) -> None:
    tags = {f"tag-{i}": "v" for i in range(47)} | {"project": "other"}

    assert tag_lines(dev_settings, tags) == []


def test_a_key_of_128_and_a_value_of_256_characters_are_accepted(dev_settings: Settings) -> None:
    assert tag_lines(dev_settings, {"k" * 128: "v" * 256}) == []


def test_a_longer_key_or_value_is_refused_at_the_tag(dev_settings: Settings) -> None:
    lines = tag_lines(dev_settings, {"k" * 129: "v", "team": "v" * 257})

    assert lines == [
        f"dev: tags.{'k' * 129}: key is 129 characters; AWS allows at most 128",
        "dev: tags.team: value is 257 characters; AWS allows at most 256",
    ]


@pytest.mark.parametrize("prefix", ["aws:", "AWS:", "Aws:"])
def test_the_aws_prefix_is_reserved_in_keys_and_values(dev_settings: Settings, prefix: str) -> None:
    lines = tag_lines(dev_settings, {f"{prefix}team": "x", "team": f"{prefix}x"})

    assert lines == [
        f"dev: tags.{prefix}team: key starts with '{prefix}', which AWS reserves for its own tags",
        f"dev: tags.team: value starts with '{prefix}', which AWS reserves for its own tags",
    ]


def test_characters_aws_tags_do_not_allow_are_named(dev_settings: Settings) -> None:
    lines = tag_lines(dev_settings, {"cost#center": "4711", "team": "data\tplatform!"})

    assert lines == [
        f"dev: tags.cost#center: key has '#'; {CHARACTERS}",
        f"dev: tags.team: value has '\\t', '!'; {CHARACTERS}",
    ]


def test_every_problem_of_one_tag_is_one_line(dev_settings: Settings) -> None:
    lines = tag_lines(dev_settings, {"aws:x#": "y"})

    assert lines == [
        "dev: tags.aws:x#: key starts with 'aws:', which AWS reserves for its own tags; "
        f"key has '#'; {CHARACTERS}"
    ]


def test_unicode_letters_digits_spaces_and_the_allowed_symbols_are_accepted(
    dev_settings: Settings,
) -> None:
    tags = {"Kostenstelle Nr.": "Zürich 4711", "owner@team": "a_b.c:d/e=f+g-h@i"}

    assert tag_lines(dev_settings, tags) == []


def test_an_empty_tag_key_is_refused(dev_settings: Settings) -> None:
    assert tag_lines(dev_settings, {"": "x"}) == ["dev: tags: a tag key may not be empty"]
