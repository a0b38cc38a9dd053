"""Fixtures for day-2 operation tests: the kept (live) stacks of tests/local."""

from tests.local.conftest import artifact_path, dev_graph, run_kept  # noqa: F401  (fixtures)
