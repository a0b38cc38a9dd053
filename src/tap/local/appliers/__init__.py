"""One applier per declared resource type (`tap.resources`); a type without one is an error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, cast

from botocore.exceptions import BotoCoreError, ClientError

from tap.errors import TapError
from tap.local.appliers import compute, data, events, monitoring, storage
from tap.local.appliers.context import Applied, Applier, ApplyContext, ObserverTarget
from tap.local.errors import ApplyError, UnsupportedResourceError
from tap.local.graph import GraphResource, dependency_order
from tap.resources import DECLARED, NO_OP, ResourceType


def no_op(
    _ctx: ApplyContext, _resource: GraphResource, _inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Components and providers create nothing in the emulator."""
    return {}


_MODULES: Final = {
    m.__name__.rsplit(".", 1)[-1]: m for m in (compute, data, events, monitoring, storage)
}


def _applier_of(declared: ResourceType) -> Applier:
    """The function `declared` names (`<module>.<function>` here), or `no_op`."""
    if declared.applier == NO_OP:
        return no_op
    module, _, function = declared.applier.partition(".")
    applier = getattr(_MODULES.get(module), function, None)
    if not callable(applier):
        raise LookupError(f"{declared.token} declares applier '{declared.applier}': none here")
    return cast(Applier, applier)


APPLIERS: Final[Mapping[str, Applier]] = {
    declared.token: _applier_of(declared) for declared in DECLARED.values()
}
"""Every declared type's applier, found from its declaration in `tap.resources`."""


def check_supported(
    resources: list[GraphResource], appliers: Mapping[str, Applier] = APPLIERS
) -> None:
    """Raise UnsupportedResourceError for the first resource whose type has no applier."""
    for resource in resources:
        if resource.type not in appliers:
            raise UnsupportedResourceError(resource.type, resource.urn)


def apply_graph(
    ctx: ApplyContext,
    resources: list[GraphResource],
    *,
    appliers: Mapping[str, Applier] = APPLIERS,
    on_resource: Callable[[GraphResource], None] | None = None,
) -> None:
    """Create every resource in dependency order, translating graph values as they become known."""
    ordered = dependency_order(resources)
    check_supported(ordered, appliers)
    for resource in ordered:
        inputs = ctx.translation.apply(dict(resource.inputs))
        try:
            outputs = appliers[resource.type](ctx, resource, inputs)
        except (ClientError, BotoCoreError) as error:
            raise ApplyError(resource.urn, str(error)) from error
        except TapError:
            raise
        except Exception as error:  # in-process moto raises its own failures as Python errors
            raise ApplyError(resource.urn, f"{type(error).__name__}: {error}") from error
        ctx.translation.learn(resource.outputs, outputs)
        ctx.applied[resource.urn] = Applied(resource, inputs, outputs)
        if on_resource is not None:
            on_resource(resource)


__all__ = [
    "APPLIERS",
    "Applied",
    "Applier",
    "ApplyContext",
    "ObserverTarget",
    "apply_graph",
    "check_supported",
    "no_op",
]
