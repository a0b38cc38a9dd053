"""The YAML loader: bounded nesting and alias expansion."""

from __future__ import annotations

import pytest
import yaml

from tap.config.yamlfile import MAX_DEPTH, MAX_VALUES, load_yaml


def refusal(text: str) -> str:
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml(text)
    return str(getattr(caught.value, "problem", caught.value))


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000,
        "a: " + "{b: " * 5000,
        "a:\n" + "".join(f"{' ' * i}- \n" for i in range(1, 300)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_nesting_deeper_than_the_limit_is_refused_not_a_recursion_error(text: str) -> None:
    assert refusal(text) == f"nested deeper than {MAX_DEPTH} levels"


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 1  # the top-level mapping is one level
    document = load_yaml("a: " + "[" * (depth - 1) + "]" * (depth - 1))

    value = document["a"]
    for _ in range(depth - 2):
        value = value[0]
    assert value == []


def test_aliases_that_expand_beyond_the_limit_are_refused() -> None:
    """A 'billion laughs' document is a few hundred bytes; every consumer would walk it whole."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level, name in enumerate("bcdefgh"):
        previous = "abcdefgh"[level]
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")

    assert refusal("\n".join(lines)) == f"aliases expand it to more than {MAX_VALUES} values"


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    assert refusal("a: &a [1, *a]") == "alias *a is inside its own anchor"


def test_ordinary_anchors_and_merge_keys_still_work() -> None:
    document = load_yaml("d: &d {p: 1, q: 2}\ne:\n  <<: *d\n  q: 3\nf: [*d, *d]\n")

    assert document == {"d": {"p": 1, "q": 2}, "e": {"p": 1, "q": 3}, "f": [{"p": 1, "q": 2}] * 2}
