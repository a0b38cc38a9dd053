"""tap's EventBridge matcher agrees with moto's on every operator it evaluates; refuses the rest.

The matcher replaced moto's `EventPattern` in `tap check` so the base install needs no moto; this
differential test is what lets it: hypothesis draws patterns and events from one small vocabulary
(so they often meet) and both matchers must give the same answer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap.internals.moto import moto_event_pattern_matches
from tap.rules.event_pattern import EventPatternError, load, matches, matches_json

KEYS = st.sampled_from(["source", "detail", "key", "size", "ip"])
# No newline: moto's wildcard `.*` stops at one, EventBridge's (and ours) does not.
TEXT = st.sampled_from(["", "a", "A", "ab", "raw/a.csv", "RAW/", ".csv", "*", "10.0.0.7", "x*y"])
NUMBER = st.sampled_from([0, 1, 2.5, -3, 100])
SCALAR = st.one_of(TEXT, NUMBER, st.booleans(), st.none())
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3))
EVENTS = st.recursive(
    st.dictionaries(KEYS, VALUE, max_size=4),
    lambda inner: st.dictionaries(KEYS, st.one_of(VALUE, inner), max_size=4),
    max_leaves=12,
)

WILDCARD = st.sampled_from(["*", "a*", "*.csv", "raw/*.csv", r"x\*y", "R*", ""])
NUMERIC = st.sampled_from([[">", 0], ["<=", 2.5], [">=", 0, "<", 100], ["=", 1]])
OPERATOR = st.one_of(
    st.builds(lambda v: {"prefix": v}, st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=2))),
    st.builds(lambda v: {"suffix": v}, st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=2))),
    st.builds(lambda v: {"prefix": {"equals-ignore-case": v}}, TEXT),
    st.builds(lambda v: {"suffix": {"equals-ignore-case": v}}, TEXT),
    st.builds(lambda v: {"equals-ignore-case": v}, st.one_of(TEXT, st.lists(TEXT, min_size=1))),
    st.builds(lambda v: {"wildcard": v}, st.one_of(WILDCARD, st.lists(WILDCARD, min_size=1))),
    st.builds(lambda v: {"exists": v}, st.booleans()),
    st.builds(lambda v: {"numeric": v}, NUMERIC),
    st.builds(lambda v: {"cidr": v}, st.sampled_from(["10.0.0.0/24", "192.168.0.0/16"])),
    st.builds(lambda v: {"anything-but": v}, st.one_of(SCALAR, st.lists(SCALAR, min_size=1))),
    st.builds(lambda v: {"anything-but": {"prefix": v}}, TEXT),
)
FILTERS = st.lists(st.one_of(SCALAR, OPERATOR), min_size=1, max_size=3)
PATTERNS = st.recursive(
    st.dictionaries(KEYS, FILTERS, min_size=1, max_size=3),
    lambda inner: st.one_of(
        st.dictionaries(KEYS, st.one_of(FILTERS, inner), min_size=1, max_size=3),
        st.builds(lambda branches: {"$or": branches}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=8,
)


@pytest.mark.slow  # 600 hypothesis examples through two matchers
@settings(max_examples=600, deadline=None)
@given(pattern=PATTERNS, event=EVENTS)
def test_the_matcher_agrees_with_motos_on_every_operator(
    pattern: dict[str, Any], event: dict[str, Any]
) -> None:
    assert matches(pattern, event) == moto_event_pattern_matches(pattern, event)


S3_EVENT = {
    "source": "aws.s3",
    "detail-type": "Object Created",
    "detail": {"bucket": {"name": "tap-data-dev"}, "object": {"key": "raw/a b.csv", "size": 7}},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.s3"], "detail": {"bucket": {"name": ["tap-data-dev"]}}}, True),
        ({"detail": {"bucket": {"name": ["tap-data-prod"]}}}, False),
        ({"detail": {"object": {"key": [{"wildcard": "raw/*.csv"}]}}}, True),
        ({"detail": {"object": {"key": [{"wildcard": r"raw/\*.csv"}]}}}, False),
        (
            {"detail": {"object": {"key": [{"prefix": "raw/"}], "size": [{"numeric": [">", 9]}]}}},
            False,
        ),
        ({"detail": {"object": {"version-id": [{"exists": False}]}}}, True),
        ({"detail": [{"exists": True}]}, False),  # an object is no value: its fields are
        ({"$or": [{"source": ["aws.ec2"]}, {"detail-type": ["Object Created"]}]}, True),
    ],
)
def test_documented_s3_patterns_match_as_eventbridge_documents(
    pattern: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern, S3_EVENT) is expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "invalid JSON"),
        ("[]", "a pattern is a JSON object"),
        ('{"source": "aws.s3"}', "'source' must be an object or an array"),
        ('{"source": []}', "'source' is an empty array"),
        ('{"source": [{"regex": "a.*"}]}', "unknown operator 'regex'"),
        ('{"source": [{"anything-but": {"regex": "a"}}]}', "unknown operator 'regex'"),
        ('{"$or": ["aws.s3"]}', "each '$or' branch must be an object"),
    ],
)
def test_a_pattern_eventbridge_refuses_is_refused_with_the_reason(raw: str, message: str) -> None:
    with pytest.raises(EventPatternError, match=re.escape(message)):
        load(raw)


def test_an_unknown_operator_never_matches_silently() -> None:
    with pytest.raises(EventPatternError, match="unknown operator 'regex'"):
        matches_json('{"source": [{"regex": "aws"}]}', S3_EVENT)
