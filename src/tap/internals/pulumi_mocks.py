"""pulumi's mock monitor (`pulumi.runtime.mocks.MockMonitor`), the base of tap's recording
monitor, and the parts of it that monitor relies on.

`pulumi.runtime.set_mocks(monitor=...)` takes any MockMonitor, but what a subclass may change
and what it must keep (the registrations `getResource` answers from) is the SDK's own code.
This module imports pulumi's mocks when it is imported, to be subclassed: only `tap.synth`
imports it. tests/test_internals.py guards `SURFACES`.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi.runtime.mocks import MockMonitor

SURFACES: Final = frozenset({"pulumi.runtime.mocks.MockMonitor"})
"""Each private surface of pulumi this module reaches, as tests/test_internals.py names it."""


class MockMonitorBase(MockMonitor):
    """The SDK's mock monitor, with what a subclass needs of its internals named once.

    A subclass answers the engine's gRPC methods (`RegisterResource`, `Invoke`, ...) itself;
    the SDK calls them by those names.
    """

    def remember_registration(self, urn: str, resource_id: str, state: dict[str, Any]) -> None:
        """Keep a registered resource where the mock monitor's `getResource` invoke reads it
        (`MockMonitor.resources`, of `MockMonitor.ResourceRegistration`s)."""
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)

    def answer_get_resource(self, request: Any) -> Any:
        """The mock monitor's own answer to a `pulumi:pulumi:getResource` invoke, from the
        registrations kept (`remember_registration`)."""
        return MockMonitor.Invoke(self, request)  # type: ignore[no-untyped-call]

    def acknowledge_outputs(self, request: Any) -> Any:
        """The mock monitor's own answer to `RegisterResourceOutputs`."""
        return MockMonitor.RegisterResourceOutputs(self, request)  # type: ignore[no-untyped-call]
