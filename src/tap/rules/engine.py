"""Runs rules over a graph: a crashing rule becomes an error finding, never an aborted run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap.config.model import Suppression
from tap.rules.model import Finding, Level, Outcome, Rule, RuleContext, Status
from tap.rules.pack import TAP_PACK
from tap.rules.suppressions import apply_suppressions, check_suppressions

if TYPE_CHECKING:
    from tap.synth.graph import ResourceGraph

CRASH_FIX = "this is a bug in the rule: report it with the graph (tap synth --format json)"


@dataclass(frozen=True)
class Evaluation:
    """Everything one rule concluded, or the exception it raised."""

    rule: Rule
    outcomes: tuple[Outcome, ...]
    crash: str | None = None


def evaluate(
    graph: ResourceGraph, context: RuleContext, rules: Sequence[Rule] = TAP_PACK
) -> list[Evaluation]:
    """Run every rule, catching whatever one raises."""
    evaluations: list[Evaluation] = []
    for rule in rules:
        try:
            outcomes = tuple(rule.check(graph, context))
        except Exception as exc:  # a broken rule must not hide the others
            evaluations.append(Evaluation(rule, (), f"{type(exc).__name__}: {exc}"))
        else:
            evaluations.append(Evaluation(rule, outcomes))
    return evaluations


def findings_of(evaluations: Sequence[Evaluation]) -> list[Finding]:
    """One finding per non-compliant outcome, and one error per crashed rule."""
    findings: list[Finding] = []
    for evaluation in evaluations:
        rule = evaluation.rule
        if evaluation.crash is not None:
            findings.append(
                Finding(rule.id, Level.ERROR, None, f"rule crashed: {evaluation.crash}", CRASH_FIX)
            )
        findings.extend(
            Finding(rule.id, rule.level, o.resource_urn, o.message, rule.fix)
            for o in evaluation.outcomes
            if o.status is Status.NON_COMPLIANT
        )
    return findings


def run_rules(
    graph: ResourceGraph,
    context: RuleContext,
    suppressions: Sequence[Suppression] = (),
    rules: Sequence[Rule] = TAP_PACK,
) -> list[Finding]:
    """The findings of `rules` over `graph`, suppressed ones marked with their reason."""
    check_suppressions(suppressions, [r.id for r in rules])
    findings, _ = apply_suppressions(
        graph, findings_of(evaluate(graph, context, rules)), suppressions
    )
    return findings
