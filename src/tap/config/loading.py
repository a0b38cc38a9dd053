"""Load environment settings from stack YAML files (CLI) or `pulumi.Config` (the program)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tap.config.checks import check_environment, check_environments
from tap.config.errors import ConfigError, ConfigProblem, ConfigReadError
from tap.config.model import EnvironmentConfig
from tap.config.yamlfile import load_yaml, settle
from tap.facts.markers import SECRET_MARK
from tap.internals.pulumi import explicit_config_keys
from tap.textfile import TextFileError, read_text

NAMESPACE = "tap"

_STRING_KEYS = frozenset(
    info.alias or name
    for name, info in EnvironmentConfig.model_fields.items()
    if info.annotation in (str, str | None)
)


@dataclass(frozen=True)
class StackFile:
    """One `Pulumi.<stack>.yaml`: the stack's name and its raw `tap:` settings."""

    stack: str
    path: Path
    settings: dict[str, Any]
    other_keys: tuple[str, ...] = ()
    problems: tuple[ConfigProblem, ...] = ()
    """Values the file itself makes unusable (read differently by YAML 1.1 and 1.2)."""


@dataclass(frozen=True)
class Project:
    """Every stack of a project directory, validated alone and together."""

    name: str
    directory: Path
    files: dict[str, StackFile]
    configs: dict[str, EnvironmentConfig] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)


def _camel_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model accepts at the parent of `loc` (for 'did you mean')."""
    model: Any = EnvironmentConfig
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = {info.alias or n: info for n, info in model.model_fields.items()}
        info = fields.get(str(part))
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", ())
        model = next(
            (a for a in (annotation, *args) if isinstance(a, type) and hasattr(a, "model_fields")),
            None,
        )
        if model is None:
            return []
    return [info.alias or n for n, info in model.model_fields.items()]


_EXPECTED = {
    "int_type": "Input should be a valid integer",
    "bool_type": "Input should be a valid boolean",
    "string_type": "Input should be a valid string",
    "tuple_type": "Input should be a list",
    "dict_type": "Input should be a mapping",
    "model_type": "Input should be a mapping",
}
"""Strict type errors, in YAML's words (pydantic says tuple and dictionary)."""

_INTEGER_TEXT = re.compile(r"^[-+]?[0-9]+$")


def _written(value: Any) -> str:
    """What the user wrote, as YAML typed it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string '{value}'"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def _type_hint(kind: str, value: Any) -> str:
    """How to write the value the field wants, when it is plain from what was written."""
    if kind == "int_type" and isinstance(value, str) and _INTEGER_TEXT.match(value):
        return f"; write {value} without quotes"
    if kind == "bool_type" and isinstance(value, str) and value in ("true", "false"):
        return f"; write {value} without quotes"
    if kind == "bool_type" and isinstance(value, int) and not isinstance(value, bool):
        return "; write true or false"
    if kind == "string_type" and isinstance(value, int | float | bool):
        return "; quote it"
    return ""


def _describe(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        loc = tuple(error["loc"])
        close = difflib.get_close_matches(str(loc[-1]), _allowed_keys(loc), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key{hint}"
    if kind in _EXPECTED:
        value = error["input"]
        return f"{_EXPECTED[kind]}, not {_written(value)}{_type_hint(kind, value)}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _counts_only_invalid_items(error: Mapping[str, Any], locs: list[tuple[Any, ...]]) -> bool:
    """pydantic also reports a list as too short when its only items failed; that is noise."""
    loc = tuple(error["loc"])
    return error["type"] == "too_short" and any(
        len(other) > len(loc) and other[: len(loc)] == loc for other in locs
    )


def _validate(
    stack: str, settings: Mapping[str, Any]
) -> tuple[EnvironmentConfig | None, list[ConfigProblem]]:
    """The model when the shape is valid, and every problem, shape or cross-field."""
    try:
        config = EnvironmentConfig.model_validate(dict(settings))
    except ValidationError as exc:
        errors = exc.errors()
        locs = [tuple(e["loc"]) for e in errors]
        return None, [
            ConfigProblem(stack, _camel_path(tuple(e["loc"])), _describe(e))
            for e in errors
            if not _counts_only_invalid_items(e, locs)
        ]
    return config, check_environment(stack, config)


def parse_environment(stack: str, settings: Mapping[str, Any]) -> EnvironmentConfig:
    """Validate one stack's `tap:` settings; raise ConfigError with every problem found."""
    config, problems = _validate(stack, settings)
    if config is None or problems:
        raise ConfigError(problems)
    return config


MAX_FILE_BYTES = 1 << 20
"""The most tap reads from `Pulumi.yaml` or a stack file (the shipped ones are about 2 KB)."""


def _yaml_error(path: Path, exc: yaml.YAMLError) -> ConfigReadError:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return ConfigReadError(f"{path}: not valid YAML{where}: {problem}")


def _read_yaml(path: Path, what: str) -> Any:
    """The parsed document; ConfigReadError when the file cannot be read or parsed."""
    try:
        return load_yaml(read_text(path, limit=MAX_FILE_BYTES, what=what))
    except TextFileError as exc:
        raise ConfigReadError(str(exc)) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None


def _tap_name(key: Any) -> str | None:
    """`region` for the config key `tap:region`; None for another namespace."""
    namespace, _, name = str(key).partition(":")
    return name if namespace == NAMESPACE and name else None


def read_stack_file(path: Path) -> StackFile:
    """Parse a `Pulumi.<stack>.yaml`; raise ConfigReadError if it cannot be read."""
    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")
    document, ambiguous = settle(_read_yaml(path, "a stack file") or {})
    if not isinstance(document, dict):
        raise ConfigReadError(f"{path}: expected a mapping at the top level")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigReadError(f"{path}: 'config' must be a mapping")
    settings: dict[str, Any] = {}
    others: list[str] = []
    for key, value in config.items():
        name = _tap_name(key)
        if name is None:
            others.append(str(key))
        else:
            settings[name] = _unwrap_secret(value)
    problems = tuple(
        ConfigProblem(stack, _camel_path((name, *loc[2:])), message)
        for loc, message in ambiguous
        if loc[:1] == ("config",) and len(loc) > 1 and (name := _tap_name(loc[1])) is not None
    )
    return StackFile(stack, path, settings, tuple(others), problems)


def _unwrap_secret(value: Any) -> Any:
    """A `secure:` value can only be decrypted by the Pulumi CLI; stand in a placeholder."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_MARK
    return value


def read_project_name(directory: Path) -> str:
    """The `name` in `Pulumi.yaml`."""
    path = directory / "Pulumi.yaml"
    document, _ = settle(_read_yaml(path, "Pulumi.yaml"))
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ConfigReadError(f"{path}: needs a 'name'")
    return str(document["name"])


def _validate_file(stack_file: StackFile) -> tuple[EnvironmentConfig | None, list[ConfigProblem]]:
    """Like `_validate`, plus the file's own problems; those replace the model's at their path."""
    config, found = _validate(stack_file.stack, stack_file.settings)
    own = {p.path for p in stack_file.problems}
    return config, [*stack_file.problems, *(p for p in found if p.path not in own)]


def load_project(directory: Path) -> Project:
    """Read and validate every stack in `directory`, alone and together."""
    name = read_project_name(directory)
    paths = sorted(directory.glob("Pulumi.*.yaml"))
    if not paths:
        raise ConfigReadError(f"{directory}: no Pulumi.<stack>.yaml files")
    files = {f.stack: f for f in (read_stack_file(p) for p in paths)}
    configs: dict[str, EnvironmentConfig] = {}
    problems: list[ConfigProblem] = []
    shaped: dict[str, EnvironmentConfig] = {}
    for stack, stack_file in files.items():
        config, found = _validate_file(stack_file)
        problems.extend(found)
        if config is not None:
            # Cross-environment rules still see a stack with cross-field problems of its own.
            shaped[stack] = config
            if not found:
                configs[stack] = config
    problems.extend(check_environments(shaped))
    return Project(name, directory, files, configs, sorted(problems))


def to_pulumi_config(settings: Mapping[str, Any]) -> dict[str, str]:
    """Settings as the Pulumi CLI hands them to a program: full keys, JSON for structures."""
    return {
        f"{NAMESPACE}:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in settings.items()
    }


def _present_keys() -> set[str]:
    """Every `tap:` key the engine passed to this program run."""
    import pulumi  # only the program reads config through the engine; the CLI never does

    keys = explicit_config_keys() | set(pulumi.runtime.get_config_env())
    prefix = f"{NAMESPACE}:"
    return {k[len(prefix) :] for k in keys if k.startswith(prefix)}


def from_pulumi(stack: str | None = None) -> EnvironmentConfig:
    """Read the running stack's settings through `pulumi.Config`."""
    import pulumi

    config = pulumi.Config(NAMESPACE)
    settings: dict[str, Any] = {}
    for key in sorted(_present_keys()):
        raw = config.get(key)
        if raw is None:
            continue
        settings[key] = raw if key in _STRING_KEYS else _decode(raw)
    return parse_environment(stack or pulumi.get_stack(), settings)


def _decode(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


__all__ = [
    "ConfigError",
    "ConfigProblem",
    "ConfigReadError",
    "Project",
    "StackFile",
    "from_pulumi",
    "load_project",
    "parse_environment",
    "read_stack_file",
    "to_pulumi_config",
]
