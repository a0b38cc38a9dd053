"""Pulumi YAML as tap reads it: no repeated keys, bounded nesting and alias expansion."""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 100
"""Deepest nesting accepted; a stack file needs about a dozen levels."""

MAX_VALUES = 100_000
"""Most values a document may expand to through aliases (a stack file holds a few hundred)."""

MERGE_TAG = "tag:yaml.org,2002:merge"


class TapYamlLoader(yaml.SafeLoader):
    """A safe loader that refuses what would make a file mean something other than it says.

    - A key repeated in one mapping, as the Pulumi CLI refuses it (PyYAML keeps the last value
      silently, so `tap:production` written twice would be whichever came last).
    - Nesting deeper than MAX_DEPTH (PyYAML recurses per level and would crash), an alias to the
      node it is part of, and aliases expanding to more than MAX_VALUES values.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
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
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = event.start_mark
        anchor: str | None = event.anchor
        if isinstance(event, yaml.AliasEvent):
            if anchor in self._open:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{anchor} is inside its own anchor", mark
                )
            self._count(self._sizes.get(str(anchor), 1), mark)
            return super().compose_node(parent, index)
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
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)
        if anchor is not None:
            self._sizes[anchor] = self._values - before
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
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
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{key}' is repeated (first at line {first.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse one YAML document; raise yaml.YAMLError when it is not one tap accepts."""
    return yaml.load(text, Loader=TapYamlLoader)  # noqa: S506 - a SafeLoader subclass
