"""The shipped dev stack deployed to an in-process emulator: for operations that need no
delivery (no live pump), fast."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tap.local.deploy import Deployment, deploy
from tap.local.emulator import Emulator, running_emulator
from tap.ops.session import OpsSession, connect
from tap.ops.stack import StackResources, resolve
from tap.synth import ResourceGraph


@dataclass
class DeployedStack:
    """The dev stack's resources, deployed, with an operator session proven to be its account."""

    emulator: Emulator
    deployment: Deployment
    resources: StackResources

    def connect(self) -> OpsSession:
        """A fresh operator session (its own call record)."""
        return connect(self.resources, role_arn=None, base=self.emulator.session())

    def client(self, service: str) -> Any:
        """An independent client of the emulator, as the stack's account."""
        return self.emulator.client(service)

    def items(self) -> dict[str, dict[str, Any]]:
        """Every item of the table by id, by an independent Scan."""
        pages = (
            self.client("dynamodb").get_paginator("scan").paginate(TableName=self.resources.table)
        )
        return {item["id"]["S"]: item for page in pages for item in page["Items"]}


@pytest.fixture
def deployed_dev(dev_graph: ResourceGraph, artifact_path: Path) -> Iterator[DeployedStack]:
    """The dev stack on an in-process emulator as its account; nothing delivers events."""
    resources = resolve(dev_graph)
    with running_emulator(account_id=resources.account_id, region=resources.region) as emulator:
        deployment = deploy(
            emulator, list(dev_graph.resources), artifact=artifact_path.read_bytes()
        )
        yield DeployedStack(emulator, deployment, resources)
