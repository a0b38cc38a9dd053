"""How `tap check` shows its results: one line per finding, then one verdict line per stack."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from tap.rules import CheckResult


def print_results(console: Console, results: Sequence[CheckResult]) -> None:
    """The text report."""
    from tap.rules import format_finding_line

    for result in results:
        for finding in result.findings:
            console.print(format_finding_line(finding), markup=False)
        for unused in result.unused_suppressions:
            console.print(
                f"WARNING {result.stack}: suppression of {unused.rule} on {unused.resource} "
                "matched nothing; remove it",
                markup=False,
            )
        blocking = len(result.blocking)
        mark = "[green]✓[/green]" if result.passed else "[red]✗[/red]"
        console.print(
            f"{mark} {result.stack}: {len(result.rules)} rules, {blocking} blocking, "
            f"{len(result.findings) - blocking} other finding(s)"
        )


def results_document(results: Sequence[CheckResult]) -> dict[str, Any]:
    """The JSON report."""
    return {"passed": all(r.passed for r in results), "stacks": [r.to_dict() for r in results]}
