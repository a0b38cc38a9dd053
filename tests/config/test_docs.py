"""docs/config.md documents exactly the keys, defaults and names the code has."""

import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tap.config import load_project
from tap.config.checks import _bucket_shape, _processor_shape
from tap.config.model import EnvironmentConfig
from tap.naming import Names

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"
ROW = re.compile(
    r"^\| `(?P<key>[A-Za-z\[\].]+)` \| [^|]+ \| (?P<default>[^|]+) \|.*\| (?P<same>yes)? ?\|$"
)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def model_keys(model: type[BaseModel] = EnvironmentConfig, prefix: str = "") -> dict[str, str]:
    """Every documented key path, mapped to its default as the doc writes it."""
    keys: dict[str, str] = {}
    for name, info in model.model_fields.items():
        key = prefix + (info.alias or name)
        nested = _model_of(info.annotation)
        if nested is not None and nested is info.annotation:
            keys.update(model_keys(nested, key + "."))
            continue
        keys[key] = (
            "required"
            if info.is_required()
            else render(info.get_default(call_default_factory=True))
        )
        if nested is not None:
            keys.update(model_keys(nested, key + "[]."))
    return keys


def render(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    if isinstance(value, dict):
        return "`{}`" if not value else repr(value)
    if value == "":
        return '`""`'
    return f"`{value}`"


def documented() -> dict[str, tuple[str, bool]]:
    rows: dict[str, tuple[str, bool]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows[match["key"]] = (match["default"].strip(), match["same"] is not None)
    return rows


def test_every_model_key_is_documented_and_nothing_else() -> None:
    assert sorted(documented()) == sorted(model_keys())


@pytest.mark.parametrize(("key", "default"), sorted(model_keys().items()))
def test_documented_default_matches_the_model(key: str, default: str) -> None:
    assert documented()[key][0] == default


def test_keys_marked_same_everywhere_are_the_ones_compared_across_environments(
    repo_root: Path,
) -> None:
    config = load_project(repo_root).configs["prod"]
    compared = {"buckets"}
    compared |= {f"buckets[].{field}" for field in _bucket_shape(config)["data"]}
    compared |= {f"processor.{field}" for field in _processor_shape(config)}

    marked = {key for key, (_, same) in documented().items() if same}

    assert marked == compared


def test_every_physical_name_of_the_shipped_stacks_is_in_the_naming_table(
    repo_root: Path,
) -> None:
    text = DOC.read_text(encoding="utf-8")
    project = load_project(repo_root)

    missing = [
        name
        for config in project.configs.values()
        for name in Names.of(config).all(config).values()
        if f"`{name}`" not in text
    ]

    assert missing == []
