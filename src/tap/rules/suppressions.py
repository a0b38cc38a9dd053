"""Suppressions: a finding accepted on purpose, for one rule on one resource, with a reason."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tap.config.model import Suppression
from tap.errors import EXIT_USAGE, TapError
from tap.rules.model import Finding

if TYPE_CHECKING:
    from tap.synth.graph import ResourceGraph

MIN_REASON_LENGTH = 10


class SuppressionError(TapError, ValueError):
    """One or more suppressions are refused; `problems` has one line each."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)

    def details(self) -> tuple[str, ...]:
        """One line per refused suppression."""
        return tuple(self.problems)

    def headline(self) -> str:
        """How many were refused."""
        return f"{len(self.problems)} suppression(s) refused"


def _describe(index: int, item: Mapping[str, Any] | Suppression) -> str:
    rule = item.get("rule") if isinstance(item, Mapping) else item.rule
    resource = item.get("resource") if isinstance(item, Mapping) else item.resource
    return f"tap:suppressions[{index}] ({rule} on {resource})"


def parse_suppressions(raw: Iterable[Mapping[str, Any]]) -> tuple[Suppression, ...]:
    """Suppressions from plain data (e.g. policy pack config), refusing malformed ones."""
    parsed: list[Suppression] = []
    problems: list[str] = []
    for index, item in enumerate(raw):
        try:
            parsed.append(Suppression.model_validate(item))
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"])
                problems.append(f"{_describe(index, item)}.{field}: {error['msg']}")
    if problems:
        raise SuppressionError(problems)
    return tuple(parsed)


def check_suppressions(suppressions: Sequence[Suppression], rule_ids: Iterable[str]) -> None:
    """Refuse suppressions with a reason under 10 characters or an unknown rule id."""
    known = set(rule_ids)
    problems: list[str] = []
    for index, suppression in enumerate(suppressions):
        reason = suppression.reason.strip()
        if len(reason) < MIN_REASON_LENGTH:
            problems.append(
                f"{_describe(index, suppression)}: reason {reason!r} is too short; say in at least "
                f"{MIN_REASON_LENGTH} characters why this finding is acceptable"
            )
        if suppression.rule not in known:
            problems.append(f"{_describe(index, suppression)}: no rule has id {suppression.rule!r}")
        if not suppression.resource.strip():
            problems.append(f"{_describe(index, suppression)}: resource is empty")
    if problems:
        raise SuppressionError(problems)


def _names(graph: ResourceGraph, urn: str | None, *, with_path: bool) -> set[str]:
    """The ways a suppression may name a resource: URN, logical name, logical path.

    The logical path walks the parent chain, so it is worked out only when asked for.
    """
    if urn is None:
        return set()
    names = {urn, urn.rsplit("::", 1)[-1]}
    if with_path:
        with contextlib.suppress(KeyError, ValueError):
            names.add(graph.logical_path(graph.get(urn)))
    return names


def _match(
    graph: ResourceGraph, finding: Finding, candidates: Sequence[tuple[int, Suppression]]
) -> tuple[int, Suppression] | None:
    """The first suppression of the finding's rule naming its resource, by URN, name or path."""
    if not candidates:
        return None
    for with_path in (False, True):
        names = _names(graph, finding.resource_urn, with_path=with_path)
        match = next(((i, s) for i, s in candidates if s.resource in names), None)
        if match is not None:
            return match
    return None


def apply_suppressions(
    graph: ResourceGraph, findings: Iterable[Finding], suppressions: Sequence[Suppression]
) -> tuple[list[Finding], list[Suppression]]:
    """Mark suppressed findings (never dropping them); also return the unmatched suppressions."""
    used: set[int] = set()
    marked: list[Finding] = []
    by_rule: dict[str, list[tuple[int, Suppression]]] = {}
    for i, s in enumerate(suppressions):
        by_rule.setdefault(s.rule, []).append((i, s))
    for finding in findings:
        match = _match(graph, finding, by_rule.get(finding.rule_id, []))
        if match is None:
            marked.append(finding)
            continue
        used.add(match[0])
        marked.append(
            Finding(
                finding.rule_id,
                finding.level,
                finding.resource_urn,
                finding.message,
                finding.fix,
                suppressed_reason=match[1].reason.strip(),
            )
        )
    unused = [s for i, s in enumerate(suppressions) if i not in used]
    return marked, unused
