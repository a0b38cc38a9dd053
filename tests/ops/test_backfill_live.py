"""`tap backfill` on a live stack (`tap local --keep-running`): objects uploaded while the rule
was disabled get exactly their items, a second run writes nothing, and events win over backfill
whether they land during the run or after it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from tap.cli.app import app
from tap.local.emulator import _bootstrap_credentials
from tap.ops.backfill import Backfill, ListedObject
from tap.ops.stack import StackResources, resolve
from tap.synth import ResourceGraph
from tap_processor.backfill import FLOOR_SEQUENCER
from tests.support.backfill import current_entries, put_awkward_objects
from tests.support.bounds import WAIT
from tests.support.local import KeptRun
from tests.support.paths import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kept-emulator")]


def _items(run: KeptRun) -> dict[str, dict[str, Any]]:
    return {item["id"]["S"]: item for item in run.items()}


def _with_rule_disabled(run: KeptRun, graph: ResourceGraph, put: Callable[[], None]) -> None:
    """Run `put` while the rule is disabled, let the pump drop its events, enable the rule."""
    live = run.live
    events = run.client("events")
    [rule] = [r.inputs["name"] for r in graph.by_type("aws:cloudwatch/eventRule:EventRule")]
    events.disable_rule(Name=rule)
    put()
    assert live.wait_idle(timeout=WAIT)  # every event of `put` drained, and dropped
    events.enable_rule(Name=rule)


def _backfill(run: KeptRun, resources: StackResources, **options: Any) -> Any:
    session = run.ops_session(resources)
    return Backfill(session, resources, environment="dev", **options).run()


def test_backfill_writes_exactly_the_objects_uploaded_while_the_rule_was_disabled(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    # GIVEN a live stack, and objects uploaded while its rule was disabled
    run = run_kept(dev_graph, objects=3, keep_running=True)
    resources = resolve(dev_graph)
    bucket = resources.buckets[0]
    s3 = run.client("s3")
    before = _items(run)
    _with_rule_disabled(run, dev_graph, lambda: put_awkward_objects(s3, bucket))
    assert _items(run) == before  # no event recorded any of them
    listing = current_entries(s3, bucket)
    present = {k: e for k, (e, marker) in listing.items() if not marker}
    new = {k: e for k, e in present.items() if f"{bucket}/{k}" not in before}
    assert len(new) == 6  # 4 awkward keys, the overwritten one, the multipart upload
    # WHEN the rule is enabled again and backfill runs
    result = _backfill(run, resources)
    # THEN it wrote exactly those objects, at S3's current versions
    assert result.to_dict() == {
        "listed": len(listing),
        "written": len(new),
        "already_present": len(present) - len(new),
        "skipped_deleted": len(listing) - len(present),
        "errors": 0,
    }
    items = _items(run)
    assert set(items) == set(before) | {f"{bucket}/{k}" for k in new}
    for key, entry in new.items():
        item = items[f"{bucket}/{key}"]
        assert item["version_id"]["S"] == entry["VersionId"]
        assert item["size"]["N"] == str(entry["Size"])
        assert item["etag"]["S"] == entry["ETag"].strip('"')
        assert item["sequencer"]["S"] == FLOOR_SEQUENCER
    assert {k: v for k, v in items.items() if k in before} == before
    # AND a second run writes nothing
    again = _backfill(run, resources)
    assert again.to_dict() == {**result.to_dict(), "written": 0, "already_present": len(present)}
    # AND a later event replaces a backfilled item (the floor sequencer loses to any event)
    put = s3.put_object(Bucket=bucket, Key="plain.csv", Body=b"changed after backfill")

    def recorded() -> bool:
        item = _items(run)[f"{bucket}/plain.csv"]
        return item["version_id"]["S"] == put["VersionId"]

    assert run.live.wait_until(recorded, timeout=WAIT)
    item = _items(run)[f"{bucket}/plain.csv"]
    assert item["size"]["N"] == str(len(b"changed after backfill"))
    assert item["sequencer"]["S"] != FLOOR_SEQUENCER
    assert run.live.errors == []


def test_an_event_that_lands_between_listing_and_writing_wins(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    # GIVEN an object no event recorded
    run = run_kept(dev_graph, objects=1, keep_running=True)
    live = run.live
    resources = resolve(dev_graph)
    bucket = resources.buckets[0]
    s3 = run.client("s3")
    listed_version = []
    _with_rule_disabled(
        run,
        dev_graph,
        lambda: listed_version.append(
            s3.put_object(Bucket=bucket, Key="race.csv", Body=b"listed")["VersionId"]
        ),
    )
    newer: list[str] = []

    def event_lands(listed: ListedObject) -> None:
        # WHEN, after backfill listed it and before it writes, a new version's event is recorded
        if listed.key != "race.csv":
            return
        assert listed.state.version_id == listed_version[0]
        newer.append(s3.put_object(Bucket=bucket, Key="race.csv", Body=b"event")["VersionId"])
        assert live.wait_until(
            lambda: (
                f"{bucket}/race.csv" in _items(run)
                and _items(run)[f"{bucket}/race.csv"]["version_id"]["S"] == newer[0]
            ),
            timeout=WAIT,
        )

    result = _backfill(run, resources, on_listed=event_lands)
    # THEN the item holds the event's version, not the listed one
    assert newer
    item = _items(run)[f"{bucket}/race.csv"]
    assert item["version_id"]["S"] == newer[0] != listed_version[0]
    assert item["size"]["N"] == "5"
    assert item["sequencer"]["S"] != FLOOR_SEQUENCER
    assert result.counts.written == 0
    assert result.counts.errors == 0


def _cli(run: KeptRun, *args: str, credentials: tuple[str, str] | None = None) -> Any:
    assert run.report.credentials is not None
    key, secret = credentials or (
        run.report.credentials.access_key_id,
        run.report.credentials.secret_access_key,
    )
    environment = {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": run.report.region,
        "AWS_PROFILE": None,
        "AWS_SESSION_TOKEN": None,
    }
    command = ["backfill", "--stack", "dev", "-C", str(REPO_ROOT)]
    command += ["--endpoint-url", str(run.report.endpoint), *args]
    return CliRunner().invoke(app, command, env=environment)


def test_the_cli_backfills_a_live_stack_and_refuses_another_account(
    run_kept: Callable[..., KeptRun], dev_graph: ResourceGraph
) -> None:
    run = run_kept(dev_graph, objects=2, keep_running=True)
    bucket = resolve(dev_graph).buckets[0]
    s3 = run.client("s3")
    before = _items(run)
    keys = ("cli/one.csv", "cli/two words.csv")
    _with_rule_disabled(
        run, dev_graph, lambda: [s3.put_object(Bucket=bucket, Key=k, Body=b"x") for k in keys]
    )
    listed = len(current_entries(s3, bucket))
    present = sum(1 for _, marker in current_entries(s3, bucket).values() if not marker)

    dry = _cli(run, "--json", "--dry-run")
    done = _cli(run, "--json")
    again = _cli(run)

    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {
        "listed": listed,
        "written": 2,
        "already_present": present - 2,
        "skipped_deleted": listed - present,
        "errors": 0,
        "dry_run": True,
    }
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document == {k: v for k, v in json.loads(dry.stdout).items() if k != "dry_run"}
    assert set(_items(run)) == set(before) | {f"{bucket}/{k}" for k in keys}
    assert again.exit_code == 0
    assert again.stdout.strip() == (
        f"listed {listed}, written 0, already present {present}, "
        f"skipped (deleted) {listed - present}, errors 0"
    )
    # AND credentials of another account are refused before anything is read or written
    other = _bootstrap_credentials(str(run.report.endpoint), "999988887777", run.report.region)
    refused = _cli(run, "--json", credentials=(other.access_key_id, other.secret_access_key))
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "error: refusing to act: the credentials are for account 999988887777, but stack dev "
        "is in account 111122223333 (tap:accountId)"
    ]
    # AND a token from elsewhere is refused in one line
    bad = _cli(run, "--resume", "bm90LWEtdG9rZW4")
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert bad.stderr.startswith("error: invalid resume token: not a tap backfill resume token")
