"""IAM rules: well-formed documents, no wildcards, `*` only where AWS needs it, least privilege."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tap.facts.policies import as_list, parse_json, statements, trusts
from tap.facts.principals import BATCH_OPERATIONS_PRINCIPAL
from tap.facts.tokens import (
    FUNCTION,
    KMS_KEY,
    KMS_REPLICA_KEY,
    LAMBDA_ALIAS,
    QUEUE,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
)
from tap.rules.actions import action_matches, is_known_action, supports_resource_scoping
from tap.rules.lambda_ import role_of, role_policies
from tap.rules.lookup import index_of, is_known, of_type, out, policy_documents, prop, referring
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable
from tap_processor.env import DLQ_URL
from tap_processor.permissions import needs

if TYPE_CHECKING:
    from tap.synth.graph import Resource, ResourceGraph

POLICY_VERSION = "2012-10-17"
KEY_POLICY_TYPES = (KMS_KEY, KMS_REPLICA_KEY)
_ACCOUNT_ROOT = re.compile(r"^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$")


def _where(resource: Resource, key: str) -> str:
    return f"{resource.type} {resource.name} {key}"


def _document_problems(raw: Any) -> list[str]:
    document = parse_json(raw)
    if not isinstance(document, dict):
        return ["is not a JSON object"]
    problems: list[str] = []
    if document.get("Version") != POLICY_VERSION:
        problems.append(f"has Version {document.get('Version')!r}, not {POLICY_VERSION}")
    raw_statements = as_list(document.get("Statement"))
    if not raw_statements:
        problems.append("has no Statement")
    for index, statement in enumerate(raw_statements):
        if not isinstance(statement, dict):
            problems.append(f"Statement[{index}] is not an object")
            continue
        if statement.get("Effect") not in ("Allow", "Deny"):
            problems.append(f"Statement[{index}] has Effect {statement.get('Effect')!r}")
        for field in ("Resource", "NotResource"):
            for value in as_list(statement.get(field)):
                if not (isinstance(value, str) and (value == "*" or value.startswith("arn:"))):
                    problems.append(f"Statement[{index}].{field} {value!r} is not an ARN or '*'")
    return problems


def _each_document(
    graph: ResourceGraph, problems_of: Callable[[Resource, Any], list[str]]
) -> Iterator[Outcome]:
    """One outcome per policy document: non-compliant when `problems_of` finds any."""
    found = False
    for resource, key, raw in policy_documents(graph):
        found = True
        problems = problems_of(resource, raw)
        if problems:
            yield non_compliant(resource.urn, f"{_where(resource, key)} {'; '.join(problems)}")
        else:
            yield compliant(resource.urn)
    if not found:
        yield not_applicable("no policy documents")


def iam_policy_document_valid(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every policy input is JSON, Version 2012-10-17, with ARN-or-`*` resources."""
    return _each_document(graph, lambda _resource, raw: _document_problems(raw))


def _is_key_administration(resource: Resource, statement: dict[str, Any]) -> bool:
    """AWS's default key-policy statement: the account root holds `kms:*` on the key."""
    principal = statement.get("Principal")
    roots = as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    return (
        resource.type in KEY_POLICY_TYPES
        and as_list(statement.get("Action")) == ["kms:*"]
        and bool(roots)
        and all(isinstance(r, str) and _ACCOUNT_ROOT.match(r) for r in roots)
    )


def _wildcard_problems(resource: Resource, raw: Any) -> list[str]:
    problems: list[str] = []
    for statement in statements(parse_json(raw)):
        if statement.get("Effect") != "Allow" or _is_key_administration(resource, statement):
            continue
        if "NotAction" in statement:
            problems.append(f"allows NotAction {statement['NotAction']}")
        wild = [a for a in as_list(statement.get("Action")) if "*" in str(a)]
        if wild:
            problems.append(f"allows wildcard actions {', '.join(map(str, wild))}")
    return problems


def iam_no_wildcard_actions(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Allow statements name actions one by one (the KMS account-root statement excepted)."""
    return _each_document(graph, _wildcard_problems)


def iam_resource_star_only_where_required(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Allow on `*` only for actions with no resource-level permissions (key policies excepted)."""
    found = False
    for resource, key, raw in policy_documents(graph):
        if resource.type in KEY_POLICY_TYPES:
            continue  # in a key policy, "*" means "this key"
        found = True
        scoped: set[str] = set()
        for statement in statements(parse_json(raw)):
            if statement.get("Effect") == "Allow" and "*" in as_list(statement.get("Resource")):
                scoped.update(
                    str(a)
                    for a in as_list(statement.get("Action"))
                    if "*" not in str(a) and supports_resource_scoping(str(a))
                )
        if scoped:
            yield non_compliant(
                resource.urn,
                f"{_where(resource, key)} allows {', '.join(sorted(scoped))} on '*' "
                "although they can be scoped to resource ARNs",
            )
        else:
            yield compliant(resource.urn)
    if not found:
        yield not_applicable("no identity or resource policies outside key policies")


def iam_actions_exist(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every action a policy names exists in AWS's service reference (typos grant nothing)."""
    found = False
    for resource, key, raw in policy_documents(graph):
        found = True
        unknown = sorted(
            {
                str(a)
                for s in statements(parse_json(raw))
                for field in ("Action", "NotAction")
                for a in as_list(s.get(field))
                if "*" not in str(a) and not is_known_action(str(a))
            }
        )
        if unknown:
            yield non_compliant(
                resource.urn, f"{_where(resource, key)} names unknown actions {', '.join(unknown)}"
            )
        else:
            yield compliant(resource.urn)
    if not found:
        yield not_applicable("no policy documents")


def _granted_actions(graph: ResourceGraph, role: Resource) -> set[str]:
    return {
        str(a)
        for d in role_policies(graph, role)
        for s in statements(parse_json(d))
        if s.get("Effect") == "Allow"
        for a in as_list(s.get("Action"))
    }


def _dlq_uses_cmk(graph: ResourceGraph, function: Resource, context: RuleContext) -> bool:
    variables = ((prop(function, "environment") or {}).get("variables")) or {}
    url = variables.get(DLQ_URL)
    index = index_of(graph)
    queues = index.in_graph_order(q for key in ("url", "id") for q in index.named(QUEUE, key, url))
    queue = queues[0] if queues else None
    if queue is not None:
        return bool(prop(queue, "kmsMasterKeyId"))
    return bool(context.config and context.config.kms_key)


def iam_processor_role_matches_handler_needs(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """The processor's role grants exactly the actions `tap_processor.permissions` declares."""
    functions = of_type(graph, FUNCTION)
    if not functions:
        yield not_applicable("no Lambda functions")
    for function in functions:
        role = role_of(graph, function)
        if role is None:
            yield non_compliant(
                function.urn, f"function {function.name}'s role is not in the stack"
            )
            continue
        wanted = {n.action for n in needs(dlq_uses_cmk=_dlq_uses_cmk(graph, function, context))}
        if not all(is_known(d) for d in role_policies(graph, role)):
            yield not_applicable(f"role {prop(role, 'name')}'s policies are known only at deploy")
            continue
        granted = _granted_actions(graph, role)
        attached = referring(graph, ROLE_POLICY_ATTACHMENT, "role", role, "id", "name")
        problems = []
        needed = {w.lower() for w in wanted}
        unneeded = {g for g in granted if g.lower() not in needed}
        if unneeded:
            problems.append(f"grants unneeded {', '.join(sorted(unneeded))}")
        lacking = {w for w in wanted if not any(action_matches(g, w) for g in granted)}
        if lacking:
            problems.append(f"lacks needed {', '.join(sorted(lacking))}")
        if attached:
            arns = ", ".join(str(prop(p, "policyArn")) for p in attached)
            problems.append(f"has managed policies attached ({arns})")
        if problems:
            yield non_compliant(role.urn, f"role {prop(role, 'name')} {'; '.join(problems)}")
        else:
            yield compliant(role.urn)


INVOKE = "lambda:InvokeFunction"


def _batch_roles(graph: ResourceGraph) -> list[Resource]:
    return [
        role
        for role in of_type(graph, ROLE)
        if trusts(prop(role, "assumeRolePolicy"), BATCH_OPERATIONS_PRINCIPAL)
    ]


def iam_batch_role_invokes_only_the_alias(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """A role S3 Batch Operations assumes invokes the processor's alias ARN and nothing else."""
    roles = _batch_roles(graph)
    if not roles:
        yield not_applicable(f"no role trusted by {BATCH_OPERATIONS_PRINCIPAL}")
    aliases = {str(out(a, "arn")) for a in of_type(graph, LAMBDA_ALIAS) if out(a, "arn")}
    for role in roles:
        documents = role_policies(graph, role)
        if not all(is_known(d) for d in documents):
            yield not_applicable(f"role {prop(role, 'name')}'s policies are known only at deploy")
            continue
        problems: list[str] = []
        for statement in (s for d in documents for s in statements(parse_json(d))):
            actions = [str(a) for a in as_list(statement.get("Action"))]
            if statement.get("Effect") != "Allow" or not any(
                action_matches(a, INVOKE) for a in actions
            ):
                continue
            others = sorted(str(r) for r in as_list(statement.get("Resource")) if r not in aliases)
            if others or "NotResource" in statement:
                problems.append(f"may invoke {', '.join(others) or 'NotResource'}")
        if referring(graph, ROLE_POLICY_ATTACHMENT, "role", role, "id", "name"):
            problems.append("has managed policies attached")
        if problems:
            yield non_compliant(
                role.urn,
                f"role {prop(role, 'name')} {'; '.join(problems)}, not only the processor's alias",
            )
        else:
            yield compliant(role.urn)


def iam_roles_have_permissions_boundary(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """With tap:permissionsBoundaryArn set, every role the stack creates carries that boundary."""
    wanted = context.config.permissions_boundary_arn if context.config else None
    if wanted is None:
        yield not_applicable("tap:permissionsBoundaryArn is not set")
        return
    roles = of_type(graph, ROLE)
    if not roles:
        yield not_applicable("no IAM roles")
    for role in roles:
        boundary = prop(role, "permissionsBoundary")
        if boundary == wanted:
            yield compliant(role.urn)
        elif boundary is None:
            yield non_compliant(
                role.urn,
                f"role {prop(role, 'name')} has no permissions boundary; "
                f"tap:permissionsBoundaryArn is {wanted}",
            )
        else:
            yield non_compliant(
                role.urn,
                f"role {prop(role, 'name')} has permissions boundary {boundary}, not {wanted}",
            )
