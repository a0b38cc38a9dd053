"""`tap reconcile --inventory` on a damaged report: one line naming the file (and the row and
column where known), exit 2, whatever is wrong with the data.

Each report is written to a served emulator acting as the dev stack's account, and read through
the CLI runner as an operator would run it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tap.local.emulator import Emulator, running_emulator, stop_emulator
from tap.ops.stack import StackResources, resolve
from tap.synth import ResourceGraph
from tests.support.inventory import put_report
from tests.support.paths import REPO_ROOT, STACK_FILES

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kept-emulator")]  # a served emulator

DESTINATION = "tap-inventory-damaged"
SOURCE = "tap-data-dev-useast1"
GOOD = [
    SOURCE,
    "in%2Fa+b.csv",
    "v1",
    "true",
    "false",
    "3",
    "2026-12-01T00:00:00.000Z",
    "e1",
    "STANDARD",
]


def _csv(*rows: list[str]) -> bytes:
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL).writerows(rows)
    return gzip.compress(text.getvalue().encode(), mtime=0)


def _parquet(columns: dict[str, list[Any]]) -> bytes:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


@dataclass(frozen=True)
class Served:
    """The served emulator with the dev stack's bucket and table, and where the CLI finds the
    stack's files."""

    emulator: Emulator
    resources: StackResources
    project: Path

    def reconcile(self, inventory: str) -> tuple[int, list[str], str]:
        """`tap reconcile --json --inventory URL`: its exit code, stderr lines and stdout."""
        credentials = self.emulator.credentials
        result = CliRunner().invoke(
            app,
            [
                "reconcile",
                *("--stack", "dev", "-C", str(self.project), "--json"),
                *("--endpoint-url", str(self.emulator.endpoint), "--inventory", inventory),
            ],
            env={
                "AWS_ACCESS_KEY_ID": credentials.access_key_id,
                "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
                "AWS_SESSION_TOKEN": "",
            },
        )
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result.exit_code, result.stderr.splitlines(), result.stdout


@pytest.fixture
def served(dev_graph: ResourceGraph, tmp_path: Path) -> Iterator[Served]:
    resources = resolve(dev_graph)
    assert resources.buckets == (SOURCE,)
    for name in STACK_FILES:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    with running_emulator(
        account_id=resources.account_id, region=resources.region, keep_running=True
    ) as emulator:
        pass
    assert emulator.endpoint is not None
    try:
        s3 = emulator.client("s3")
        s3.create_bucket(Bucket=SOURCE)
        s3.create_bucket(Bucket=DESTINATION)
        emulator.client("dynamodb").create_table(
            TableName=resources.table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield Served(emulator, resources, tmp_path)
    finally:
        stop_emulator(emulator.endpoint)


def _report(served: Served, name: str, file_format: str, body: bytes | None) -> tuple[str, str]:
    """The manifest's URL and the data file's."""
    url = put_report(
        served.emulator.client("s3"),
        source=SOURCE,
        destination=DESTINATION,
        name=name,
        file_format=file_format,
        body=body,
    )
    suffix = "csv.gz" if file_format == "CSV" else "parquet"
    return url, f"s3://{DESTINATION}/{name}/data/part-0.{suffix}"


def test_a_sound_report_is_read(served: Served) -> None:
    """The baseline the damaged ones differ from: one key in the report, none in the table."""
    url, _ = _report(served, "sound", "CSV", _csv(GOOD, [*GOOD[:3], "false", *GOOD[4:]]))

    code, lines, stdout = served.reconcile(url)

    assert (code, lines) == (0, [])
    report = json.loads(stdout)
    # The current version is a candidate (no item); read again, S3 has no such key: in sync.
    assert (report["listed_keys"], report["candidates"], report["drifted"]) == (1, 1, 0)


DAMAGED = [
    (
        "short-row",
        "CSV",
        _csv(GOOD, [SOURCE, "in%2Fb.csv"]),
        "row 2: has 2 field(s); the manifest's fileSchema has 9",
    ),
    (
        "size-not-a-number",
        "CSV",
        _csv(GOOD, [*GOOD[:5], "three", *GOOD[6:]]),
        "row 2, column Size: 'three' is not a size in bytes",
    ),
    (
        "timestamp-not-a-time",
        "CSV",
        _csv([*GOOD[:6], "yesterday", *GOOD[7:]]),
        "row 1, column LastModifiedDate: 'yesterday' is not a timestamp",
    ),
    (
        "flag-not-a-boolean",
        "CSV",
        _csv([*GOOD[:3], "yes", *GOOD[4:]]),
        "row 1, column IsLatest: 'yes' is not true or false",
    ),
    (
        "key-not-utf8-when-decoded",
        "CSV",
        _csv([GOOD[0], "in%2F%FF.csv", *GOOD[2:]]),
        "row 1, column Key: 'in%2F%FF.csv' does not decode to UTF-8",
    ),
    (
        "bytes-not-utf8",
        "CSV",
        gzip.compress(b'"tap-data-dev-useast1","k\xff","v1","true","false","3"\n', mtime=0),
        "cannot read row 1 as gzip-compressed CSV: not UTF-8 text (bytes b'\\xff')",
    ),
    (
        "truncated-gzip",
        "CSV",
        _csv(*[GOOD] * 3000)[:-40],
        "as gzip-compressed CSV: the file ends early, truncated (Compressed file ended "
        "before the end-of-stream marker was reached)",
    ),
    (
        "not-gzip",
        "CSV",
        b"Bucket,Key\n",
        "cannot read row 1 as gzip-compressed CSV: Not a gzipped file (b'Bu')",
    ),
    (
        "parquet-wrong-columns",
        "Parquet",
        _parquet({"name": ["a"], "bytes": [3]}),
        "has no bucket and key columns (its columns: name, bytes)",
    ),
    (
        "parquet-size-of-text",
        "Parquet",
        _parquet({"bucket": [SOURCE], "key": ["k"], "size": ["three"]}),
        "row 1, column size: 'three' is not a size in bytes",
    ),
    (
        "parquet-flag-of-numbers",
        "Parquet",
        _parquet({"bucket": [SOURCE], "key": ["k"], "is_latest": [1]}),
        "row 1, column is_latest: 1 is not true or false",
    ),
    (
        "parquet-key-of-bytes",
        "Parquet",
        _parquet({"bucket": [SOURCE], "key": [b"k"]}),
        "row 1, column key: b'k' is not text",
    ),
    (
        "not-parquet",
        "Parquet",
        b"PK\x03\x04 a zip file",
        "not a Parquet file (Parquet magic bytes not found in footer. Either the file is "
        "corrupted or this is not a parquet file.)",
    ),
]


# Named ids: a gzip body's id would hold its header's mtime, so two xdist workers collecting
# in different seconds would name the test differently and refuse to run.
@pytest.mark.parametrize(
    ("name", "file_format", "body", "problem"), DAMAGED, ids=[case[0] for case in DAMAGED]
)
def test_a_damaged_data_file_is_one_line_naming_the_file_row_and_column(
    served: Served, name: str, file_format: str, body: bytes, problem: str
) -> None:
    url, data = _report(served, name, file_format, body)

    code, lines, _ = served.reconcile(url)

    assert code == 2
    assert len(lines) == 1
    prefix = f"error: cannot read the inventory: {data}: "
    assert lines[0].startswith(prefix)
    if name == "truncated-gzip":  # where the stream ends depends on zlib's output
        assert lines[0].removeprefix(prefix).startswith("cannot read row ")
        assert lines[0].endswith(problem)
    else:
        assert lines[0] == prefix + problem


def test_a_data_file_that_cannot_be_read_is_exit_2_not_a_failed_run(served: Served) -> None:
    """The manifest lists a file that is not there: the input is unreadable (2), not drift (1)."""
    url, data = _report(served, "missing-file", "CSV", None)

    code, lines, _ = served.reconcile(url)

    assert code == 2
    assert lines == [
        f"error: cannot read the inventory: cannot read {data}, a data file the manifest lists: "
        "NoSuchKey: The specified key does not exist."
    ]
