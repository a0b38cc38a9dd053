"""tap local on the command line: JSON report, exit codes, and --keep-running until Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

import tap.synth.cache
from tap.cli.app import app
from tap.config import EnvironmentConfig, Project
from tap.facts.tokens import KMS_KEY
from tap.synth import ResourceGraph
from tests.support.bounds import WAIT
from tests.support.imports import tap_imports
from tests.support.local import mutate, without_action
from tests.support.shipped import only, shipped

pytestmark = pytest.mark.slow  # full `tap local` runs through the CLI

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_local_json_reports_a_clean_run_with_faults() -> None:
    result = runner.invoke(
        app,
        ["local", "-C", str(REPO), "--objects", "12", "--fail-rate", "0.3",
         "--duplicate-rate", "0.3", "--reorder", "--seed", "5", "--json"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["uploaded"] == 12
    assert (report["lost"], report["duplicate_items"]) == (0, 0)
    assert report["unauthorized_calls"] == []
    assert report["injected"]["duplicates"] > 0
    assert report["injected"]["throttled_writes"] > 0


def test_local_invoke_throttles_reach_the_delivery_dlq_and_lose_nothing() -> None:
    result = runner.invoke(
        app,
        ["local", "-C", str(REPO), "--objects", "3", "--invoke-throttle-rate", "1",
         "--seed", "2", "--json"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["lost"] == report["items"] == 0
    assert report["in_delivery_dlq"] == report["operations"] > 0
    # Pulumi.dev.yaml: failureHandling.delivery.maximumRetryAttempts 24, so 25 attempts each
    assert report["injected"]["invoke_throttles"] == 25 * report["operations"]


def test_local_exits_1_when_the_role_would_deny_the_handler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CLI's exit code follows the report: the stack's program is swapped for one whose
    processor role lacks dynamodb:PutItem, and everything else runs for real."""
    real = tap.synth.cache.synthesize_cached

    drop_put_item = without_action("dynamodb:PutItem")

    def without_put_item(
        project: Project, stack: str, *, use_cache: bool = True
    ) -> tuple[ResourceGraph, EnvironmentConfig]:
        graph, config = real(project, stack, use_cache=use_cache)
        return mutate(graph, "aws:iam/rolePolicy:RolePolicy", drop_put_item), config

    monkeypatch.setattr(tap.synth.cache, "synthesize_cached", without_put_item)
    result = runner.invoke(app, ["local", "-C", str(REPO), "--objects", "3", "--json"])

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert {c["action"] for c in report["unauthorized_calls"]} == {"dynamodb:PutItem"}


def _local_process(project: Path) -> tuple[dict[str, object], set[str]]:
    """`tap local --json` as its own process: the report, and the packages it imported."""
    stdout, imported = tap_imports("local", "-C", str(project), "--objects", "3", "--json")
    return json.loads(stdout), imported


def test_local_runs_a_cached_graph_without_pulumi_and_reports_the_same(stack_dir: Path) -> None:
    # GIVEN a run that synthesized (and so filled the graph cache)
    synthesized, first_imports = _local_process(stack_dir)
    entries = sorted(p.name for p in (stack_dir / ".tap" / "graphs").glob("dev-*.json"))
    # WHEN the same run is made again
    cached, cached_imports = _local_process(stack_dir)
    # THEN it ran the cached graph without importing pulumi, and both reports are the same run's
    assert len(entries) == 1
    assert "pulumi" in first_imports
    assert "pulumi" not in cached_imports

    def same_run(report: dict[str, object]) -> dict[str, object]:
        # duration, and the KMS key ids moto makes up anew in each emulator
        return {
            k: v for k, v in report.items() if k not in {"duration_seconds", "unused_permissions"}
        }

    assert same_run(cached) == same_run(synthesized)
    assert cached["ok"] is True
    assert len(cached["unused_permissions"]) == len(synthesized["unused_permissions"])  # type: ignore[arg-type]


def test_local_refuses_a_rate_outside_zero_to_one() -> None:
    result = runner.invoke(app, ["local", "-C", str(REPO), "--fail-rate", "1.5"])

    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_keep_running_serves_the_emulator_until_ctrl_c() -> None:
    """The kept emulator answers at the printed endpoint, with the printed credentials; an object
    put there reaches the table; Ctrl-C stops it cleanly."""
    tap = Path(sys.executable).with_name("tap")
    process = subprocess.Popen(
        [str(tap), "local", "-C", str(REPO), "--objects", "5", "--keep-running"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if "Press Ctrl-C" in line or not line:
                break
        exports = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in lines
            if line.strip().startswith("export AWS_")
        )
        endpoint = exports["AWS_ENDPOINT_URL"]
        assert endpoint.startswith("http://127.0.0.1:")
        # aws-cli v1 ignores AWS_ENDPOINT_URL: the output says so, and every aws example names it
        assert any("aws-cli v1 ignores AWS_ENDPOINT_URL" in line for line in lines)
        examples = [line for line in lines if " aws " in f" {line.strip()} "]
        assert len(examples) >= 2
        assert all(f"--endpoint-url {endpoint}" in line for line in examples)
        table = next(line.split()[1] for line in lines if line.strip().startswith("table "))
        bucket = next(line.split()[1] for line in lines if line.strip().startswith("buckets "))
        session = boto3.session.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name=exports["AWS_DEFAULT_REGION"],
        )
        dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        assert len(dynamodb.scan(TableName=table)["Items"]) == 5
        # The key printed is the emulator's own, found by the printed alias; not the graph's.
        printed = {
            line.split()[0]: line.split()[1] for line in lines if line.startswith("  kms_key_")
        }
        kms = session.client("kms", endpoint_url=endpoint)
        held = kms.describe_key(KeyId=printed["kms_key_alias"])["KeyMetadata"]["Arn"]
        assert printed["kms_key_arn"] == held
        assert held in {k["KeyArn"] for k in kms.list_keys()["Keys"]}
        assert held != only(shipped("dev")[0], KMS_KEY).outputs["arn"]

        # Live: an object put to the printed endpoint reaches the table (the wait is bounded,
        # never measured: a loaded machine is slower).
        session.client("s3", endpoint_url=endpoint).put_object(
            Bucket=bucket, Key="live/one.csv", Body=b"12345"
        )
        deadline = time.monotonic() + WAIT
        found: list[dict[str, object]] = []
        while time.monotonic() < deadline and not found:
            found = [
                i
                for i in dynamodb.scan(TableName=table)["Items"]
                if i["key"]["S"] == "live/one.csv"
            ]
            time.sleep(0.1)
        assert found, f"the live stack did not record the object within {WAIT} s"

        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "emulator stopped" in rest


def test_piped_local_writes_only_its_report_to_stdout() -> None:
    """Progress is on stderr everywhere, as the day-2 commands' is: piped, stdout holds the
    summary panel and not one progress bar."""
    result = subprocess.run(
        [Path(sys.executable).with_name("tap"), "local", "-C", REPO, "--objects", "3"],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "applying graph" in result.stderr
    assert "verifying" in result.stderr
    assert "applying graph" not in result.stdout
    assert "━" not in result.stdout
    assert result.stdout.lstrip().startswith("╭")
    assert "tap local: dev" in result.stdout.splitlines()[0]
    assert "uploaded" in result.stdout
