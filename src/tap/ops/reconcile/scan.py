"""The table's side of the join: a parallel, consistent Scan of the items, a bounded page each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

from tap.ops.reconcile.drift import bare_etag, stored_version
from tap.ops.reconcile.join import Row
from tap_processor.state import Status
from tap_processor.store import foreign_reason, state_of_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

SCAN_SEGMENTS: Final = 4
"""Parallel Scan segments (each a thread)."""
SCAN_PAGE_ITEMS: Final = 1000
"""Items per Scan page (`Limit`). Without it a page is DynamoDB's 1 MB, some 4,000 items of
tap's projection, which botocore decodes into tens of MB of Python objects, and every segment
holds one at once (at 50,000 keys, 74 of 110 MB traced). A page of 1000 keeps what is in flight
to a few MB whatever the table's size, for one request per 1000 items."""
_ATTRIBUTES: Final = ("id", "bucket", "key", "status", "version_id", "size", "etag", "sequencer")
"""What `item_row` reads of an item: the Scan projects nothing else."""


def item_row(item: Mapping[str, Any]) -> Row:
    """An `items` row from one scanned item, named by its table key `id` (bucket/key)."""
    ident = str(item.get("id", {}).get("S", ""))
    bucket, _, key = ident.partition("/")
    state = state_of_item(item)
    return (
        ident,
        bucket,
        key,
        int(state.status is Status.PRESENT),
        stored_version(state.version_id),  # as `drift.normalised`, without a second state
        state.size,
        bare_etag(state.etag),
        foreign_reason(item),
    )


def scan_pages(
    dynamodb: DynamoDBClient, table: str, segment: int, segments: int
) -> Iterator[list[dict[str, AttributeValueTypeDef]]]:
    """One segment's items, a page (at most SCAN_PAGE_ITEMS) at a time."""
    names = {f"#a{n}": name for n, name in enumerate(_ATTRIBUTES)}
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        Segment=segment,
        TotalSegments=segments,
        ConsistentRead=True,
        PaginationConfig={"PageSize": SCAN_PAGE_ITEMS},  # the Scan's `Limit`
        ProjectionExpression=", ".join(names),
        ExpressionAttributeNames=names,
    )
    for page in pages:
        yield page.get("Items", [])
