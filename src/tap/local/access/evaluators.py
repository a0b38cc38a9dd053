"""Two independent IAM policy evaluators; a call is judged by both and they must agree.

principalmapper is the most complete offline evaluator (NotAction, NotResource, conditions) but
unmaintained; lambda-preflight is maintained but weaker on Not* elements. Neither is hand-rolled.
"""

from __future__ import annotations

import collections
import collections.abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# principalmapper 1.1.5 imports collections.Mapping, removed in Python 3.10 (fixed upstream,
# unreleased).
for _name in ("Mapping", "MutableMapping"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from lambda_preflight import PolicyEvaluator, PolicySet  # type: ignore[import-untyped]  # noqa: E402
from principalmapper.querying.local_policy_simulation import (  # type: ignore[import-untyped]  # noqa: E402
    policy_has_matching_statement,
)
from principalmapper.util.case_insensitive_dict import (  # type: ignore[import-untyped]  # noqa: E402
    CaseInsensitiveDict,
)

PolicyDocument = Mapping[str, Any]


class Evaluator(Protocol):
    """Decides whether identity policies allow one action on one resource."""

    name: str

    def allows(self, action: str, resource: str, context: Mapping[str, str]) -> bool:
        """True when some statement allows the call and none denies it."""
        ...


class PrincipalMapperEvaluator:
    """principalmapper's local policy simulation: explicit Deny, then Allow, else implicit deny."""

    name = "principalmapper"

    def __init__(self, documents: Sequence[PolicyDocument]) -> None:
        self._documents = [dict(d) for d in documents]

    def allows(self, action: str, resource: str, context: Mapping[str, str]) -> bool:
        """True when some statement allows the call and none denies it."""
        keys = CaseInsensitiveDict(dict(context))
        if any(
            policy_has_matching_statement(d, "Deny", action, resource, keys)
            for d in self._documents
        ):
            return False
        return any(
            bool(policy_has_matching_statement(d, "Allow", action, resource, keys))
            for d in self._documents
        )


class PreflightEvaluator:
    """lambda-preflight's PolicyEvaluator over the same documents."""

    name = "lambda-preflight"

    def __init__(self, documents: Sequence[PolicyDocument]) -> None:
        self._evaluator = PolicyEvaluator(
            PolicySet.from_policy_documents([dict(d) for d in documents])
        )

    def allows(self, action: str, resource: str, context: Mapping[str, str]) -> bool:
        """True when some statement allows the call, none denies it, and nothing was skipped.

        lambda-preflight allows a call whose matching statement has a condition it cannot
        evaluate, and only lists it as `unevaluable`; tap fails closed on those instead.
        """
        decision = self._evaluator.evaluate(action, resource, dict(context))
        return bool(decision.allowed) and not decision.unevaluable


@dataclass(frozen=True, slots=True)
class Verdict:
    """Both evaluators' decisions on one call."""

    decisions: dict[str, bool]

    @property
    def allowed(self) -> bool:
        """Allowed only when every evaluator allows it."""
        return all(self.decisions.values())

    @property
    def agreed(self) -> bool:
        """Whether the evaluators reached the same decision."""
        return len(set(self.decisions.values())) == 1


def evaluators_for(documents: Sequence[PolicyDocument]) -> list[Evaluator]:
    """The evaluators every call is judged by."""
    return [PrincipalMapperEvaluator(documents), PreflightEvaluator(documents)]


def judge(
    evaluators: Sequence[Evaluator], action: str, resource: str, context: Mapping[str, str]
) -> Verdict:
    """Ask every evaluator about one call."""
    return Verdict({e.name: e.allows(action, resource, context) for e in evaluators})


def statement_grants(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    """Whether one Allow statement on its own covers the call (principalmapper's matcher)."""
    document = {"Version": "2012-10-17", "Statement": [dict(statement)]}
    return bool(
        policy_has_matching_statement(
            document, "Allow", action, resource, CaseInsensitiveDict(dict(context))
        )
    )
