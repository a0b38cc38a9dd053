"""What every day-2 command stands on: names from the graph's links, and the account, proven."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from tap.errors import EXIT_USAGE
from tap.facts import tokens
from tap.local.emulator import Emulator, running_emulator
from tap.ops.needs import Command, OpsResource, needs_of, operator_policy
from tap.ops.session import OpsSessionError, connect
from tap.ops.stack import StackResolutionError, resolve
from tests.support.shipped import STACKS, edit, graph, only, shipped

pytestmark = pytest.mark.slow  # each test starts an emulator

ACCOUNT = "111122223333"


@pytest.mark.parametrize("stack", STACKS)
def test_each_stacks_resources_are_the_ones_its_graph_links(stack: str) -> None:
    resource_graph, config = shipped(stack)
    resources = resolve(resource_graph)

    target = resource_graph.by_type(tokens.EVENT_TARGET)[0]
    invoke_config = resource_graph.by_type(tokens.INVOKE_CONFIG)[0]
    by_arn = {q.outputs["arn"]: q.inputs["name"] for q in resource_graph.by_type(tokens.QUEUE)}
    assert resources.account_id == config.account_id
    assert resources.region == config.region
    assert resources.alias_arn == target.inputs["arn"]
    assert resources.delivery_dlq.name == by_arn[target.inputs["deadLetterConfig"]["arn"]]
    assert (
        resources.processor_dlq.name
        == by_arn[invoke_config.inputs["destinationConfig"]["onFailure"]["destination"]]
    )
    assert resources.delivery_dlq != resources.processor_dlq
    assert resources.buckets == tuple(
        b.inputs["bucket"] for b in resource_graph.by_type(tokens.BUCKET)
    )
    assert resources.table == resource_graph.by_type(tokens.TABLE)[0].inputs["name"]


def test_a_target_without_a_dead_letter_queue_cannot_be_redriven() -> None:
    broken = graph("dev")
    target = only(broken, tokens.EVENT_TARGET)
    broken = edit(broken, target, lambda props: props.pop("deadLetterConfig"))

    with pytest.raises(StackResolutionError, match="do not share one DLQ") as error:
        resolve(broken)
    assert error.value.exit_code == EXIT_USAGE


def test_the_operator_policy_grants_each_command_exactly_its_needs_on_its_resources() -> None:
    resources = resolve(shipped("dev")[0])
    policy = operator_policy(resources, [Command.REDRIVE])

    granted = {(a, r) for s in policy["Statement"] for a in s["Action"] for r in s["Resource"]}
    assert ("lambda:InvokeFunction", resources.alias_arn) in granted
    assert {a for a, _ in granted} == {n.action for n in needs_of([Command.REDRIVE])}
    # Nothing on the table or buckets for redrive, and only the alias may be invoked.
    assert not any(":dynamodb:" in r or ":s3:" in r for _, r in granted)
    assert {r for a, r in granted if a.startswith("lambda:")} == {resources.alias_arn}
    assert all(n.resource is not OpsResource.BUCKETS for n in needs_of([Command.REDRIVE]))
    json.dumps(policy)  # a policy document is JSON


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator(account_id=ACCOUNT, region="us-east-1") as running:
        yield running


def test_connect_proves_the_account_and_records_each_call(emulator: Emulator) -> None:
    resources = resolve(shipped("dev")[0])
    session = connect(resources, role_arn=None, base=emulator.session())

    session.client("s3").list_buckets()
    assert session.account_id == ACCOUNT
    assert [(c.action, c.source.value) for c in session.calls] == [("s3:ListBuckets", "operator")]


@pytest.mark.parametrize(("timeout", "read"), [(None, 60.0), (7.5, 7.5)])
def test_every_client_of_a_session_waits_a_bounded_time(
    emulator: Emulator, timeout: float | None, read: float
) -> None:
    """`--timeout` sets each answer's wait; a request is tried 3 times, whatever the service."""
    resources = resolve(shipped("dev")[0])
    given = {} if timeout is None else {"timeout": timeout}
    session = connect(resources, role_arn=None, base=emulator.session(), **given)

    for service in ("s3", "dynamodb", "sqs", "lambda", "sts"):
        config = session.client(service).meta.config
        assert (config.connect_timeout, config.read_timeout) == (5.0, read)
        assert config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_connect_refuses_credentials_of_another_account(emulator: Emulator) -> None:
    resources = resolve(shipped("dev")[0])
    other = boto3.session.Session(
        aws_access_key_id="AKIAOTHERACCOUNT0001",
        aws_secret_access_key="x",
        region_name="us-east-1",
    )

    with pytest.raises(OpsSessionError) as error:
        connect(resources, role_arn=None, base=other)
    assert error.value.exit_code == EXIT_USAGE
    assert f"stack dev is in account {ACCOUNT}" in error.value.headline()
    assert error.value.headline().startswith("refusing to act: the credentials are for account")


def test_connect_assumes_the_role_with_the_external_id(emulator: Emulator) -> None:
    """moto's STS answers AssumeRole for any role; the assumed identity is the role's account."""
    resources = resolve(shipped("dev")[0])
    role = f"arn:aws:iam::{ACCOUNT}:role/tap-deployer"

    session = connect(
        resources,
        role_arn=role,
        external_id="tap-dev",
        base=emulator.session(),
    )
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT
    assert identity["Arn"].startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/tap-deployer/tap-ops-dev"
    )
