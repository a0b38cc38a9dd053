"""The data a guardrail rule is made of, and what running it produces."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from tap.config.model import EnvironmentConfig

if TYPE_CHECKING:
    from tap.synth.graph import ResourceGraph


class Level(StrEnum):
    """How bad a non-compliant resource is: errors fail `tap check`, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class Status(StrEnum):
    """What a rule concluded about one resource."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True)
class Outcome:
    """One conclusion of a rule: a status, the resource it is about, and why."""

    status: Status
    resource_urn: str | None
    message: str


def compliant(urn: str | None, message: str = "") -> Outcome:
    """The resource satisfies the rule."""
    return Outcome(Status.COMPLIANT, urn, message)


def non_compliant(urn: str | None, message: str) -> Outcome:
    """The resource breaks the rule; `message` says how."""
    return Outcome(Status.NON_COMPLIANT, urn, message)


def not_applicable(reason: str, urn: str | None = None) -> Outcome:
    """The rule has nothing to say here (no such resources, or no config to judge by)."""
    return Outcome(Status.NOT_APPLICABLE, urn, reason)


@dataclass(frozen=True)
class RuleContext:
    """What rules may know beyond the graph: the stack's validated config, when there is one."""

    config: EnvironmentConfig | None = None


def why_not_production(context: RuleContext) -> str | None:
    """Why production-only rules do not apply here, or None when this is production."""
    if context.config is None:
        return "no stack config says whether this is production"
    if not context.config.production:
        return f"{context.config.environment} is not production"
    return None


RuleCheck = Callable[["ResourceGraph", RuleContext], Iterable[Outcome]]
"""A rule's pure function: the graph and context in, one outcome per resource judged out."""


def rule_id(check: RuleCheck) -> str:
    """The stable kebab-case id of a rule, derived from its function's name."""
    return getattr(check, "__name__", "unnamed-rule").strip("_").replace("_", "-")


@dataclass(frozen=True)
class Rule:
    """A rule as data: its check, level, why it exists and how to fix what it finds."""

    check: RuleCheck
    level: Level
    explanation: str
    fix: str

    @property
    def id(self) -> str:
        """Stable kebab-case id, e.g. `sqs-queue-encrypted`."""
        return rule_id(self.check)


@dataclass(frozen=True)
class Finding:
    """A non-compliant resource (or a crashed rule), as reported to the user."""

    rule_id: str
    level: Level
    resource_urn: str | None
    message: str
    fix: str
    suppressed_reason: str | None = None

    @property
    def suppressed(self) -> bool:
        """True when a suppression with a reason accepts this finding."""
        return self.suppressed_reason is not None

    @property
    def blocking(self) -> bool:
        """True for an unsuppressed error: it makes `tap check` exit 1."""
        return self.level is Level.ERROR and not self.suppressed

    def to_dict(self) -> dict[str, str | None]:
        """A JSON-able dict with stable keys."""
        return {
            "rule_id": self.rule_id,
            "level": self.level.value,
            "resource_urn": self.resource_urn,
            "message": self.message,
            "fix": self.fix,
            "suppressed_reason": self.suppressed_reason,
        }
