"""Pulumi YAML as tap reads it: no repeated keys, bounded nesting, and no value that YAML 1.1
and YAML 1.2 would read differently."""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from tap.internals.pyyaml import libyaml_parser

MAX_DEPTH = 100
"""Deepest nesting accepted; a stack file needs about a dozen levels."""

MAX_VALUES = 100_000
"""Most values a document may expand to through aliases (a stack file holds a few hundred)."""

_TAG = "tag:yaml.org,2002:"
MERGE_TAG = f"{_TAG}merge"
_BOOL_TAG = f"{_TAG}bool"
_SCALAR_TAGS = frozenset(f"{_TAG}{t}" for t in ("null", "bool", "int", "float", "timestamp", "str"))
_AMBIGUOUS = "tag:tap,2026:ambiguous:"
"""Prefix of the tag given to a plain scalar that YAML 1.1 and 1.2 read differently; the rest is
the YAML 1.1 tag."""

_YAML11_ONLY_BOOLS = {"y": True, "Y": True, "n": False, "N": False}
"""Booleans in the YAML 1.1 type repository that PyYAML leaves out; Go's yaml.v2 reads them."""

# The YAML 1.2 core schema (spec 1.2.2, section 10.3.2), tried in this order.
_CORE_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_CORE_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
              "FALSE": False}  # fmt: skip
_CORE_INT = ((re.compile(r"^[-+]?[0-9]+$"), 10), (re.compile(r"^0o([0-7]+)$"), 8),
             (re.compile(r"^0x([0-9a-fA-F]+)$"), 16))  # fmt: skip
_CORE_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_CORE_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_CORE_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


def yaml12_value(text: str) -> Any:
    """What a YAML 1.2 reader (core schema) makes of a plain scalar."""
    if _CORE_NULL.match(text):
        return None
    if text in _CORE_BOOL:
        return _CORE_BOOL[text]
    for pattern, base in _CORE_INT:
        match = pattern.match(text)
        if match:
            return int(match.group(match.lastindex or 0), base)
    if _CORE_FLOAT.match(text):
        return float(text)
    if _CORE_INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _CORE_NAN.match(text):
        return math.nan
    return text


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    return bool(a == b) or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def _spelled(value: Any) -> str:
    """A value as YAML 1.2 spells it unambiguously."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return "-.inf" if value < 0 else ".inf"
    return str(value)


def _reading(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the string '{value}'"
    if isinstance(value, datetime.datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return _spelled(value)


@dataclass(frozen=True)
class AmbiguousScalar:
    """A plain (unquoted) scalar that YAML 1.1 and YAML 1.2 read as different values."""

    text: str
    yaml11: Any
    """What YAML 1.1 (PyYAML, Go's yaml.v2) reads."""
    yaml12: Any
    """What YAML 1.2's core schema reads."""

    def describe(self, *, as_key: bool = False) -> str:
        """What each version reads, and how to write it so every reader agrees."""
        numbers = [v for v in (self.yaml12, self.yaml11) if isinstance(v, bool | int | float)]
        fix = f"write {_spelled(numbers[0])}, or quote it" if numbers and not as_key else "quote it"
        return (
            f"{self.text} is read as {_reading(self.yaml11)} by YAML 1.1 but as "
            f"{_reading(self.yaml12)} by YAML 1.2; {fix}"
        )


class _TapRules:
    """What tap's loaders refuse, over whichever scanner and parser produce the events.

    - A key repeated in one mapping, as the Pulumi CLI refuses it (PyYAML keeps the last value
      silently, so `tap:production` written twice would be whichever came last).
    - Nesting deeper than MAX_DEPTH (PyYAML recurses per level and would crash), an alias to the
      node it is part of, and aliases expanding to more than MAX_VALUES values.
    - Nothing is refused for being ambiguous between YAML 1.1 and 1.2 here: such a plain scalar
      becomes an AmbiguousScalar, so the caller can report it at its dotted path.

    Mixed in ahead of PyYAML's Composer, SafeConstructor and Resolver: `super()` reaches them.
    """

    # Provided by the classes mixed in after this one (annotations only: no attribute here).
    yaml_constructors: dict[Any, Any]
    peek_event: Callable[[], Any]

    def _start(self) -> None:
        self._depth = 0
        self._values = 0
        self._sizes: dict[str, int] = {}
        self._open: set[str] = set()

    def _count(self, values: int, mark: Any) -> None:
        self._values += values
        if self._values > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None, None, f"aliases expand it to more than {MAX_VALUES} values", mark
            )

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: Any = self.peek_event()
        mark: Any = event.start_mark
        anchor: str | None = event.anchor
        if isinstance(event, yaml.AliasEvent):
            if anchor in self._open:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{anchor} is inside its own anchor", mark
                )
            self._count(self._sizes.get(str(anchor), 1), mark)
            return super().compose_node(parent, index)  # type: ignore[misc, no-any-return]
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", mark
            )
        before = self._values
        self._count(1, mark)
        self._depth += 1
        if anchor is not None:
            self._open.add(anchor)
        try:
            node: yaml.Node | None = super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1
            self._open.discard(anchor)
        if anchor is not None:
            self._sizes[anchor] = self._values - before
        return node

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: Any) -> str:
        tag: str = super().resolve(kind, value, implicit)  # type: ignore[misc]
        if kind is not yaml.ScalarNode or not implicit[0] or tag not in _SCALAR_TAGS:
            return tag
        assert value is not None  # a scalar always has text
        if value in _YAML11_ONLY_BOOLS:
            tag = _BOOL_TAG
        try:
            yaml11 = self.yaml11_value(tag, value)
        except ValueError:
            return _AMBIGUOUS + tag  # e.g. 2024-13-45: a date to YAML 1.1, but no valid one
        return tag if _same(yaml11, yaml12_value(value)) else _AMBIGUOUS + tag

    def yaml11_value(self, tag: str, text: str) -> Any:
        """What YAML 1.1 reads for `text` resolved as `tag`."""
        if tag == _BOOL_TAG and text in _YAML11_ONLY_BOOLS:
            return _YAML11_ONLY_BOOLS[text]
        return self.yaml_constructors[tag](self, yaml.ScalarNode(tag, text))

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's, but a value its tag cannot hold (`!!int` on `a`, `!!timestamp` on nothing)
        is refused as invalid YAML at the node; PyYAML lets whatever its constructor raised
        (ValueError, IndexError, KeyError, AttributeError...) escape."""
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except yaml.YAMLError:
            raise
        except Exception as error:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.tag.replace(_TAG, '!!')} cannot hold {str(node.value)[:40]!r}",
                node.start_mark,
            ) from error

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # `!!map` or `!!set` on a scalar or a list
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.tag.replace(_TAG, '!!')} needs a mapping", node.start_mark
            )
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue  # `<<: *anchor` merges defaults; keys written here may override them
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if key in seen:
                first = seen[key]
                written = key.text if isinstance(key, AmbiguousScalar) else key
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{written}' is repeated (first at line {first.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc, no-any-return]


class TapYamlLoader(_TapRules, yaml.SafeLoader):
    """tap's rules over PyYAML's pure-Python scanner and parser: the reference, and the loader
    whose words a refusal is reported in."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._start()


FAST_LOADER: Any = None
"""TapLibyamlLoader where PyYAML was built with libyaml (its wheels are), else None."""

_CParser: Any = libyaml_parser()
if _CParser is not None:
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver

    class TapLibyamlLoader(_TapRules, Composer, _CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """tap's rules over libyaml's scanner and parser, about five times faster (5 ms for the
        four shipped files, against 28 ms). Only the events come from C: nodes are composed,
        resolved and constructed by the same Python as TapYamlLoader's."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._start()

    FAST_LOADER = TapLibyamlLoader


def _construct_ambiguous(loader: _TapRules, yaml11_tag: str, node: yaml.Node) -> Any:
    text = str(node.value)
    try:
        yaml11 = loader.yaml11_value(yaml11_tag, text)
    except ValueError:
        kind = "date" if yaml11_tag.endswith("timestamp") else yaml11_tag.removeprefix(_TAG)
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{text} is read as a {kind} by YAML 1.1 but is not a valid one; quote it",
            node.start_mark,
        ) from None
    return AmbiguousScalar(text, yaml11, yaml12_value(text))


for _loader in (TapYamlLoader, FAST_LOADER):
    if _loader is not None:
        _loader.add_multi_constructor(_AMBIGUOUS, _construct_ambiguous)


READ_DIFFERENTLY = ("\ufeff",)
"""What libyaml reads as another value than PyYAML does: a byte-order mark after the start (a
document-start mark to one, text to the other). A text holding one goes to the reference loader.

Elsewhere they read the same value, except that libyaml also reads a few texts PyYAML's scanner
refuses (a tab after a value or tag, a comment right after a block indicator), as go-yaml, the
port of libyaml the Pulumi CLI reads stack files with, reads them. tests/config/test_yamlfile.py
searches for more."""

PARSED_KEPT = 16
"""Documents kept parsed per process, most recently read first (see load_yaml)."""


def load_yaml(text: str) -> Any:
    """Parse one YAML document; raise yaml.YAMLError when it is not one tap accepts.

    Even with libyaml a 1.5 kB stack file takes over a millisecond (PyYAML's own parser, 12 ms),
    and a process reads the same few files many times (every command validates the whole
    project; a test process does so hundreds of times). A text parsed before is not parsed
    again: the caller gets a deep copy (0.15 ms), never the kept document. A text that fails
    is parsed again each time.
    """
    return copy.deepcopy(_parsed(text))


@functools.lru_cache(maxsize=PARSED_KEPT)
def _parsed(text: str) -> Any:
    if FAST_LOADER is not None and not any(c in text for c in READ_DIFFERENTLY):
        # Any failure is decided by the reference loader, which words it as tap always has
        # (libyaml's messages and marks differ): a refused text costs one more parse.
        with contextlib.suppress(Exception):
            return yaml.load(text, Loader=FAST_LOADER)  # noqa: S506 - SafeConstructor's
    return yaml.load(text, Loader=TapYamlLoader)  # noqa: S506 - a SafeLoader subclass


Location = tuple[int | str, ...]


def settle(value: Any, loc: Location = ()) -> tuple[Any, list[tuple[Location, str]]]:
    """`value` without AmbiguousScalars, and where each one was with what is wrong with it.

    A value becomes what YAML 1.1 read (what tap always read); a key becomes its text.
    """
    found: list[tuple[Location, str]] = []

    def walk(item: Any, where: Location) -> Any:
        if isinstance(item, AmbiguousScalar):
            found.append((where, item.describe()))
            return item.yaml11
        if isinstance(item, dict):
            settled: dict[Any, Any] = {}
            for key, inner in item.items():
                name = key
                if isinstance(key, AmbiguousScalar):
                    name = key.text  # a key is a name: keep what was written
                    found.append(((*where, name), key.describe(as_key=True)))
                settled[name] = walk(inner, (*where, name))
            return settled
        if isinstance(item, list):
            return [walk(inner, (*where, i)) for i, inner in enumerate(item)]
        return item

    return walk(value, loc), found
