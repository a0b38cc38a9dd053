"""Guards on the one private moto API tap local uses: what it relies on, named when it breaks."""

from __future__ import annotations

from moto import mock_aws
from moto.s3.models import FakeKey

from tap.local.emulator import forget_tracked_models

BUCKET = "tap-internals-guard"


def test_forgetting_tracked_models_drops_the_copies_a_version_listing_makes() -> None:
    assert hasattr(FakeKey, "instances_tracked"), (
        "moto no longer tracks model instances in `instances_tracked`: "
        "tap.local.emulator.forget_tracked_models has nothing to forget; revisit it"
    )
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
        before = len(FakeKey.instances_tracked)
        s3.list_object_versions(Bucket=BUCKET, Prefix="k")
        # GIVEN moto tracks the listing's deep copies (the memory this adapter releases)
        assert len(FakeKey.instances_tracked) > before, (
            "moto's ListObjectVersions no longer leaves tracked copies: "
            "forget_tracked_models may be unnecessary"
        )
        # WHEN they are forgotten
        forget_tracked_models()
        # THEN the record is empty and the bucket still serves the object
        assert FakeKey.instances_tracked == [], (
            "moto.core.model_instances.reset_model_data no longer empties instances_tracked"
        )
        assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"x"
