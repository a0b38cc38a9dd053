"""docs/deploy.md, run: every `tap` line of a block marked `offline`, in a copy of the project,
and the teardown's `aws` block against the emulator. The `pulumi` lines need the Pulumi CLI and
an account, and are only checked for the stack commands they use."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from tap.cli.app import app
from tap.facts.arns import kms_key_arn
from tap.local.emulator import running_emulator, stop_emulator
from tap.ops.stack import resolve
from tap.synth.stack import synthesize_config
from tests.support.paths import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "deploy.md").read_text()
runner = CliRunner()
DEPLOYED_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # the id AWS's KMS docs use


def blocks(marker: str) -> list[str]:
    """The bodies of the fenced blocks right after `<!-- marker -->`."""
    return re.findall(rf"<!-- {re.escape(marker)} -->\n```\w+\n(.*?)\n```", DOC, flags=re.S)


def tap_lines(text: str) -> list[list[str]]:
    """Each `$ tap ...` line of `text` as arguments (after `tap`), comments dropped."""
    return [
        shlex.split(line, comments=True)[1:]
        for line in re.findall(r"^\$ (tap .+)$", text, flags=re.M)
    ]


def test_the_doc_has_every_section_in_order() -> None:
    headings = re.findall(r"^## (.+)$", DOC, flags=re.M)
    assert headings == [
        "1. Bootstrap each account (an administrator, once)",
        "2. State backend and secrets, then stack init",
        "3. Your accounts: tap init",
        "4. CI/CD: pull requests, promotion, rollback",
        "5. The first deploy",
        "6. Promotion and rollback",
        "7. Confirm the SNS email subscription",
        "8. Teardown: unprotect, empty the bucket, destroy",
    ]
    assert "](deploy-role.md)" in DOC.split("## 2.")[0]


def test_every_tap_line_names_a_command_and_options_tap_has() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    lines = tap_lines(DOC)
    assert len(lines) >= 8
    for args in lines:
        assert args[0] in commands, args
        known = {o for p in commands[args[0]].params for o in getattr(p, "opts", [])}
        assert {a for a in args if a.startswith("-")} <= known, args


def test_the_offline_lines_run_in_a_copy_of_the_project(
    stack_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In order, as a user runs them from the project directory; each exits 0. The outputs file
    `pulumi stack output --json` would write is stood in for: the synthesized names, and a key
    ARN in the account `tap init` wrote (a real one exists only after `pulumi up`)."""
    monkeypatch.chdir(stack_dir)
    lines = [args for block in blocks("offline") for args in tap_lines(block)]
    assert [a[0] for a in lines] == [
        "init", "validate", "check", "diff", "validate", "check", "package", "operator-policy"
    ]  # fmt: skip
    for args in lines:
        if "dev-outputs.json" in args:
            graph, config = synthesize_config(stack_dir, "dev")
            resources = resolve(graph)
            key = kms_key_arn("aws", config.region, config.account_id, DEPLOYED_KEY_ID)
            outputs = {"tableName": resources.table, "functionName": resources.function}
            Path("dev-outputs.json").write_text(json.dumps({**outputs, "kmsKeyArn": key}))
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    # THEN the stacks are the accounts init wrote, and the policy names the deployed key
    assert '"210987654321"' in (stack_dir / "Pulumi.dev.yaml").read_text()
    assert key in result.stdout
    assert "111122223333" not in result.stdout


def test_the_documented_warning_is_what_tap_validate_prints_on_the_shipped_checkout() -> None:
    block = re.search(r"```console\n\$ tap validate\n(.*?)\n```", DOC, flags=re.S)
    assert block is not None
    result = runner.invoke(app, ["validate", "-C", str(REPO_ROOT)])
    assert result.exit_code == 0
    assert block.group(1).splitlines() == [*result.stderr.splitlines(), *result.stdout.splitlines()]


def test_a_stack_file_after_pulumi_stack_init_still_validates(stack_dir: Path) -> None:
    """`pulumi stack init --secrets-provider awskms://...` adds two top-level keys."""
    dev = stack_dir / "Pulumi.dev.yaml"
    dev.write_text(
        "secretsprovider: awskms://alias/tap-pulumi-secrets?region=us-east-1\n"
        "encryptedkey: AQICAHh4ZXhhbXBsZQ==\n" + dev.read_text()
    )
    result = runner.invoke(app, ["validate", "-C", str(stack_dir)])
    assert (result.exit_code, result.stdout) == (0, "✓ 3 stacks valid: dev, prod, staging\n")


@pytest.mark.slow
@pytest.mark.xdist_group("kept-emulator")
def test_the_teardown_block_empties_the_versioned_bucket_and_lifts_deletion_protection() -> None:
    """The block as documented, in bash, with the venv's AWS CLI (v1, which reads
    AWS_ENDPOINT_URL) against a served emulator. Judged by what S3, DynamoDB and EventBridge
    then hold, and by S3 deleting the bucket."""
    [script] = blocks("offline: emulator")
    region, bucket, table, rule = "us-east-1", "tap-data-teardown", "tap-items-teardown", "ingest"
    with running_emulator(account_id="210987654321", region=region, keep_running=True) as emu:
        try:
            session = emu.session()
            s3, dynamodb, events = (
                session.client(s, endpoint_url=emu.endpoint)  # type: ignore[call-overload]
                for s in ("s3", "dynamodb", "events")
            )
            # GIVEN a versioned bucket with 1,003 versions and delete markers (two batches)
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            for version in range(3):
                for key in range(334):
                    s3.put_object(Bucket=bucket, Key=f"raw/{key}.csv", Body=str(version).encode())
            s3.delete_object(Bucket=bucket, Key="raw/0.csv")
            listed = s3.list_object_versions(Bucket=bucket)
            assert listed["IsTruncated"]
            # AND a protected table, and an enabled rule
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
                DeletionProtectionEnabled=True,
            )
            events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.s3"]}))
            assert emu.credentials is not None
            assert emu.endpoint is not None
            env = {
                **os.environ,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "AWS_ENDPOINT_URL": emu.endpoint,
                "AWS_ACCESS_KEY_ID": emu.credentials.access_key_id,
                "AWS_SECRET_ACCESS_KEY": emu.credentials.secret_access_key,
                "AWS_DEFAULT_REGION": region,
                "BUCKET": bucket,
                "TABLE": table,
                "REGION": region,
                "REPLICA_REGIONS": "",
                "RULES": rule,
            }
            # WHEN the documented block runs
            done = subprocess.run(
                ["bash", "-eu", "-c", script], env=env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, done.stderr
            # THEN nothing is left in the bucket, and S3 deletes it
            left = s3.list_object_versions(Bucket=bucket)
            assert left.get("Versions", []) == left.get("DeleteMarkers", []) == []
            s3.delete_bucket(Bucket=bucket)
            assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
            # AND the table may be deleted, and the rule feeds the processor no more
            described = dynamodb.describe_table(TableName=table)["Table"]
            assert described["DeletionProtectionEnabled"] is False
            assert events.describe_rule(Name=rule)["State"] == "DISABLED"
        finally:
            if emu.endpoint is not None:
                stop_emulator(emu.endpoint)
