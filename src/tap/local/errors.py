"""Errors raised by `tap local`: one base class, one subclass per way a local run can fail."""

from __future__ import annotations

from tap.errors import EXIT_USAGE, TapError


class LocalRunError(TapError):
    """Base class for every error a local run raises on purpose."""

    prefix = "local run failed"


class InvalidOptionsError(LocalRunError):
    """An option is out of range; the message names the option and the allowed range."""

    exit_code = EXIT_USAGE
    prefix = ""


class EmulatorError(LocalRunError):
    """The embedded emulator could not be started or did not answer."""


class GraphError(LocalRunError):
    """The resource graph cannot be applied: a cycle, a dangling reference or a missing resource."""


class UnsupportedResourceError(GraphError):
    """The graph holds a resource type that has no applier."""

    def __init__(self, resource_type: str, urn: str) -> None:
        super().__init__(f"no applier for resource type {resource_type!r} ({urn})")
        self.resource_type = resource_type
        self.urn = urn


class ApplyError(GraphError):
    """The emulator rejected a resource while applying the graph."""

    def __init__(self, urn: str, detail: str) -> None:
        super().__init__(f"applying {urn} failed: {detail}")
        self.urn = urn
        self.detail = detail


class ArtifactError(LocalRunError):
    """The processor artifact is missing, unreadable, or does not contain the handler."""


class PolicyEvaluationError(LocalRunError):
    """A role policy from the graph could not be parsed or evaluated."""
