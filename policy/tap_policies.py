"""CrossGuard adapter: the tap rules as stack policies; importable, never constructs the pack."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from tap.config import ConfigError, ConfigReadError, EnvironmentConfig
from tap.config.model import Suppression
from tap.internals.pulumi_policy import unwrap_policy_proxy
from tap.rules import TAP_PACK, Level, Rule, RuleContext, SuppressionError, check_graph
from tap.rules.check import DASH
from tap.rules.suppressions import check_suppressions
from tap.synth.graph import Resource, ResourceGraph, lifecycle_options
from tap.validation import load_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The Pulumi project whose stacks the pack checks: the checkout holding this `policy/`."""

COMPONENT_PREFIXES = ("tap:", "pulumi:pulumi:Stack")
"""Type tokens of resources that are not custom (our components and the stack itself)."""

ENFORCEMENT = {Level.ERROR: EnforcementLevel.MANDATORY, Level.WARNING: EnforcementLevel.ADVISORY}


def plain(value: Any) -> Any:
    """A policy property with pulumi-policy's unknown-checking proxies removed (unknowns kept)."""
    value = unwrap_policy_proxy(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _stack_and_project(urn: str) -> tuple[str, str]:
    """`urn:pulumi:<stack>::<project>::...` as (stack, project)."""
    head = urn.removeprefix("urn:pulumi:").split("::")
    return head[0], head[1]


def _options_of(opts: PolicyResourceOptions | None) -> dict[str, Any]:
    """The lifecycle options rules read, keyed as `tap synth` records them."""
    if opts is None:
        return {}
    return lifecycle_options(
        protect=opts.protect,
        ignore_changes=list(opts.ignore_changes),
        delete_before_replace=bool(opts.delete_before_replace),
    )


def graph_of(resources: Sequence[PolicyResource]) -> ResourceGraph:
    """The stack's resources as a ResourceGraph, so the same rules run in the engine."""
    converted = []
    for r in resources:
        props = plain(r.props)
        provider = r.provider.urn if r.provider is not None else None
        converted.append(
            Resource(
                urn=r.urn,
                type=r.resource_type,
                name=r.name,
                custom=not r.resource_type.startswith(COMPONENT_PREFIXES),
                parent=r.parent.urn if r.parent is not None else None,
                provider=provider,
                dependencies=[d.urn for d in r.dependencies],
                propertyDependencies={
                    k: [d.urn for d in deps] for k, deps in r.property_dependencies.items()
                },
                inputs=props,
                outputs=props,
                options=_options_of(r.opts),
            )
        )
    stack, project = _stack_and_project(converted[0].urn) if converted else ("", "")
    return ResourceGraph(project=project, stack=stack, resources=converted, outputs={})


_CONFIGS: dict[tuple[object, ...], EnvironmentConfig | None] = {}
"""Configs read in this process, by the stat of the files they were read from."""


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> EnvironmentConfig | None:
    """The stack's validated config from `Pulumi.<stack>.yaml`, or None when unreadable.

    Every policy asks for it (one per rule), so it is read once per preview: it is read again only
    when `Pulumi.yaml` or the stack file has changed (modification time or size) since.
    """
    key = (
        stack,
        project_dir.resolve(),
        _file_stamp(project_dir / "Pulumi.yaml"),
        _file_stamp(project_dir / f"Pulumi.{stack}.yaml"),
    )
    if key not in _CONFIGS:
        try:
            _CONFIGS[key] = load_stack(project_dir, stack)[1]
        except (ConfigError, ConfigReadError, OSError):
            _CONFIGS[key] = None
    return _CONFIGS[key]


ConfigLoader = Callable[[str], "EnvironmentConfig | None"]


def report_findings(
    rule: Rule,
    args: StackValidationArgs,
    report_violation: ReportViolation,
    load_config: ConfigLoader = stack_config,
) -> None:
    """Run one rule over the stack and report each unsuppressed finding as a violation."""
    graph = graph_of(args.resources)
    config = load_config(graph.stack)
    suppressions: Sequence[Suppression] = config.suppressions if config else ()
    try:
        check_suppressions(suppressions, [r.id for r in TAP_PACK])
    except SuppressionError as error:
        report_violation(f"[{rule.id}] refused suppressions: {error}", None)
        suppressions = ()
    mine = [s for s in suppressions if s.rule == rule.id]
    result = check_graph(graph, RuleContext(config), mine, rules=[rule])
    for finding in result.findings:
        if not finding.suppressed:
            message = f"[{finding.rule_id}] {finding.message} {DASH} fix: {finding.fix}"
            report_violation(message, finding.resource_urn)


def stack_policy(rule: Rule, load_config: ConfigLoader = stack_config) -> StackValidationPolicy:
    """One rule as a stack validation policy named by its id, enforced by its level."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        report_findings(rule, args, report_violation, load_config)

    return StackValidationPolicy(
        name=rule.id,
        description=rule.explanation,
        validate=validate,
        enforcement_level=ENFORCEMENT[rule.level],
        remediation_steps=rule.fix,
    )


POLICIES: list[StackValidationPolicy] = [stack_policy(rule) for rule in TAP_PACK]
"""Every tap rule as a policy; `__main__.py` hands these to PolicyPack."""
