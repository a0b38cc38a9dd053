"""A resource the emulator fails to create ends `tap local` with one line naming it, never a
traceback: moto in-process raises its own failures as Python errors (a KeyError from its KMS
backend ended `tap local --stack prod` that way), and botocore raises ClientError."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from tap.local.appliers import ApplyContext, apply_graph
from tap.local.emulator import Emulator
from tap.local.errors import ApplyError
from tap.local.graph import GraphResource
from tap.synth import Resource

URN = "urn:pulumi:dev::tap::tap:test:Thing::thing"


def thing() -> Resource:
    return Resource(
        urn=URN, type="tap:test:Thing", name="thing", custom=True, parent=None, provider=None,
        dependencies=[], inputs={}, outputs={},
    )  # fmt: skip


def raising(error: Exception) -> Any:
    def applier(
        _ctx: ApplyContext, _resource: GraphResource, _inputs: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        raise error

    return applier


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (
            KeyError("arn:aws:kms:us-east-1:1:key/mrk-1"),
            "KeyError: 'arn:aws:kms:us-east-1:1:key/mrk-1'",
        ),
        (ClientError({"Error": {"Code": "Nope", "Message": "no"}}, "CreateKey"), "(Nope)"),
        (ApplyError(URN, "input 'name' must be a non-empty string"), "must be a non-empty string"),
    ],
    ids=["moto-in-process", "client-error", "tap-error-passes-through"],
)
def test_a_failing_applier_becomes_one_apply_error_naming_the_resource(
    error: Exception, detail: str
) -> None:
    ctx = ApplyContext(emulator=cast(Emulator, None), artifact=b"")

    with pytest.raises(ApplyError) as caught:
        apply_graph(ctx, [thing()], appliers={"tap:test:Thing": raising(error)})

    assert caught.value.urn == URN
    assert detail in caught.value.detail
    assert ctx.applied == {}
