"""The objects a run uploads and deletes: awkward keys, varied sizes, overwrites and deletes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

DEEP_PREFIX: Final = "/".join(f"level-{depth:02d}" for depth in range(24))
KEY_SHAPES: Final = (
    "raw/{i:05d}/plain.csv",
    "raw/with space/{i} file name.txt",
    "raw/plus+sign/{i}+a+b=c.json",
    "raw/percent/{i}%25 is not 100%.txt",
    "raw/unicode/naïve-{i}-日本語-ß-😀.txt",
    DEEP_PREFIX + "/{i}.bin",
    "tmp/{i}/ends-with-slash-dir/",
    "raw/{i}/odd chars !'()*&$@=;:,?.log",
)
"""Every shape occurs in a run of at least len(KEY_SHAPES) objects."""
SIZES: Final = (0, 1, 17, 1024, 4096, 65_536)


class OpKind(StrEnum):
    """What an operation does to its object; every versioned delete AWS documents has one."""

    PUT = "put"
    DELETE = "delete"
    """DeleteObject without a version: a delete marker (versioned) or a permanent delete."""
    EXPIRE_CURRENT = "expire_current"
    """Lifecycle Expiration of the current version: a delete marker, reason Lifecycle Expiration."""
    DELETE_NONCURRENT = "delete_noncurrent_version"
    """DeleteObject with the VersionId of a noncurrent version: the object stays as it was."""
    EXPIRE_NONCURRENT = "expire_noncurrent_version"
    """Lifecycle NoncurrentVersionExpiration: a noncurrent version permanently deleted."""
    DELETE_CURRENT = "delete_current_version"
    """DeleteObject with the current VersionId: the next newest version (or marker) is current."""
    REMOVE_MARKER = "remove_delete_marker"
    """DeleteObject with the current delete marker's VersionId: the object is visible again."""

    @property
    def lifecycle(self) -> bool:
        """Performed by S3's lifecycle, not by a request (reason `Lifecycle Expiration`)."""
        return self in (OpKind.EXPIRE_CURRENT, OpKind.EXPIRE_NONCURRENT)

    @property
    def by_version_id(self) -> bool:
        """Removes one version or marker named by its id: S3 sends Permanently Deleted."""
        return self in VERSION_REMOVALS


VERSION_REMOVALS: Final = frozenset(
    {
        OpKind.DELETE_NONCURRENT,
        OpKind.EXPIRE_NONCURRENT,
        OpKind.DELETE_CURRENT,
        OpKind.REMOVE_MARKER,
    }
)


@dataclass(frozen=True, slots=True)
class Operation:
    """One S3 request (or lifecycle action) of the workload."""

    kind: OpKind
    bucket: str
    key: str
    size: int = 0


@dataclass(slots=True)
class _Planned:
    """What the plan has done to one key so far: its versions, oldest first ('v' or 'm')."""

    entries: list[str]

    @property
    def current_is_marker(self) -> bool:
        return bool(self.entries) and self.entries[-1] == "m"

    @property
    def has_noncurrent_version(self) -> bool:
        return "v" in self.entries[:-1]


def plan_workload(
    buckets: list[str], objects: int, seed: int, *, versioned: frozenset[str] = frozenset()
) -> list[Operation]:
    """Uploads of `objects` distinct keys, with overwrites and every kind of delete.

    In `versioned` buckets about a third of the objects also lose a single version (noncurrent
    or current, by id or by lifecycle), and deleted objects sometimes get their marker removed.
    Each object's operations are adjacent, so reordering within a delivery batch can invert them.
    """
    rng = random.Random(f"{seed}:workload")
    operations: list[Operation] = []
    for i in range(objects):
        bucket = buckets[i % len(buckets)]
        key = KEY_SHAPES[i % len(KEY_SHAPES)].format(i=i)
        ops = [OpKind.PUT]
        if rng.random() < 0.3:
            ops.append(OpKind.PUT)
        if bucket in versioned:
            ops += _version_operations(rng, _Planned(["v"] * len(ops)))
        elif rng.random() < 0.2:
            ops.append(OpKind.DELETE)
        operations += [
            Operation(kind, bucket, key, rng.choice(SIZES) if kind is OpKind.PUT else 0)
            for kind in ops
        ]
    return operations


def _version_operations(rng: random.Random, planned: _Planned) -> list[OpKind]:
    """Deletes of one versioned key, each only where S3 would have something to delete."""
    ops: list[OpKind] = []

    def do(kind: OpKind, entries: list[str]) -> None:
        ops.append(kind)
        planned.entries = entries

    draw = rng.random()
    if planned.has_noncurrent_version and draw < 0.35:
        # The runner removes the oldest noncurrent version, as lifecycle expiry does.
        kind = OpKind.EXPIRE_NONCURRENT if draw < 0.2 else OpKind.DELETE_NONCURRENT
        do(kind, planned.entries[1:])
    elif draw < (0.45 if planned.has_noncurrent_version else 0.1):
        do(OpKind.DELETE_CURRENT, planned.entries[:-1])
    if planned.entries and not planned.current_is_marker and rng.random() < 0.3:
        do(rng.choice((OpKind.DELETE, OpKind.EXPIRE_CURRENT)), [*planned.entries, "m"])
        if rng.random() < 0.4:
            do(OpKind.REMOVE_MARKER, planned.entries[:-1])
    return ops


def body(size: int, seed: int, index: int) -> bytes:
    """Deterministic bytes of one upload; differ between uploads so etags differ."""
    rng = random.Random(f"{seed}:body:{index}")
    return rng.randbytes(size)
