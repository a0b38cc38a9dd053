"""Typed environment config: the model, its loading, and the rules across environments."""

from tap.config.errors import ConfigError, ConfigProblem, ConfigReadError
from tap.config.loading import (
    Project,
    from_pulumi,
    load_project,
    parse_environment,
    to_pulumi_config,
)
from tap.config.model import EnvironmentConfig

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "ConfigReadError",
    "EnvironmentConfig",
    "Project",
    "from_pulumi",
    "load_project",
    "parse_environment",
    "to_pulumi_config",
]
