"""The base install synthesizes and checks every stack without `local`; `tap local` says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tap import extras
from tap.extras import MissingExtraError, require_extra
from tests.support.paths import REPO_ROOT, STACKS
from tests.support.venvs import install_requirements, run

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


def pulumi_install(project: Path) -> tuple[str, list[str]]:
    """The virtualenv Pulumi.yaml names and the requirements its pip toolchain installs there,
    from `project` (Pulumi runs `python -m venv`, then `pip install -r requirements.txt` in the
    project directory)."""
    runtime = yaml.safe_load((project / "Pulumi.yaml").read_text())["runtime"]
    assert runtime["name"] == "python"
    assert runtime["options"]["toolchain"] == "pip", "the install below is pip's; follow uv's"
    lines = (project / "requirements.txt").read_text().splitlines()
    return runtime["options"]["virtualenv"], [x for x in lines if x and not x.startswith("#")]


def test_requirements_are_the_checkout_so_pyproject_is_the_only_dependency_list() -> None:
    virtualenv, requirements = pulumi_install(REPO_ROOT)
    assert requirements == ["-e ."]
    # the same .venv `make` installs the dev extras into (pip only adds: see Pulumi.yaml)
    assert virtualenv == ".venv"
    assert "VENV := .venv" in (REPO_ROOT / "Makefile").read_text()


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding what Pulumi.yaml's toolchain installs on a fresh machine, and no more.

    uv does pip's job here, from its cache (make test filled it): the same requirements file,
    from the same directory. Pulumi's upgrade of pip, setuptools and wheel is left out; nothing
    tap runs uses them.
    """
    _virtualenv, requirements = pulumi_install(REPO_ROOT)
    assert requirements == ["-e ."]
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    # from where Pulumi runs pip: the project directory, where `-e .` is this checkout
    install_requirements(venv, "requirements.txt", cwd=REPO_ROOT)
    return venv


@pytest.mark.slow
def test_the_base_install_synthesizes_and_checks_every_stack_without_moto(
    base_venv: Path, tmp_path: Path
) -> None:
    # GIVEN the venv Pulumi's toolchain builds (base dependencies only)
    python = base_venv / "bin" / "python"
    # WHEN the program runs under the mock monitor for every stack, and tap's rules judge it
    synth = run(python, "-c", SYNTH_AND_CHECK_EVERY_STACK, REPO_ROOT, cwd=tmp_path)
    # THEN every stack synthesizes with no blocking finding, and moto is not even installed
    assert synth.returncode == 0, synth.stderr
    lines = synth.stdout.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["dev", "staging", "prod"]
    assert all(int(line.split()[1]) > 40 and line.split()[2] == "0" for line in lines[:3]), lines
    assert lines[3] == "moto importable: False"
    # AND `tap local` refuses in one line that names the extra, with exit 2
    local = run(base_venv / "bin" / "tap", "local", "-C", REPO_ROOT, cwd=tmp_path)
    assert local.returncode == 2
    assert local.stderr.splitlines() == [
        "error: tap local needs tap's 'local' extra (missing: moto, principalmapper, "
        "lambda_preflight, py_iam_expand); install it with: pip install -e '.[local]' "
        "(or make demo)"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("stack", STACKS)
def test_tap_synth_runs_every_stack_in_the_venv_pulumi_builds(
    base_venv: Path, tmp_path: Path, stack: str
) -> None:
    """What `pulumi up` needs on a fresh machine is there: the program builds the stack. Only a
    real `pulumi up` shows the engine and the AWS provider plugin using that venv."""
    done = run(
        base_venv / "bin" / "tap", "synth", "--stack", stack, "-f", "json", "-C", REPO_ROOT,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    graph = json.loads(done.stdout)
    assert graph["stack"] == stack
    assert len(graph["resources"]) > 40
    assert set(graph["outputs"]) >= {"bucketNames", "tableName", "functionName"}
