"""The YAML loader: bounded nesting and alias expansion, and values YAML 1.1 and 1.2 disagree on."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tap.config import yamlfile
from tap.config.yamlfile import MAX_DEPTH, MAX_VALUES, Location, load_yaml, settle, yaml12_value
from tests.support.properties import examples


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


def test_a_text_read_again_is_not_parsed_again_and_each_caller_gets_its_own_copy() -> None:
    from tap.config import yamlfile

    text = "kept-test: {list: [1, {a: b}], size: 3}\n"
    first = load_yaml(text)
    first["kept-test"]["list"][1]["a"] = "changed by the first caller"
    hits = yamlfile._parsed.cache_info().hits

    second = load_yaml(text)

    assert yamlfile._parsed.cache_info().hits == hits + 1
    assert second == {"kept-test": {"list": [1, {"a": "b"}], "size": 3}}


def test_a_text_that_fails_fails_every_time() -> None:
    assert (
        refusal("a: 1\na: 2\n")
        == refusal("a: 1\na: 2\n")
        == ("key 'a' is repeated (first at line 1)")
    )


# --- plain scalars that YAML 1.1 and YAML 1.2 read differently --------------------------------


def settled(text: str) -> tuple[Any, list[tuple[Location, str]]]:
    return settle(load_yaml(text))


@pytest.mark.parametrize(
    ("written", "value", "message"),
    [
        ("1:00", 60, "1:00 is read as 60 by YAML 1.1 but as the string '1:00' by YAML 1.2; "
         "write 60, or quote it"),
        ("1:30:00", 5400, "1:30:00 is read as 5400 by YAML 1.1 but as the string '1:30:00' by "
         "YAML 1.2; write 5400, or quote it"),
        ("0400", 256, "0400 is read as 256 by YAML 1.1 but as 400 by YAML 1.2; write 400, or "
         "quote it"),
        ("08", "08", "08 is read as the string '08' by YAML 1.1 but as 8 by YAML 1.2; write 8, or "
         "quote it"),
        ("0b1010", 10, "0b1010 is read as 10 by YAML 1.1 but as the string '0b1010' by YAML 1.2; "
         "write 10, or quote it"),
        ("1_000", 1000, "1_000 is read as 1000 by YAML 1.1 but as the string '1_000' by YAML 1.2; "
         "write 1000, or quote it"),
        ("-0x10", -16, "-0x10 is read as -16 by YAML 1.1 but as the string '-0x10' by YAML 1.2; "
         "write -16, or quote it"),
        ("0o17", "0o17", "0o17 is read as the string '0o17' by YAML 1.1 but as 15 by YAML 1.2; "
         "write 15, or quote it"),
        ("1e3", "1e3", "1e3 is read as the string '1e3' by YAML 1.1 but as 1000.0 by YAML 1.2; "
         "write 1000.0, or quote it"),
        ("2026-01-31", datetime.date(2026, 1, 31), "2026-01-31 is read as the date 2026-01-31 by "
         "YAML 1.1 but as the string '2026-01-31' by YAML 1.2; quote it"),
    ],
)  # fmt: skip
def test_a_number_read_differently_is_reported_with_both_readings_and_the_fix(
    written: str, value: object, message: str
) -> None:
    document, found = settled(f"a: {written}\n")

    assert document == {"a": value}  # what tap read before, so other checks see the same
    assert found == [(("a",), message)]


@pytest.mark.parametrize(
    "word", ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
             "y", "Y", "n", "N"],
)  # fmt: skip
def test_a_yaml11_boolean_word_is_reported(word: str) -> None:
    meaning = "true" if word.lower() in {"yes", "on", "y"} else "false"

    _, found = settled(f"a: {word}\n")

    assert found == [
        (
            ("a",),
            f"{word} is read as {meaning} by YAML 1.1 but as the string '{word}' by YAML 1.2; "
            f"write {meaning}, or quote it",
        )
    ]


def test_a_key_read_differently_is_reported_at_its_text_and_kept_as_text() -> None:
    document, found = settled("tags:\n  on: call\n")

    assert document == {"tags": {"on": "call"}}
    assert found == [
        (
            ("tags", "on"),
            "on is read as true by YAML 1.1 but as the string 'on' by YAML 1.2; quote it",
        )
    ]


def test_a_value_deep_in_lists_and_mappings_is_reported_at_its_location() -> None:
    _, found = settled("a:\n  - b: [1, 2, 0400]\n")

    assert [loc for loc, _ in found] == [("a", 0, "b", 2)]


@pytest.mark.parametrize(
    "written",
    ["'0400'", '"1:00"', "'yes'", '"on"', "!!str 0400", "400", "60", "true", "false", "0x10",
     "007", "1.5", "-3", "~", "null", ".inf", "text", "2026-01-31T10:00:00Z x"],
)  # fmt: skip
def test_values_every_reader_agrees_on_are_not_reported(written: str) -> None:
    assert settled(f"a: {written}\n")[1] == []


def test_an_impossible_date_is_refused_as_invalid_yaml() -> None:
    assert refusal("a: 2026-13-45\n") == (
        "2026-13-45 is read as a date by YAML 1.1 but is not a valid one; quote it"
    )


@pytest.mark.parametrize(
    ("text", "yaml12"),
    [("0400", 400), ("0o17", 15), ("0x1F", 31), ("1e3", 1000.0), ("-.5", -0.5), ("yes", "yes"),
     ("True", True), ("NULL", None), ("1:00", "1:00"), ("1_000", "1_000"), ("+12", 12)],
)  # fmt: skip
def test_the_yaml12_core_schema_reading(text: str, yaml12: object) -> None:
    assert yaml12_value(text) == yaml12
    assert type(yaml12_value(text)) is type(yaml12)


# --- libyaml's parser and PyYAML's own read every text alike ------------------------------------

_TOKENS = (
    "a", "b", "key", "tap:region", "1:00", "0400", "08", "0b1010", "1_000", "1e3", "y", "N", "yes",
    "off", "~", "null", "2026-01-31", "2026-13-45", ".inf", "-.NaN", "0x1F", "0o17", "12.5", "é",
    "'q: x'", '"d\\tq"', "&x", "*x", "&y", "*y", "<<", "!!str", "!!int", "!!float", "!!bool",
    "!!null", "!!timestamp", "!!binary", "!!map", "!!set", "!!seq", "!!omap", "!!pairs", "!custom",
    "%YAML 1.2",
    "---", "...", "#c", "|", ">-", "[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "\t", " ",
    "  ", "    ", "\n", "\n  ", "\n    ", "\n- ", "\r\n", "\ufeff", "\x07", "\u2028",
)  # fmt: skip
"""Pieces of YAML, valid alone or not: scalars each reader types differently, anchors, tags,
directives, indicators, indentation, and characters some readers refuse."""


def _outcome(read: Callable[[], Any]) -> tuple[str, str]:
    """('ok', repr of the value) or ('refused', the message a user sees)."""
    try:
        return "ok", repr(read())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{mark.line}:{mark.column} " if mark else ""
        return "refused", where + str(getattr(error, "problem", error))


@pytest.mark.skipif(yamlfile.FAST_LOADER is None, reason="this PyYAML was built without libyaml")
@settings(max_examples=examples(600), deadline=None)
@given(
    st.one_of(
        st.lists(st.sampled_from(_TOKENS), max_size=24).map("".join),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=8,
        ).flatmap(
            lambda value: st.sampled_from([True, False, None]).map(
                lambda flow: yaml.safe_dump({"doc": value}, default_flow_style=flow)
            )
        ),
    )
)
def test_libyaml_reads_every_text_as_the_reference_loader_does(text: str) -> None:
    """Only the events come from libyaml; anything it refuses, or reads otherwise, would change
    what `tap validate` says. The reference is PyYAML's own parser, which tap used alone."""
    reference = _outcome(lambda: yaml.load(text, Loader=yamlfile.TapYamlLoader))
    fast = _outcome(lambda: yaml.load(text, Loader=yamlfile.FAST_LOADER))
    served = _outcome(lambda: load_yaml(text))

    if yamlfile.FAST_LOADER is None or any(c in text for c in yamlfile.READ_DIFFERENTLY):
        assert served == reference
    elif fast[0] == "ok":
        assert served == fast
        # libyaml reads a few texts PyYAML's scanner refuses (a tab after a value, a comment
        # right after a block indicator), as go-yaml, a port of libyaml, reads them for Pulumi.
        # Where both read a value, it is the same value.
        assert reference[0] == "refused" or reference == fast
    else:
        assert served == reference


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!int\n", "!!int cannot hold ''"),
        ("a: !!int x\n", "!!int cannot hold 'x'"),
        ("a: !!timestamp 2026-02-30\n", "!!timestamp cannot hold '2026-02-30'"),
        ("a: !!bool maybe\n", "!!bool cannot hold 'maybe'"),
        ("a: !!map x\n", "!!map needs a mapping"),
        ("a: !!set [1]\n", "!!set needs a mapping"),
    ],
)
def test_a_value_its_tag_cannot_hold_is_refused_as_yaml_not_a_crash(
    text: str, message: str
) -> None:
    """PyYAML's constructors raise IndexError, ValueError or KeyError here; `tap validate`
    crashed with a traceback on them before."""
    assert refusal(text) == message


def test_without_libyaml_the_shipped_stack_files_read_the_same(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(repo_root.glob("Pulumi*.yaml"))]
    with_libyaml = [load_yaml(text) for text in texts]
    yamlfile._parsed.cache_clear()
    monkeypatch.setattr(yamlfile, "FAST_LOADER", None)

    assert [load_yaml(text) for text in texts] == with_libyaml
    assert len(texts) == 4
    assert all(isinstance(document, dict) for document in with_libyaml)
    yamlfile._parsed.cache_clear()
