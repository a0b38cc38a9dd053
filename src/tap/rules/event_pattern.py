"""EventBridge's event-pattern matching, for the patterns `tap check` judges against S3 events.

tap's own matcher, so the base install (what `pulumi up` and the CrossGuard pack need) does not
pull in moto for its `EventPattern`. It evaluates exact values and the operators `prefix`,
`suffix`, `equals-ignore-case`, `wildcard`, `anything-but`, `exists`, `numeric`, `cidr` and
`$or`, and agrees with moto's matcher on them (tests/rules/test_event_pattern.py proves it with
hypothesis). An operator EventBridge does not have is refused, never silently matched.
"""

from __future__ import annotations

import ipaddress
import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, Final


class EventPatternError(ValueError):
    """A pattern EventBridge refuses: bad JSON, a scalar or empty list, an unknown operator."""


class _Missing:
    """The value of a field the event does not have."""


MISSING: Final = _Missing()

_NUMERIC: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
}


def load(raw: str | None) -> dict[str, Any]:
    """A pattern's JSON text as a dict, refused as EventBridge refuses it."""
    try:
        pattern = json.loads(raw) if raw else {}
    except json.JSONDecodeError as exc:
        raise EventPatternError(f"invalid JSON: {exc.msg}") from None
    if not isinstance(pattern, dict):
        raise EventPatternError("a pattern is a JSON object")
    validate(pattern)
    return pattern


def validate(node: Mapping[str, Any]) -> None:
    """Raise EventPatternError for a pattern EventBridge would refuse."""
    for key, value in node.items():
        if isinstance(value, dict):
            validate(value)
        elif not isinstance(value, list):
            raise EventPatternError(f"'{key}' must be an object or an array")
        elif not value:
            raise EventPatternError(f"'{key}' is an empty array")
        elif key == "$or":
            for branch in value:
                if not isinstance(branch, dict):
                    raise EventPatternError("each '$or' branch must be an object")
                validate(branch)
        else:
            for item in value:
                if isinstance(item, dict):
                    _check_operator(item)


def _check_operator(named: Mapping[str, Any]) -> None:
    name = next(iter(named), None)
    if name not in _OPERATORS:
        raise EventPatternError(f"unknown operator {name!r}")
    if name == "anything-but" and isinstance(named[name], dict):
        _check_operator(named[name])


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether EventBridge would deliver `event` to a rule with `pattern`."""
    return _node_matches(pattern, event)


def matches_json(raw: str, event: Mapping[str, Any]) -> bool:
    """`matches` for a pattern given as its JSON text (parsed once per distinct text)."""
    return matches(_loaded(raw), event)


@cache
def _loaded(raw: str) -> dict[str, Any]:
    return load(raw)


def _node_matches(pattern: Mapping[str, Any], event: object) -> bool:
    for key, value in pattern.items():
        if key == "$or":
            if not any(isinstance(p, dict) and _node_matches(p, event) for p in value):
                return False
            continue
        field = event.get(key, MISSING) if isinstance(event, Mapping) else MISSING
        if isinstance(value, dict):
            if not _node_matches(value, field):
                return False
        elif not isinstance(value, list) or not _filters_match(_leaf(field), value):
            return False
    return True


def _leaf(field: object) -> object:
    """A field as a filter sees it: an object with fields is no value (its fields are)."""
    return MISSING if isinstance(field, Mapping) and field else field


def _filters_match(item: object, filters: Sequence[Any]) -> bool:
    """Whether any of a field's filters (exact values or operators) accepts its value."""
    for f in filters:
        if isinstance(f, dict):
            if _operator_matches(item, f):
                return True
        elif item is not MISSING and (f in item if isinstance(item, list) else item == f):
            return True
    return False


def _operator_matches(item: object, named: Mapping[str, Any]) -> bool:
    name, argument = next(iter(named.items()))
    if name == "exists":
        return bool((item is not MISSING) == argument)
    if item is MISSING:
        return False
    test = _OPERATORS.get(name)
    if test is None:
        raise EventPatternError(f"unknown operator {name!r}")
    values = item if isinstance(item, list) else [item]
    return any(test(v, argument) for v in values)


def _affix(text_test: Callable[[str, str], bool]) -> Callable[[object, Any], bool]:
    """`prefix`/`suffix`: one string, a list of them, or {"equals-ignore-case": string}."""

    def test(value: object, argument: Any) -> bool:
        if not isinstance(value, str):
            return False
        if isinstance(argument, dict) and "equals-ignore-case" in argument:
            return text_test(value.lower(), str(argument["equals-ignore-case"]).lower())
        options = argument if isinstance(argument, list) else [argument]
        return any(text_test(value, o) for o in options)

    return test


def _equals_ignore_case(value: object, argument: Any) -> bool:
    options = argument if isinstance(argument, list) else [argument]
    return isinstance(value, str) and any(value.lower() == o.lower() for o in options)


def _numeric(value: object, argument: Sequence[Any]) -> bool:
    if not isinstance(value, int | float):
        return False
    pairs = zip(argument[::2], argument[1::2], strict=False)
    return all(_NUMERIC[op](value, bound) for op, bound in pairs)


def _anything_but(value: object, argument: Any) -> bool:
    if isinstance(argument, list):
        return value not in argument
    if isinstance(argument, dict):
        return not _operator_matches(value, argument)
    return bool(value != argument)


def _cidr(value: object, argument: Any) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(argument)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _wildcard(value: object, argument: Any) -> bool:
    options = argument if isinstance(argument, list) else [argument]
    return isinstance(value, str) and any(_wildcard_regex(o).fullmatch(value) for o in options)


@cache
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    r"""`*` matches any run of characters; `\*` and `\\` are a literal `*` and `\`."""
    parts = re.split(r"(\\[*\\]|\*)", pattern)
    return re.compile(
        "".join(
            ".*" if p == "*" else re.escape(p[1]) if p in ("\\*", "\\\\") else re.escape(p)
            for p in parts
        ),
        re.DOTALL,
    )


_OPERATORS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "prefix": _affix(str.startswith),
    "suffix": _affix(str.endswith),
    "equals-ignore-case": _equals_ignore_case,
    "numeric": _numeric,
    "anything-but": _anything_but,
    "cidr": _cidr,
    "wildcard": _wildcard,
    "exists": lambda value, argument: bool((value is not MISSING) == argument),
}
