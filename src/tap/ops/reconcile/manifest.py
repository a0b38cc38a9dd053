"""An S3 Inventory report's manifest.json, and its data files fetched and checked."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from tap.errors import EXIT_USAGE, TapError
from tap.ops.session import error_text

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client


class InventoryError(TapError):
    """An S3 Inventory report that cannot be read as documented, or fails its checksums."""

    exit_code = EXIT_USAGE
    prefix = "cannot read the inventory"


@dataclass(frozen=True, slots=True)
class InventoryFile:
    """One data file of an inventory report."""

    key: str
    size: int
    md5: str


@dataclass(frozen=True, slots=True)
class InventoryManifest:
    """An S3 Inventory report's manifest.json, as documented."""

    bucket: str
    """Where the data files are: the destination bucket."""
    source_bucket: str
    file_format: str
    schema: tuple[str, ...]
    """CSV column names (fileSchema); empty for Parquet, whose files carry their schema."""
    files: tuple[InventoryFile, ...]


def s3_location(url: str) -> tuple[str, str]:
    """(bucket, key) of an `s3://bucket/key` URL."""
    parsed = urlparse(url)
    key = parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not parsed.netloc or not key:
        raise InventoryError(f"{url!r} is not an s3://bucket/key/manifest.json URL")
    return parsed.netloc, key


def column_name(name: str) -> str:
    """Column names of CSV (`VersionId`) and Parquet (`version_id`) schemas compared as one."""
    return "".join(c for c in name.lower() if c.isalnum())


def parse_manifest(document: bytes, *, where: str) -> InventoryManifest:
    """The manifest's fields; InventoryError when it is not the documented shape."""
    try:
        raw = json.loads(document)
        destination = str(raw.get("destinationBucket") or "")
        fmt = str(raw["fileFormat"])
        files = tuple(
            InventoryFile(str(f["key"]), int(f["size"]), str(f["MD5checksum"]).lower())
            for f in raw["files"]
        )
        source = str(raw["sourceBucket"])
        schema_text = str(raw["fileSchema"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise InventoryError(f"{where} is not an S3 Inventory manifest.json: {error}") from error
    if fmt.upper() not in ("CSV", "PARQUET"):
        raise InventoryError(f"{where}: fileFormat {fmt} is not supported; choose CSV or Parquet")
    bucket = destination.rsplit(":", 1)[-1] or s3_location(where)[0]
    schema = tuple(c.strip() for c in schema_text.split(",")) if fmt.upper() == "CSV" else ()
    if schema and not {"bucket", "key"} <= {column_name(c) for c in schema}:
        raise InventoryError(f"{where}: fileSchema has no Bucket and Key columns")
    return InventoryManifest(bucket, source, fmt.upper(), schema, files)


def download(s3: S3Client, bucket: str, file: InventoryFile, path: Path) -> None:
    """Stream one data file to disk, checking the manifest's MD5 of it."""
    digest = hashlib.md5(usedforsecurity=False)
    try:
        body = s3.get_object(Bucket=bucket, Key=file.key)["Body"]
        with path.open("wb") as sink:
            for chunk in body.iter_chunks(1 << 20):
                digest.update(chunk)
                sink.write(chunk)
    except (BotoCoreError, ClientError) as error:
        raise InventoryError(
            f"cannot read s3://{bucket}/{file.key}, a data file the manifest lists: "
            f"{error_text(error)}"
        ) from error
    if digest.hexdigest() != file.md5:
        raise InventoryError(
            f"s3://{bucket}/{file.key} has MD5 {digest.hexdigest()}, the manifest says {file.md5}"
        )
