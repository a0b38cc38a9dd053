"""DynamoDB rules: production tables are recoverable and protected; replicas are elsewhere."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tap.facts.policies import as_list
from tap.facts.tokens import TABLE, TABLE_REPLICA
from tap.rules import model
from tap.rules.lookup import index_of, of_type, prop, referenced
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable
from tap.synth.graph import provider_urn

if TYPE_CHECKING:
    from tap.synth.graph import Resource, ResourceGraph


def region_of(graph: ResourceGraph, resource: Resource) -> str | None:
    """A resource's region: its own `region` input, else its provider's."""
    region = prop(resource, "region")
    if isinstance(region, str) and region:
        return region
    if resource.provider is None:
        return None
    providers = index_of(graph).by_urn([provider_urn(resource.provider)])
    value = prop(providers[0], "region") if providers else None
    return value if isinstance(value, str) else None


def _production_tables(graph: ResourceGraph, context: RuleContext) -> Iterator[Resource | str]:
    reason = model.why_not_production(context)
    if reason:
        yield reason
    else:
        yield from of_type(graph, TABLE)


def dynamodb_table_point_in_time_recovery(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Production tables have point-in-time recovery enabled."""
    for table in _production_tables(graph, context):
        if isinstance(table, str):
            yield not_applicable(table)
        elif (prop(table, "pointInTimeRecovery") or {}).get("enabled") is True:
            yield compliant(table.urn)
        else:
            yield non_compliant(
                table.urn, f"table {prop(table, 'name')} has no point-in-time recovery"
            )


def dynamodb_table_deletion_protection(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Production tables have deletion protection enabled."""
    for table in _production_tables(graph, context):
        if isinstance(table, str):
            yield not_applicable(table)
        elif prop(table, "deletionProtectionEnabled") is True:
            yield compliant(table.urn)
        else:
            yield non_compliant(
                table.urn, f"table {prop(table, 'name')} has no deletion protection"
            )


def dynamodb_replica_in_other_region(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Every replica (TableReplica or inline) is in a region other than its table's."""
    tables = of_type(graph, TABLE)
    replicas = of_type(graph, TABLE_REPLICA)
    inline = [(t, r) for t in tables for r in as_list(prop(t, "replicas")) if isinstance(r, dict)]
    if not replicas and not inline:
        yield not_applicable("no table replicas")
    for replica in replicas:
        arn = prop(replica, "globalTableArn")
        table = referenced(graph, replica, "globalTableArn", arn, TABLE)
        home = region_of(graph, table) if table else None
        region = prop(replica, "region")
        if table is None:
            yield non_compliant(replica.urn, f"replica {replica.name}'s table is not in the stack")
        elif not region or region == home:
            yield non_compliant(
                replica.urn,
                f"replica {replica.name} of table {prop(table, 'name')} is in "
                f"{region or 'no region'}, "
                f"its table's own region {home}",
            )
        else:
            yield compliant(replica.urn)
    for table, replica_args in inline:
        if replica_args.get("regionName") == region_of(graph, table):
            yield non_compliant(
                table.urn, f"table {prop(table, 'name')} replicates into its own region"
            )
        else:
            yield compliant(table.urn)
