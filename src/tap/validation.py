"""Every stack's config, alone and together, plus the names it produces: what `tap validate`
checks, and what every other command loads a stack through, so none accepts what it refuses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tap.config import (
    ConfigError,
    ConfigReadError,
    EnvironmentConfig,
    Project,
    load_project,
)
from tap.naming import name_problems


def validate_project(directory: Path) -> Project:
    """Load `directory` and add naming problems to the config problems."""
    project = load_project(directory)
    problems = sorted({*project.problems, *name_problems(project.configs)})
    return replace(project, problems=problems)


def load_stack(directory: Path, stack: str) -> tuple[Project, EnvironmentConfig]:
    """One stack's config, only when the whole project validates: the problems `tap validate`
    reports, in every stack, refuse it with the same ConfigError lines."""
    project = validate_project(directory)
    return project, stack_config(project, stack)


def stack_config(project: Project, stack: str) -> EnvironmentConfig:
    """One stack's config from a project `validate_project` loaded, refused as `load_stack`
    refuses it; commands that read several stacks load the project once."""
    if stack not in project.files:
        known = ", ".join(sorted(project.files))
        raise ConfigReadError(f"no stack '{stack}' in {project.directory} (stacks: {known})")
    if project.problems:
        raise ConfigError(project.problems, tuple(project.files))
    return project.configs[stack]
