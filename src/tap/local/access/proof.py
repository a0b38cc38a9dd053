"""The access proof: which calls the role's policies deny, and which grants no call used."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from py_iam_expand.actions import expand_actions  # type: ignore[import-untyped]

from tap.calls import AwsCall, CallSource
from tap.local.access.evaluators import (
    Evaluator,
    PolicyDocument,
    evaluators_for,
    judge,
    statement_grants,
)
from tap_processor.permissions import HANDLER_NEEDS

KMS_FOR_SEND = ("kms:GenerateDataKey", "kms:Decrypt")
"""What SQS does with the sender's credentials when a queue is encrypted with a CMK."""


@dataclass(frozen=True, slots=True)
class JudgedCall:
    """A distinct call, how often it was made, and each evaluator's decision."""

    call: AwsCall
    count: int
    decisions: dict[str, bool]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.call.to_dict(), "count": self.count, "decisions": dict(self.decisions)}


@dataclass(frozen=True, slots=True)
class Grant:
    """One action on one resource pattern, granted by an Allow statement."""

    action: str
    resource: str
    sid: str | None
    declared_need: bool
    """The action is one the handler declares it needs (`tap_processor.permissions`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "action": self.action,
            "resource": self.resource,
            "sid": self.sid,
            "declared_need": self.declared_need,
        }


@dataclass(frozen=True, slots=True)
class AccessProof:
    """Every call judged against the role's policies, and the grants nothing used."""

    calls: tuple[JudgedCall, ...]
    unauthorized: tuple[JudgedCall, ...]
    disagreements: tuple[JudgedCall, ...]
    unused: tuple[Grant, ...]
    runtime_implied: tuple[Grant, ...]
    unanalysed_statements: tuple[str, ...]
    """Statements with NotAction/NotResource, whose grants cannot be listed; named by Sid."""
    evaluators: tuple[str, ...]


def implied_calls(calls: Sequence[AwsCall], queue_keys: Mapping[str, str]) -> list[AwsCall]:
    """KMS calls SQS makes as the sender for each SendMessage to a CMK-encrypted queue."""
    implied: list[AwsCall] = []
    for call in calls:
        key = queue_keys.get(call.resource)
        if call.action == "sqs:SendMessage" and key:
            implied += [AwsCall(action, key, CallSource.IMPLIED) for action in KMS_FOR_SEND]
    return implied


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def granted(documents: Sequence[PolicyDocument]) -> tuple[list[tuple[Grant, Any]], list[str]]:
    """Every (action, resource) an Allow statement grants, wildcards expanded to known actions."""
    declared = {n.action.lower() for n in HANDLER_NEEDS}
    grants: list[tuple[Grant, Any]] = []
    unanalysed: list[str] = []
    for document in documents:
        for statement in _as_list(document.get("Statement")):
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid")
            if "NotAction" in statement or "NotResource" in statement:
                unanalysed.append(str(sid or "<no Sid>"))
                continue
            actions: list[str] = []
            for pattern in _as_list(statement.get("Action")):
                expanded = (
                    expand_actions(pattern) if "*" in pattern or "?" in pattern else [pattern]
                )
                actions += expanded or [pattern]
            for action in sorted(set(actions)):
                for resource in _as_list(statement.get("Resource")):
                    grant = Grant(action, str(resource), sid, action.lower() in declared)
                    grants.append((grant, statement))
    return grants, unanalysed


def prove_access(
    documents: Sequence[PolicyDocument],
    calls: Sequence[AwsCall],
    *,
    queue_keys: Mapping[str, str],
    runtime_calls: Sequence[AwsCall],
    context: Mapping[str, str],
    evaluators: Sequence[Evaluator] | None = None,
) -> AccessProof:
    """Judge every call, implied and runtime ones included, and list grants no call used."""
    judges = list(evaluators) if evaluators is not None else evaluators_for(documents)
    everything = [*calls, *implied_calls(calls, queue_keys), *runtime_calls]
    counts = Counter(everything)
    judged = tuple(
        JudgedCall(call, count, judge(judges, call.action, call.resource, context).decisions)
        for call, count in counts.items()
    )
    unauthorized = tuple(j for j in judged if not all(j.decisions.values()))
    disagreements = tuple(j for j in judged if len(set(j.decisions.values())) > 1)
    grants, unanalysed = granted(documents)
    unused: list[Grant] = []
    runtime_only: list[Grant] = []
    for grant, statement in grants:
        users = {
            call.source
            for call in counts
            if call.action.lower() == grant.action.lower()
            and statement_grants(
                {**statement, "Action": grant.action, "Resource": grant.resource},
                call.action,
                call.resource,
                context,
            )
        }
        if not users:
            unused.append(grant)
        elif users == {CallSource.RUNTIME}:
            runtime_only.append(grant)
    return AccessProof(
        calls=judged,
        unauthorized=unauthorized,
        disagreements=disagreements,
        unused=tuple(unused),
        runtime_implied=tuple(runtime_only),
        unanalysed_statements=tuple(unanalysed),
        evaluators=tuple(e.name for e in judges),
    )
