"""The stages of tap local through their typed interfaces: deploy, drive (S3 operations, the
observer, delivery) and verify, on an in-process emulator."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tap.local import LocalOptions
from tap.local.appliers.context import ObserverTarget
from tap.local.artifact import loaded_artifact
from tap.local.delivery import invocation_record
from tap.local.deploy import deploy
from tap.local.drive import drive
from tap.local.emulator import HOST, Emulator, running_emulator
from tap.local.function import LambdaFunction, artifact_handler
from tap.local.observer import VERSIONED_DELETE_NOTE, Observer
from tap.local.operations import S3Operations
from tap.local.report import build_report
from tap.local.runner import STANDING_ADAPTATIONS
from tap.local.verify import verify
from tap.local.workload import Operation, OpKind
from tap.synth import ResourceGraph

pytestmark = pytest.mark.slow  # each test deploys or drives the dev stack on an emulator

ACCOUNT = "111122223333"
BUCKET = "tap-stage-test-bucket"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with running_emulator(account_id=ACCOUNT, region="us-east-1") as running:
        yield running


def test_without_keep_running_moto_runs_in_process_as_the_stacks_account() -> None:
    with running_emulator(account_id=ACCOUNT, region="us-east-1") as emulator:
        # THEN there is no endpoint and no port, and the operator's key maps to the account
        assert (emulator.endpoint, emulator.port) == (None, None)
        assert emulator.client("sts").get_caller_identity()["Account"] == ACCOUNT
        emulator.client("s3").create_bucket(Bucket=BUCKET)
    # AND leaving the run empties the backends: a later emulator starts clean
    with running_emulator(account_id=ACCOUNT, region="us-east-1") as later:
        assert later.client("s3").list_buckets()["Buckets"] == []


def test_with_keep_running_a_server_listens_until_stopped() -> None:
    with running_emulator(account_id=ACCOUNT, region="us-east-1", keep_running=True) as emulator:
        assert emulator.endpoint == f"http://{HOST}:{emulator.port}"
        assert emulator.client("sts").get_caller_identity()["Account"] == ACCOUNT
    assert emulator.port is not None
    emulator.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection((HOST, emulator.port), 1):
        pass


def test_deploy_reads_back_the_names_and_settings_later_stages_use(
    emulator: Emulator, dev_graph: ResourceGraph, artifact_path: Path
) -> None:
    progress: list[tuple[int, int]] = []

    deployment = deploy(
        emulator,
        list(dev_graph.resources),
        artifact=artifact_path.read_bytes(),
        on_resource=lambda done, total: progress.append((done, total)),
    )

    total = len(dev_graph.resources)
    assert progress[-1] == (total, total)
    assert len(progress) == total
    assert deployment.table_name == "tap-items-dev-useast1"
    assert deployment.buckets == ("tap-data-dev-useast1",)
    assert [f.name for f in deployment.functions] == ["tap-processor-dev-useast1"]
    assert all(deployment.rules_enabled.values())
    assert deployment.observers
    queue_names = {arn: arn.rsplit(":", 1)[1] for arn in deployment.queue_urls}
    assert {queue_names[a] for a in deployment.delivery_dlqs} == {"tap-delivery-dlq-dev-useast1"}
    assert {queue_names[a] for a in deployment.processor_dlqs} == {"tap-processor-dlq-dev-useast1"}
    # AND the queue keys are the emulator's key ARNs, not the graph's made-up ones
    kms = emulator.client("kms")
    for key_arn in deployment.queue_keys.values():
        assert kms.describe_key(KeyId=key_arn)["KeyMetadata"]["Arn"] == key_arn
    # AND the role's policies are found by the role's ARN
    assert deployment.policies_of(deployment.function.role_arn)
    # AND the role carries the boundary the graph gives it (tap:permissionsBoundaryArn)
    role = emulator.client("iam").get_role(RoleName="tap-processor-dev-useast1")["Role"]
    boundary = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
    assert boundary == "arn:aws:iam::111122223333:policy/tap-deploy-boundary"


def test_verify_judges_from_the_table_not_from_what_was_delivered(
    emulator: Emulator, dev_graph: ResourceGraph, artifact_path: Path
) -> None:
    # GIVEN a clean run of the deploy and drive stages
    deployment = deploy(emulator, list(dev_graph.resources), artifact=artifact_path.read_bytes())
    with loaded_artifact(artifact_path) as artifact:
        driven = drive(
            emulator,
            deployment,
            LocalOptions(objects=4, artifact_path=artifact_path),
            artifact=artifact,
            factory=artifact_handler,
        )
    assert driven.injected["first_deliveries"] == len(driven.records) > 0
    assert verify(emulator, deployment, driven).accounting.lost == ()
    # WHEN an item disappears behind the run's back
    dynamodb = emulator.client("dynamodb")
    item = dynamodb.scan(TableName=deployment.table_name)["Items"][0]
    dynamodb.delete_item(TableName=deployment.table_name, Key={"id": item["id"]})
    verification = verify(emulator, deployment, driven)
    # THEN verification says it is lost, although every delivery was processed
    assert verification.accounting.lost == ((item["bucket"]["S"], item["key"]["S"]),)
    report = build_report(
        emulator=emulator,
        deployment=deployment,
        driven=driven,
        verification=verification,
        adaptations=(*STANDING_ADAPTATIONS, *deployment.adaptations, *driven.adaptations),
        keep_running=False,
        duration_seconds=0.0,
    )
    assert not report.ok
    assert report.lost == 1
    assert report.processed == len(driven.records)
    # AND the adaptations are the standing ones first, each once
    assert report.adaptations[: len(STANDING_ADAPTATIONS)] == STANDING_ADAPTATIONS
    assert len(set(report.adaptations)) == len(report.adaptations)
    assert report.endpoint is None
    assert report.scan_command is None


def _versioned_bucket(emulator: Emulator) -> S3Operations:
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return S3Operations(
        s3=s3,
        events=emulator.client("events"),
        observer=Observer(emulator.queue_taker(), [], seed=0),
        rules_enabled={},
        account_id=ACCOUNT,
        seed=0,
    )


def _listing(emulator: Emulator) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    listing = emulator.client("s3").list_object_versions(Bucket=BUCKET)
    return (
        [(v["VersionId"], v["IsLatest"]) for v in listing.get("Versions", [])],
        [(m["VersionId"], m["IsLatest"]) for m in listing.get("DeleteMarkers", [])],
    )


def test_a_noncurrent_removal_takes_the_oldest_version_s3_holds(emulator: Emulator) -> None:
    operations = _versioned_bucket(emulator)
    for index in range(3):
        operations.perform(index, Operation(OpKind.PUT, BUCKET, "k", 17))
    (newest, _), (middle, _), (_oldest, _) = _listing(emulator)[0]

    operations.perform(3, Operation(OpKind.EXPIRE_NONCURRENT, BUCKET, "k", 0))

    assert _listing(emulator)[0] == [(newest, True), (middle, False)]
    assert VERSIONED_DELETE_NOTE in operations.adaptations


def test_removing_the_current_marker_makes_the_object_visible_again(emulator: Emulator) -> None:
    operations = _versioned_bucket(emulator)
    operations.perform(0, Operation(OpKind.PUT, BUCKET, "k", 17))
    operations.perform(1, Operation(OpKind.DELETE, BUCKET, "k", 0))
    assert len(_listing(emulator)[1]) == 1

    operations.perform(2, Operation(OpKind.REMOVE_MARKER, BUCKET, "k", 0))

    versions, markers = _listing(emulator)
    assert markers == []
    assert [latest for _, latest in versions] == [True]


def test_deleting_the_current_version_uncovers_the_previous_one(emulator: Emulator) -> None:
    operations = _versioned_bucket(emulator)
    operations.perform(0, Operation(OpKind.PUT, BUCKET, "k", 17))
    operations.perform(1, Operation(OpKind.PUT, BUCKET, "k", 1))
    (_, _), (first, _) = _listing(emulator)[0]

    operations.perform(2, Operation(OpKind.DELETE_CURRENT, BUCKET, "k", 0))

    assert _listing(emulator)[0] == [(first, True)]


def _s3_event(emitted: str, key: str, sequencer: str) -> str:
    """An S3 event as the emulator emits it: its own id, and its sequencer."""
    return json.dumps(
        {
            "id": emitted,
            "detail": {"bucket": {"name": BUCKET}, "object": {"key": key, "sequencer": sequencer}},
        }
    )


class _Queues:
    """Observer queues as a QueueTaker sees them: each take empties one queue."""

    def __init__(self) -> None:
        self.held: dict[str, list[str]] = {"q1": [], "q2": []}

    def take(self, url: str) -> list[str]:
        taken, self.held[url] = self.held[url], []
        return taken


def test_the_observer_gives_each_s3_event_one_id_in_s3s_order_across_queues() -> None:
    # GIVEN two rules' queues: e1 and e3 matched both rules, e2 only the second
    queues = _Queues()
    targets = [
        ObserverTarget(f"rule{n}", f"rule{n}-arn", "t", "fn-arn", f"q{n}", f"q{n}-arn", {}, None)
        for n in (1, 2)
    ]
    queues.held["q1"] = [_s3_event("e1", "k", "01"), _s3_event("e3", "k", "03")]
    queues.held["q2"] = [_s3_event("e1", "k", "01"), _s3_event("e2", "k", "02")]
    queues.held["q2"].append(_s3_event("e3", "k", "03"))
    observer = Observer(queues.take, targets, seed=0)
    # WHEN the observer drains them, then e4 arrives in the first queue only after e4 was taken
    # from the second (the two queues are taken one after the other)
    first = observer.drain({})
    queues.held["q2"] = [_s3_event("e4", "k", "04")]
    second_q2 = observer.drain({})
    queues.held["q1"] = [_s3_event("e4", "k", "04"), _s3_event("e5", "k", "05")]
    later = observer.drain({})
    # THEN deliveries follow S3's order, with the emulator's sequencers
    sequencers = [d.event["detail"]["object"]["sequencer"] for d in first]
    assert sequencers == ["01", "01", "02", "03", "03"]
    # AND each S3 event has one id, the same for every rule it matched, new for each event
    ids = [d.event["id"] for d in first]
    assert ids[0] == ids[1]
    assert ids[3] == ids[4]
    assert len({ids[0], ids[2], ids[3]}) == 3
    assert not {"e1", "e2", "e3"} & set(ids)
    # AND an event taken from one queue in one drain and from the other in the next keeps its id
    assert second_q2[0].event["id"] == later[0].event["id"] != later[1].event["id"]
    assert observer.emitted == 5


def test_an_invocation_record_names_the_alias_the_attempts_and_the_error() -> None:
    function = LambdaFunction(
        name="fn",
        arn="arn:aws:lambda:us-east-1:111122223333:function:fn",
        version="3",
        role_arn="arn:aws:iam::111122223333:role/fn",
        variables={},
        log_group="/aws/lambda/fn",
        memory_mb=128,
        timeout_s=3,
    )
    event = {"id": "e-1", "detail": {}}

    record = invocation_record(
        event,
        function,
        invoked_arn=f"{function.arn}:live",
        request_id="r-1",
        attempts=3,
        error=ValueError("boom"),
    )

    assert record["requestContext"] == {
        "requestId": "r-1",
        "functionArn": f"{function.arn}:live",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] is event
    assert record["responseContext"]["executedVersion"] == "3"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "boom"
