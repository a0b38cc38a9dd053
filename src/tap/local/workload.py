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
    """What an operation does to its object."""

    PUT = "put"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Operation:
    """One S3 request of the workload."""

    kind: OpKind
    bucket: str
    key: str
    size: int = 0


def plan_workload(buckets: list[str], objects: int, seed: int) -> list[Operation]:
    """Uploads of `objects` distinct keys; about a quarter overwritten, a fifth then deleted.

    Each object's operations are adjacent, so reordering within a delivery batch can invert them.
    """
    rng = random.Random(f"{seed}:workload")
    operations: list[Operation] = []
    for i in range(objects):
        bucket = buckets[i % len(buckets)]
        key = KEY_SHAPES[i % len(KEY_SHAPES)].format(i=i)
        operations.append(Operation(OpKind.PUT, bucket, key, rng.choice(SIZES)))
        if rng.random() < 0.25:
            operations.append(Operation(OpKind.PUT, bucket, key, rng.choice(SIZES)))
        if rng.random() < 0.2:
            operations.append(Operation(OpKind.DELETE, bucket, key))
    return operations


def body(size: int, seed: int, index: int) -> bytes:
    """Deterministic bytes of one upload; differ between uploads so etags differ."""
    rng = random.Random(f"{seed}:body:{index}")
    return rng.randbytes(size)
