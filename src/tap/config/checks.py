"""Rules that span fields of one environment, or span environments."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from itertools import chain
from typing import Any

from tap.config.errors import ConfigProblem
from tap.config.model import (
    MAX_TAG_KEY_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    TAP_TAG_KEYS,
    EnvironmentConfig,
)
from tap.facts.arns import POLICY_ARN_RE, ROLE_ARN_RE

Canonical = Any
"""A hashable, order-insensitive form of a config value (see `canonical`)."""


def canonical(value: Any) -> Canonical:
    """Freeze `value` so that comparing two of them ignores the order of every collection."""
    if isinstance(value, Mapping):
        return frozenset((k, canonical(v)) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = [canonical(v) for v in value]
        return tuple(sorted(items, key=repr))
    return value


PRODUCTION_NAMES = frozenset({"prod", "production", "prd", "live"})
"""Environment names that can only mean production: every safeguard keys off `production`,
so forgetting the flag on one of these would silently drop them all."""


_TAG_SYMBOLS = frozenset("_.:/=+-@")
_TAG_CHARACTERS = "letters, digits, spaces and _ . : / = + - @"
_RESERVED_TAG_PREFIX = "aws:"


def _tag_character_allowed(character: str) -> bool:
    """AWS's tag pattern `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`: letters, separators, numbers."""
    return character in _TAG_SYMBOLS or unicodedata.category(character)[0] in "LZN"


def _tag_text_problems(what: str, text: str, limit: int) -> Iterator[str]:
    if len(text) > limit:
        yield f"{what} is {len(text)} characters; AWS allows at most {limit}"
    if text[: len(_RESERVED_TAG_PREFIX)].lower() == _RESERVED_TAG_PREFIX:
        yield f"{what} starts with '{text[:4]}', which AWS reserves for its own tags"
    bad = sorted({c for c in text if not _tag_character_allowed(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        yield f"{what} has {shown}; AWS tags allow only {_TAG_CHARACTERS}"


def tag_problems(tags: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(path, message) for each way `tags` break AWS's tag rules: one per tag, and the count.

    The tags reach every resource through the provider's default tags, so AWS's common tag
    restrictions apply, as AWS lists them for each service (e.g. the `Tag` of AWS Batch and ECS:
    https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html).
    """
    total = len(set(tags) | TAP_TAG_KEYS)
    if total > MAX_TAGS:
        own = ", ".join(sorted(TAP_TAG_KEYS))
        yield (
            "tags",
            f"{total} tags with tap's own ({own}) are more than the {MAX_TAGS} AWS allows on a "
            f"resource; keep at most {MAX_TAGS - len(TAP_TAG_KEYS)} others",
        )
    for key, value in tags.items():
        if not key:
            yield "tags", "a tag key may not be empty"
            continue
        messages = [
            *_tag_text_problems("key", key, MAX_TAG_KEY_LENGTH),
            *_tag_text_problems("value", value, MAX_TAG_VALUE_LENGTH),
        ]
        if messages:
            yield f"tags.{key}", "; ".join(messages)


def _account_problems(config: EnvironmentConfig) -> Iterator[tuple[str, str]]:
    """(path, message) for each IAM ARN in the config that is in another account."""
    arns = (
        ("deployRoleArn", ROLE_ARN_RE, config.deploy_role_arn, "assume a role"),
        ("permissionsBoundaryArn", POLICY_ARN_RE, config.permissions_boundary_arn, "use a policy"),
    )
    for path, shape, arn, what in arns:
        match = shape.match(arn or "")
        if match and match.group(2) != config.account_id:
            yield (
                path,
                f"is in account {match.group(2)}, but accountId is {config.account_id}; "
                f"a stack may only {what} in its own account",
            )


def _replica_problems(config: EnvironmentConfig) -> Iterator[tuple[str, str]]:
    """A replica in the table's own region, or a region listed twice."""
    regions = config.table.replica_regions
    for i, region in enumerate(regions):
        if region == config.region:
            yield (
                f"table.replicaRegions[{i}]",
                f"{region} is the table's own region; a replica must be in another region",
            )
    if len(set(regions)) != len(regions):
        yield "table.replicaRegions", "lists a region more than once"


def _bucket_problems(config: EnvironmentConfig) -> Iterator[tuple[str, str]]:
    """A bucket name used twice, and aws:kms encryption without the stack's key."""
    names = [b.name for b in config.buckets]
    for i, name in enumerate(names):
        if names.index(name) != i:
            yield f"buckets[{i}].name", f"'{name}' is used by another bucket"
    if config.kms_key:
        return
    for i, bucket in enumerate(config.buckets):
        if bucket.encryption.algorithm == "aws:kms":
            yield (
                f"buckets[{i}].encryption.algorithm",
                "is aws:kms but kmsKey is false; set kmsKey: true or use AES256",
            )


def _production_problems(config: EnvironmentConfig) -> Iterator[tuple[str, str]]:
    """A production name without `production`, and what production requires of the table."""
    if config.environment in PRODUCTION_NAMES and not config.production:
        yield (
            "production",
            f"is false, but '{config.environment}' names a production environment; set "
            "production: true so its data is protected, recoverable and replicated",
        )
    if not config.production:
        return
    if not config.table.deletion_protection:
        yield "table.deletionProtection", "must be true in production"
    if not config.table.point_in_time_recovery:
        yield "table.pointInTimeRecovery", "must be true in production"
    if not [r for r in config.table.replica_regions if r != config.region]:
        yield (
            "table.replicaRegions",
            "production needs at least one replica region other than its own region",
        )


def check_environment(stack: str, config: EnvironmentConfig) -> list[ConfigProblem]:
    """Problems within one environment that no single field can see."""
    misnamed = (
        [("environment", f"is '{config.environment}', but the stack is named '{stack}'")]
        if stack != config.environment
        else []
    )
    found = chain(
        tag_problems(config.tags),
        misnamed,
        _account_problems(config),
        _replica_problems(config),
        _bucket_problems(config),
        _production_problems(config),
    )
    return [ConfigProblem(stack, path, message) for path, message in found]


def _bucket_shape(config: EnvironmentConfig) -> dict[str, dict[str, Canonical]]:
    return {
        b.name: {
            "versioning": b.versioning,
            "encryption.algorithm": b.encryption.algorithm,
            "lifecycleRules": canonical(
                [r.model_dump(mode="json", by_alias=True) for r in b.lifecycle_rules]
            ),
        }
        for b in config.buckets
    }


def _processor_shape(config: EnvironmentConfig) -> dict[str, Canonical]:
    p = config.processor
    return {"runtime": p.runtime, "architecture": p.architecture, "handler": p.handler}


def _reference(configs: Mapping[str, EnvironmentConfig]) -> str:
    """Production is the reference others must match; otherwise the first stack by name."""
    production = sorted(s for s, c in configs.items() if c.production)
    return production[0] if production else sorted(configs)[0]


def _bucket_drift(
    stack: str, config: EnvironmentConfig, ref: str, ref_config: EnvironmentConfig
) -> Iterator[ConfigProblem]:
    """Buckets `ref` has and `stack` lacks, fields that differ, and buckets only `stack` has."""
    ref_buckets, buckets = _bucket_shape(ref_config), _bucket_shape(config)
    index = {b.name: i for i, b in enumerate(config.buckets)}
    for name in sorted(ref_buckets.keys() - buckets.keys()):
        yield ConfigProblem(stack, "buckets", f"has no bucket '{name}', which {ref} has")
    for name in sorted(buckets.keys() & ref_buckets.keys()):
        for field, value in buckets[name].items():
            if value != ref_buckets[name][field]:
                yield ConfigProblem(
                    stack,
                    f"buckets[{index[name]}].{field}",
                    f"differs from {ref} (bucket '{name}'); it must be identical "
                    "in every environment",
                )
    for name in sorted(buckets.keys() - ref_buckets.keys()):
        yield ConfigProblem(
            stack, f"buckets[{index[name]}]", f"bucket '{name}' does not exist in {ref}"
        )


def _processor_drift(
    stack: str, config: EnvironmentConfig, ref: str, ref_config: EnvironmentConfig
) -> Iterator[ConfigProblem]:
    ref_processor = _processor_shape(ref_config)
    for field, value in _processor_shape(config).items():
        if value != ref_processor[field]:
            yield ConfigProblem(
                stack,
                f"processor.{field}",
                f"is {value!r} but {ref} has {ref_processor[field]!r}; "
                "it must be identical in every environment",
            )


def check_environments(configs: Mapping[str, EnvironmentConfig]) -> list[ConfigProblem]:
    """Problems between environments: drift in what must match, and shared accounts."""
    if not configs:
        return []
    found: list[ConfigProblem] = []
    ref = _reference(configs)
    for stack in sorted(configs):
        if stack != ref:
            found.extend(_bucket_drift(stack, configs[stack], ref, configs[ref]))
            found.extend(_processor_drift(stack, configs[stack], ref, configs[ref]))
    found.extend(_shared_accounts(configs))
    return found


def _shared_accounts(configs: Mapping[str, EnvironmentConfig]) -> list[ConfigProblem]:
    by_account: dict[str, list[str]] = defaultdict(list)
    for stack, config in configs.items():
        by_account[config.account_id].append(stack)
    found: list[ConfigProblem] = []
    for account, stacks in sorted(by_account.items()):
        if len(stacks) < 2:
            continue
        for stack in sorted(stacks):
            if not configs[stack].allow_shared_account:
                others = ", ".join(s for s in sorted(stacks) if s != stack)
                found.append(
                    ConfigProblem(
                        stack,
                        "accountId",
                        f"{account} is also used by {others}; environments need separate "
                        "accounts (set allowSharedAccount: true in each to share on purpose)",
                    )
                )
    return found
