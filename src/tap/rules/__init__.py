"""Guardrail rules over a resource graph, as data: a pack, an engine, suppressions, `tap check`."""

from tap.rules.check import CheckResult, check_graph, format_finding_line
from tap.rules.engine import run_rules
from tap.rules.model import Finding, Level, Outcome, Rule, RuleContext, Status
from tap.rules.pack import TAP_PACK, rules_by_id
from tap.rules.suppressions import SuppressionError, parse_suppressions

__all__ = [
    "TAP_PACK",
    "CheckResult",
    "Finding",
    "Level",
    "Outcome",
    "Rule",
    "RuleContext",
    "Status",
    "SuppressionError",
    "check_graph",
    "format_finding_line",
    "parse_suppressions",
    "rules_by_id",
    "run_rules",
]
