"""run_program: the recorded graph of a program run under the fake AWS provider."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from tap.synth import (
    ResourceGraph,
    SynthError,
    UnknownInvokeError,
    UnknownResourceTypeError,
    run_program,
)
from tap.synth.errors import DefaultProviderError, DuplicateUrnError

from .conftest import API_TOKEN, DEV_ACCOUNT, PROD_ACCOUNT, ingest_program, stack_config

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
FUNCTION = "aws:lambda/function:Function"
BUCKET = "aws:s3/bucket:Bucket"
PROVIDER = "pulumi:providers:aws"


def run_toy(program: Callable[[], None], *, preview: bool = False, **config: str) -> ResourceGraph:
    """Run a small program as toy/dev in us-east-1 with the given `tap:` config."""
    return run_program(
        program,
        project="toy",
        stack="dev",
        config={f"tap:{key}": value for key, value in config.items()},
        preview=preview,
        account_id=DEV_ACCOUNT,
        region="us-east-1",
    )


def test_children_are_managed_by_the_explicit_provider(dev_graph: ResourceGraph) -> None:
    [provider] = dev_graph.providers()
    assert provider.urn == "urn:pulumi:dev::toy::pulumi:providers:aws::aws-dev"
    custom = [r for r in dev_graph.resources if r.custom and r.type != PROVIDER]
    assert len(custom) == 5
    assert {r.provider for r in custom} == {provider.urn}
    [component] = dev_graph.by_type("toy:index:Ingest")
    assert component.provider is None
    assert {r.parent for r in custom} == {component.urn}


def test_urns_are_built_as_the_engine_builds_them(dev_graph: ResourceGraph) -> None:
    [component] = dev_graph.by_type("toy:index:Ingest")
    [queue] = dev_graph.by_type(QUEUE)
    assert component.urn == "urn:pulumi:dev::toy::toy:index:Ingest::ingest"
    assert component.parent is None
    assert queue.urn == "urn:pulumi:dev::toy::toy:index:Ingest$aws:sqs/queue:Queue::ingest-dlq"


def test_dependencies_include_implicit_output_dependencies(dev_graph: ResourceGraph) -> None:
    [bucket] = dev_graph.by_type(BUCKET)
    [queue] = dev_graph.by_type(QUEUE)
    [policy] = dev_graph.by_type(QUEUE_POLICY)
    [function] = dev_graph.by_type(FUNCTION)
    [role] = dev_graph.by_type("aws:iam/role:Role")

    assert policy.dependencies == sorted([bucket.urn, queue.urn])
    assert policy.property_dependencies["queueUrl"] == [queue.urn]
    assert policy.property_dependencies["policy"] == sorted([bucket.urn, queue.urn])
    assert set(function.dependencies) == {queue.urn, role.urn}
    assert queue.dependencies == []


def test_inputs_use_engine_camel_case_names(dev_graph: ResourceGraph) -> None:
    [queue] = dev_graph.by_type(QUEUE)
    [function] = dev_graph.by_type(FUNCTION)
    assert queue.inputs == {"messageRetentionSeconds": 1209600, "name": "toy-dev-dlq"}
    assert function.inputs["memorySize"] == 256
    assert function.inputs["handler"] == "process_handler.lambda_handler"
    assert "memory_size" not in function.inputs


def test_outputs_carry_fake_arns_built_from_account_and_region(dev_graph: ResourceGraph) -> None:
    [queue] = dev_graph.by_type(QUEUE)
    [function] = dev_graph.by_type(FUNCTION)
    [bucket] = dev_graph.by_type(BUCKET)
    [role] = dev_graph.by_type("aws:iam/role:Role")

    assert queue.outputs["id"] == "https://sqs.eu-west-1.amazonaws.com/111122223333/toy-dev-dlq"
    assert queue.outputs["arn"] == "arn:aws:sqs:eu-west-1:111122223333:toy-dev-dlq"
    assert queue.outputs["messageRetentionSeconds"] == 1209600
    assert bucket.outputs["arn"] == "arn:aws:s3:::toy-dev-data"
    assert bucket.outputs["id"] == "toy-dev-data"
    assert role.outputs["arn"] == "arn:aws:iam::111122223333:role/toy-dev-processor"
    arn = "arn:aws:lambda:eu-west-1:111122223333:function:toy-dev-processor"
    assert function.outputs["arn"] == arn
    assert function.outputs["version"] == "1"
    assert function.outputs["qualifiedArn"] == f"{arn}:1"
    assert function.inputs["role"] == role.outputs["arn"]


def test_policy_built_with_json_dumps_is_fully_resolved(dev_graph: ResourceGraph) -> None:
    [policy] = dev_graph.by_type(QUEUE_POLICY)
    [queue] = dev_graph.by_type(QUEUE)
    document = json.loads(policy.inputs["policy"])
    statement = document["Statement"][0]
    assert statement["Resource"] == queue.outputs["arn"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == "arn:aws:s3:::toy-dev-data"
    assert policy.inputs["queueUrl"] == queue.outputs["url"]
    assert policy.outputs["id"] == queue.outputs["url"]


def test_function_code_archive_is_written_with_its_file_hash(
    dev_graph: ResourceGraph, code_zip: Path
) -> None:
    [function] = dev_graph.by_type(FUNCTION)
    content = code_zip.read_bytes()
    assert function.inputs["code"] == {
        "__archive": "file",
        "path": str(code_zip),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    expected = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert function.outputs["sourceCodeHash"] == expected
    assert function.outputs["codeSha256"] == expected


def test_secrets_are_written_as_markers(dev_graph: ResourceGraph) -> None:
    [function] = dev_graph.by_type(FUNCTION)
    variables = function.inputs["environment"]["variables"]
    assert variables["API_TOKEN"] == "[secret]"
    assert variables["DLQ_URL"].startswith("https://sqs.eu-west-1.amazonaws.com/")
    assert dev_graph.outputs["token"] == "[secret]"
    assert API_TOKEN not in dev_graph.to_json()


def test_stack_exports_are_captured(dev_graph: ResourceGraph) -> None:
    assert dev_graph.outputs == {
        "queueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/toy-dev-dlq",
        "functionArn": "arn:aws:lambda:eu-west-1:111122223333:function:toy-dev-processor",
        "token": "[secret]",
    }


def test_component_outputs_are_recorded(dev_graph: ResourceGraph) -> None:
    [component] = dev_graph.by_type("toy:index:Ingest")
    assert component.outputs["queueArn"] == "arn:aws:sqs:eu-west-1:111122223333:toy-dev-dlq"


def test_config_is_readable_through_pulumi_config(dev_graph: ResourceGraph) -> None:
    [bucket] = dev_graph.by_type(BUCKET)
    [provider] = dev_graph.providers()
    assert bucket.inputs["tags"] == {"team": "data-platform", "environment": "dev"}
    assert provider.inputs["region"] == "eu-west-1"


def test_secret_config_stays_secret_in_inputs_and_derived_outputs() -> None:
    def program() -> None:
        token = pulumi.Config("tap").require_secret("token")
        aws.sqs.Queue("q", name="q", tags={"token": token, "team": "data"})

    graph = run_program(
        program,
        project="toy",
        stack="dev",
        config={"tap:token": "s3cr3t-value"},
        secret_keys=["tap:token"],
        account_id=DEV_ACCOUNT,
        region="us-east-1",
    )
    [queue] = graph.by_type(QUEUE)
    assert queue.inputs["tags"] == {"token": "[secret]", "team": "data"}
    assert queue.outputs["tagsAll"] == {"token": "[secret]", "team": "data"}
    assert "s3cr3t-value" not in graph.to_json()


def test_json_round_trips(dev_graph: ResourceGraph) -> None:
    text = dev_graph.to_json()
    again = ResourceGraph.from_json(text)
    assert again == dev_graph
    assert again.to_json() == text
    document = json.loads(text)
    assert set(document) == {"project", "stack", "resources", "outputs"}
    for resource in document["resources"]:
        assert {
            "urn",
            "type",
            "name",
            "custom",
            "parent",
            "provider",
            "dependencies",
            "inputs",
            "outputs",
        } <= set(resource)


def test_same_config_gives_identical_json(synth_dev: Callable[..., ResourceGraph]) -> None:
    assert synth_dev().to_json() == synth_dev().to_json()


def test_consecutive_stacks_do_not_bleed(code_zip: Path) -> None:
    program = ingest_program(str(code_zip))

    def synth(stack: str, account: str, region: str) -> ResourceGraph:
        return run_program(
            program,
            project="toy",
            stack=stack,
            config=stack_config(stack, account, region),
            account_id=account,
            region=region,
        )

    dev = synth("dev", DEV_ACCOUNT, "eu-west-1")
    prod = synth("prod", PROD_ACCOUNT, "us-east-1")
    dev_again = synth("dev", DEV_ACCOUNT, "eu-west-1")

    assert dev_again.to_json() == dev.to_json()
    assert prod.stack == "prod"
    assert len(prod.resources) == len(dev.resources)
    prod_text = prod.to_json()
    for leaked in (DEV_ACCOUNT, "eu-west-1", "toy-dev-", "::dev::"):
        assert leaked not in prod_text
    [queue] = prod.by_type(QUEUE)
    assert queue.outputs["arn"] == "arn:aws:sqs:us-east-1:777788889999:toy-prod-dlq"


def test_config_of_a_previous_run_is_not_visible(dev_graph: ResourceGraph) -> None:
    def program() -> None:
        pulumi.export("environment", pulumi.Config("tap").get("environment"))

    graph = run_toy(program)
    assert dev_graph.stack == "dev"
    assert graph.outputs == {}  # None exports are dropped, as the engine drops them


def test_unknown_resource_type_is_a_synth_error_naming_the_type() -> None:
    def program() -> None:
        provider = aws.Provider("aws", region="us-east-1")
        # A small module: importing pulumi_aws.ec2 alone takes seconds.
        aws.xray.Group(
            "traces",
            group_name="g",
            filter_expression="ok",
            opts=pulumi.ResourceOptions(provider=provider),
        )

    with pytest.raises(UnknownResourceTypeError, match=r"aws:xray/group:Group") as caught:
        run_toy(program)
    assert caught.value.type_token == "aws:xray/group:Group"
    assert caught.value.name == "traces"


def test_program_exception_surfaces_with_its_message() -> None:
    def program() -> None:
        aws.sqs.Queue("q", name="q")
        raise ValueError("replica region us-east-1 is the table's own region")

    with pytest.raises(SynthError, match="replica region us-east-1 is the table's own region"):
        run_toy(program)


def test_exception_inside_apply_surfaces() -> None:
    def program() -> None:
        queue = aws.sqs.Queue("q", name="q")
        pulumi.export("x", queue.arn.apply(lambda arn: arn.split(":")[99]))

    with pytest.raises(SynthError, match="list index out of range"):
        run_toy(program)


def test_missing_required_config_is_a_synth_error() -> None:
    def program() -> None:
        pulumi.Config("tap").require("region")

    with pytest.raises(SynthError, match="tap:region"):
        run_toy(program)


def test_a_run_after_a_failed_run_is_clean(synth_dev: Callable[..., ResourceGraph]) -> None:
    def broken() -> None:
        aws.sqs.Queue("leftover", name="leftover")
        raise RuntimeError("boom")

    with pytest.raises(SynthError, match="boom"):
        run_toy(broken)
    graph = synth_dev()
    assert all("leftover" not in r.urn for r in graph.resources)
    assert len(graph.resources) == 7


def apply_program() -> None:
    """A queue whose policy is (wrongly) created inside apply on the queue's ARN."""
    provider = aws.Provider("aws", region="us-east-1")
    opts = pulumi.ResourceOptions(provider=provider)
    queue = aws.sqs.Queue("q", name="q", opts=opts)
    queue.arn.apply(
        lambda arn: aws.sqs.QueuePolicy(
            "qp", queue_url="https://example/q", policy=json.dumps({"Resource": arn}), opts=opts
        )
    )


def test_preview_does_not_register_resources_created_inside_apply() -> None:
    normal = run_toy(apply_program)
    preview = run_toy(apply_program, preview=True)

    assert sorted(r.type for r in normal.resources) == [QUEUE, QUEUE_POLICY, PROVIDER]
    assert sorted(r.type for r in preview.resources) == [QUEUE, PROVIDER]


def test_preview_marks_computed_outputs_unknown(synth_dev: Callable[..., ResourceGraph]) -> None:
    graph = synth_dev(preview=True)
    [queue] = graph.by_type(QUEUE)
    [policy] = graph.by_type(QUEUE_POLICY)
    assert queue.outputs["id"] == "[unknown]"
    assert "arn" not in queue.outputs
    assert queue.outputs["name"] == "toy-dev-dlq"
    assert policy.inputs["queueUrl"] == "[unknown]"
    assert graph.outputs["queueUrl"] == "[unknown]"
    assert len(graph.resources) == 7


def test_invokes_answer_account_region_and_partition() -> None:
    def program() -> None:
        provider = aws.Provider("aws", region="eu-central-1")
        opts = pulumi.InvokeOutputOptions(provider=provider)
        pulumi.export("account", aws.get_caller_identity_output(opts=opts).account_id)
        pulumi.export("region", aws.get_region_output(opts=opts).region)
        pulumi.export("partition", aws.get_partition_output(opts=opts).partition)

    graph = run_toy(program)
    assert graph.outputs == {"account": DEV_ACCOUNT, "region": "eu-central-1", "partition": "aws"}


def test_unknown_invoke_is_a_synth_error_naming_the_token() -> None:
    def program() -> None:
        provider = aws.Provider("aws", region="us-east-1")
        aws.get_availability_zones(opts=pulumi.InvokeOptions(provider=provider))

    with pytest.raises(UnknownInvokeError, match="aws:index/getAvailabilityZones"):
        run_toy(program)


def test_disabled_default_provider_is_an_error() -> None:
    def program() -> None:
        aws.sqs.Queue("q", name="q")

    with pytest.raises(DefaultProviderError, match="aws:sqs/queue:Queue"):
        run_program(
            program,
            project="toy",
            stack="dev",
            config={"pulumi:disable-default-providers": '["aws"]'},
            account_id=DEV_ACCOUNT,
            region="us-east-1",
        )
    graph = run_toy(program)
    [queue] = graph.by_type(QUEUE)
    assert queue.provider is None


def test_duplicate_urn_is_an_error() -> None:
    def program() -> None:
        aws.sqs.Queue("q", name="a")
        aws.sqs.Queue("q", name="b")

    with pytest.raises(DuplicateUrnError, match="aws:sqs/queue:Queue::q"):
        run_toy(program)


def test_environment_config_does_not_leak_into_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_TAP_REGION", "from-env")
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"tap:region": "from-env-bag"}))

    def program() -> None:
        pulumi.export("region", pulumi.Config("tap").get("region"))

    assert run_toy(program).outputs == {}
    assert run_toy(program, region="eu-west-1").outputs == {"region": "eu-west-1"}
    assert os.environ["PULUMI_CONFIG_TAP_REGION"] == "from-env"
