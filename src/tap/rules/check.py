"""The library side of `tap check`: run the pack over a graph and describe the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tap.config.model import Suppression
from tap.rules.engine import evaluate, findings_of
from tap.rules.model import Finding, Level, Rule, RuleContext, Status
from tap.rules.pack import TAP_PACK
from tap.rules.suppressions import apply_suppressions, check_suppressions
from tap.synth.graph import ResourceGraph

DASH = "\u2014"


@dataclass(frozen=True)
class RuleSummary:
    """How one rule went: counts per status, and whether it crashed."""

    rule_id: str
    level: Level
    compliant: int
    non_compliant: int
    not_applicable: int
    crashed: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "rule_id": self.rule_id,
            "level": self.level.value,
            "compliant": self.compliant,
            "non_compliant": self.non_compliant,
            "not_applicable": self.not_applicable,
            "crashed": self.crashed,
        }


@dataclass(frozen=True)
class CheckResult:
    """The findings of one stack's graph, with per-rule counts and unused suppressions."""

    stack: str
    findings: tuple[Finding, ...]
    rules: tuple[RuleSummary, ...]
    unused_suppressions: tuple[Suppression, ...]

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Unsuppressed errors: any of them makes `tap check` exit 1."""
        return tuple(f for f in self.findings if f.blocking)

    @property
    def passed(self) -> bool:
        """True when nothing blocks."""
        return not self.blocking

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict for `tap check --format json`."""
        return {
            "stack": self.stack,
            "passed": self.passed,
            "findings": [f.to_dict() for f in self.findings],
            "rules": [r.to_dict() for r in self.rules],
            "unused_suppressions": [s.model_dump(mode="json") for s in self.unused_suppressions],
        }


def check_graph(
    graph: ResourceGraph,
    context: RuleContext,
    suppressions: Sequence[Suppression] = (),
    rules: Sequence[Rule] = TAP_PACK,
) -> CheckResult:
    """Run `rules` over `graph`; raises SuppressionError for refused suppressions."""
    check_suppressions(suppressions, [r.id for r in rules])
    evaluations = evaluate(graph, context, rules)
    findings, unused = apply_suppressions(graph, findings_of(evaluations), suppressions)
    summaries = tuple(
        RuleSummary(
            e.rule.id,
            e.rule.level,
            sum(o.status is Status.COMPLIANT for o in e.outcomes),
            sum(o.status is Status.NON_COMPLIANT for o in e.outcomes),
            sum(o.status is Status.NOT_APPLICABLE for o in e.outcomes),
            e.crash is not None,
        )
        for e in evaluations
    )
    return CheckResult(graph.stack, tuple(findings), summaries, tuple(unused))


def resource_label(urn: str | None) -> str:
    """A finding's resource as users name it: the logical name at the end of its URN."""
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def format_finding_line(finding: Finding) -> str:
    """The one line `tap check` prints for a finding."""
    head = f"{finding.level.value.upper()} {resource_label(finding.resource_urn)}: "
    body = f"[{finding.rule_id}] {finding.message} {DASH} fix: {finding.fix}"
    if finding.suppressed:
        return f"SUPPRESSED {head}{body} {DASH} reason: {finding.suppressed_reason}"
    return head + body
