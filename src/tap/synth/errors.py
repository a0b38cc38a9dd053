"""Errors raised while synthesizing a program into a resource graph."""

from __future__ import annotations

from tap.errors import TapError


class SynthError(TapError):
    """The program could not be synthesized; the message says why."""

    prefix = "synthesis failed"


class UnknownResourceTypeError(SynthError):
    """The fake AWS provider has no answer for a resource type."""

    def __init__(self, type_token: str, name: str) -> None:
        super().__init__(f"fake AWS provider does not know resource type {type_token} ({name})")
        self.type_token = type_token
        self.name = name


class UnknownInvokeError(SynthError):
    """The fake AWS provider has no answer for an invoke (data source) token."""

    def __init__(self, token: str) -> None:
        super().__init__(f"fake AWS provider does not answer invoke {token}")
        self.token = token


class MissingInputError(SynthError):
    """A resource lacks an input the fake provider needs, as AWS would refuse it too."""

    def __init__(self, type_token: str, name: str, key: str) -> None:
        super().__init__(f"{type_token} {name}: required input '{key}' is missing")
        self.type_token = type_token
        self.name = name
        self.key = key


class UnknownInputError(SynthError):
    """An input the fake provider needs is not known yet (only possible in preview)."""


class DefaultProviderError(SynthError):
    """A resource or invoke fell back to a default provider the project disabled."""


class DuplicateUrnError(SynthError):
    """Two resources share a URN, which the Pulumi engine refuses."""

    def __init__(self, urn: str) -> None:
        super().__init__(f"duplicate resource URN {urn}")
        self.urn = urn
