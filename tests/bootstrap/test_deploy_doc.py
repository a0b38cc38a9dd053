"""docs/deploy.md's bootstrap section shows what `tap bootstrap` prints: each console session
is run again, and the YAML excerpt is part of the template it wrote."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tests.support.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "deploy.md"


def _sessions() -> list[tuple[str, list[str]]]:
    """(command, the lines it printed) of each console block that runs `tap bootstrap`."""
    text = DOC.read_text(encoding="utf-8")
    sessions = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        command, *printed = block.rstrip("\n").split("\n")
        if command.startswith("$ tap bootstrap "):
            sessions.append((command.removeprefix("$ tap "), printed))
    return sessions


def test_the_doc_shows_sessions_of_tap_bootstrap() -> None:
    assert len(_sessions()) == 2


@pytest.mark.parametrize(("command", "printed"), _sessions(), ids=lambda v: str(v)[:40])
def test_each_session_prints_what_the_doc_shows(
    command: str, printed: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a relative --output lands
    result = CliRunner().invoke(app, [*shlex.split(command), "-C", str(REPO_ROOT)])

    assert result.stderr.splitlines() == printed
    assert result.exit_code == (2 if printed[-1].startswith("error: ") else 0)


def test_the_yaml_excerpt_is_part_of_the_template_the_doc_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    [written] = [c for c, _ in _sessions() if "--output" in c]
    CliRunner().invoke(app, [*shlex.split(written), "-C", str(REPO_ROOT)])
    template = (tmp_path / "tap-bootstrap-prod.yaml").read_text(encoding="utf-8")

    [excerpt] = re.findall(
        r"```yaml\n(  DeployRole:\n.*?)```", DOC.read_text(encoding="utf-8"), re.S
    )
    assert excerpt in template
