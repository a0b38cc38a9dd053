"""Unit guarantees of tap local: options, appliers, order, translation, authorisation, lifecycle."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from tap.calls import AwsCall, CallSource
from tap.local import (
    GraphError,
    InvalidOptionsError,
    LocalOptions,
    UnsupportedResourceError,
    run_local,
)
from tap.local.access.proof import prove_access
from tap.local.artifact import loaded_artifact
from tap.local.delivery import invoke_authorised
from tap.local.emulator import HOST, aws_scan_command, running_emulator
from tap.local.graph import Translation, dependency_order
from tap.synth import Resource, ResourceGraph

ACCOUNT = "111122223333"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/items"


def resource(urn: str, *, parent: str | None = None, deps: tuple[str, ...] = ()) -> Resource:
    return Resource(
        urn=urn,
        type="tap:test:Thing",
        name=urn,
        custom=True,
        parent=parent,
        provider=None,
        dependencies=list(deps),
        inputs={},
        outputs={},
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"objects": 0}, "objects must be between 1"),
        ({"fail_rate": 1.5}, "fail_rate must be between 0 and 1"),
        ({"duplicate_rate": -0.1}, "duplicate_rate must be between 0 and 1"),
        ({"objects": True}, "objects must be an integer"),
        ({"artifact_path": Path("/nonexistent.zip")}, "is not a file"),
    ],
)
def test_out_of_range_options_are_refused_with_the_option_named(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidOptionsError, match=message):
        LocalOptions(**options)


def test_a_type_without_an_applier_is_a_typed_error_naming_it(
    dev_graph: ResourceGraph, artifact_path: Path
) -> None:
    stray = resource("urn:pulumi:dev::tap::aws:ec2/instance:Instance::box").model_copy(
        update={"type": "aws:ec2/instance:Instance"}
    )
    graph = dev_graph.model_copy(update={"resources": [*dev_graph.resources, stray]})
    with pytest.raises(UnsupportedResourceError, match="aws:ec2/instance:Instance") as error:
        run_local(graph, LocalOptions(objects=1, artifact_path=artifact_path))
    assert error.value.resource_type == "aws:ec2/instance:Instance"


def test_every_resource_comes_after_its_parent_and_dependencies() -> None:
    child = resource("c", parent="p", deps=("d",))
    ordered = dependency_order([child, resource("d", parent="p"), resource("p")])
    assert [r.urn for r in ordered] == ["p", "d", "c"]


def test_a_dependency_cycle_is_a_graph_error() -> None:
    with pytest.raises(GraphError, match="cycle"):
        dependency_order([resource("a", deps=("b",)), resource("b", deps=("a",))])


def test_a_dependency_outside_the_graph_is_a_graph_error() -> None:
    with pytest.raises(GraphError, match="not in the graph"):
        dependency_order([resource("a", deps=("ghost",))])


def test_translation_replaces_graph_values_deep_inside_strings_longest_first() -> None:
    translation = Translation()
    fake_id = "00000000-fake-key-id"
    translation.learn(
        {"id": fake_id, "arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{fake_id}", "name": "live"},
        {"id": "real-id-1234", "arn": "arn:real-key", "name": "other"},
    )
    policy = json.dumps({"Resource": [f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{fake_id}"]})
    translated = translation.apply({"policy": policy, "ids": [fake_id], "n": 3})
    assert json.loads(translated["policy"]) == {"Resource": ["arn:real-key"]}
    assert translated["ids"] == ["real-id-1234"]
    assert translated["n"] == 3
    assert "live" not in translation.substitutions  # too short to replace safely


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        ({"qualifier": "live", "sourceArn": "arn:rule/r"}, True),
        ({"qualifier": None, "sourceArn": "arn:rule/r"}, False),  # unqualified: not the alias
        ({"qualifier": "live", "sourceArn": "arn:rule/other"}, False),
        ({"qualifier": "live", "sourceArn": "arn:rule/r", "principal": "sns.amazonaws.com"}, False),
    ],
)
def test_eventbridge_may_invoke_only_with_a_permission_for_the_rule_and_alias(
    permission: dict[str, Any], allowed: bool
) -> None:
    grant = {
        "action": "lambda:InvokeFunction",
        "function": "fn",
        "principal": "events.amazonaws.com",
        **permission,
    }
    assert (
        invoke_authorised(
            [grant], function_name="fn", qualifier="live", rule_arn="arn:rule/r", account_id=ACCOUNT
        )
        is allowed
    )


def test_kms_calls_implied_by_sending_to_a_cmk_queue_are_judged_too() -> None:
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue]},
            {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": [TABLE_ARN]},
        ],
    }
    proof = prove_access(
        [policy],
        [AwsCall("sqs:SendMessage", queue, CallSource.HANDLER)],
        queue_keys={queue: key},
        runtime_calls=[],
        context={},
    )
    denied = {(c.call.action, c.call.resource, c.call.source) for c in proof.unauthorized}
    assert denied == {
        ("kms:GenerateDataKey", key, CallSource.IMPLIED),
        ("kms:Decrypt", key, CallSource.IMPLIED),
    }
    assert [(g.action, g.resource) for g in proof.unused] == [("dynamodb:PutItem", TABLE_ARN)]
    assert proof.evaluators == ("principalmapper", "lambda-preflight")


def test_wildcard_grants_are_expanded_and_reported_unused() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:Put*", "Resource": TABLE_ARN}],
    }
    proof = prove_access(
        [policy],
        [AwsCall("dynamodb:PutItem", TABLE_ARN, CallSource.HANDLER)],
        queue_keys={},
        runtime_calls=[],
        context={},
    )
    unused = {g.action for g in proof.unused}
    assert "dynamodb:PutItem" not in unused
    assert "dynamodb:PutResourcePolicy" in unused


@pytest.mark.slow  # starts an emulator server
def test_the_emulator_stops_when_the_run_is_interrupted() -> None:
    ports: list[int] = []

    def interrupted_run() -> None:
        with running_emulator(account_id=ACCOUNT, region="us-east-1", keep_running=True) as e:
            ports.append(e.port)
            assert e.client("sts").get_caller_identity()["Account"] == ACCOUNT
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()
    with pytest.raises(ConnectionRefusedError), socket.create_connection((HOST, ports[0]), 1):
        pass


def test_the_handler_is_imported_from_the_artifact_not_the_source_tree(
    artifact_path: Path,
) -> None:
    import tap_processor.handler as source_handler

    with loaded_artifact(artifact_path) as artifact:
        loaded = artifact.module("tap_processor.handler")
        assert loaded is not source_handler
        assert str(artifact.root) in str(loaded.__file__)
        assert str(artifact.root) in str(artifact.entry.__file__)
    assert sys.modules["tap_processor.handler"] is source_handler


def test_scan_command_carries_endpoint_table_region_and_key() -> None:
    from tap.local import Credentials

    command = aws_scan_command(
        endpoint="http://127.0.0.1:5000",
        table_name="tap-items-dev",
        region="us-east-1",
        credentials=Credentials("AKIA123", "secret"),
    )
    assert command == (
        "AWS_ACCESS_KEY_ID=AKIA123 AWS_SECRET_ACCESS_KEY=secret aws --endpoint-url "
        "http://127.0.0.1:5000 dynamodb scan --table-name tap-items-dev --region us-east-1"
    )


def test_every_emulator_session_shares_one_data_loader_without_growing_it() -> None:
    """Each new botocore session would parse the service models and endpoint data again."""
    from tap.local.emulator import new_session

    sessions = [new_session(region_name="us-east-1") for _ in range(5)]
    loaders = {id(s._session.get_component("data_loader")) for s in sessions}
    paths = sessions[0]._session.get_component("data_loader").search_paths

    assert len(loaders) == 1
    assert len(paths) == len(set(paths))
    client = sessions[-1].client("sqs", aws_access_key_id="a", aws_secret_access_key="b")
    assert client.meta.service_model.service_name == "sqs"
