"""IAM policy documents as AWS writes them: a field may hold one value or a list, `Statement`
may be one statement, `Principal` may be a string; read by the rules and the day-2 operations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def as_list(value: object) -> list[Any]:
    """A policy field that may be a single value or a list, as a list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def parse_json(value: object) -> Any:
    """A JSON property (policy, event pattern) as data; dicts pass through; None when unparsable."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


def statements(document: Any) -> list[dict[str, Any]]:
    """A parsed policy's statements as a list of dicts (non-dict entries dropped)."""
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def principal_services(statement: dict[str, Any]) -> set[str]:
    """The service principals a statement names."""
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return set()
    return {s for s in as_list(principal.get("Service")) if isinstance(s, str)}


def trusts(trust_policy: object, service: str) -> bool:
    """Whether a role's trust policy (JSON text or parsed) names `service` as a principal."""
    return any(service in principal_services(s) for s in statements(parse_json(trust_policy)))


def deny_insecure_transport(
    actions: Sequence[str], resources: Sequence[Any], *, sid: str = "DenyInsecureTransport"
) -> dict[str, Any]:
    """Deny every request that does not use TLS (resources: ARNs, or Outputs of them)."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(actions),
        "Resource": list(resources),
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


KMS_RESOURCE_ALIASES = "kms:ResourceAliases"
"""The aliases of the KMS key a request uses: a multivalued condition key, so it is tested with
`ForAnyValue:`. It conditions every key-resource operation (Decrypt, Encrypt, GenerateDataKey,
...), so a grant can name a key by its alias instead of its id (AWS KMS Developer Guide,
"Use aliases to control access to KMS keys" (alias-authorization.html) and the AWS KMS
permissions table, kms-api-permissions-reference.html)."""


def alias_condition(alias: str) -> dict[str, dict[str, list[str]]]:
    """The condition that limits a `key/*` grant to the key carrying `alias`."""
    return {"ForAnyValue:StringEquals": {KMS_RESOURCE_ALIASES: [alias]}}
