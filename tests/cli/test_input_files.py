"""Stack files that are not regular text files: one line on stderr, exit 2, never a hang or a trace.

A FIFO or a device is tried in a separate `tap` process with a timeout and an address-space
limit, so a regression fails the test instead of hanging the suite or exhausting the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tap.cli.app import app

TAP = Path(sys.executable).with_name("tap")
MEMORY_LIMIT = 1 << 30
runner = CliRunner()


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_tap(*args: str) -> tuple[int, list[str], str]:
    """`tap args` in its own process: exit code, stderr lines, stdout."""
    try:
        done = subprocess.run(
            [str(TAP), *args],
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"tap {' '.join(args)} still running after 120 s")
    return done.returncode, done.stderr.splitlines(), done.stdout


def stack_file(stack_dir: Path) -> Path:
    path = stack_dir / "Pulumi.dev.yaml"
    path.unlink()
    return path


COMMANDS = {
    "validate": ["validate"],
    "synth": ["synth", "--stack", "staging"],
    "check": ["check", "--stack", "staging"],
}


@pytest.mark.slow  # a real `tap` process per case
@pytest.mark.parametrize("command", COMMANDS)
def test_a_stack_file_that_is_a_fifo_is_refused_at_once(stack_dir: Path, command: str) -> None:
    path = stack_file(stack_dir)
    os.mkfifo(path)

    code, err, out = run_tap(*COMMANDS[command], "-C", str(stack_dir))

    assert code == 2
    assert err == [f"error: {path}: cannot read: a named pipe (FIFO), not a regular file"]
    assert out == ""


@pytest.mark.slow  # a real `tap` process per case
@pytest.mark.parametrize(
    ("command", "device"), [("validate", "/dev/zero"), ("synth", "/dev/urandom")]
)
def test_a_stack_file_linked_to_an_endless_device_is_refused_before_reading(
    stack_dir: Path, command: str, device: str
) -> None:
    path = stack_file(stack_dir)
    path.symlink_to(device)

    code, err, _ = run_tap(*COMMANDS[command], "-C", str(stack_dir))

    assert code == 2
    assert err == [f"error: {path}: cannot read: a character device, not a regular file"]


def invoke(*args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr.splitlines()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_directory_named_like_a_stack_file_is_refused(stack_dir: Path, command: str) -> None:
    path = stack_file(stack_dir)
    path.mkdir()

    code, err = invoke(*COMMANDS[command], "-C", str(stack_dir))

    assert code == 2
    assert err == [f"error: {path}: cannot read: Is a directory"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_stack_file_over_one_mib_is_refused_and_the_limit_named(
    stack_dir: Path, command: str
) -> None:
    path = stack_dir / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "# padding\n" * (1 << 17))

    code, err = invoke(*COMMANDS[command], "-C", str(stack_dir))

    assert code == 2
    assert err == [
        f"error: {path}: cannot read: larger than 1 MiB, the most tap reads from a stack file"
    ]


def test_a_pulumi_yaml_that_is_a_directory_is_refused(stack_dir: Path) -> None:
    project = stack_dir / "Pulumi.yaml"
    project.unlink()
    project.mkdir()

    code, err = invoke("validate", "-C", str(stack_dir))

    assert code == 2
    assert err == [f"error: {project}: cannot read: Is a directory"]


@pytest.mark.slow  # 5000 levels through every command
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("nesting", ["[" * 5000, "{a: " * 5000], ids=["lists", "mappings"])
def test_deeply_nested_yaml_is_one_line_not_a_recursion_error(
    stack_dir: Path, command: str, nesting: str
) -> None:
    path = stack_dir / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "  tap:tags: " + nesting + "\n")

    code, err = invoke(*COMMANDS[command], "-C", str(stack_dir))

    assert code == 2
    [line] = err
    assert line.startswith(
        f"error: {path}: not valid YAML at line {len(path.read_text().splitlines())}, column "
    )
    assert line.endswith(": nested deeper than 100 levels")


@pytest.mark.slow  # a real `tap` process per case
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_graph_file_that_is_a_fifo_or_a_device_is_refused_at_once(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "prod.json"
    if kind == "fifo":
        os.mkfifo(path)
        reason = "a named pipe (FIFO)"
    else:
        path.symlink_to(kind)
        reason = "a character device"

    code, err, out = run_tap("check", "--graph", str(path), "-C", str(tmp_path))

    assert code == 2
    assert err == [f"error: {path}: cannot read: {reason}, not a regular file"]
    assert out == ""


@pytest.mark.slow  # writes a 512 MiB sparse file and runs check on it
def test_a_graph_file_over_512_mib_is_refused_before_reading(tmp_path: Path) -> None:
    """A sparse file: the size is refused from its metadata, so no test writes 512 MiB."""
    path = tmp_path / "prod.json"
    with path.open("wb") as handle:
        handle.truncate((512 << 20) + 1)

    code, err = invoke("check", "--graph", str(path), "-C", str(tmp_path))

    assert code == 2
    assert err == [
        f"error: {path}: cannot read: larger than 512 MiB, the most tap reads from a graph file"
    ]
