"""The stack's one explicit AWS provider, as the engine would receive it."""

import json
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.config import EnvironmentConfig, parse_environment
from tap.config.loading import read_stack_file
from tap.config.model import TAP_TAG_KEYS
from tap.provider import MANAGED_BY, build_provider, session_name


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers every resource with its inputs and remembers what was registered."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


@pytest.fixture
def mocks() -> RecordingMocks:
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, project="tap", stack="test", preview=False)
    return recorder


def config_of(repo_root: Path, stack: str, **overrides: Any) -> EnvironmentConfig:
    settings = read_stack_file(repo_root / f"Pulumi.{stack}.yaml").settings
    return parse_environment(stack, {**settings, **overrides})


def register(mocks: RecordingMocks, config: EnvironmentConfig) -> dict[str, Any]:
    """Build the provider under the mock engine; return its one registration, decoded."""

    @pulumi.runtime.test
    def run() -> pulumi.Output[str]:
        provider = build_provider(config)
        assert isinstance(provider, aws.Provider)
        return provider.urn

    run()
    [registered] = mocks.resources
    assert registered.typ == "pulumi:providers:aws"
    assert registered.name == f"aws-{config.environment}"
    return {k: _decode(v) for k, v in registered.inputs.items()}


def _decode(value: Any) -> Any:
    """Provider inputs reach the engine as strings; structured ones as JSON."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def test_prod_provider_is_pinned_to_region_account_and_role(
    mocks: RecordingMocks, repo_root: Path
) -> None:
    inputs = register(mocks, config_of(repo_root, "prod"))

    assert inputs["region"] == "us-east-1"
    assert inputs["allowedAccountIds"] == ["777788889999"]
    assert inputs["assumeRoles"] == [
        {
            "roleArn": "arn:aws:iam::777788889999:role/tap-deployer",
            "sessionName": "tap-prod-deploy",
            "externalId": "tap-prod-deploy",
        }
    ]


def test_staging_provider_uses_staging_region_and_account(
    mocks: RecordingMocks, repo_root: Path
) -> None:
    inputs = register(mocks, config_of(repo_root, "staging"))

    assert inputs["region"] == "us-west-2"
    assert inputs["allowedAccountIds"] == ["444455556666"]
    assert inputs["assumeRoles"][0]["roleArn"] == "arn:aws:iam::444455556666:role/tap-deployer"


def test_external_id_is_omitted_when_not_configured(mocks: RecordingMocks, repo_root: Path) -> None:
    inputs = register(mocks, config_of(repo_root, "dev"))

    assert inputs["assumeRoles"] == [
        {
            "roleArn": "arn:aws:iam::111122223333:role/tap-deployer",
            "sessionName": "tap-dev-deploy",
        }
    ]


def test_session_name_names_tap_and_the_environment(repo_root: Path) -> None:
    name = session_name(config_of(repo_root, "staging"))

    assert "tap" in name
    assert "staging" in name
    assert len(name) <= 64


def test_default_tags_carry_project_environment_managed_by_and_configured_tags(
    mocks: RecordingMocks, repo_root: Path
) -> None:
    inputs = register(mocks, config_of(repo_root, "prod"))

    assert inputs["defaultTags"] == {
        "tags": {
            "project": "tap",
            "environment": "prod",
            "managed-by": MANAGED_BY,
            "team": "data-platform",
            "cost-center": "4711",
            "data-classification": "confidential",
        }
    }
    assert MANAGED_BY == "pulumi/tap"


def test_configured_tags_cannot_override_taps_own_tags(
    mocks: RecordingMocks, repo_root: Path
) -> None:
    config = config_of(
        repo_root, "dev", tags={"environment": "prod", "managed-by": "hand", "team": "x"}
    )

    inputs = register(mocks, config)

    assert inputs["defaultTags"]["tags"] == {
        "project": "tap",
        "environment": "dev",
        "managed-by": "pulumi/tap",
        "team": "x",
    }


def test_the_tags_tap_adds_are_the_ones_config_counts_against_awss_limit(
    mocks: RecordingMocks, repo_root: Path
) -> None:
    config = config_of(repo_root, "prod")

    inputs = register(mocks, config)

    assert set(inputs["defaultTags"]["tags"]) - set(config.tags) == TAP_TAG_KEYS
