"""The deployment's critical path: the longest create-order chain in each stack's resource graph.

Nodes are custom resources (providers excluded: they are configured, not created in AWS).
Edges are the graph's `dependencies` (inputs from another resource's outputs, plus `depends_on`);
a dependency on a component stands for all of its custom descendants. Parent membership alone
orders nothing: a ComponentResource registers at once, and Pulumi creates a child as soon as the
child's own dependencies are done. Unlimited parallelism is assumed, so the weighted chain is a
lower bound on `pulumi up` time for a first deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tap.facts import tokens
from tap.resources import Kind, of_kind

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")


@dataclass(frozen=True)
class Source:
    """Where a create-time figure comes from."""

    title: str
    url: str


SOURCES: dict[str, Source] = {
    "ddb-create": Source(
        "DynamoDB CreateTable API reference: CreateTable is asynchronous, the table is CREATING "
        "until ACTIVE (no duration given)",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html",
    ),
    "ddb-replica": Source(
        "CloudFormation AWS::DynamoDB::GlobalTable, Replicas: 'Adding a replica might take a few "
        "minutes for an empty table, or up to several hours for large tables'",
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html",
    ),
    "iam-consistency": Source(
        "IAM troubleshooting, 'Changes that I make are not always immediately visible' (eventual "
        "consistency); pulumi/pulumi-aws#2411: changes 'usually propagate within ~2 seconds'; "
        "aws/aws-cli#7700: `wait role-exists` returns before Lambda can assume the role",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html",
    ),
    "lambda-states": Source(
        "Lambda function states: a new function is Pending until Active; the CLI's "
        "function-active / published-version-active waiters poll every 5 s",
        "https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html",
    ),
    "sqs-create": Source(
        "SQS CreateQueue API reference: wait at least one second after creating a queue before "
        "using it",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    ),
    "kms-replica": Source(
        "KMS ReplicateKey: the replica key is Creating, then Enabled (asynchronous; no duration "
        "given)",
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html",
    ),
    "estimate": Source(
        "Estimate: a synchronous control-plane call (single request, no waiter), order of seconds",
        "",
    ),
}

# seconds, source id, for every type a stack creates (the provider is configured, not created),
# from each type's declaration in tap.resources; every figure is a typical value, not a guarantee.
WEIGHTS: dict[str, tuple[float, str]] = {
    d.token: (d.weight.seconds, d.weight.source)
    for d in of_kind(Kind.CREATED)
    if d.weight is not None
}
# depends_on edges AWS itself requires: (what must exist first, what is created) -> why.
REQUIRED_ORDER: dict[tuple[str, str], str] = {
    (tokens.ROLE_POLICY, tokens.FUNCTION): (
        "CreateFunction with TracingConfig Active fails unless the role already allows "
        "xray:PutTraceSegments (coinbase/fenrir#1, serverless/serverless#6931)"
    ),
    (
        tokens.ROLE_POLICY,
        tokens.INVOKE_CONFIG,
    ): "Lambda checks the on-failure destination against the role at create time",
    (
        tokens.PUBLIC_ACCESS_BLOCK,
        tokens.BUCKET_POLICY,
    ): "S3 rejects a bucket policy while the public access block is being applied",
    (
        tokens.BUCKET_VERSIONING,
        tokens.BUCKET_LIFECYCLE,
    ): "noncurrent-version lifecycle rules need versioning in place",
}


@dataclass(frozen=True)
class Graph:
    """Custom resources and their create-order edges: data edges and explicit depends_on."""

    types: dict[str, str]
    names: dict[str, str]
    data_edges: dict[str, set[str]]
    """urn -> urns whose outputs feed its inputs."""
    explicit_edges: dict[str, set[str]]
    """urn -> urns it waits for only through depends_on."""


def build_graph(resource_graph: Any) -> Graph:
    """Custom, non-provider resources of a ResourceGraph, with dependencies split by kind."""
    resources = {r.urn: r for r in resource_graph.resources}
    nodes = {urn: r for urn, r in resources.items() if r.custom and r.type != tokens.AWS_PROVIDER}

    def expand(urn: str) -> set[str]:
        if urn in nodes:
            return {urn}
        if urn not in resources:
            return set()
        return {u for child in resource_graph.children(urn) for u in expand(child.urn)}

    data: dict[str, set[str]] = {}
    explicit: dict[str, set[str]] = {}
    for urn, r in nodes.items():
        fed = {u for deps in r.property_dependencies.values() for d in deps for u in expand(d)}
        every = {u for d in r.dependencies for u in expand(d)} | fed
        data[urn] = fed - {urn}
        explicit[urn] = every - fed - {urn}
    return Graph(
        types={u: r.type for u, r in nodes.items()},
        names={u: r.name for u, r in nodes.items()},
        data_edges=data,
        explicit_edges=explicit,
    )


ESTIMATE_SCALES = (0.5, 3.0)
"""Sensitivity: every weight without a published figure ("estimate") scaled by these."""


def weight(resource_type: str, estimate_scale: float = 1.0) -> float:
    """Typical create time in seconds; uncited estimates scaled by `estimate_scale`."""
    if resource_type not in WEIGHTS:
        raise KeyError(f"no create-time weight for {resource_type}: add it to WEIGHTS")
    seconds, source = WEIGHTS[resource_type]
    return seconds * estimate_scale if source == "estimate" else seconds


def required(graph: Graph, urn: str, dep: str) -> bool:
    """Whether AWS itself needs `dep` created before `urn` (see REQUIRED_ORDER)."""
    return (graph.types[dep], graph.types[urn]) in REQUIRED_ORDER


MODES = ("as_deployed", "inherent", "data_edges_only")


def finish_times(
    graph: Graph,
    *,
    mode: str,
    weighted: bool,
    skip: tuple[str, str] | None = None,
    estimate_scale: float = 1.0,
) -> dict[str, tuple[float, list[str]]]:
    """Earliest finish of every resource and the chain behind it; `skip` drops one explicit edge.

    as_deployed: every edge; inherent: data edges plus depends_on that AWS requires;
    data_edges_only: data edges alone.
    """

    def preds(urn: str) -> set[str]:
        found = set(graph.data_edges[urn])
        for dep in graph.explicit_edges[urn]:
            if (urn, dep) == skip:
                continue
            if mode == "as_deployed" or (mode == "inherent" and required(graph, urn, dep)):
                found.add(dep)
        return found

    @cache
    def finish(urn: str) -> tuple[float, tuple[str, ...]]:
        own = weight(graph.types[urn], estimate_scale) if weighted else 1.0
        best: tuple[float, tuple[str, ...]] = (0.0, ())
        for dep in sorted(preds(urn)):
            candidate = finish(dep)
            if candidate[0] > best[0]:
                best = candidate
        return best[0] + own, (*best[1], urn)

    return {urn: (finish(urn)[0], list(finish(urn)[1])) for urn in graph.types}


def longest_path(
    graph: Graph,
    *,
    mode: str,
    weighted: bool,
    skip: tuple[str, str] | None = None,
    estimate_scale: float = 1.0,
) -> tuple[float, list[str]]:
    """Length and resources of the longest chain."""
    times = finish_times(
        graph, mode=mode, weighted=weighted, skip=skip, estimate_scale=estimate_scale
    )
    return max(times.values(), key=lambda item: item[0])


def ingest_ready(
    graph: Graph,
    *,
    mode: str,
    skip: tuple[str, str] | None = None,
    estimate_scale: float = 1.0,
) -> float:
    """Weighted seconds until every EventBridge target exists: when objects start to flow."""
    times = finish_times(graph, mode=mode, weighted=True, skip=skip, estimate_scale=estimate_scale)
    targets = [t for u, (t, _) in times.items() if graph.types[u].endswith("EventTarget")]
    return max(targets, default=0.0)


def _describe(graph: Graph, path: list[str]) -> list[str]:
    return [f"{graph.types[u].rsplit(':', 1)[-1]} {graph.names[u]}" for u in path]


def analyse(resource_graph: Any) -> dict[str, Any]:
    """Chains with and without explicit depends_on, counted and weighted, plus each edge's cost."""
    graph = build_graph(resource_graph)
    result: dict[str, Any] = {"resources": len(graph.types)}
    for label in MODES:
        hops, hop_path = longest_path(graph, mode=label, weighted=False)
        seconds, weighted_path = longest_path(graph, mode=label, weighted=True)
        result[label] = {
            "resources_on_longest_chain": int(hops),
            "longest_chain": _describe(graph, hop_path),
            "weighted_seconds": seconds,
            "weighted_chain": _describe(graph, weighted_path),
            "ingest_ready_seconds": ingest_ready(graph, mode=label),
        }
    full = result["as_deployed"]["weighted_seconds"]
    full_hops = result["as_deployed"]["resources_on_longest_chain"]
    full_ready = result["as_deployed"]["ingest_ready_seconds"]
    edges = []
    for urn, deps in graph.explicit_edges.items():
        for dep in sorted(deps):
            without, _ = longest_path(graph, mode="as_deployed", weighted=True, skip=(urn, dep))
            hops, _ = longest_path(graph, mode="as_deployed", weighted=False, skip=(urn, dep))
            ready = ingest_ready(graph, mode="as_deployed", skip=(urn, dep))
            edges.append(
                {
                    "edge": f"{graph.names[dep]} -> {graph.names[urn]}",
                    "required_by_aws": REQUIRED_ORDER.get((graph.types[dep], graph.types[urn])),
                    "weighted_seconds_saved_if_removed": full - without,
                    "resources_saved_if_removed": full_hops - int(hops),
                    "ingest_seconds_saved_if_removed": full_ready - ready,
                }
            )
    result["explicit_depends_on"] = sorted(edges, key=lambda e: e["edge"])
    _, base_chain = longest_path(graph, mode="as_deployed", weighted=True)
    result["sensitivity"] = {}
    for scale in ESTIMATE_SCALES:
        seconds, chain = longest_path(
            graph, mode="as_deployed", weighted=True, estimate_scale=scale
        )
        result["sensitivity"][f"{scale:g}"] = {
            "weighted_seconds": seconds,
            "same_weighted_chain": chain == base_chain,
            "ingest_ready_seconds": ingest_ready(graph, mode="as_deployed", estimate_scale=scale),
            "inherent_ingest_ready_seconds": ingest_ready(
                graph, mode="inherent", estimate_scale=scale
            ),
        }
    return result


def measure() -> dict[str, Any]:
    """Analyse each shipped stack's synthesized graph."""
    from tap.synth.stack import synthesize_stack

    stacks = {stack: analyse(synthesize_stack(ROOT, stack)) for stack in STACKS}
    return {
        "stacks": stacks,
        "weights": {t: {"seconds": s, "source": src} for t, (s, src) in WEIGHTS.items()},
        "required_order": {f"{a} -> {b}": why for (a, b), why in REQUIRED_ORDER.items()},
        "sources": {k: {"title": v.title, "url": v.url} for k, v in SOURCES.items()},
    }
