"""Synthesize one shipped stack: its config from `Pulumi.<stack>.yaml`, run through the program."""

from __future__ import annotations

from pathlib import Path

from tap import program
from tap.config import EnvironmentConfig, Project, to_pulumi_config
from tap.synth.graph import ResourceGraph
from tap.synth.runner import run_program
from tap.validation import load_stack


def synthesize_project(
    project: Project, stack: str, config: EnvironmentConfig, *, preview: bool = False
) -> ResourceGraph:
    """The resource graph of a stack already loaded through `load_stack`."""
    return run_program(
        program.main,
        project=project.name,
        stack=stack,
        config=to_pulumi_config(project.files[stack].settings),
        preview=preview,
        account_id=config.account_id,
        region=config.region,
    )


def synthesize_config(
    project_dir: Path, stack: str, *, preview: bool = False
) -> tuple[ResourceGraph, EnvironmentConfig]:
    """The stack's resource graph under the recording monitor, and the config it came from."""
    project, config = load_stack(project_dir, stack)
    return synthesize_project(project, stack, config, preview=preview), config


def synthesize_stack(project_dir: Path, stack: str, *, preview: bool = False) -> ResourceGraph:
    """The stack's resource graph, exactly as `pulumi up` would register it."""
    return synthesize_config(project_dir, stack, preview=preview)[0]
