"""Decoding the engine's wire values: what pulumi's own serializer sends for assets, archives and
resource references reaches the graph as a provider would see it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from google.protobuf import struct_pb2  # type: ignore[import-untyped,unused-ignore]

from tap.internals.pulumi import wire_signatures
from tap.synth import ResourceGraph, run_program
from tap.synth.values import decode_value

from .conftest import DEV_ACCOUNT


class Box(pulumi.ComponentResource):
    """A component with nothing inside, to be passed as an input."""

    def __init__(self, name: str) -> None:
        super().__init__("toy:index:Box", name, None, None)
        self.register_outputs({"empty": False})


def _run(program: pulumi.RunFunc, *, preview: bool = False) -> ResourceGraph:
    return run_program(
        program,
        project="toy",
        stack="dev",
        config={},
        preview=preview,
        account_id=DEV_ACCOUNT,
        region="us-east-1",
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_assets_and_archives_reach_the_graph_by_kind(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"a\n")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "b.txt").write_bytes(b"b\n")

    def program() -> None:
        pulumi.export("file", pulumi.FileAsset(str(tmp_path / "a.txt")))
        pulumi.export("text", pulumi.StringAsset("hello"))
        pulumi.export("remote", pulumi.RemoteAsset("https://example.com/a"))
        pulumi.export(
            "assets",
            pulumi.AssetArchive(
                {"x": pulumi.StringAsset("x"), "tree": pulumi.FileArchive(str(tmp_path / "tree"))}
            ),
        )
        pulumi.export("remoteArchive", pulumi.RemoteArchive("https://example.com/a.zip"))

    outputs = _run(program).outputs
    b_digest = _sha256(b"b\n")
    listing = f"b.txt\0{b_digest}\n".encode()
    assert outputs == {
        "file": {"__asset": "file", "path": str(tmp_path / "a.txt"), "sha256": _sha256(b"a\n")},
        "text": {"__asset": "string", "sha256": _sha256(b"hello")},
        "remote": {"__asset": "remote", "uri": "https://example.com/a"},
        "assets": {
            "__archive": "assets",
            "assets": {
                "x": {"__asset": "string", "sha256": _sha256(b"x")},
                "tree": {
                    "__archive": "file",
                    "path": str(tmp_path / "tree"),
                    "sha256": _sha256(listing),
                },
            },
        },
        "remoteArchive": {"__archive": "remote", "uri": "https://example.com/a.zip"},
    }


def _refs_program() -> None:
    provider = aws.Provider("aws", region="us-east-1")
    opts = pulumi.ResourceOptions(provider=provider)
    box = Box("box")
    queue = aws.sqs.Queue("q", name="q", opts=opts)
    aws.sqs.QueuePolicy("qp", queue_url=queue, policy=json.dumps({}), opts=opts)
    aws.sqs.Queue("q2", name="q2", tags={"box": box}, opts=opts)


@pytest.mark.parametrize("preview", [False, True])
def test_a_resource_passed_as_an_input_is_its_id_or_a_components_urn(preview: bool) -> None:
    """The mock monitor supports resource references, so the SDK sends the reference itself."""
    graph = _run(_refs_program, preview=preview)
    [queue] = [r for r in graph.resources if r.name == "q"]
    [policy] = [r for r in graph.resources if r.name == "qp"]
    [tagged] = [r for r in graph.resources if r.name == "q2"]
    assert policy.inputs["queueUrl"] == ("[unknown]" if preview else queue.outputs["id"])
    assert queue.outputs["id"] == ("[unknown]" if preview else queue.outputs["url"])
    assert tagged.inputs["tags"] == {"box": "urn:pulumi:dev::toy::toy:index:Box::box"}


def test_a_signature_tap_does_not_know_is_an_error_naming_it() -> None:
    wire = struct_pb2.Value()
    wire.struct_value.fields[wire_signatures().sig_key].string_value = "not-a-signature"
    with pytest.raises(ValueError, match="unsupported value signature not-a-signature"):
        decode_value(wire)
