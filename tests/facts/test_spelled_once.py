"""No resource type token and no service principal is spelled outside the facts layer, and no
component token outside its declaration in `tap.resources`."""

import re

from tests.support.paths import REPO_ROOT

SPELLED = re.compile(
    r'"aws:[a-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+"|"pulumi:providers:aws"|[a-z0-9-]+\.amazonaws\.com'
)
FACTS = REPO_ROOT / "src" / "tap" / "facts"
COMPONENT = re.compile(r'"tap:[a-z]+:[A-Z][A-Za-z]+"')
DECLARATIONS = REPO_ROOT / "src" / "tap" / "resources.py"


def test_type_tokens_and_principals_are_spelled_only_in_tap_facts() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for root in ("src", "benchmarks")
        for path in sorted((REPO_ROOT / root).rglob("*.py"))
        if FACTS not in path.parents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SPELLED.search(line)
    ]

    assert found == []


def test_the_pattern_finds_what_it_looks_for() -> None:
    """The assertion above must be able to fail."""
    assert SPELLED.search('x = "aws:lambda/function:Function"')
    assert SPELLED.search('principal = "events.amazonaws.com"')
    assert SPELLED.search("(tokens.FUNCTION)") is None


def test_component_tokens_are_spelled_only_in_their_declarations() -> None:
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for root in ("src", "benchmarks")
        for path in sorted((REPO_ROOT / root).rglob("*.py"))
        if path != DECLARATIONS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COMPONENT.search(line)
    ]

    assert found == []
    assert len(COMPONENT.findall(DECLARATIONS.read_text(encoding="utf-8"))) >= 9


def test_the_component_pattern_finds_what_it_looks_for() -> None:
    assert COMPONENT.search('super().__init__("tap:bucket:DataBucket", name)')
    assert COMPONENT.search("super().__init__(self.TYPE, name)") is None
