"""EventBridge rules: patterns that match their bucket's documented S3 events, and safe targets."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap.facts.arns import is_arn, parse_arn, split_function_arn
from tap.facts.policies import as_list, parse_json, principal_services, statements
from tap.facts.principals import EVENTS_PRINCIPAL
from tap.facts.tokens import (
    BUCKET,
    EVENT_RULE,
    EVENT_TARGET,
    FUNCTION,
    LAMBDA_ALIAS,
    PERMISSION,
    QUEUE,
    QUEUE_POLICY,
)
from tap.naming import Names
from tap.rules.event_pattern import EventPatternError, matches_json, validate
from tap.rules.lookup import (
    bucket_name,
    condition_values,
    index_of,
    is_known,
    of_type,
    out,
    prop,
    referenced,
    referring,
)
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable
from tap.rules.samples import SAMPLE_BUCKET, SAMPLE_FILES, sample_event

if TYPE_CHECKING:
    from tap.config.model import Route
    from tap.synth.graph import Resource, ResourceGraph

EXAMPLE_KEY = "example-key"


def _s3_rules(graph: ResourceGraph) -> list[Resource]:
    """Rules whose pattern selects S3 events."""
    return [
        r
        for r in of_type(graph, EVENT_RULE)
        if "aws.s3" in as_list((parse_json(prop(r, "eventPattern")) or {}).get("source"))
    ]


def events_rule_on_default_bus(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """S3 rules live on the default bus: S3 sends its events nowhere else."""
    rules = _s3_rules(graph)
    if not rules:
        yield not_applicable("no rule selects S3 events")
    for rule in rules:
        bus = prop(rule, "eventBusName")
        if bus in (None, "default"):
            yield compliant(rule.urn)
        else:
            yield non_compliant(
                rule.urn, f"rule {rule.name} is on bus {bus}; S3 only sends to the default bus"
            )


def _key_for(filters: object) -> str:
    """A key that satisfies a pattern's `detail.object.key` filter (its first alternative)."""
    first = as_list(filters)[0] if as_list(filters) else EXAMPLE_KEY
    if isinstance(first, str):
        return first
    if isinstance(first, dict):
        if "prefix" in first:
            return f"{first['prefix']}{EXAMPLE_KEY}"
        if "suffix" in first:
            return f"{EXAMPLE_KEY}{first['suffix']}"
        if "wildcard" in first:
            text = str(first["wildcard"]).replace("\\\\", "\0").replace("\\*", "\1")
            return text.replace("*", EXAMPLE_KEY).replace("\1", "*").replace("\0", "\\")
    return EXAMPLE_KEY


def _routes_by_rule_name(context: RuleContext) -> Mapping[str, Route]:
    """Each configured route by its rule's physical name (the first, should two share one)."""
    config = context.config
    if config is None:
        return {}
    names = Names.of(config)
    routes: dict[str, Route] = {}
    for bucket in config.buckets:
        for route in bucket.routes:
            routes.setdefault(names.rule(bucket.name, route.name), route)
    return routes


def _matches(pattern: str, event: dict[str, Any]) -> bool:
    """tap's EventBridge matcher; the emulator's test_event_pattern API returns nothing."""
    return matches_json(pattern, event)


def _bucket_name_problem(name: object, graph: ResourceGraph) -> str | None:
    """What is wrong with one `detail.bucket.name` value, or None for a bucket of this stack."""
    index = index_of(graph)
    bucket_names = index.derived(
        "s3-bucket-names", lambda: {bucket_name(b) for b in of_type(graph, BUCKET)}
    )
    if not isinstance(name, str):
        return f"filters detail.bucket.name with {name}, not exact bucket names"
    if name in bucket_names:
        return None
    if not is_known(name):
        return "filters on a bucket name that is not known"
    if index.named(BUCKET, "arn", name, outputs_only=True):
        return f"filters on the bucket ARN {name}, not its name"
    if index.named(BUCKET, "id", name, outputs_only=True):
        return f"filters on the bucket id {name}, not its name"
    return f"filters on {name}, which is no bucket of this stack"


def _sample_problems(text: str, name: str, key: str, wanted: Collection[str]) -> Iterator[str]:
    """Against AWS's sample events for `name`/`key`: a wanted type missed, another matched,
    or the same event from another bucket matched."""
    for detail_type in SAMPLE_FILES:
        matched = _matches(text, sample_event(detail_type, name, key))
        if detail_type in wanted and not matched:
            yield f"does not match AWS's sample {detail_type} event for {name}/{key}"
        if detail_type not in wanted and matched:
            yield f"matches {detail_type} events, which its route does not take"
        if _matches(text, sample_event(detail_type, SAMPLE_BUCKET, key)):
            yield f"matches {detail_type} events from another bucket"


def _outside_route_problems(text: str, name: str, route: Route | None) -> Iterator[str]:
    """A key outside the route's prefix or suffix that the pattern still matches."""
    if not (route and (route.prefix or route.suffix)):
        return
    outside = (
        f"not-{route.prefix}{EXAMPLE_KEY}{route.suffix or ''}"
        if route.prefix
        else f"{EXAMPLE_KEY}{route.suffix}.not"
    )
    if any(_matches(text, sample_event(t, name, outside)) for t in route.events):
        yield f"matches key {outside}, outside its route's prefix/suffix"


def _pattern_problems(
    pattern: dict[str, Any], graph: ResourceGraph, route: Route | None
) -> list[str]:
    """Why a pattern is wrong for its buckets and route: its bucket names first, then S3's
    detail-types, then AWS's sample events for each bucket."""
    detail = pattern.get("detail") if isinstance(pattern.get("detail"), dict) else {}
    names = as_list(((detail or {}).get("bucket") or {}).get("name"))
    if not names:
        return ["does not filter on detail.bucket.name"]
    problems = [p for p in (_bucket_name_problem(n, graph) for n in names) if p is not None]
    if problems:
        return problems
    types = [str(t) for t in as_list(pattern.get("detail-type"))]
    undocumented = sorted(set(types) - set(SAMPLE_FILES))
    if undocumented:
        return [f"matches detail-type {', '.join(undocumented)}, which S3 never sends"]
    wanted = list(route.events) if route else types
    if route:
        key = f"{route.prefix or ''}{EXAMPLE_KEY}{route.suffix or ''}"
    else:
        key = _key_for(((detail or {}).get("object") or {}).get("key"))
    text = json.dumps(pattern)
    for name in map(str, names):
        problems.extend(_sample_problems(text, name, key, wanted))
        problems.extend(_outside_route_problems(text, name, route))
    return problems


def events_rule_matches_bucket_events(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Each S3 rule names its bucket by NAME and matches AWS's sample events for it, no other's."""
    rules = _s3_rules(graph)
    if not rules:
        yield not_applicable("no rule selects S3 events")
    routes = _routes_by_rule_name(context)
    for rule in rules:
        pattern = parse_json(prop(rule, "eventPattern"))
        if not isinstance(pattern, dict):
            yield non_compliant(rule.urn, f"rule {rule.name}'s pattern is not a JSON object")
            continue
        try:
            validate(pattern)
        except EventPatternError as exc:
            yield non_compliant(rule.urn, f"rule {rule.name}'s pattern is invalid: {exc}")
            continue
        name = prop(rule, "name")
        route = routes.get(name) if isinstance(name, str) else None
        problems = _pattern_problems(pattern, graph, route)
        if problems:
            yield non_compliant(rule.urn, f"rule {rule.name}'s pattern {'; '.join(problems)}")
        else:
            yield compliant(rule.urn)


def _rule_of(graph: ResourceGraph, target: Resource) -> Resource | None:
    """The rule a target belongs to (its `rule` is the rule's name or id, on the same bus)."""
    bus = prop(target, "eventBusName") or "default"
    index = index_of(graph)
    value = prop(target, "rule")
    if is_known(value):
        candidates = index.in_graph_order(
            r for key in ("name", "id") for r in index.named(EVENT_RULE, key, value)
        )
    else:
        candidates = index.by_urn(target.property_dependencies.get("rule", []), EVENT_RULE)
    return next(
        (r for r in candidates if (prop(r, "eventBusName") or "default") == bus),
        None,
    )


def _invoked(graph: ResourceGraph, target: Resource) -> tuple[str, str | None] | None:
    """The (function name, qualifier) a target invokes; None when it is no Lambda target."""
    arn = prop(target, "arn")
    if is_known(arn):
        text = str(arn)
        return (
            split_function_arn(text)
            if is_arn(text) and parse_arn(text).service == "lambda"
            else None
        )
    alias = referenced(graph, target, "arn", arn, LAMBDA_ALIAS)
    if alias is not None:
        return str(prop(alias, "functionName")), str(prop(alias, "name"))
    function = referenced(graph, target, "arn", arn, FUNCTION)
    return (str(prop(function, "name")), None) if function is not None else None


def _lambda_targets(graph: ResourceGraph) -> list[tuple[Resource, tuple[str, str | None]]]:
    found = [(t, _invoked(graph, t)) for t in of_type(graph, EVENT_TARGET)]
    return [(t, invoked) for t, invoked in found if invoked is not None]


def _function_name(value: object) -> str:
    text = str(value)
    return split_function_arn(text)[0] if is_arn(text) else text


def _invokes(permission: Resource, function: str) -> bool:
    """Whether the permission lets EventBridge invoke the named function."""
    return (
        prop(permission, "principal") == EVENTS_PRINCIPAL
        and prop(permission, "action") == "lambda:InvokeFunction"
        and _function_name(prop(permission, "function")) == function
    )


FOUND_SHOWN = 5
"""Permissions a finding lists before it only counts the rest."""


def _invoke_grants(graph: ResourceGraph) -> Mapping[str, str]:
    """Per function, the EventBridge invoke permissions it has, as a finding lists them."""
    grants: dict[str, list[str]] = defaultdict(list)
    for permission in of_type(graph, PERMISSION):
        function = _function_name(prop(permission, "function"))
        if _invokes(permission, function):
            grants[function].append(
                f"{prop(permission, 'sourceArn')} (qualifier {prop(permission, 'qualifier')})"
            )
    shown: dict[str, str] = {}
    for function, found in grants.items():
        found.sort()
        if len(found) > FOUND_SHOWN:
            found[FOUND_SHOWN:] = [f"and {len(found) - FOUND_SHOWN} more"]
        shown[function] = ", ".join(found)
    return shown


def events_lambda_target_permitted(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Each Lambda target has an invoke permission for exactly its rule's ARN and qualifier."""
    targets = _lambda_targets(graph)
    if not targets:
        yield not_applicable("no rule targets a Lambda function")
    for target, (function, qualifier) in targets:
        rule = _rule_of(graph, target)
        if rule is None:
            yield non_compliant(target.urn, f"target {target.name}'s rule is not in the stack")
            continue
        # Permissions whose sourceArn is this rule's (or, in preview, comes from it).
        exact = [
            p
            for p in referring(graph, PERMISSION, "sourceArn", rule, "arn")
            if _invokes(p, function) and (prop(p, "qualifier") or None) == qualifier
        ]
        if exact:
            yield compliant(target.urn)
            continue
        grants = index_of(graph).derived("events-invoke-grants", lambda: _invoke_grants(graph))
        yield non_compliant(
            target.urn,
            f"no permission lets rule {out(rule, 'arn') or rule.name} invoke {function}"
            f"{':' + qualifier if qualifier else ''}; found {grants.get(function) or 'none'}",
        )


def events_lambda_target_no_role(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Lambda targets carry no role: EventBridge is authorised by the function's policy."""
    targets = _lambda_targets(graph)
    if not targets:
        yield not_applicable("no rule targets a Lambda function")
    for target, _ in targets:
        role = prop(target, "roleArn")
        if role:
            yield non_compliant(target.urn, f"target {target.name} sets roleArn {role}")
        else:
            yield compliant(target.urn)


def events_target_retry_policy(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every target has an explicit retry policy (attempts and maximum event age)."""
    targets = of_type(graph, EVENT_TARGET)
    if not targets:
        yield not_applicable("no event targets")
    for target in targets:
        policy = prop(target, "retryPolicy") or {}
        missing = [
            k
            for k in ("maximumRetryAttempts", "maximumEventAgeInSeconds")
            if not isinstance(policy.get(k), int)
        ]
        if missing:
            yield non_compliant(
                target.urn, f"target {target.name}'s retry policy lacks {', '.join(missing)}"
            )
        else:
            yield compliant(target.urn)


def events_target_dead_letter_queue(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Every target dead-letters to a standard SQS queue of this stack."""
    targets = of_type(graph, EVENT_TARGET)
    if not targets:
        yield not_applicable("no event targets")
    for target in targets:
        arn = (prop(target, "deadLetterConfig") or {}).get("arn")
        queue = referenced(graph, target, "deadLetterConfig", arn, QUEUE)
        if not arn:
            yield non_compliant(target.urn, f"target {target.name} has no dead-letter queue")
        elif queue is None:
            yield non_compliant(
                target.urn, f"target {target.name}'s dead-letter queue {arn} is not in the stack"
            )
        elif prop(queue, "fifoQueue") is True:
            yield non_compliant(target.urn, f"target {target.name}'s DLQ {arn} is FIFO")
        else:
            yield compliant(target.urn)


@dataclass(frozen=True)
class _Admission:
    """What one Allow statement of a queue policy lets EventBridge send, and for which rules."""

    resources: frozenset[str]
    source_arns: frozenset[str]


def _admissions(statements_: list[dict[str, Any]]) -> tuple[_Admission, ...]:
    """The statements letting EventBridge's principal sqs:SendMessage, read once per policy."""
    return tuple(
        _Admission(
            frozenset(str(r) for r in as_list(s.get("Resource"))),
            frozenset(condition_values(s, "aws:SourceArn")),
        )
        for s in statements_
        if s.get("Effect") == "Allow"
        and EVENTS_PRINCIPAL in principal_services(s)
        and "sqs:SendMessage" in as_list(s.get("Action"))
    )


def _admits(admission: _Admission, queue_arn: str, rule_arn: str) -> bool:
    return bool({queue_arn, "*"} & admission.resources) and rule_arn in admission.source_arns


def events_dead_letter_queue_admits_rule(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Each target's DLQ policy lets EventBridge's principal SendMessage for that rule only."""
    checked = False
    index = index_of(graph)
    admissions: dict[str, tuple[_Admission, ...]] = {}
    for target in of_type(graph, EVENT_TARGET):
        rule = _rule_of(graph, target)
        arn = (prop(target, "deadLetterConfig") or {}).get("arn")
        queue = referenced(graph, target, "deadLetterConfig", arn, QUEUE)
        if queue is None:
            continue
        checked = True
        rule_arn = out(rule, "arn") if rule else None
        queue_arn = out(queue, "arn")
        policies = referring(graph, QUEUE_POLICY, "queueUrl", queue, "url", "id")
        known = [p for p in policies if is_known(prop(p, "policy"))]
        for policy in known:
            if policy.urn not in admissions:
                admissions[policy.urn] = _admissions(statements(index.parsed(policy, "policy")))
        if policies and (rule_arn is None or queue_arn is None or len(known) < len(policies)):
            yield not_applicable(f"DLQ policy of target {target.name} is known only at deploy")
        elif any(
            _admits(a, str(queue_arn), str(rule_arn)) for p in known for a in admissions[p.urn]
        ):
            yield compliant(target.urn)
        elif not policies:
            yield non_compliant(
                target.urn, f"DLQ {prop(queue, 'name')} of target {target.name} has no queue policy"
            )
        else:
            yield non_compliant(
                target.urn,
                f"DLQ {prop(queue, 'name')}'s policy does not let {EVENTS_PRINCIPAL} "
                f"sqs:SendMessage with aws:SourceArn {rule_arn}",
            )
    if not checked:
        yield not_applicable("no target dead-letters to a queue of this stack")
