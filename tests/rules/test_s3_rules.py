"""S3 rules: valid prefix-free names; private, TLS-only, versioned, encrypted, events on."""

import json

import pytest

from tap.facts.tokens import (
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_NOTIFICATION,
    BUCKET_POLICY,
    BUCKET_VERSIONING,
    PUBLIC_ACCESS_BLOCK,
)
from tap.rules import s3
from tap.rules.model import RuleCheck
from tests.support.judge import all_compliant, failures
from tests.support.shipped import STACKS, context, edit, graph, only, with_added, without

BUCKET_RULES = [
    s3.s3_bucket_name_valid,
    s3.s3_bucket_names_prefix_free,
    s3.s3_bucket_public_access_blocked,
    s3.s3_bucket_tls_only,
    s3.s3_bucket_versioned,
    s3.s3_bucket_encrypted,
    s3.s3_bucket_eventbridge_enabled,
]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("rule", BUCKET_RULES, ids=lambda r: r.__name__)
def test_shipped_buckets_comply(rule: RuleCheck, stack: str) -> None:
    assert all_compliant(rule, graph(stack), context(stack)) == 1


def _rename(g, name):  # type: ignore[no-untyped-def]
    return edit(g, only(g, BUCKET), lambda p: p.update(bucket=name))


def test_an_invalid_bucket_name_is_reported_with_every_problem() -> None:
    [failure] = failures(s3.s3_bucket_name_valid, _rename(graph("dev"), "Tap_Data"), context("dev"))
    assert failure.message == (
        "bucket name Tap_Data must use only lowercase letters, digits, '.' and '-', "
        "and start and end with a letter or digit"
    )


def test_a_doubled_prefix_is_reported() -> None:
    g = _rename(graph("dev"), "tap-tap-data-dev-useast1")
    [failure] = failures(s3.s3_bucket_names_prefix_free, g, context("dev"))
    assert failure.message == "bucket name tap-tap-data-dev-useast1 repeats the prefix tap-"


def test_a_doubled_multi_token_prefix_is_reported() -> None:
    g = _rename(graph("dev"), "my-proj-my-proj-data")
    [failure] = failures(s3.s3_bucket_names_prefix_free, g, context("dev"))
    assert failure.message.endswith("repeats the prefix my-proj-")


def test_a_bucket_name_that_prefixes_another_is_reported() -> None:
    g = graph("dev")
    bucket = only(g, BUCKET)
    longer = bucket.model_copy(
        update={
            "urn": bucket.urn + "-archive",
            "name": "dev-archive-bucket",
            "inputs": {**bucket.inputs, "bucket": "tap-data-dev-useast1-archive"},
            "outputs": {**bucket.outputs, "bucket": "tap-data-dev-useast1-archive"},
        }
    )
    [failure] = failures(s3.s3_bucket_names_prefix_free, with_added(g, longer), context("dev"))
    assert failure.resource_urn == bucket.urn
    assert (
        failure.message
        == "bucket name tap-data-dev-useast1 is a prefix of tap-data-dev-useast1-archive"
    )


def test_every_longer_name_and_a_twin_are_listed_but_lookalikes_are_not() -> None:
    """Names sort between a prefix and its longer names; neighbours must not be skipped."""
    g = graph("dev")
    bucket = only(g, BUCKET)

    def named(suffix: str, name: str):  # type: ignore[no-untyped-def]
        return bucket.model_copy(
            update={
                "urn": f"{bucket.urn}-{suffix}",
                "inputs": {**bucket.inputs, "bucket": name},
                "outputs": {**bucket.outputs, "bucket": name},
            }
        )

    base = "tap-data-dev-useast1"
    for suffix, name in [
        ("z", f"{base}-z"),
        ("a", f"{base}-a"),
        ("twin", base),
        ("lookalike", "tap-data-dev-useast2"),
    ]:
        g = with_added(g, named(suffix, name))
    found = {
        o.resource_urn: o.message
        for o in failures(s3.s3_bucket_names_prefix_free, g, context("dev"))
    }
    listing = f"{base}, {base}-a, {base}-z"
    assert found == {
        bucket.urn: f"bucket name {base} is a prefix of {listing}",
        f"{bucket.urn}-twin": f"bucket name {base} is a prefix of {listing}",
    }


@pytest.mark.parametrize("flag", s3.PUBLIC_ACCESS_FLAGS)
def test_any_public_access_flag_off_is_reported(flag: str) -> None:
    g = graph("prod")
    g = edit(g, only(g, PUBLIC_ACCESS_BLOCK), lambda p: p.update({flag: False}))
    [failure] = failures(s3.s3_bucket_public_access_blocked, g, context("prod"))
    assert (
        failure.message == f"bucket tap-data-prod-useast1 does not block public access: {flag} off"
    )


def test_a_bucket_without_public_access_block_is_reported() -> None:
    g = graph("prod")
    [failure] = failures(
        s3.s3_bucket_public_access_blocked,
        without(g, only(g, PUBLIC_ACCESS_BLOCK)),
        context("prod"),
    )
    assert failure.message == "bucket tap-data-prod-useast1 has no public access block"


def _policy_edit(statement_change):  # type: ignore[no-untyped-def]
    def change(props: dict[str, object]) -> None:
        document = json.loads(str(props["policy"]))
        for statement in document["Statement"]:
            statement_change(statement)
        props["policy"] = json.dumps(document)

    return change


def test_a_bucket_policy_that_allows_plain_http_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, BUCKET_POLICY), _policy_edit(lambda s: s.update(Condition={})))
    [failure] = failures(s3.s3_bucket_tls_only, g, context("dev"))
    assert failure.message == (
        "bucket tap-data-dev-useast1 has no policy denying s3:* on "
        "arn:aws:s3:::tap-data-dev-useast1 "
        "and arn:aws:s3:::tap-data-dev-useast1/* when aws:SecureTransport is false"
    )


def test_a_tls_deny_that_misses_the_objects_is_reported() -> None:
    g = graph("dev")
    g = edit(
        g, only(g, BUCKET_POLICY), _policy_edit(lambda s: s.update(Resource=s["Resource"][:1]))
    )
    assert len(failures(s3.s3_bucket_tls_only, g, context("dev"))) == 1


def test_a_suspended_bucket_is_not_versioned() -> None:
    g = graph("dev")
    g = edit(
        g,
        only(g, BUCKET_VERSIONING),
        lambda p: p.update(versioningConfiguration={"status": "Suspended"}),
    )
    [failure] = failures(s3.s3_bucket_versioned, g, context("dev"))
    assert failure.message == "bucket tap-data-dev-useast1 is not versioned (Suspended)"


def test_sse_kms_without_a_key_is_not_encryption() -> None:
    g = graph("dev")
    rules = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]
    g = edit(g, only(g, BUCKET_ENCRYPTION), lambda p: p.update(rules=rules))
    [failure] = failures(s3.s3_bucket_encrypted, g, context("dev"))
    assert failure.message == "bucket tap-data-dev-useast1 has no default encryption with a key"


def test_sse_s3_is_encryption() -> None:
    g = graph("dev")
    rules = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    g = edit(g, only(g, BUCKET_ENCRYPTION), lambda p: p.update(rules=rules))
    assert failures(s3.s3_bucket_encrypted, g, context("dev")) == []


def test_eventbridge_off_is_reported() -> None:
    g = graph("dev")
    g = edit(g, only(g, BUCKET_NOTIFICATION), lambda p: p.update(eventbridge=False))
    [failure] = failures(s3.s3_bucket_eventbridge_enabled, g, context("dev"))
    assert failure.message == "bucket tap-data-dev-useast1 does not send events to EventBridge"


def test_a_second_bucket_notification_is_reported() -> None:
    g = graph("dev")
    notification = only(g, BUCKET_NOTIFICATION)
    second = notification.model_copy(update={"urn": notification.urn + "-2", "name": "second"})
    [failure] = failures(s3.s3_bucket_eventbridge_enabled, with_added(g, second), context("dev"))
    assert failure.message.startswith("bucket tap-data-dev-useast1 has 2 BucketNotifications")
