"""The Pulumi program: stack config → provider → TapPipeline → exports."""

from __future__ import annotations

import os

import pulumi

from tap.config import from_pulumi
from tap.iam import boundary_on_every_role
from tap.packaging import program_artifact
from tap.pipeline import TapPipeline, TapPipelineArgs
from tap.provider import build_provider


def main() -> TapPipeline:
    """Build the running stack's pipeline; called by `__main__.py` and by `tap synth`."""
    config = from_pulumi()
    # Before any resource: a prebuilt zip with other bytes stops the run with nothing registered.
    artifact = program_artifact(
        runtime=config.processor.runtime,
        architecture=config.processor.architecture,
        environ=os.environ,
    )
    provider = build_provider(config)
    boundary = config.permissions_boundary_arn
    pipeline = TapPipeline(
        config.environment,
        TapPipelineArgs(config=config, code_path=str(artifact.path)),
        opts=pulumi.ResourceOptions(
            provider=provider,
            # Every IAM role beneath the pipeline, whichever component creates it.
            transformations=[boundary_on_every_role(boundary)] if boundary else None,
        ),
    )
    for name, value in pipeline.exports().items():
        pulumi.export(name, value)
    return pipeline
