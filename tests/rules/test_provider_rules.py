"""Provider rules: every AWS resource on the stack's provider; the provider pinned."""

import json

import pytest

from tap.facts.tokens import AWS_PROVIDER, BUCKET
from tap.rules.provider import aws_resources_use_stack_provider, provider_pinned
from tests.support.judge import all_compliant, failures
from tests.support.shipped import STACKS, context, edit, graph, only, replace, with_added


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_of_a_shipped_stack_uses_its_provider(stack: str) -> None:
    g = graph(stack)
    aws = [r for r in g.resources if r.custom and r.type.startswith("aws:")]
    assert all_compliant(aws_resources_use_stack_provider, g, context(stack)) == len(aws)


def test_a_resource_on_the_default_provider_is_named() -> None:
    g = graph("dev")
    bucket = only(g, BUCKET)
    [failure] = failures(
        aws_resources_use_stack_provider, replace(g, bucket, provider=None), context("dev")
    )
    assert failure.resource_urn == bucket.urn
    assert failure.message == f"{BUCKET} dev-data-bucket uses the default AWS provider"


def test_a_second_aws_provider_is_refused() -> None:
    g = graph("dev")
    provider = only(g, AWS_PROVIDER)
    extra = provider.model_copy(update={"urn": provider.urn + "-2", "name": "aws-dev-2"})
    [failure] = failures(aws_resources_use_stack_provider, with_added(g, extra), context("dev"))
    assert failure.message == "the stack must have exactly one AWS provider, has aws-dev, aws-dev-2"


def test_a_provider_reference_with_an_id_counts_as_that_provider() -> None:
    g = graph("dev")
    bucket, provider = only(g, BUCKET), only(g, AWS_PROVIDER)
    g = replace(g, bucket, provider=f"{provider.urn}::some-id")
    assert failures(aws_resources_use_stack_provider, g, context("dev")) == []


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_providers_pin_region_account_and_role(stack: str) -> None:
    assert all_compliant(provider_pinned, graph(stack), context(stack)) == 1


def test_a_provider_without_role_or_account_is_not_pinned() -> None:
    g = graph("prod")
    provider = only(g, AWS_PROVIDER)

    def unpin(props: dict[str, object]) -> None:
        props.pop("assumeRoles")
        props["allowedAccountIds"] = "[]"

    [failure] = failures(provider_pinned, edit(g, provider, unpin), context("prod"))
    assert failure.resource_urn == provider.urn
    assert failure.message == (
        "provider aws-prod is not pinned: no allowedAccountIds; no assumeRoles roleArn"
    )


def test_a_provider_pinned_to_another_environment_is_reported() -> None:
    g = graph("prod")
    provider = only(g, AWS_PROVIDER)

    def elsewhere(props: dict[str, object]) -> None:
        props["region"] = "us-west-2"
        props["allowedAccountIds"] = json.dumps(["444455556666"])

    [failure] = failures(provider_pinned, edit(g, provider, elsewhere), context("prod"))
    assert "region us-west-2 is not the stack's us-east-1" in failure.message
    assert "allowedAccountIds ['444455556666'] are not [777788889999]" in failure.message
