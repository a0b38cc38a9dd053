"""RecordingMonitor: the SDK's mock monitor, recording every registration as the engine sees it."""

from __future__ import annotations

import threading
from typing import Any, Final

from pulumi.runtime import MockCallArgs, MockResourceArgs
from pulumi.runtime.proto import resource_pb2

from tap.internals.pulumi_mocks import MockMonitorBase
from tap.synth.errors import DefaultProviderError, DuplicateUrnError, SynthError, UnknownInputError
from tap.synth.fake_aws import FakeAws, provider_urn_of
from tap.synth.graph import PROVIDER_TYPE_PREFIX, Resource, lifecycle_options
from tap.synth.values import (
    UNKNOWN,
    Secret,
    contains_secret,
    decode_struct,
    encode_struct,
    mentions,
    secret_leaves,
    to_json_value,
)

STACK_TYPE: Final = "pulumi:pulumi:Stack"
GET_RESOURCE_TOKEN: Final = "pulumi:pulumi:getResource"  # noqa: S105 - an invoke token


def _keep_secrets_secret(inputs: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Mark secret every output that repeats a secret input's plaintext, as the engine would."""
    leaves = secret_leaves(inputs)
    if not leaves:
        return state
    return {
        key: Secret(value) if not contains_secret(value) and mentions(value, leaves) else value
        for key, value in state.items()
    }


def _options_of(request: Any) -> dict[str, Any]:
    """The lifecycle options a deployment depends on, when they differ from the defaults."""
    return lifecycle_options(
        protect=bool(request.protect),
        retain_on_delete=bool(request.retainOnDelete),
        ignore_changes=list(request.ignoreChanges),
        delete_before_replace=bool(request.deleteBeforeReplace),
    )


def _package_of(token: str) -> str:
    return token.split(":", 1)[0]


class RecordingMonitor(MockMonitorBase):
    """Answers the SDK from a FakeAws and keeps each resource's placement, deps and properties.

    Unlike the stock mock monitor it builds URNs as the engine does (full parent type chain,
    no stack type), makes a create's computed outputs unknown in preview, refuses duplicate
    URNs and disabled default providers, and records failures so the runner can report them.
    """

    fake: FakeAws

    def __init__(
        self,
        fake: FakeAws,
        *,
        project: str,
        stack: str,
        preview: bool,
        disabled_default_providers: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(fake)
        self.fake = fake
        self.project = project
        self.stack = stack
        self.preview = preview
        self.disabled_default_providers = disabled_default_providers
        self.errors: list[Exception] = []
        self._records: dict[str, Resource] = {}
        self._component_outputs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN: parent type chain (without the stack), then type and name."""
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def resources_recorded(self) -> list[Resource]:
        """Recorded resources, parents before children and siblings by URN.

        Components carry the outputs they registered.
        """
        with self._lock:
            records = sorted(self._records.values(), key=lambda r: r.urn)
            extra = dict(self._component_outputs)
        children: dict[str | None, list[Resource]] = {}
        for record in records:
            parent = record.parent if record.parent in self._records else None
            children.setdefault(parent, []).append(record)
        ordered: list[Resource] = []
        pending = list(reversed(children.get(None, [])))
        while pending:
            record = pending.pop()
            if record.urn in extra:
                record = record.model_copy(
                    update={"outputs": {**record.outputs, **extra[record.urn]}}
                )
            ordered.append(record)
            pending.extend(reversed(children.get(record.urn, [])))
        return ordered

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Register a resource with the fake provider and record it."""
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        try:
            return self._register(request, urn)
        except Exception as exc:
            with self._lock:
                self.errors.append(exc)
            raise

    def _register(self, request: Any, urn: str) -> Any:
        inputs = decode_struct(request.object)
        custom = bool(request.custom)
        is_provider = request.type.startswith(PROVIDER_TYPE_PREFIX)
        if custom and not is_provider and not request.provider:
            self._refuse_default_provider(request.type, f"resource {request.name}")
        args = MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=custom,
        )
        try:
            resource_id, state = self.fake.new_resource(args)
        except UnknownInputError:
            if not self.preview:
                raise
            resource_id, state = "", dict(inputs)
        if self.preview and custom:
            # A preview of a create knows the inputs only; id and computed outputs are unknown.
            resource_id, state = "", dict(inputs)
        state = _keep_secrets_secret(inputs, state)
        record = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=custom,
            parent=self._parent_of(request.parent),
            provider=provider_urn_of(request.provider),
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={
                key: sorted(set(deps.urns))
                for key, deps in request.propertyDependencies.items()
                if deps.urns
            },
            inputs=to_json_value(inputs),
            outputs=to_json_value(
                {"id": resource_id or UNKNOWN, **state} if custom else dict(state)
            ),
            options=_options_of(request),
        )
        with self._lock:
            if urn in self._records:
                raise DuplicateUrnError(urn)
            self._records[urn] = record
            self.remember_registration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=resource_id, object=encode_struct(state)
        )

    def _parent_of(self, parent: str) -> str | None:
        if not parent or parent.split("::")[2] == STACK_TYPE:
            return None
        return parent

    def _refuse_default_provider(self, token: str, what: str) -> None:
        package = _package_of(token)
        if {package, "*"} & self.disabled_default_providers:
            raise DefaultProviderError(
                f"{what} ({token}) has no explicit provider and the default {package} provider "
                "is disabled (pulumi:disable-default-providers)"
            )

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802
        """Keep a component's registered outputs."""
        outputs = decode_struct(request.outputs)
        if outputs:
            with self._lock:
                self._component_outputs[request.urn] = to_json_value(outputs)
        return self.acknowledge_outputs(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802
        """Reading an existing resource needs a real cloud; refuse it."""
        error = SynthError(
            f"{request.type} {request.name}: reading existing resources (.get) is not supported"
        )
        with self._lock:
            self.errors.append(error)
        raise error

    def Invoke(self, request: Any) -> Any:  # noqa: N802
        """Answer an invoke from the fake provider."""
        if request.tok == GET_RESOURCE_TOKEN:
            return self.answer_get_resource(request)
        try:
            if not request.provider:
                self._refuse_default_provider(request.tok, "invoke")
            args = MockCallArgs(
                token=request.tok, args=decode_struct(request.args), provider=request.provider
            )
            result, _ = self.fake.call(args)
        except Exception as exc:
            with self._lock:
                self.errors.append(exc)
            raise
        response = resource_pb2.ResourceInvokeResponse()
        # `return` is a Python keyword, so the field is set by name.
        getattr(response, "return").CopyFrom(encode_struct(result))
        return response
