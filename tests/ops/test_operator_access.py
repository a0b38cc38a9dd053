"""The operator policy, proven the way `tap local` proves the handler's role: each day-2 command
runs against a live local stack, every AWS call it makes is recorded (action and resource ARN),
and both IAM evaluators judge each call against `tap operator-policy`'s document."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tap.calls import AwsCall, CallSource
from tap.facts.arns import kms_key_arn
from tap.local.access.operator import prove_operator_access
from tap.local.access.proof import prove_access
from tap.ops.backfill import Backfill
from tap.ops.inbox import inbox_name
from tap.ops.needs import Command, needs_of, operator_policy
from tap.ops.reconcile import Reconciler
from tap.ops.redrive import redrive
from tap.ops.stack import StackResources, as_deployed, resolve
from tap.synth import ResourceGraph
from tests.support.bounds import WAIT
from tests.support.local import KeptRun

EXAMPLE_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
"""The key id AWS's KMS documentation uses in its examples."""


def _local_only(calls: list[AwsCall], resources: StackResources) -> list[AwsCall]:
    """Calls that exist only on an emulator: the live stack's invoke inbox, which stands in for
    lambda:InvokeFunction (moto cannot run Lambda code)."""
    inbox = inbox_name(resources.function)
    return [c for c in calls if c.resource.endswith(f":{inbox}")]


@pytest.mark.slow
@pytest.mark.xdist_group("kept-emulator")
def test_every_call_of_every_day2_command_is_allowed_by_the_operator_policy(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=2, keep_running=True)
    live = run.live
    # the key the emulator holds, named by its alias: the graph's key id is made up
    resources = as_deployed(resolve(dev_graph), run.client("kms"))
    assert resources.kms_key_arn in {k["KeyArn"] for k in run.client("kms").list_keys()["Keys"]}
    bucket = resources.buckets[0]
    s3, sqs = run.client("s3"), run.client("sqs")

    # GIVEN events in both DLQs: writes throttled, then invokes throttled
    live.path.faults.fail_rate = 1.0
    s3.put_object(Bucket=bucket, Key="ops/throttled-write.csv", Body=b"1")
    assert live.wait_idle(timeout=WAIT)
    live.path.faults.fail_rate = 0.0
    live.path.faults.invoke_throttle_rate = 1.0
    s3.put_object(Bucket=bucket, Key="ops/throttled-invoke.csv", Body=b"22")
    assert live.wait_idle(timeout=WAIT)
    live.path.faults.invoke_throttle_rate = 0.0
    # AND a stale item (a manual edit)
    s3.put_object(Bucket=bucket, Key="ops/stale.csv", Body=b"333")
    assert live.wait_until(
        lambda: any(i["key"]["S"] == "ops/stale.csv" for i in run.items()), timeout=WAIT
    )
    dynamodb = run.client("dynamodb")
    stale = next(i for i in run.items() if i["key"]["S"] == "ops/stale.csv")
    dynamodb.put_item(TableName=resources.table, Item={**stale, "size": {"N": "9"}})

    proofs = {}
    # WHEN each command runs, each in its own session
    backfill = run.ops_session(resources)
    Backfill(backfill, resources, environment="dev", dry_run=True).run()
    written = Backfill(backfill, resources, environment="dev").run()
    assert written.counts.written == 2  # the two objects whose events are dead-lettered
    proofs[Command.BACKFILL] = backfill.calls

    reconcile = run.ops_session(resources)
    report = Reconciler(resources, reconcile, environment="dev", repair=True).run()
    assert (report.repaired, report.unrepaired) == (1, 0)
    proofs[Command.RECONCILE] = reconcile.calls

    redriving = run.ops_session(resources)
    for queue in ("delivery", "processor"):
        assert redrive(redriving, resources, queue, wait_seconds=0).resubmitted == 1
    local = _local_only(redriving.calls, resources)
    assert {c.action for c in local} == {"sqs:GetQueueUrl", "sqs:SendMessage"}
    proofs[Command.REDRIVE] = [c for c in redriving.calls if c not in local]

    # THEN both evaluators allow every call, and agree
    for command, calls in proofs.items():
        proof = prove_operator_access(resources, calls, [command])
        assert proof.unauthorized == (), (command, [j.to_dict() for j in proof.unauthorized])
        assert proof.disagreements == ()
        assert len(proof.calls) >= 3
        # AND every declared need was used, but what this run could not exercise:
        # no message was handed back, and on the emulator the inbox stands in for Invoke.
        unused = {g.action for g in proof.unused}
        expected = (
            {"sqs:ChangeMessageVisibility", "lambda:InvokeFunction"}
            if command is Command.REDRIVE
            else set()
        )
        declared = {n.action for n in needs_of([command])}
        assert unused - {"s3:GetObject"} == expected, (command, unused)
        assert unused <= declared
    assert (
        sqs.get_queue_attributes(
            QueueUrl=sqs.get_queue_url(QueueName=resources.delivery_dlq.name)["QueueUrl"],
            AttributeNames=["ApproximateNumberOfMessages"],
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_a_policy_without_a_needed_action_is_caught() -> None:
    """The proof can fail: reconcile's Scan against a policy that lacks dynamodb:Scan."""
    from tests.support.shipped import shipped

    dev = resolve(shipped("dev")[0])
    resources = dev.with_key_arn(kms_key_arn("aws", dev.region, dev.account_id, EXAMPLE_KEY_ID))
    policy = operator_policy(resources, [Command.RECONCILE])
    for statement in policy["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "dynamodb:Scan"]
    table_arn = (
        f"arn:aws:dynamodb:{resources.region}:{resources.account_id}:table/{resources.table}"
    )
    scan = AwsCall("dynamodb:Scan", table_arn, source=CallSource.OPERATOR)

    proof = prove_access([policy], [scan], queue_keys={}, runtime_calls=[], context={})

    assert [j.call.action for j in proof.unauthorized] == ["dynamodb:Scan"]
    assert prove_operator_access(resources, [scan], [Command.RECONCILE]).unauthorized == ()
