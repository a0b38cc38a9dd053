"""The real tap program synthesizes for every shipped stack, back to back in one process."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import yaml

from tap.config.loading import read_stack_file, to_pulumi_config
from tap.facts.tokens import FUNCTION
from tap.program import main
from tap.synth import ResourceGraph, run_program
from tap.synth.errors import SynthError
from tests.support.paths import STACKS

pytestmark = pytest.mark.slow  # synthesizes every stack, normal and preview, itself


def synth(repo_root: Path, stack: str, *, preview: bool = False) -> ResourceGraph:
    settings = read_stack_file(repo_root / f"Pulumi.{stack}.yaml").settings
    project = yaml.safe_load((repo_root / "Pulumi.yaml").read_text())
    config = to_pulumi_config(settings)
    for key, declared in (project.get("config") or {}).items():
        config[key] = json.dumps(declared["value"])
    return run_program(
        main,
        project=project["name"],
        stack=stack,
        config=config,
        preview=preview,
        account_id=str(settings["accountId"]),
        region=settings["region"],
    )


@pytest.fixture(scope="module")
def graphs(request: pytest.FixtureRequest) -> dict[str, ResourceGraph]:
    repo_root = Path(request.config.rootpath)
    return {stack: synth(repo_root, stack) for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_is_managed_by_the_stacks_one_provider(
    graphs: dict[str, ResourceGraph], repo_root: Path, stack: str
) -> None:
    graph = graphs[stack]
    settings = read_stack_file(repo_root / f"Pulumi.{stack}.yaml").settings
    [provider] = graph.providers()
    managed = [r for r in graph.resources if r.custom and r != provider]
    assert len(managed) > 20
    assert {r.provider for r in managed} == {provider.urn}
    # Provider inputs reach the engine as strings, structured ones as JSON.
    assert json.loads(provider.inputs["allowedAccountIds"]) == [str(settings["accountId"])]
    assert provider.inputs["region"] == settings["region"]


@pytest.mark.parametrize("stack", STACKS)
def test_preview_registers_the_same_resources_so_none_are_created_in_apply(
    graphs: dict[str, ResourceGraph], repo_root: Path, stack: str
) -> None:
    preview = synth(repo_root, stack, preview=True)
    assert [r.urn for r in preview.resources] == [r.urn for r in graphs[stack].resources]


def test_stacks_synthesized_back_to_back_do_not_bleed(
    graphs: dict[str, ResourceGraph], repo_root: Path
) -> None:
    dev_again = synth(repo_root, "dev")
    assert dev_again.to_json() == graphs["dev"].to_json()
    dev_account = read_stack_file(repo_root / "Pulumi.dev.yaml").settings["accountId"]
    assert str(dev_account) not in graphs["prod"].to_json()


def test_prod_replica_lives_in_the_replica_region(graphs: dict[str, ResourceGraph]) -> None:
    graph = graphs["prod"]
    [table] = graph.by_type("aws:dynamodb/table:Table")
    replicas = graph.by_type("aws:dynamodb/tableReplica:TableReplica")
    assert replicas
    for replica in replicas:
        region = replica.inputs["region"]
        assert replica.outputs["arn"] == table.outputs["arn"].replace(
            f":{table.outputs['arn'].split(':')[3]}:", f":{region}:"
        )


def test_the_program_deploys_the_prebuilt_zip_ci_names(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With TAP_ARTIFACT/TAP_ARTIFACT_SHA256 set (as the deploy jobs set them), the function's
    code is that zip, not a build of the checkout."""
    zip_path = tmp_path / "tap-processor.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("process_handler.py", "def lambda_handler(event, context): ...\n")
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    monkeypatch.setenv("TAP_ARTIFACT", str(zip_path))
    monkeypatch.setenv("TAP_ARTIFACT_SHA256", digest)

    graph = synth(repo_root, "dev")

    [function] = graph.by_type(FUNCTION)
    assert function.inputs["code"]["path"] == str(zip_path)
    assert function.inputs["code"]["sha256"] == digest
    assert function.outputs["codeSha256"] == base64.b64encode(bytes.fromhex(digest)).decode()


def test_the_program_stops_on_a_prebuilt_zip_with_other_bytes(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zip_path = tmp_path / "tap-processor.zip"
    zip_path.write_bytes(b"not the recorded bytes")
    monkeypatch.setenv("TAP_ARTIFACT", str(zip_path))
    monkeypatch.setenv("TAP_ARTIFACT_SHA256", "0" * 64)

    with pytest.raises(SynthError, match=r"not the recorded 0{64}; refusing to deploy it"):
        synth(repo_root, "dev")
