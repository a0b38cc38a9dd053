"""The emulator's CloudFormation deploys every `tap bootstrap` template, and what it created is
what the template says: compared through IAM, KMS and S3's own describes, not the template.

What moto proves: the template parses as CloudFormation, its references resolve, and IAM, KMS
and S3 accept every property moto's CloudFormation applies (names, paths, policy documents, key
rotation, the key policy, bucket encryption with the stack's key). What moto does not do, and
how each is covered instead:
- `AWS::IAM::OIDCProvider` and `AWS::S3::BucketPolicy` are not in moto's CloudFormation; it
  skips them with a warning, which the test requires to name exactly these two types. The
  provider's properties are cfn-lint's to judge (test_cfn_lint.py); the bucket policy is put
  through S3's API here and read back, and its TLS-only deny is judged by both IAM evaluators.
- moto's `AWS::S3::Bucket` ignores VersioningConfiguration, PublicAccessBlockConfiguration and
  BucketKeyEnabled: the template's values are put through S3's API (the same shapes) and read
  back.
- moto's `AWS::KMS::Key` reads Tags as the KMS API's TagKey/TagValue, not CloudFormation's
  Key/Value (a KeyError otherwise): the test renames them before deploying.
- moto's `AWS::IAM::Role` stores each inline policy as Python's repr of the document, so
  GetRolePolicy returns that text: the test reads it back with `ast.literal_eval`.
- moto's `AWS::KMS::Key` keeps KeyPolicy as an object: GetKeyPolicy returns that object
  rather than JSON text (the test accepts either), and moto's own DescribeKey fails parsing it
  (the test builds the key's ARN from the alias's key id instead).
- moto ignores the template's Rules (the account assertion): cfn-lint checks its syntax.
Only a real account shows that CloudFormation creates all of it, that the OIDC provider
accepts GitHub's tokens, and that IAM accepts the policies' principals.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from tap.bootstrap.backend import Backend, bucket_policy
from tap.bootstrap.permissions import boundary_policy, deploy_policy
from tap.bootstrap.trust import GitHubOidcTrust, PrincipalTrust, reassume_policy, trust_policy
from tap.config import EnvironmentConfig
from tap.local.access.evaluators import evaluators_for, judge
from tests.bootstrap.conftest import TRUSTS, project_for, run_bootstrap, stack_config
from tests.support.shipped import STACKS

pytestmark = pytest.mark.slow  # the emulator, and a CloudFormation stack per case

MOTO_LACKS = {"AWS::IAM::OIDCProvider", "AWS::S3::BucketPolicy"}
STACK = "tap-bootstrap"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    """An emulated account whose id is the stack's, so every ARN matches the template's."""
    config: EnvironmentConfig = stack_config(request.node.callspec.params["stack"])
    monkeypatch.setenv("MOTO_ACCOUNT_ID", config.account_id)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield


def _deploy(template: dict[str, Any], region: str) -> tuple[dict[str, str], set[str]]:
    """Create the stack; its outputs, and the types moto's CloudFormation skipped."""
    key = template["Resources"].get("StateKey")
    if key is not None:
        tags = key["Properties"]["Tags"]
        key["Properties"]["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags]
    cloudformation = boto3.client("cloudformation", region_name=region)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=json.dumps(template),
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
    skipped = {
        m.group(1)
        for w in caught
        if (m := re.search(r"Tried to parse (\S+) but it's not supported", str(w.message)))
    }
    [stack] = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}, skipped


def _document(held: Any) -> Any:
    """A policy document as moto's IAM holds it: parsed, or the repr its CloudFormation wrote."""
    return ast.literal_eval(held) if isinstance(held, str) else held


def _check_role_and_boundary(
    config: EnvironmentConfig, trust: Any, outputs: dict[str, str]
) -> None:
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="tap-deployer")["Role"]
    assert (role["Arn"], role["Path"]) == (config.deploy_role_arn, "/")
    assert role["AssumeRolePolicyDocument"] == trust_policy(config, trust)
    inline = {
        name: _document(
            iam.get_role_policy(RoleName="tap-deployer", PolicyName=name)["PolicyDocument"]
        )
        for name in iam.list_role_policies(RoleName="tap-deployer")["PolicyNames"]
    }
    assert inline == {"tap-deploy": deploy_policy(config), "tap-reassume": reassume_policy(config)}
    policy = iam.get_policy(PolicyArn=config.permissions_boundary_arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"
    ]
    assert version["Document"] == boundary_policy(config)
    assert outputs["DeployRoleArn"] == config.deploy_role_arn
    assert outputs["PermissionsBoundaryArn"] == config.permissions_boundary_arn


def _check_backend(
    config: EnvironmentConfig, template: dict[str, Any], outputs: dict[str, str]
) -> None:
    backend = Backend.of(config)
    kms = boto3.client("kms", region_name=config.region)
    [alias] = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == backend.key_alias]
    key_id = alias["TargetKeyId"]
    key_arn = f"arn:aws:kms:{config.region}:{config.account_id}:key/{key_id}"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    held = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    key_policy = json.loads(held) if isinstance(held, str) else held
    deploy_role = {"AWS": config.deploy_role_arn}
    assert [s["Principal"] for s in key_policy["Statement"]] == [
        {"AWS": f"arn:aws:iam::{config.account_id}:root"},
        deploy_role,
    ]

    s3 = boto3.client("s3", region_name=config.region)
    [rule] = s3.get_bucket_encryption(Bucket=backend.bucket)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn,
    }
    # moto's CloudFormation applies none of these; S3's API takes the template's values as is.
    bucket = template["Resources"]["StateBucket"]["Properties"]
    s3.put_bucket_versioning(
        Bucket=backend.bucket, VersioningConfiguration=bucket["VersioningConfiguration"]
    )
    assert s3.get_bucket_versioning(Bucket=backend.bucket)["Status"] == "Enabled"
    block = bucket["PublicAccessBlockConfiguration"]
    s3.put_public_access_block(Bucket=backend.bucket, PublicAccessBlockConfiguration=block)
    held = s3.get_public_access_block(Bucket=backend.bucket)["PublicAccessBlockConfiguration"]
    assert held == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    resolved = json.loads(
        json.dumps(bucket_policy(config, backend)).replace(
            json.dumps({"Fn::GetAtt": ["DeployRole", "Arn"]}), json.dumps(config.deploy_role_arn)
        )
    )
    s3.put_bucket_policy(Bucket=backend.bucket, Policy=json.dumps(resolved))
    assert json.loads(s3.get_bucket_policy(Bucket=backend.bucket)["Policy"]) == resolved
    assert outputs["StateBackendUrl"] == backend.url
    assert outputs["SecretsProvider"] == backend.secrets_provider


CASES = [("github-oidc-created", True), ("principal", False)]


@pytest.mark.parametrize(("trust", "backend"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("stack", STACKS)
def test_the_emulator_deploys_the_template_and_holds_what_it_says(
    aws: None, stack: str, trust: str, backend: bool, external_id_project: Path
) -> None:
    project = project_for(stack, trust, external_id_project)
    result = run_bootstrap(
        project, stack, *TRUSTS[trust], *(["--state-backend"] if backend else [])
    )
    assert result.exit_code == 0, result.stderr
    template = yaml.safe_load(result.stdout)
    config = stack_config(stack)
    if trust == "principal":
        config = config.model_copy(update={"external_id": config.external_id or "tap-dev-deploy"})
        chosen: Any = PrincipalTrust(TRUSTS[trust][-1])
    else:
        chosen = GitHubOidcTrust("acme/tap", create_provider=True)

    outputs, skipped = _deploy(template, config.region)

    assert skipped == {
        t for t in MOTO_LACKS if any(r["Type"] == t for r in template["Resources"].values())
    }
    _check_role_and_boundary(config, chosen, outputs)
    if backend:
        _check_backend(config, template, outputs)
    else:
        assert set(outputs) == {"DeployRoleArn", "PermissionsBoundaryArn"}


def test_the_state_bucket_refuses_requests_without_tls() -> None:
    """The bucket policy's deny, judged by both evaluators (moto ignores aws:SecureTransport)."""
    config = stack_config("prod")
    backend = Backend.of(config)
    document = bucket_policy(config, backend)
    evaluators = evaluators_for([document])
    state = f"arn:aws:s3:::{backend.bucket}/.pulumi/stacks/tap/prod.json"

    assert judge(evaluators, "s3:GetObject", state, {"aws:SecureTransport": "true"}).allowed
    insecure = judge(evaluators, "s3:GetObject", state, {"aws:SecureTransport": "false"})
    assert insecure.decisions == {"principalmapper": False, "lambda-preflight": False}
