"""Fixtures for day-2 operations: the local-run fixtures (a kept, live stack) and a deployed
in-process stack."""

from tests.local.conftest import artifact_path, dev_graph, run_kept
from tests.support.deployed import deployed_dev

__all__ = ["artifact_path", "deployed_dev", "dev_graph", "run_kept"]
