"""Helpers for local-run tests: graph mutation and a kept emulator to inspect independently."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from tap.local import LocalReport
from tap.local.emulator import Emulator
from tap.local.live import LiveStack, live_stack
from tap.ops.session import OpsSession, connect
from tap.ops.stack import StackResources
from tap.synth import ResourceGraph
from tests.support.reconcile import items_by_key, latest


def mutate(
    graph: ResourceGraph, type_token: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> ResourceGraph:
    """A copy of the graph with `change` applied to the inputs of every resource of one type."""
    resources = [
        r.model_copy(update={"inputs": change(json.loads(json.dumps(r.inputs)))})
        if r.type == type_token
        else r
        for r in graph.resources
    ]
    return graph.model_copy(update={"resources": resources})


def without_action(action: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A `mutate` change that removes one action from a role policy (and emptied statements)."""

    def change(inputs: dict[str, Any]) -> dict[str, Any]:
        policy = json.loads(inputs["policy"])
        for statement in policy["Statement"]:
            statement["Action"] = [a for a in statement["Action"] if a != action]
        policy["Statement"] = [s for s in policy["Statement"] if s["Action"]]
        return {**inputs, "policy": json.dumps(policy)}

    return change


@dataclass
class KeptRun:
    """A finished run whose emulator is still up, with clients to inspect it independently.

    In-process unless the run kept a server running (`keep_running`): only then is there an
    endpoint, a live stack and the credentials `tap local` prints.
    """

    report: LocalReport
    emulator: Emulator

    @property
    def session(self) -> boto3.session.Session:
        """A new session as the stack's account (its clients are not the run's)."""
        return self.emulator.session()

    @property
    def live(self) -> LiveStack:
        """The live stack serving the kept emulator."""
        assert self.report.endpoint is not None
        stack = live_stack(self.report.endpoint)
        assert stack is not None
        return stack

    def ops_session(self, resources: StackResources) -> OpsSession:
        """A day-2 session on the kept emulator, as `--endpoint-url` makes one."""
        return connect(
            resources, role_arn=None, endpoint_url=self.report.endpoint, base=self.session
        )

    def client(self, service: str) -> Any:
        """A new client of the emulator, as the stack's account."""
        return self.session.client(service, endpoint_url=self.emulator.endpoint)  # type: ignore[call-overload]

    def queue_messages(self, name: str) -> list[dict[str, Any]]:
        """Every message in the named queue, with attributes."""
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        messages: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=300,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                return messages
            messages += batch

    def items(self) -> list[dict[str, Any]]:
        """Every item of the items table, by an independent Scan."""
        pages = (
            self.client("dynamodb").get_paginator("scan").paginate(TableName=self.report.table_name)
        )
        return [item for page in pages for item in page["Items"]]


def disagreements(
    s3: Any, dynamodb: Any, *, bucket: str, table: str, prefix: str = ""
) -> dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """Keys under `prefix` whose item does not hold S3's current version, judged from S3's own
    ListObjectVersions and an independent Scan: {key: (S3's latest entry, the item)}, None
    where there is none. A key whose latest entry is a delete marker, or that has no version
    left, agrees with a `deleted` item or none."""
    listed = {k: e for k, e in latest(s3, bucket).items() if k.startswith(prefix)}
    items = {k: i for k, i in items_by_key(dynamodb, table).items() if k.startswith(prefix)}
    wrong: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
    for key in sorted(listed.keys() | items.keys()):
        entry, item = listed.get(key), items.get(key)
        if entry is not None and not entry["marker"]:
            version = entry["VersionId"]  # S3's null version is stored as "null" too
            agrees = item is not None and (
                item["status"]["S"],
                item.get("version_id", {}).get("S"),
                item.get("size", {}).get("N"),
                item.get("etag", {}).get("S"),
            ) == ("present", version, str(entry["Size"]), entry["ETag"].strip('"'))
        else:
            agrees = item is None or item["status"]["S"] == "deleted"
        if not agrees:
            wrong[key] = (entry, item)
    return wrong
