"""Cold import of the handler from the built artifact against `import boto3`, fresh processes."""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.bytecode import compile_all
from benchmarks.measure import Sample, paired_ratio
from tap.facts.arns import queue_url

_CLOCK = "import time; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"
SCRIPTS = {
    "handler_import": "import process_handler",
    "boto3_import": "import boto3",
    "handler_ready": (
        "import process_handler; from tap_processor.handler import default_processor; "
        "default_processor()._item_store()"
    ),
    "handler_ready_precompiled": "PRECOMPILED",
    "boto3_client_ready": "import boto3; boto3.client('dynamodb')",
    "powertools_idempotency_import": (
        "from aws_lambda_powertools.utilities.idempotency import "
        "DynamoDBPersistenceLayer, IdempotencyConfig, idempotent"
    ),
}
DESCRIPTIONS = {
    "handler_import": "`import process_handler` from the unzipped artifact",
    "boto3_import": "`import boto3` (baseline)",
    "handler_ready": "handler import + Processor + its DynamoDB client (ready to write)",
    "handler_ready_precompiled": "the same, with the artifact's sources precompiled to .pyc",
    "boto3_client_ready": "`import boto3; boto3.client('dynamodb')` (baseline)",
    "powertools_idempotency_import": "Powertools idempotency import (for reference)",
}


def _run(body: str, task_dir: Path) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": str(task_dir),
        # /var/task is read-only in Lambda, so the handler's sources compile on every cold start.
        "PYTHONDONTWRITEBYTECODE": "1",
        "TABLE_NAME": "tap-bench-items",
        "ENVIRONMENT": "bench",
        "BUCKET_NAMES": "tap-bench-data",  # the processor refuses to start without its buckets
        "DLQ_URL": queue_url("us-east-1", "123456789012", "tap-bench-dlq"),
        # Lambda sets both; botocore reads only AWS_DEFAULT_REGION.
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    completed = subprocess.run(
        [sys.executable, "-c", _CLOCK.format(body=body)],
        cwd=task_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"`{body}` failed: {tail[0]}")
    return float(completed.stdout.strip().splitlines()[-1])


def _handler_origin(task_dir: Path) -> str:
    """Where `process_handler` is imported from: proves the artifact, not the checkout, is timed."""
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import process_handler, tap_processor; print(tap_processor.__file__)",
        ],
        cwd=task_dir,
        env={**os.environ, "PYTHONPATH": str(task_dir), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return completed.stdout.strip()


def measure(*, runs: int = 11) -> dict[str, Any]:
    """Unzip the built artifact as Lambda does; time each import `runs` times, interleaved."""
    from tap.packaging import build_artifact

    # Lambda's runtime ships boto3 compiled; the installers here do not compile, so without this
    # `import boto3` would time the compiler and flatter every ratio against it.
    site_bytecode = compile_all(Path(sys.executable))
    with tempfile.TemporaryDirectory(prefix="tap-bench-cold-") as scratch:
        root = Path(scratch)
        artifact = build_artifact(cache_dir=root / "cache")
        task_dir = root / "task"
        with zipfile.ZipFile(artifact.path) as archive:
            archive.extractall(task_dir)
            unpacked = sum(info.file_size for info in archive.infolist())
            files = len(archive.infolist())
        origin = _handler_origin(task_dir)
        if not origin.startswith(str(task_dir)):
            raise RuntimeError(f"process_handler came from {origin}, not the artifact")
        # A second copy with bytecode, to price what compiling the sources costs each cold start.
        precompiled = root / "task-pyc"
        shutil.copytree(task_dir, precompiled)
        compileall.compile_dir(precompiled, quiet=1)
        times: dict[str, list[float]] = {name: [] for name in SCRIPTS}
        for _ in range(runs):
            for name, body in SCRIPTS.items():
                if name == "handler_ready_precompiled":
                    seconds = _run(SCRIPTS["handler_ready"], precompiled)
                else:
                    seconds = _run(body, task_dir)
                times[name].append(seconds * 1000)
    samples = {name: Sample.of(values, "ms").to_dict() for name, values in times.items()}
    return {
        "artifact": {
            "sha256": artifact.sha256,
            "zip_bytes": artifact.size,
            "unpacked_bytes": unpacked,
            "files": files,
        },
        "imports": samples,
        "site_packages_bytecode": site_bytecode,
        "descriptions": DESCRIPTIONS,
        "handler_import_to_boto3": paired_ratio(
            list(zip(times["handler_import"], times["boto3_import"], strict=True))
        ).to_dict(),
        "handler_ready_to_boto3_client": paired_ratio(
            list(zip(times["handler_ready"], times["boto3_client_ready"], strict=True))
        ).to_dict(),
        "handler_ready_precompiled_to_boto3_client": paired_ratio(
            list(zip(times["handler_ready_precompiled"], times["boto3_client_ready"], strict=True))
        ).to_dict(),
        "powertools_idempotency_to_boto3": paired_ratio(
            list(zip(times["powertools_idempotency_import"], times["boto3_import"], strict=True))
        ).to_dict(),
    }
