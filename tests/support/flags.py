"""Stacks built from the config flags that add or remove resources, written as a project.

`FLAGS` names every setting of the config model (`tap.config.model`) that changes which
resource types, or how many, the program registers; `tests/facts/test_registries.py` proves
that turning them all on reaches every declared type, and the property tests draw them.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.support.paths import REPO_ROOT

FLAGS = {
    "kmsKey": "EncryptionKey: the key and its alias (off: SSE-S3 buckets, SSE-SQS queues)",
    "table.replicaRegions": "a TableReplica per region, and a KMS ReplicaKey per region",
    "alarms.email": "the alarm topic's email TopicSubscription",
    "backfill.batchOperations": "BatchOperationsRole: a Role and its RolePolicy",
    "buckets[].lifecycleRules": "the bucket's BucketLifecycleConfiguration",
    "buckets": "a DataBucket (bucket and its settings) per bucket",
    "buckets[].routes": "an EventRouting (rule, target, permission) and three alarms per route",
}
"""Each flag, and what it adds."""


@dataclass(frozen=True)
class Flags:
    """One combination of the flags in FLAGS, on the shipped dev stack."""

    kms_key: bool = True
    replica_regions: tuple[str, ...] = ()
    email: bool = False
    batch_operations: bool = False
    lifecycle: bool = True
    buckets: int = 1
    routes: int = 1

    def settings(self) -> dict[str, Any]:
        """The dev stack's `config:` with these flags applied."""
        shipped = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
        config: dict[str, Any] = shipped["config"]
        config["tap:kmsKey"] = self.kms_key
        config["tap:table"] = {**config["tap:table"], "replicaRegions": list(self.replica_regions)}
        if self.email:
            config["tap:alarms"] = {"email": "oncall@example.com"}
        if self.batch_operations:
            config["tap:backfill"] = {
                "batchOperations": True,
                "manifestBucket": "tap-dev-inventory-111122223333",
                "reportBucket": "tap-dev-reports-111122223333",
            }
        config["tap:buckets"] = [
            self._bucket(i, config["tap:buckets"][0]) for i in range(self.buckets)
        ]
        return config

    def _bucket(self, index: int, shipped: dict[str, Any]) -> dict[str, Any]:
        bucket = copy.deepcopy(shipped)
        bucket["name"] = "data" if index == 0 else f"data{index + 1}"
        bucket["encryption"] = {"algorithm": "aws:kms" if self.kms_key else "AES256"}
        if not self.lifecycle:
            del bucket["lifecycleRules"]
        bucket["routes"] = [
            {"name": "ingest"},
            *({"name": f"raw{i}", "prefix": f"raw{i}/"} for i in range(1, self.routes)),
        ]
        return bucket

    def write(self, directory: Path) -> Path:
        """A project in `directory` holding Pulumi.yaml and this dev stack; the directory."""
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
        text = yaml.safe_dump({"config": self.settings()}, sort_keys=False)
        (directory / "Pulumi.dev.yaml").write_text(text, encoding="utf-8")
        return directory


EVERY_FLAG_ON = Flags(
    replica_regions=("us-west-2", "eu-west-1"),
    email=True,
    batch_operations=True,
    buckets=2,
    routes=2,
)
EVERY_FLAG_OFF = Flags(kms_key=False, lifecycle=False)

flag_combinations = st.builds(
    Flags,
    kms_key=st.booleans(),
    replica_regions=st.sampled_from(((), ("us-west-2",), ("us-west-2", "eu-west-1"))),
    email=st.booleans(),
    batch_operations=st.booleans(),
    lifecycle=st.booleans(),
    buckets=st.integers(1, 2),
    routes=st.integers(1, 2),
)
"""Any combination of FLAGS."""
