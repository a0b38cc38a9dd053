"""pulumi-policy's private API: the proxies CrossGuard hands a policy. Not in the base install:
imported on use."""

from __future__ import annotations

from typing import Any, Final

SURFACES: Final = frozenset({"pulumi_policy.proxy._DictProxy"})
"""Each private surface of pulumi-policy this module reaches, as tests/test_internals.py names
it."""


def unwrap_policy_proxy(value: Any) -> Any:
    """The value inside pulumi-policy's unknown-checking `_DictProxy`/`_ListProxy`, else `value`."""
    from pulumi_policy.proxy import _DictProxy, _ListProxy

    return value["__target"] if isinstance(value, _DictProxy | _ListProxy) else value
