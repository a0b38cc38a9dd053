"""Lambda rules: async failures land somewhere the role can reach; traced, logged, bounded."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tap.facts.policies import as_list, parse_json, statements
from tap.facts.tokens import (
    FUNCTION,
    INVOKE_CONFIG,
    LAMBDA_ALIAS,
    LOG_GROUP,
    QUEUE,
    ROLE,
    ROLE_POLICY,
    TOPIC,
)
from tap.rules.lookup import is_known, of_type, prop, referenced, referring
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable

if TYPE_CHECKING:
    from tap.synth.graph import Resource, ResourceGraph

SEND_ACTIONS = {QUEUE: "sqs:SendMessage", TOPIC: "sns:Publish", FUNCTION: "lambda:InvokeFunction"}
"""What the execution role needs to deliver an async record to each kind of destination."""


def _functions(graph: ResourceGraph) -> list[Resource]:
    return of_type(graph, FUNCTION)


def _fn_name(function: Resource) -> str:
    return str(prop(function, "name") or function.name)


def _invoke_configs(graph: ResourceGraph, function: Resource) -> list[Resource]:
    return referring(graph, INVOKE_CONFIG, "functionName", function, "name", "arn", "id")


def _aliases(graph: ResourceGraph, function: Resource) -> list[Resource]:
    return referring(graph, LAMBDA_ALIAS, "functionName", function, "name", "arn", "id")


def _destination(config: Resource) -> str | None:
    failure = ((prop(config, "destinationConfig") or {}).get("onFailure")) or {}
    destination = failure.get("destination")
    return destination if isinstance(destination, str) else None


def lambda_async_failure_destination(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Each function's alias has an async config with an on-failure destination."""
    functions = _functions(graph)
    if not functions:
        yield not_applicable("no Lambda functions")
    for function in functions:
        aliases = {str(prop(a, "name")) for a in _aliases(graph, function)}
        configs = _invoke_configs(graph, function)
        covered = {str(prop(c, "qualifier")) for c in configs if _destination(c)}
        missing = sorted(aliases - covered) if aliases else ([] if covered else ["$LATEST"])
        if missing:
            yield non_compliant(
                function.urn,
                f"function {_fn_name(function)} has no on-failure destination for "
                f"{', '.join(missing)}",
            )
        else:
            yield compliant(function.urn)


def role_of(graph: ResourceGraph, function: Resource) -> Resource | None:
    """The function's execution role, when it is in the stack."""
    return referenced(graph, function, "role", prop(function, "role"), ROLE)


def role_policies(graph: ResourceGraph, role: Resource) -> list[object]:
    """The raw documents of the role's inline policies (RolePolicy resources and inline)."""
    documents = [
        prop(p, "policy") for p in referring(graph, ROLE_POLICY, "role", role, "id", "name")
    ]
    inline = as_list(prop(role, "inlinePolicies"))
    return documents + [p.get("policy") for p in inline if isinstance(p, dict)]


def role_allows(graph: ResourceGraph, role: Resource, action: str, arn: str) -> bool:
    """Whether an Allow statement of the role's inline policies grants `action` on `arn`."""
    return any(
        s.get("Effect") == "Allow"
        and action in as_list(s.get("Action"))
        and bool({arn, "*"} & set(as_list(s.get("Resource"))))
        for document in role_policies(graph, role)
        for s in statements(parse_json(document))
    )


def lambda_role_reaches_failure_destination(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """The execution role may send to every on-failure destination of its function."""
    checked = False
    for function in _functions(graph):
        role = role_of(graph, function)
        for config in _invoke_configs(graph, function):
            destination = _destination(config)
            if destination is None:
                continue
            checked = True
            target = referenced(graph, config, "destinationConfig", destination, *SEND_ACTIONS)
            action = SEND_ACTIONS.get(target.type if target else "", "sqs:SendMessage")
            documents = role_policies(graph, role) if role else []
            if not is_known(destination) or not all(is_known(d) for d in documents):
                yield not_applicable("the destination or role policy is known only at deploy")
            elif role is None:
                yield non_compliant(
                    config.urn, f"function {_fn_name(function)}'s role is not in the stack"
                )
            elif role_allows(graph, role, action, destination):
                yield compliant(config.urn)
            else:
                yield non_compliant(
                    config.urn,
                    f"role {prop(role, 'name')} may not {action} to destination {destination}",
                )
    if not checked:
        yield not_applicable("no on-failure destinations")


def lambda_tracing_active(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every function traces with X-Ray in Active mode."""
    functions = _functions(graph)
    if not functions:
        yield not_applicable("no Lambda functions")
    for function in functions:
        mode = (prop(function, "tracingConfig") or {}).get("mode")
        if mode == "Active":
            yield compliant(function.urn)
        else:
            yield non_compliant(
                function.urn, f"function {_fn_name(function)} tracing is {mode or 'off'}"
            )


def lambda_log_retention(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Each function's log group is declared in the stack, with a retention."""
    functions = _functions(graph)
    if not functions:
        yield not_applicable("no Lambda functions")
    groups = {str(prop(g, "name")): g for g in of_type(graph, LOG_GROUP)}
    for function in functions:
        default = f"/aws/lambda/{_fn_name(function)}"
        name = (prop(function, "loggingConfig") or {}).get("logGroup") or default
        group = groups.get(str(name))
        if group is None:
            yield non_compliant(
                function.urn,
                f"function {_fn_name(function)} logs to {name}, which the stack does not declare "
                "(Lambda would create it with no retention)",
            )
        elif not isinstance(prop(group, "retentionInDays"), int):
            yield non_compliant(function.urn, f"log group {name} has no retentionInDays")
        else:
            yield compliant(function.urn)


def lambda_reserved_concurrency(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Functions reserve the concurrency configured in tap:processor.reservedConcurrency."""
    config = context.config
    if config is None or config.processor.reserved_concurrency is None:
        yield not_applicable("no reserved concurrency configured")
        return
    wanted = config.processor.reserved_concurrency
    for function in _functions(graph):
        actual = prop(function, "reservedConcurrentExecutions")
        if actual == wanted:
            yield compliant(function.urn)
        else:
            yield non_compliant(
                function.urn,
                f"function {_fn_name(function)} reserves {actual} concurrent executions, "
                f"configured {wanted}",
            )
