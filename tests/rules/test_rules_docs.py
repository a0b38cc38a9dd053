"""docs/rules.md shows, for every rule, the exact line `tap check` prints; re-create each one."""

import re

import pytest

from tap.rules import TAP_PACK, check_graph, format_finding_line, rules_by_id
from tests.support.breaks import BREAKS
from tests.support.shipped import REPO_ROOT, context, graph

DOC = REPO_ROOT / "docs" / "rules.md"


def documented_lines() -> dict[str, str]:
    """Rule id -> the line in the code block of its section."""
    text = DOC.read_text(encoding="utf-8")
    pattern = r"### `([a-z0-9-]+)` \((?:error|warning)\)\n\n.*?\n\n```\n(.*?)\n```"
    return dict(re.findall(pattern, text, re.S))


def test_every_rule_is_documented_and_broken_here() -> None:
    ids = [rule.id for rule in TAP_PACK]
    assert list(documented_lines()) == ids
    assert set(BREAKS) == set(ids)
    text = DOC.read_text(encoding="utf-8")
    for rule in TAP_PACK:
        assert f"| `{rule.id}` | {rule.level.value} |" in text


@pytest.mark.parametrize("rule_id", [rule.id for rule in TAP_PACK])
def test_the_documented_line_is_exactly_what_tap_check_prints(rule_id: str) -> None:
    broken = BREAKS[rule_id](graph("prod"))
    result = check_graph(broken, context("prod"), rules=[rules_by_id()[rule_id]])
    lines = [format_finding_line(f) for f in result.findings]
    assert documented_lines()[rule_id] in lines
