"""Every stack's config, alone and together, plus the names it produces: what `tap validate`
checks, and what every other command loads a stack through, so none accepts what it refuses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from pathlib import Path

from tap.config import (
    ConfigError,
    ConfigProblem,
    ConfigReadError,
    EnvironmentConfig,
    Project,
    load_project,
)
from tap.naming import Names, s3_bucket_name_problems


def name_problems(configs: dict[str, EnvironmentConfig]) -> list[ConfigProblem]:
    """Invalid bucket names, and physical names two environments would both claim."""
    found: list[ConfigProblem] = []
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for stack, config in sorted(configs.items()):
        names = Names.of(config)
        for i, bucket in enumerate(config.buckets):
            physical = names.bucket(bucket.name)
            found.extend(
                ConfigProblem(stack, f"buckets[{i}].name", f"bucket name '{physical}' {problem}")
                for problem in s3_bucket_name_problems(physical)
            )
        for what, physical in names.all(config).items():
            owners[physical].append((stack, what))
    for physical, claims in sorted(owners.items()):
        stacks = sorted({stack for stack, _ in claims})
        if len(stacks) > 1:
            found.extend(
                ConfigProblem(
                    stack,
                    "environment",
                    f"physical name '{physical}' is also produced by "
                    f"{', '.join(s for s in stacks if s != stack)}",
                )
                for stack in stacks
            )
    return found


def validate_project(directory: Path) -> Project:
    """Load `directory` and add naming problems to the config problems."""
    project = load_project(directory)
    problems = sorted({*project.problems, *name_problems(project.configs)})
    return replace(project, problems=problems)


def load_stack(directory: Path, stack: str) -> tuple[Project, EnvironmentConfig]:
    """One stack's config, only when the whole project validates: the problems `tap validate`
    reports, in every stack, refuse it with the same ConfigError lines."""
    project = validate_project(directory)
    if stack not in project.files:
        known = ", ".join(sorted(project.files))
        raise ConfigReadError(f"no stack '{stack}' in {directory} (stacks: {known})")
    if project.problems:
        raise ConfigError(project.problems, tuple(project.files))
    return project, project.configs[stack]
