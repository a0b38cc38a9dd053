"""The operator's sessions read AWS's timestamps as botocore does, without dateutil for ISO 8601.

The speed itself is section 13 of `make bench`; here, that the parser gives botocore's answer
for every form AWS sends, and that the clients of a session `connect` makes use it (counted:
dateutil's parser is never called for a listing's `LastModified`).
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dateutil.parser
import pytest
from botocore.utils import parse_timestamp as botocore_parse
from hypothesis import given
from hypothesis import strategies as st

from tap.local.emulator import Emulator, running_emulator
from tap.ops.session import connect
from tap.ops.stack import resolve
from tap.ops.timestamps import parse_timestamp
from tests.support.shipped import shipped

ACCOUNT = "111122223333"
_PARSERS = ("botocore", "parsers.py")


def _same(ours: datetime, botocores: datetime) -> None:
    assert ours == botocores
    assert ours.utcoffset() == botocores.utcoffset()
    assert ours.isoformat() == botocores.isoformat()


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-07T17:57:32.000Z",  # S3's XML bodies
        "2026-12-07T17:57:32Z",
        "2026-12-07T17:57:32.123456+02:00",
        "2026-12-07T17:57:32.1234567Z",  # seven digits: fromisoformat refuses, botocore reads
        "2026-12-07T17:57:32",  # no zone: botocore's answer, whatever it is
        "Mon, 07 Dec 2026 17:57:32 GMT",  # an HTTP header's date
        "1765130252",
        1765130252,
        1765130252.5,  # JSON protocols' epoch seconds
    ],
)
def test_every_form_reads_as_botocore_reads_it(value: Any) -> None:
    _same(parse_timestamp(value), botocore_parse(value))


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    ),
    st.sampled_from(["auto", "seconds", "milliseconds", "microseconds"]),
)
def test_any_iso_instant_with_a_zone_reads_as_botocore_reads_it(
    moment: datetime, timespec: str
) -> None:
    text = moment.isoformat(timespec=timespec)
    _same(parse_timestamp(text), botocore_parse(text))
    if moment.utcoffset() == timedelta(0):
        zulu = text.replace("+00:00", "Z")
        _same(parse_timestamp(zulu), botocore_parse(zulu))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator(account_id=ACCOUNT, region="us-east-1") as running:
        yield running


def test_a_listing_through_an_operator_session_never_calls_dateutil(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The assumed-role session (what every command against AWS uses) and the same listing
    through a plain boto3 client: the same LastModified, dateutil called only by the latter."""
    resources = resolve(shipped("dev")[0])
    bucket = resources.buckets[0]
    plain = emulator.client("s3")
    plain.create_bucket(Bucket=bucket)
    plain.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for n in range(3):
        plain.put_object(Bucket=bucket, Key=f"k{n}", Body=b"x")
    plain.delete_object(Bucket=bucket, Key="k0")
    session = connect(
        resources,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/tap-deployer",
        external_id="tap-dev",
        base=emulator.session(),
    )
    calls: list[object] = []
    real = dateutil.parser.parse

    def counted(*args: Any, **kwargs: Any) -> datetime:
        """A call from a client's response parser (moto, in this process, calls it too)."""
        if any(Path(f.filename).parts[-2:] == _PARSERS for f in traceback.extract_stack()):
            calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(dateutil.parser, "parse", counted)

    ours = session.client("s3").list_object_versions(Bucket=bucket)
    assert calls == []
    theirs = plain.list_object_versions(Bucket=bucket)
    assert len(calls) == 4  # three versions and a delete marker

    for kind in ("Versions", "DeleteMarkers"):
        assert [v["LastModified"] for v in ours[kind]] == [v["LastModified"] for v in theirs[kind]]
        assert all(v["LastModified"].tzinfo is UTC for v in ours[kind])
