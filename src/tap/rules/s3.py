"""S3 rules: valid distinct names; private, TLS-only, versioned, encrypted, emitting events."""

# ruff: noqa: ARG001 - every rule takes (graph, context), whether it reads the context or not

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tap.facts.policies import as_list, parse_json, statements
from tap.facts.tokens import (
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_NOTIFICATION,
    BUCKET_POLICY,
    BUCKET_VERSIONING,
    PUBLIC_ACCESS_BLOCK,
)
from tap.naming import s3_bucket_name_problems
from tap.rules.lookup import (
    bucket_children,
    bucket_name,
    denies_insecure_transport,
    of_type,
    out,
    prop,
)
from tap.rules.model import Outcome, RuleContext, compliant, non_compliant, not_applicable

if TYPE_CHECKING:
    from tap.synth.graph import Resource, ResourceGraph

PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})


def _label(bucket: Resource) -> str:
    return bucket_name(bucket) or bucket.name


def s3_bucket_name_valid(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every bucket name follows the general-purpose bucket naming rules."""
    for bucket in of_type(graph, BUCKET):
        name = bucket_name(bucket)
        if name is None:
            yield non_compliant(bucket.urn, f"bucket {bucket.name} has no explicit name")
            continue
        problems = s3_bucket_name_problems(name)
        if problems:
            yield non_compliant(bucket.urn, f"bucket name {name} {'; '.join(problems)}")
        else:
            yield compliant(bucket.urn)


def _doubled_prefix(name: str) -> str | None:
    tokens = name.split("-")
    for size in range(1, len(tokens) // 2 + 1):
        if tokens[:size] == tokens[size : 2 * size]:
            return "-".join(tokens[:size]) + "-"
    return None


def s3_bucket_names_prefix_free(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """No bucket name repeats its leading tokens (`tap-tap-`) or is a prefix of another's."""
    named = [(b, n) for b in of_type(graph, BUCKET) if (n := bucket_name(b)) is not None]
    # Names a name prefixes sort right after it, so each search is a bisection and a short scan.
    ordered = sorted(named, key=lambda pair: pair[1])
    names = [name for _, name in ordered]
    for bucket, name in named:
        doubled = _doubled_prefix(name)
        longer: list[str] = []
        for position in range(bisect_left(names, name), len(ordered)):
            other_bucket, other = ordered[position]
            if not other.startswith(name):
                break
            if other_bucket is not bucket:
                longer.append(other)
        if doubled:
            yield non_compliant(bucket.urn, f"bucket name {name} repeats the prefix {doubled}")
        elif longer:
            yield non_compliant(
                bucket.urn, f"bucket name {name} is a prefix of {', '.join(longer)}"
            )
        else:
            yield compliant(bucket.urn)


def s3_bucket_public_access_blocked(
    graph: ResourceGraph, context: RuleContext
) -> Iterator[Outcome]:
    """Every bucket has a public access block with all four flags on."""
    for bucket in of_type(graph, BUCKET):
        blocks = bucket_children(graph, PUBLIC_ACCESS_BLOCK, bucket)
        if not blocks:
            yield non_compliant(bucket.urn, f"bucket {_label(bucket)} has no public access block")
            continue
        off = sorted({f for b in blocks for f in PUBLIC_ACCESS_FLAGS if prop(b, f) is not True})
        if off:
            yield non_compliant(
                bucket.urn,
                f"bucket {_label(bucket)} does not block public access: {', '.join(off)} off",
            )
        else:
            yield compliant(bucket.urn)


def s3_bucket_tls_only(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every bucket's policy denies requests without TLS, for the bucket and its objects."""
    for bucket in of_type(graph, BUCKET):
        arn = out(bucket, "arn")
        if arn is None:
            yield not_applicable(f"bucket {_label(bucket)}'s ARN is not known yet", bucket.urn)
            continue
        arns = {arn, f"{arn}/*"}
        policies = bucket_children(graph, BUCKET_POLICY, bucket)
        denied = any(
            denies_insecure_transport(s, "s3", arns)
            for p in policies
            for s in statements(parse_json(prop(p, "policy")))
        )
        if denied:
            yield compliant(bucket.urn)
        else:
            yield non_compliant(
                bucket.urn,
                f"bucket {_label(bucket)} has no policy denying s3:* on {arn} and {arn}/* "
                "when aws:SecureTransport is false",
            )


def s3_bucket_versioned(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every bucket has versioning Enabled."""
    for bucket in of_type(graph, BUCKET):
        statuses = [
            (prop(v, "versioningConfiguration") or {}).get("status")
            for v in bucket_children(graph, BUCKET_VERSIONING, bucket)
        ]
        if statuses == ["Enabled"]:
            yield compliant(bucket.urn)
        else:
            found = ", ".join(str(s) for s in statuses) or "no BucketVersioning"
            yield non_compliant(bucket.urn, f"bucket {_label(bucket)} is not versioned ({found})")


def s3_bucket_encrypted(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every bucket has default encryption, with a key when it uses SSE-KMS."""
    for bucket in of_type(graph, BUCKET):
        configs = bucket_children(graph, BUCKET_ENCRYPTION, bucket)
        defaults = [
            rule.get("applyServerSideEncryptionByDefault") or {}
            for c in configs
            for rule in as_list(prop(c, "rules"))
            if isinstance(rule, dict)
        ]
        good = [
            d
            for d in defaults
            if d.get("sseAlgorithm") in SSE_ALGORITHMS
            and (d.get("sseAlgorithm") == "AES256" or d.get("kmsMasterKeyId"))
        ]
        if good:
            yield compliant(bucket.urn)
        else:
            yield non_compliant(
                bucket.urn, f"bucket {_label(bucket)} has no default encryption with a key"
            )


def s3_bucket_eventbridge_enabled(graph: ResourceGraph, context: RuleContext) -> Iterator[Outcome]:
    """Every bucket has exactly one BucketNotification, and it sends events to EventBridge."""
    for bucket in of_type(graph, BUCKET):
        notifications = bucket_children(graph, BUCKET_NOTIFICATION, bucket)
        if len(notifications) != 1:
            yield non_compliant(
                bucket.urn,
                f"bucket {_label(bucket)} has {len(notifications)} BucketNotifications; "
                "exactly one may own its notification configuration",
            )
        elif prop(notifications[0], "eventbridge") is not True:
            yield non_compliant(
                bucket.urn, f"bucket {_label(bucket)} does not send events to EventBridge"
            )
        else:
            yield compliant(bucket.urn)
