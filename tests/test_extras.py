"""The base install synthesizes and checks every stack without `local`; `tap local` says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tap import extras
from tap.extras import MissingExtraError, require_extra
from tests.support.paths import REPO_ROOT

SYNTH_AND_CHECK_EVERY_STACK = """
import importlib.util, sys
from pathlib import Path
from tap.rules import RuleContext, check_graph
from tap.synth.stack import synthesize_config
for stack in ("dev", "staging", "prod"):
    graph, config = synthesize_config(Path(sys.argv[1]), stack)
    result = check_graph(graph, RuleContext(config), config.suppressions)
    print(stack, len(graph.resources), sum(not f.suppressed for f in result.findings))
print("moto importable:", importlib.util.find_spec("moto") is not None)
"""


def test_a_missing_extra_is_one_line_naming_it_and_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(extras.EXTRAS, "local", ("json", "no_such_module_for_tap"))
    with pytest.raises(MissingExtraError) as raised:
        require_extra("local", "tap local")
    assert str(raised.value) == (
        "tap local needs tap's 'local' extra (missing: no_such_module_for_tap); "
        "install it with: pip install -e '.[local]' (or make demo)"
    )


def test_an_installed_extra_passes() -> None:
    assert extras.missing_modules("local") == []
    require_extra("local", "tap local")


@pytest.mark.slow
def test_the_base_install_synthesizes_and_checks_every_stack_without_moto(tmp_path: Path) -> None:
    # GIVEN a venv with only the base install, from uv's cache (make test filled it)
    venv = tmp_path / "base"
    uv = Path(sys.executable).with_name("uv")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run([uv, "venv", "-q", venv], check=True, env=env)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", python, "-e", REPO_ROOT],
        check=True,
        env=env,
        cwd=tmp_path,
    )
    # WHEN the program runs under the mock monitor for every stack, and tap's rules judge it
    synth = subprocess.run(
        [python, "-c", SYNTH_AND_CHECK_EVERY_STACK, REPO_ROOT],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    # THEN every stack synthesizes with no blocking finding, and moto is not even installed
    assert synth.returncode == 0, synth.stderr
    lines = synth.stdout.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["dev", "staging", "prod"]
    assert all(int(line.split()[1]) > 40 and line.split()[2] == "0" for line in lines[:3]), lines
    assert lines[3] == "moto importable: False"
    # AND `tap local` refuses in one line that names the extra, with exit 2
    local = subprocess.run(
        [venv / "bin" / "tap", "local", "-C", REPO_ROOT],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert local.returncode == 2
    assert local.stderr.splitlines() == [
        "error: tap local needs tap's 'local' extra (missing: moto, principalmapper, "
        "lambda_preflight, py_iam_expand); install it with: pip install -e '.[local]' "
        "(or make demo)"
    ]
