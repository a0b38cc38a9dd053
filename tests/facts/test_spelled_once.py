"""No resource type token and no service principal is spelled outside the facts layer."""

import re

from tests.support.paths import REPO_ROOT

SPELLED = re.compile(
    r'"aws:[a-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+"|"pulumi:providers:aws"|[a-z0-9-]+\.amazonaws\.com'
)
FACTS = REPO_ROOT / "src" / "tap" / "facts"


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
