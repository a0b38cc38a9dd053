"""Shared policy reading: the TLS-only Deny that tap.iam writes is the one every rule recognises."""

from __future__ import annotations

from typing import Any

import pytest

from tap.iam import deny_insecure_transport
from tap.rules.lookup import denies_insecure_transport

BUCKET = "arn:aws:s3:::tap-data-dev"
OBJECTS = f"{BUCKET}/*"


def _built(action: str, *resources: str) -> dict[str, Any]:
    return dict(deny_insecure_transport([action], list(resources)))


def test_the_statement_tap_iam_builds_is_recognised_for_its_service() -> None:
    assert denies_insecure_transport(_built("s3:*", BUCKET, OBJECTS), "s3", {BUCKET, OBJECTS})
    assert denies_insecure_transport(_built("*", BUCKET, OBJECTS), "s3", {BUCKET})
    assert not denies_insecure_transport(_built("s3:*", BUCKET, OBJECTS), "sqs", {BUCKET})


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"Effect": "Allow"}, "an Allow protects nothing"),
        ({"Action": ["s3:GetObject"]}, "one action leaves the others open"),
        ({"Resource": [BUCKET]}, "the objects are not covered"),
        ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, "denies TLS, not plain HTTP"),
        ({"Condition": {}}, "unconditional: not a TLS rule"),
        ({"Condition": ["not", "a", "map"]}, "malformed"),
    ],
)
def test_a_statement_that_does_not_deny_every_non_tls_request_is_not_recognised(
    change: dict[str, Any], why: str
) -> None:
    statement = {**_built("s3:*", BUCKET, OBJECTS), **change}
    assert not denies_insecure_transport(statement, "s3", {BUCKET, OBJECTS}), why
