"""Run one rule and look at its outcomes."""

from __future__ import annotations

from tap.rules.model import Outcome, RuleCheck, RuleContext, Status
from tap.synth.graph import ResourceGraph


def judge(check: RuleCheck, graph: ResourceGraph, context: RuleContext) -> list[Outcome]:
    """Every outcome of `check`."""
    return list(check(graph, context))


def failures(check: RuleCheck, graph: ResourceGraph, context: RuleContext) -> list[Outcome]:
    """The non-compliant outcomes of `check`."""
    return [o for o in judge(check, graph, context) if o.status is Status.NON_COMPLIANT]


def all_compliant(check: RuleCheck, graph: ResourceGraph, context: RuleContext) -> int:
    """Assert every outcome is compliant (and there is one); return how many."""
    outcomes = judge(check, graph, context)
    assert outcomes
    assert {o.status for o in outcomes} == {Status.COMPLIANT}, outcomes
    return len(outcomes)
