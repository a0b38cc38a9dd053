"""Reading engine-shaped input values: numbers arrive as floats, optional keys may be absent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.local.errors import ApplyError


def required_str(inputs: Mapping[str, Any], name: str, urn: str) -> str:
    """A non-empty string input, or ApplyError naming it."""
    value = inputs.get(name)
    if not isinstance(value, str) or not value:
        raise ApplyError(urn, f"input {name!r} must be a non-empty string, got {value!r}")
    return value


def optional_int(inputs: Mapping[str, Any], name: str) -> int | None:
    """An integer input (the engine sends numbers as floats), or None when absent."""
    value = inputs.get(name)
    if value is None or isinstance(value, bool):
        return None
    return int(value)


def mapping(inputs: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A nested object input, or an empty mapping when absent."""
    value = inputs.get(name)
    return value if isinstance(value, Mapping) else {}


def compact(**fields: Any) -> dict[str, Any]:
    """API parameters without the ones that are None."""
    return {k: v for k, v in fields.items() if v is not None}


def tags_list(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """The `tags` input as `[{"Key", "Value"}]`."""
    tags = mapping(inputs, "tags")
    return [{"Key": str(k), "Value": str(v)} for k, v in sorted(tags.items())]
