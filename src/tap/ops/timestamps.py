"""The timestamps in AWS's answers, read without dateutil where the text is ISO 8601.

botocore reads every timestamp of a response with `dateutil.parser.parse`, a general parser
written in Python. A ListObjectVersions page carries one `LastModified` per entry, so at
1000 entries a page it was a third of `tap reconcile`'s and `tap backfill`'s CPU (profiled over
20,000 keys: 11.7 s of 31.8 s, under a tracing profiler). S3's XML bodies carry ISO 8601 with a
zone, which `datetime.fromisoformat` reads in C. Anything else (the HTTP dates of headers, epoch
numbers, a time without a zone) goes to botocore's own parser, so every answer reads as before.

The parser is set through botocore's public `ResponseParserFactory.set_parser_defaults`, on the
botocore session of each session the operator's commands make (`tap.ops.session`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import boto3


def parse_timestamp(value: object) -> datetime:
    """What botocore's `parse_timestamp` returns for `value`, the same instant and offset;
    ISO 8601 text with a zone without dateutil."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    from botocore.utils import parse_timestamp as botocore_parse

    # The stubs say str; botocore hands its parser JSON's epoch numbers too, and reads them.
    parsed_by_botocore: datetime = botocore_parse(value)  # type: ignore[arg-type]
    return parsed_by_botocore


def new_session(**settings: str) -> boto3.session.Session:
    """A boto3 session (credentials, region: `settings`) whose clients read timestamps with
    `parse_timestamp`."""
    import boto3
    import botocore.session
    from botocore.parsers import ResponseParserFactory

    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    core = botocore.session.Session()
    core.register_component("response_parser_factory", factory)
    return boto3.session.Session(botocore_session=core, **settings)
