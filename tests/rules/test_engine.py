"""The pack, engine, suppressions and `tap check` library entry."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tap.config.model import Suppression
from tap.facts.tokens import QUEUE
from tap.rules import (
    TAP_PACK,
    Finding,
    Level,
    Rule,
    SuppressionError,
    check_graph,
    format_finding_line,
    parse_suppressions,
    rules_by_id,
    run_rules,
)
from tap.rules.model import Outcome, RuleContext, non_compliant
from tap.rules.sqs import sqs_queue_encrypted
from tap.synth.graph import ResourceGraph, load_graph
from tests.support.shipped import STACKS, context, edit, graph, only, shipped
from tests.support.work import counted_work

QUEUE_URN = (
    "urn:pulumi:dev::tap::tap:pipeline:TapPipeline$tap:queues:FailureQueues$"
    "aws:sqs/queue:Queue::dev-queues-delivery-dlq"
)


def _unencrypted() -> ResourceGraph:
    g = graph("dev")
    return edit(g, only(g, QUEUE, "delivery-dlq"), lambda p: p.pop("kmsMasterKeyId"))


def test_rule_ids_are_unique_kebab_case_names_of_their_functions() -> None:
    ids = list(rules_by_id())
    assert len(ids) == len(TAP_PACK) >= 30
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert rules_by_id()["sqs-queue-encrypted"].check is sqs_queue_encrypted


def test_every_rule_has_an_explanation_and_a_fix() -> None:
    for rule in TAP_PACK:
        assert len(rule.explanation) > 20, rule.id
        assert len(rule.fix) > 10, rule.id
        assert any(token in rule.fix for token in FIX_TARGETS), (rule.id, rule.fix)


FIX_TARGETS = (
    "tap:",
    "TapPipeline",
    "DataBucket",
    "ItemsTable",
    "FailureQueues",
    "ProcessorFunction",
    "EventRouting",
    "PipelineAlarms",
    "EncryptionKey",
    "BatchOperationsRole",
    "tap_processor.permissions",
)
"""A fix names the config key or the component (or the handler's declared needs) to change."""


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_pass_tap_check(stack: str) -> None:
    g, config = shipped(stack)
    result = check_graph(g, RuleContext(config), config.suppressions)
    assert result.passed
    assert result.findings == ()
    assert not any(r.crashed for r in result.rules)
    assert len(result.rules) == len(TAP_PACK)


def test_a_finding_names_rule_level_resource_message_and_fix() -> None:
    [finding] = run_rules(_unencrypted(), context("dev"))
    assert finding == Finding(
        "sqs-queue-encrypted",
        Level.ERROR,
        QUEUE_URN,
        "queue tap-delivery-dlq-dev-useast1 is not encrypted",
        "set tap:kmsKey: true, or keep sqs_managed_sse_enabled (FailureQueues)",
    )
    assert finding.blocking


def test_the_finding_line_is_exactly_what_users_see() -> None:
    [finding] = run_rules(_unencrypted(), context("dev"))
    assert format_finding_line(finding) == (
        "ERROR dev-queues-delivery-dlq: [sqs-queue-encrypted] queue tap-delivery-dlq-dev-useast1 "
        "is not encrypted \u2014 fix: set tap:kmsKey: true, or keep sqs_managed_sse_enabled "
        "(FailureQueues)"
    )


def test_a_crashing_rule_becomes_an_error_finding_and_the_others_still_run() -> None:
    def exploding_rule(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
        yield non_compliant(None, "first")
        raise RuntimeError("boom")

    crash = Rule(exploding_rule, Level.WARNING, "explains", "fixes")
    findings = run_rules(
        _unencrypted(), context("dev"), rules=[crash, rules_by_id()["sqs-queue-encrypted"]]
    )
    assert [(f.rule_id, f.level, f.message) for f in findings] == [
        ("exploding-rule", Level.ERROR, "rule crashed: RuntimeError: boom"),
        ("sqs-queue-encrypted", Level.ERROR, "queue tap-delivery-dlq-dev-useast1 is not encrypted"),
    ]
    assert format_finding_line(findings[0]).startswith(
        "ERROR (stack): [exploding-rule] rule crashed"
    )


@pytest.mark.parametrize(
    "resource", [QUEUE_URN, "dev-queues-delivery-dlq", "{stack}/queues/delivery-dlq"]
)
def test_a_suppression_marks_the_finding_by_urn_name_or_logical_path(resource: str) -> None:
    reason = "dev data is synthetic; SSE is enforced in staging and prod"
    suppression = Suppression(rule="sqs-queue-encrypted", resource=resource, reason=reason)
    result = check_graph(_unencrypted(), context("dev"), [suppression])
    [finding] = result.findings
    assert finding.suppressed_reason == reason
    assert not finding.blocking
    assert result.passed
    assert result.unused_suppressions == ()
    assert format_finding_line(finding).startswith("SUPPRESSED ERROR dev-queues-delivery-dlq: ")
    assert format_finding_line(finding).endswith(f"\u2014 reason: {reason}")


def test_a_suppression_for_another_resource_leaves_the_finding_blocking() -> None:
    suppression = Suppression(
        rule="sqs-queue-encrypted",
        resource="dev-queues-processor-dlq",
        reason="a long enough reason",
    )
    result = check_graph(_unencrypted(), context("dev"), [suppression])
    assert not result.passed
    assert result.unused_suppressions == (suppression,)


def test_a_short_reason_is_refused_with_a_clear_error() -> None:
    short = Suppression.model_construct(rule="sqs-queue-encrypted", resource="x", reason="because")
    blank = Suppression(rule="sqs-queue-encrypted", resource="x", reason="           ")
    with pytest.raises(SuppressionError) as error:
        run_rules(graph("dev"), context("dev"), [short, blank])
    assert error.value.problems == [
        "tap:suppressions[0] (sqs-queue-encrypted on x): reason 'because' is too short; "
        "say in at least 10 characters why this finding is acceptable",
        "tap:suppressions[1] (sqs-queue-encrypted on x): reason '' is too short; "
        "say in at least 10 characters why this finding is acceptable",
    ]


def test_a_suppression_of_an_unknown_rule_is_refused() -> None:
    typo = Suppression(rule="sqs-queue-encryption", resource="x", reason="a long enough reason")
    with pytest.raises(SuppressionError, match="no rule has id 'sqs-queue-encryption'"):
        check_graph(graph("dev"), context("dev"), [typo])


def test_plain_suppression_data_is_parsed_and_short_reasons_refused() -> None:
    good = {"rule": "kms-key-rotation", "resource": "k", "reason": "rotation is manual here"}
    assert parse_suppressions([good]) == (Suppression(**good),)
    with pytest.raises(SuppressionError) as error:
        parse_suppressions([{**good, "reason": "short"}])
    assert error.value.problems == [
        "tap:suppressions[0] (kms-key-rotation on k).reason: "
        "String should have at least 10 characters"
    ]


def test_results_render_as_json(tmp_path: Path) -> None:
    result = check_graph(_unencrypted(), context("dev"))
    document = json.loads(json.dumps(result.to_dict()))
    assert document["stack"] == "dev"
    assert document["passed"] is False
    assert document["findings"][0] == {
        "rule_id": "sqs-queue-encrypted",
        "level": "error",
        "resource_urn": QUEUE_URN,
        "message": "queue tap-delivery-dlq-dev-useast1 is not encrypted",
        "fix": "set tap:kmsKey: true, or keep sqs_managed_sse_enabled (FailureQueues)",
        "suppressed_reason": None,
    }
    summary = {r["rule_id"]: r for r in document["rules"]}["sqs-queue-encrypted"]
    assert summary == {
        "rule_id": "sqs-queue-encrypted",
        "level": "error",
        "compliant": 1,
        "non_compliant": 1,
        "not_applicable": 0,
        "crashed": False,
    }


def test_a_graph_file_round_trips_through_load_graph(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    path.write_text(_unencrypted().to_json())
    [finding] = check_graph(load_graph(path), context("dev")).findings
    assert finding.rule_id == "sqs-queue-encrypted"


def test_the_pack_runs_on_a_graph_without_config_doing_no_more_work_than_with_it() -> None:
    check_graph(graph("prod"), context("prod"))  # what is loaded once per process
    results = []
    without = counted_work(lambda: results.append(check_graph(graph("prod"), RuleContext())))
    with_config = counted_work(lambda: check_graph(graph("prod"), context("prod")))
    assert results[0].passed
    growth = with_config.growth(without, floor=1)
    assert max(growth.values()) <= 1.1, (with_config, without)
