"""S3 Batch Operations backfill: the role behind tap:backfill.batchOperations, and the CreateJob
request, validated offline against botocore's s3control model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from tap.cli.app import app
from tap.config import EnvironmentConfig
from tap.config.model import Backfill
from tap.facts import tokens
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL
from tap.ops.batch_job import (
    BatchJobError,
    S3Location,
    batch_role_arn,
    job_request,
    validate_request,
)
from tap.ops.stack import resolve
from tap.rules import check_graph, rules_by_id
from tap.rules.iam import iam_batch_role_invokes_only_the_alias
from tap.rules.model import RuleContext, Status
from tap.synth import ResourceGraph
from tap.synth.stack import synthesize_config
from tests.support.paths import REPO_ROOT
from tests.support.shipped import STACKS, shipped

BATCH_SETTINGS = """  tap:backfill:
    batchOperations: true
    manifestBucket: tap-inventory-dev
    reportBucket: tap-reports-dev
"""
MANIFEST = (
    "s3://tap-inventory-dev/inventory/tap-data-dev-useast1/all/2026-12-01T00-00Z/manifest.json"
)
REPORT = "s3://tap-reports-dev/tap-backfill-reports/dev"
ROLE_ARN = "arn:aws:iam::111122223333:role/tap-batch-operations-dev-useast1"

pytestmark = pytest.mark.slow  # one synthesis of a mutated project (about 5 s)


def _project_with_batch_operations(directory: Path) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(REPO_ROOT / name, directory / name)
    shutil.copy(REPO_ROOT / "__main__.py", directory / "__main__.py")
    with (directory / "Pulumi.dev.yaml").open("a", encoding="utf-8") as stack:
        stack.write(BATCH_SETTINGS)
    return directory


@pytest.fixture(scope="module")
def batch_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project_with_batch_operations(tmp_path_factory.mktemp("batch-project"))


@pytest.fixture(scope="module")
def batch_stack(batch_project: Path) -> tuple[ResourceGraph, EnvironmentConfig]:
    return synthesize_config(batch_project, "dev")


def _policy_of(graph: ResourceGraph, role_name: str) -> dict[str, Any]:
    [policy] = [
        p
        for p in graph.by_type(tokens.ROLE_POLICY)
        if p.inputs["role"] == role_name or p.name.endswith("batch-operations-permissions")
    ]
    return dict(json.loads(policy.inputs["policy"]))


def test_the_role_trusts_batch_operations_and_grants_exactly_the_alias_manifest_and_report(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig],
) -> None:
    graph, _ = batch_stack
    resources = resolve(graph)
    assert batch_role_arn(graph) == ROLE_ARN
    [role] = [r for r in graph.by_type(tokens.ROLE) if r.outputs["arn"] == ROLE_ARN]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": BATCH_OPERATIONS_PRINCIPAL},
            "Action": "sts:AssumeRole",
        }
    ]
    assert _policy_of(graph, role.inputs["name"])["Statement"] == [
        {
            "Sid": "InvokeProcessorAlias",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [resources.alias_arn],
        },
        {
            "Sid": "ReadInventoryManifest",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": ["arn:aws:s3:::tap-inventory-dev/*"],
        },
        {
            "Sid": "WriteCompletionReport",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": ["arn:aws:s3:::tap-reports-dev/tap-backfill-reports/*"],
        },
    ]
    assert graph.outputs["batchOperationsRoleArn"] == ROLE_ARN


def test_tap_check_passes_with_batch_operations_on_and_the_alias_rule_applies(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig],
) -> None:
    graph, config = batch_stack
    result = check_graph(graph, RuleContext(config))
    assert result.blocking == ()
    outcomes = list(iam_batch_role_invokes_only_the_alias(graph, RuleContext(config)))
    assert [o.status for o in outcomes] == [Status.COMPLIANT]
    assert rules_by_id()["iam-batch-role-invokes-only-the-alias"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_shipped_stack_has_the_role(stack: str) -> None:
    graph, config = shipped(stack)
    assert config.backfill == Backfill()
    assert "batchOperationsRoleArn" not in graph.outputs
    with pytest.raises(BatchJobError, match="has 0 roles trusted by"):
        batch_role_arn(graph)


def test_batch_operations_needs_its_buckets() -> None:
    with pytest.raises(
        ValidationError, match="batchOperations needs manifestBucket and reportBucket"
    ):
        Backfill.model_validate({"batchOperations": True, "manifestBucket": "tap-inventory-dev"})


def _request(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig], **changes: str
) -> dict[str, Any]:
    graph, config = batch_stack
    return job_request(
        resolve(graph),
        config,
        role_arn=batch_role_arn(graph),
        manifest=S3Location.parse(changes.get("manifest", MANIFEST), "--manifest"),
        manifest_etag="60e0d6a1b5f3b5bd33b4e8d2c9f0aa11",
        report=S3Location.parse(changes.get("report", REPORT), "--report"),
    )


def test_the_job_request_is_the_documented_one_and_passes_botocores_validation(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig],
) -> None:
    request = _request(batch_stack)
    validate_request(request)
    token = request.pop("ClientRequestToken")
    assert token == _request(batch_stack)["ClientRequestToken"]  # one job per manifest version
    assert request == {
        "AccountId": "111122223333",
        "ConfirmationRequired": True,
        "Operation": {
            "LambdaInvoke": {
                "FunctionArn": resolve(batch_stack[0]).alias_arn,
                "InvocationSchemaVersion": "2.0",
            }
        },
        "Report": {
            "Bucket": "arn:aws:s3:::tap-reports-dev",
            "Format": "Report_CSV_20180820",
            "Enabled": True,
            "Prefix": "tap-backfill-reports/dev",
            "ReportScope": "AllTasks",
        },
        "Manifest": {
            "Spec": {"Format": "S3InventoryReport_CSV_20161130"},
            "Location": {
                "ObjectArn": "arn:aws:s3:::" + MANIFEST.removeprefix("s3://"),
                "ETag": "60e0d6a1b5f3b5bd33b4e8d2c9f0aa11",
            },
        },
        "Description": "tap backfill of stack dev",
        "Priority": 10,
        "RoleArn": ROLE_ARN,
    }


@pytest.mark.parametrize(
    ("break_", "message"),
    [
        (lambda r: r.pop("Priority"), 'Missing required parameter in input: "Priority"'),
        (
            lambda r: r["Manifest"]["Location"].pop("ETag"),
            'Missing required parameter in Manifest.Location: "ETag"',
        ),
        (lambda r: r.update(Priority="high"), "Invalid type for parameter Priority"),
        (lambda r: r.update(ConfirmationRequired="yes"), "ConfirmationRequired"),
    ],
)
def test_an_invalid_request_fails_validation(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig], break_: Any, message: str
) -> None:
    request = _request(batch_stack)
    break_(request)
    with pytest.raises(BatchJobError, match="fails s3control's CreateJob model") as raised:
        validate_request(request)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"manifest": "s3://elsewhere/manifest.json"}, "the manifest must be in"),
        ({"report": "s3://tap-reports-dev/other/"}, "the report must go under"),
        ({"manifest": "https://x/manifest.json"}, "--manifest must be s3://bucket/"),
    ],
)
def test_locations_outside_the_roles_grant_are_refused(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig], changes: dict[str, str], message: str
) -> None:
    with pytest.raises(BatchJobError, match=message):
        _request(batch_stack, **changes)


def test_dry_run_prints_the_validated_request(batch_project: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "backfill", "--stack", "dev", "-C", str(batch_project), "--batch-operations",
            "--manifest", MANIFEST, "--manifest-etag", "60e0d6a1b5f3b5bd33b4e8d2c9f0aa11",
            "--report", REPORT, "--dry-run",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    request = json.loads(result.stdout)
    assert request["RoleArn"] == ROLE_ARN
    assert request["Manifest"]["Location"]["ETag"] == "60e0d6a1b5f3b5bd33b4e8d2c9f0aa11"
    validate_request(request)


def test_batch_operations_without_the_switch_is_refused_in_one_line() -> None:
    result = CliRunner().invoke(
        app,
        [
            "backfill", "--stack", "dev", "-C", str(REPO_ROOT), "--batch-operations",
            "--manifest", MANIFEST, "--manifest-etag", "e", "--report", REPORT, "--dry-run",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: cannot create the batch operations job: the stack has 0 roles trusted by "
        "batchoperations.s3.amazonaws.com: set tap:backfill.batchOperations: true (with "
        "manifestBucket and reportBucket) and deploy"
    ]
