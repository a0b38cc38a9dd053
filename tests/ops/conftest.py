"""Fixtures for day-2 operations: the dev stack and kept emulators, shared with tests/local."""

from tests.local.conftest import artifact_path, dev_graph, run_kept

__all__ = ["artifact_path", "dev_graph", "run_kept"]
