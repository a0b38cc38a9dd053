"""The AWS documentation's sample S3 events (ev-events.md), as data rules match patterns against."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from tap.facts.arns import bucket_arn

SAMPLE_FILES = {"Object Created": "object_created.json", "Object Deleted": "object_deleted.json"}
"""Each documented S3 detail-type and the file holding AWS's sample event of that type."""

SAMPLE_BUCKET = "amzn-s3-demo-bucket1"
"""The bucket the documentation's samples come from; no tap bucket can have this reserved name."""


@cache
def _load(detail_type: str) -> str:
    return resources.files(__package__).joinpath(SAMPLE_FILES[detail_type]).read_text()


def sample_event(detail_type: str, bucket: str, key: str) -> dict[str, Any]:
    """AWS's sample event of `detail_type`, for object `key` in `bucket`."""
    event: dict[str, Any] = json.loads(_load(detail_type))
    event["resources"] = [bucket_arn(bucket)]
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"]["key"] = key
    return event
