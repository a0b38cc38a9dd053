"""Provider rules: one explicit AWS provider per stack, pinned to its account, region and role."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tap.facts.policies import as_list, parse_json
from tap.facts.tokens import AWS_PROVIDER
from tap.rules.lookup import is_known, of_type, prop
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable
from tap.synth.graph import provider_urn

if TYPE_CHECKING:
    from tap.synth.graph import ResourceGraph


def aws_resources_use_stack_provider(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Every `aws:` resource names the stack's one explicit AWS provider."""
    providers = of_type(graph, AWS_PROVIDER)
    if len(providers) != 1:
        names = ", ".join(p.name for p in providers) or "none"
        yield non_compliant(None, f"the stack must have exactly one AWS provider, has {names}")
        return
    expected = providers[0].urn
    for resource in graph.resources:
        if not (resource.custom and resource.type.startswith("aws:")):
            continue
        actual = provider_urn(resource.provider) if resource.provider else None
        if actual is None:
            yield non_compliant(
                resource.urn, f"{resource.type} {resource.name} uses the default AWS provider"
            )
        elif actual != expected:
            yield non_compliant(
                resource.urn,
                f"{resource.type} {resource.name} uses provider {actual}, "
                f"not the stack's {expected}",
            )
        else:
            yield compliant(resource.urn)


def _decoded(value: Any) -> Any:
    """Provider inputs arrive as strings under the engine; decode JSON-shaped ones."""
    if isinstance(value, str) and value[:1] in "[{":
        return parse_json(value)
    return value


def provider_pinned(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """The AWS provider pins region, allowed account and the role it deploys through."""
    providers = of_type(graph, AWS_PROVIDER)
    if not providers:
        yield not_applicable("the stack has no AWS provider")
    config = context.config
    for provider in providers:
        problems: list[str] = []
        region = prop(provider, "region")
        if not is_known(region) or not region:
            problems.append("no region")
        elif config is not None and region != config.region:
            problems.append(f"region {region} is not the stack's {config.region}")
        accounts = [str(a) for a in as_list(_decoded(prop(provider, "allowedAccountIds")))]
        if not accounts:
            problems.append("no allowedAccountIds")
        elif config is not None and accounts != [config.account_id]:
            problems.append(f"allowedAccountIds {accounts} are not [{config.account_id}]")
        roles = [r for r in as_list(_decoded(prop(provider, "assumeRoles"))) if isinstance(r, dict)]
        role_arns = [r.get("roleArn") for r in roles if r.get("roleArn")]
        if not role_arns:
            problems.append("no assumeRoles roleArn")
        elif config is not None and role_arns != [config.deploy_role_arn]:
            problems.append(f"assumes {role_arns}, not [{config.deploy_role_arn}]")
        if problems:
            yield non_compliant(
                provider.urn, f"provider {provider.name} is not pinned: {'; '.join(problems)}"
            )
        else:
            yield compliant(provider.urn)
