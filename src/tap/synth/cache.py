"""A content-addressed cache of synthesized graphs, under `<project>/.tap/graphs/`.

An entry is named by a SHA-256 over everything a stack's graph is computed from: the source of
`tap` and `tap_processor` (every file, the processor's lock file included), the stack's config
file, `Pulumi.yaml`, the Python version and the installed versions of pulumi, pulumi_aws and tap.
Change any of them and the name changes, so a stale entry is never found. An entry is read back
through the graph loader, and one it refuses (a corrupt or truncated file, another stack's
graph) is removed and counted as a miss: the caller synthesizes instead.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Iterable
from contextlib import suppress
from importlib import metadata
from pathlib import Path

import tap
import tap_processor
from tap.config import EnvironmentConfig, Project
from tap.synth.graph import GraphFormatError, ResourceGraph, load_graph
from tap.textfile import replace_text
from tap.validation import stack_config

CACHE_DIR = Path(".tap") / "graphs"
"""Under the project directory; `.tap/` is gitignored."""

FORMAT_VERSION = "1"
"""Bump when the entry layout changes, so old entries are not read."""

VERSIONED_DISTRIBUTIONS = ("pulumi", "pulumi_aws", "tap")
SOURCE_ROOTS = tuple(Path(package.__file__ or "").parent for package in (tap, tap_processor))
"""The program's source: the infrastructure package and the processor it zips."""
SKIPPED_DIRS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def cache_dir(project_dir: Path) -> Path:
    """Where the project's graph cache lives."""
    return project_dir / CACHE_DIR


def _source_files(root: Path) -> Iterable[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            if not name.endswith(SKIPPED_SUFFIXES):
                yield Path(directory) / name


def _installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def graph_key(project: Project, stack: str) -> str:
    """The hex SHA-256 naming `stack`'s graph entry; every part is length-prefixed."""
    digest = hashlib.sha256()

    def part(data: bytes) -> None:
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    part(FORMAT_VERSION.encode())
    part(sys.version.encode())
    for distribution in VERSIONED_DISTRIBUTIONS:
        part(f"{distribution}=={_installed_version(distribution)}".encode())
    for root in SOURCE_ROOTS:
        for path in _source_files(root):
            part(f"{root.name}/{path.relative_to(root).as_posix()}".encode())
            part(path.read_bytes())
    part((project.directory / "Pulumi.yaml").read_bytes())
    part(project.files[stack].path.read_bytes())
    return digest.hexdigest()


def _entry(project: Project, stack: str, key: str) -> Path:
    return cache_dir(project.directory) / f"{stack}-{key}.json"


def read_graph(project: Project, stack: str, key: str) -> ResourceGraph | None:
    """The cached graph for `key`, or None when there is none or it does not load as one."""
    path = _entry(project, stack, key)
    if not path.is_file():
        return None
    try:
        graph = load_graph(path)
    except GraphFormatError:
        graph = None
    if graph is None or (graph.project, graph.stack) != (project.name, stack):
        with suppress(OSError):
            path.unlink()
        return None
    return graph


def write_graph(project: Project, stack: str, key: str, graph: ResourceGraph) -> None:
    """Store `graph` under `key`, replacing the stack's older entries; a failure to write (a
    read-only project, a full disk) only means the next run synthesizes again."""
    directory = cache_dir(project.directory)
    with suppress(OSError):
        replace_text(_entry(project, stack, key), graph.to_json())
        for older in directory.glob(f"{stack}-*.json"):
            # `dev-*` also matches the entries of a stack named `dev-west`: compare the stack
            if older.stem.rsplit("-", 1)[0] == stack and older != _entry(project, stack, key):
                older.unlink()


def clear_graphs(project_dir: Path) -> int:
    """Remove every cached graph of the project; returns how many there were."""
    directory = cache_dir(project_dir)
    if not directory.is_dir():
        return 0
    count = sum(1 for _ in directory.glob("*.json"))
    shutil.rmtree(directory)
    return count


def synthesize_cached(
    project: Project, stack: str, *, use_cache: bool = True
) -> tuple[ResourceGraph, EnvironmentConfig]:
    """The graph and config of a stack of a project `validate_project` loaded: from the cache
    when an entry for the current sources and config loads, else synthesized (and stored, when
    `use_cache`)."""
    config = stack_config(project, stack)
    key = graph_key(project, stack) if use_cache else ""
    graph = read_graph(project, stack, key) if use_cache else None
    if graph is None:
        from tap.synth.stack import synthesize_project  # imports pulumi: only on a miss

        graph = synthesize_project(project, stack, config)
        if use_cache:
            write_graph(project, stack, key, graph)
    return graph, config
