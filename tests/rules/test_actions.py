"""IAM action metadata, and the memo `tap check` keeps of it beside the graph cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tap.rules import actions


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An empty in-process table and no shipped one: every answer comes from policy_sentry or a
    memo."""
    monkeypatch.setattr(actions, "shipped_table", lambda: None)
    saved, new = dict(actions._FORMATS), set(actions._NEW)
    actions._FORMATS.clear()
    actions._NEW.clear()
    yield
    actions._FORMATS.clear()
    actions._FORMATS.update(saved)
    actions._NEW.clear()
    actions._NEW.update(new)


QUESTIONS = ("dynamodb:PutItem", "S3:ListBucketVersions", "sqs:SendMessage", "iam:NoSuchThing")


def test_a_saved_memo_answers_as_policy_sentry_did(fresh: None, tmp_path: Path) -> None:
    answers = {q: actions.resource_formats(q) for q in QUESTIONS}
    memo = tmp_path / actions.memo_name()
    actions.save_memo(memo)
    actions._FORMATS.clear()

    actions.load_memo(memo)

    assert {q: actions.resource_formats(q) for q in QUESTIONS} == answers
    assert not actions._NEW  # nothing was asked of policy_sentry after the load
    assert answers["iam:NoSuchThing"] is None
    assert "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}" in (
        answers["dynamodb:PutItem"] or ()
    )


def test_nothing_is_written_when_policy_sentry_was_not_asked(fresh: None, tmp_path: Path) -> None:
    memo = tmp_path / actions.memo_name()

    actions.save_memo(memo)

    assert not memo.exists()


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"sqs:sendmessage": 7}'])
def test_an_unreadable_memo_is_no_memo(fresh: None, tmp_path: Path, text: str) -> None:
    memo = tmp_path / actions.memo_name()
    memo.write_text(text)

    actions.load_memo(memo)

    assert actions.supports_resource_scoping("sqs:SendMessage")
    assert "sqs:sendmessage" in actions._NEW  # answered by policy_sentry, not by the memo


def test_the_memo_is_named_for_the_policy_sentry_version_that_answered() -> None:
    from importlib.metadata import version

    assert version("policy_sentry") in actions.memo_name()


def test_the_memo_is_a_plain_table(fresh: None, tmp_path: Path) -> None:
    actions.resource_formats("sqs:SendMessage")
    memo = tmp_path / "m.memo"

    actions.save_memo(memo)

    table = json.loads(memo.read_text())
    assert table == {"sqs:sendmessage": sorted(actions.resource_formats("sqs:SendMessage") or ())}
