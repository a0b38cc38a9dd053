"""The graph cache `check`, `diff` and `graph` share: used only while its key matches what the
graph is computed from, never when an entry does not load, bypassed by --no-cache."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tap.synth.stack
from tap.cli.app import app
from tap.config import EnvironmentConfig, Project
from tap.synth import ResourceGraph, cache
from tap.validation import load_stack, validate_project

pytestmark = pytest.mark.slow  # each test synthesizes stacks through the CLI

runner = CliRunner()


@pytest.fixture
def synth_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stacks synthesized (not read from the cache) during a test."""
    calls: list[str] = []
    real = tap.synth.stack.synthesize_project

    def counting(project: Project, stack: str, config: EnvironmentConfig) -> ResourceGraph:
        calls.append(stack)
        return real(project, stack, config)

    monkeypatch.setattr(tap.synth.stack, "synthesize_project", counting)
    return calls


def _check(project: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check", "-C", str(project), "-s", "dev", "-f", "json", *extra])
    return result.exit_code, result.stdout


def _entries(project: Path) -> list[Path]:
    return sorted((project / ".tap" / "graphs").glob("*.json"))


def test_a_repeated_check_reads_the_graph_from_the_cache(
    stack_dir: Path, synth_calls: list[str]
) -> None:
    first = _check(stack_dir)
    second = _check(stack_dir)

    assert synth_calls == ["dev"]
    assert first == second
    assert first[0] == 0
    assert [p.name.split("-")[0] for p in _entries(stack_dir)] == ["dev"]


def test_check_diff_and_graph_share_one_entry_per_stack(
    stack_dir: Path, synth_calls: list[str]
) -> None:
    runner.invoke(app, ["graph", "-C", str(stack_dir), "-s", "dev"])
    diff = runner.invoke(app, ["diff", "-C", str(stack_dir), "dev", "staging"])
    _check(stack_dir)

    assert diff.exit_code == 0, diff.output
    assert synth_calls == ["dev", "staging"]
    assert len(_entries(stack_dir)) == 2


def test_a_cached_graph_equals_a_fresh_synthesis(stack_dir: Path, synth_calls: list[str]) -> None:
    cached_graph, _ = cache.synthesize_cached(validate_project(stack_dir), "dev")
    again, _ = cache.synthesize_cached(validate_project(stack_dir), "dev")
    fresh, _ = cache.synthesize_cached(validate_project(stack_dir), "dev", use_cache=False)

    assert synth_calls == ["dev", "dev"]
    assert again == cached_graph == fresh
    assert again.to_json() == fresh.to_json()


def test_editing_the_stack_config_misses_and_replaces_the_entry(
    stack_dir: Path, synth_calls: list[str]
) -> None:
    _check(stack_dir)
    [old] = _entries(stack_dir)
    config = stack_dir / "Pulumi.dev.yaml"
    config.write_text(config.read_text().replace("team: data-platform", "team: ingest"))

    _check(stack_dir)

    assert synth_calls == ["dev", "dev"]
    [new] = _entries(stack_dir)
    assert new != old
    assert '"team": "ingest"' in new.read_text()


def test_editing_pulumi_yaml_misses(stack_dir: Path, synth_calls: list[str]) -> None:
    _check(stack_dir)
    project_file = stack_dir / "Pulumi.yaml"
    project_file.write_text(project_file.read_text() + "\n# edited\n")

    _check(stack_dir)

    assert synth_calls == ["dev", "dev"]


def test_editing_the_program_source_misses(
    stack_dir: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key covers every file of both packages: a copy of them stands in for the source."""
    assert {root.name for root in cache.SOURCE_ROOTS} == {"tap", "tap_processor"}
    sources = tmp_path_factory.mktemp("src")
    roots = tuple(shutil.copytree(root, sources / root.name) for root in cache.SOURCE_ROOTS)
    monkeypatch.setattr(cache, "SOURCE_ROOTS", roots)
    project = load_stack(stack_dir, "dev")[0]
    before = cache.graph_key(project, "dev")

    keys = []
    for root in roots:
        module = next(root.rglob("*.py"))
        module.write_text(module.read_text() + "\n# edited\n")
        keys.append(cache.graph_key(project, "dev"))

    assert len({before, *keys}) == 3


def test_the_key_follows_the_installed_versions(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = load_stack(stack_dir, "dev")[0]
    before = cache.graph_key(project, "dev")
    real = cache._installed_version
    monkeypatch.setattr(
        cache, "_installed_version", lambda d: "9.9.9" if d == "pulumi_aws" else real(d)
    )

    assert cache.graph_key(project, "dev") != before


def test_no_cache_synthesizes_and_writes_nothing(stack_dir: Path, synth_calls: list[str]) -> None:
    _check(stack_dir, "--no-cache")
    _check(stack_dir, "--no-cache")

    assert synth_calls == ["dev", "dev"]
    assert _entries(stack_dir) == []


def test_no_cache_does_not_read_an_existing_entry(stack_dir: Path, synth_calls: list[str]) -> None:
    _check(stack_dir)
    _check(stack_dir, "--no-cache")

    assert synth_calls == ["dev", "dev"]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda _: "", id="empty"),
        pytest.param(lambda text: text.replace('"urn"', '"nru"', 1), id="not-a-graph"),
        pytest.param(
            lambda text: text.replace('"stack": "dev"', '"stack": "prod"'), id="other-stack"
        ),
    ],
)
def test_an_entry_that_does_not_load_is_never_used(
    stack_dir: Path, synth_calls: list[str], damage: object
) -> None:
    expected = _check(stack_dir)
    [entry] = _entries(stack_dir)
    entry.write_text(damage(entry.read_text()))  # type: ignore[operator]

    again = _check(stack_dir)

    assert again == expected
    assert synth_calls == ["dev", "dev"]
    assert ResourceGraph.from_json(entry.read_text()).stack == "dev"


def test_cache_clear_removes_every_entry(stack_dir: Path, synth_calls: list[str]) -> None:
    _check(stack_dir)

    result = runner.invoke(app, ["cache", "clear", "-C", str(stack_dir)])
    _check(stack_dir)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"removed 1 cached graph(s) from {stack_dir / '.tap' / 'graphs'}\n"
    assert synth_calls == ["dev", "dev"]


def test_an_unwritable_cache_only_means_synthesizing_again(
    stack_dir: Path, synth_calls: list[str]
) -> None:
    (stack_dir / ".tap").write_text("not a directory")

    first, second = _check(stack_dir), _check(stack_dir)

    assert first == second
    assert first[0] == 0
    assert synth_calls == ["dev", "dev"]


def test_check_json_from_the_cache_is_snake_case(stack_dir: Path) -> None:
    _check(stack_dir)
    document = json.loads(_check(stack_dir)[1])

    def keys(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    assert {k for k in keys(document) if k != k.lower()} == set()
    assert "rule_id" in set(keys(document))


def test_replacing_an_entry_keeps_other_stacks_entries(tmp_path: Path) -> None:
    """A stack whose name starts with another's (`dev`, `dev-west`) keeps its own entry."""
    project = Project("tap", tmp_path, {})
    for stack in ("dev", "dev-west"):
        empty = ResourceGraph(project="tap", stack=stack, resources=[], outputs={})
        cache.write_graph(project, stack, "a" * 64, empty)
    cache.write_graph(
        project,
        "dev",
        "b" * 64,
        ResourceGraph(project="tap", stack="dev", resources=[], outputs={}),
    )

    assert [p.name for p in _entries(tmp_path)] == [
        f"dev-{'b' * 64}.json",
        f"dev-west-{'a' * 64}.json",
    ]
    assert cache.read_graph(project, "dev-west", "a" * 64) is not None
    assert cache.read_graph(project, "dev", "a" * 64) is None
