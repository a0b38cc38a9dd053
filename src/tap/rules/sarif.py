"""`tap check --format sarif`: check results as one SARIF 2.1.0 log for code scanning.

One run holds every stack checked: GitHub refuses an upload with two runs of one tool in one
category. Each result is located at its stack file, on the line of the first `tap:` key the
rule's fix names (line 1 when the file has none), and names its resource as a logical location
(the URN, the logical name and the type). Results of one rule on one line differ only by
resource, so each carries a fingerprint of stack, rule and URN: code scanning then keeps one
alert per resource instead of folding them into one per line.

The stack file, not the component's source, is the physical location: the same component
passes in one stack and fails in another, and most fixes name a `tap:` key of that file (the
component a fix names is in the help text).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tap.rules.check import CheckResult, resource_label
from tap.rules.model import Finding, Rule
from tap.rules.pack import TAP_PACK
from tap.synth.graph import urn_type

SCHEMA_URI: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
VERSION: Final = "2.1.0"
TOOL_NAME: Final = "tap"
SOURCE_ROOT: Final = "%SRCROOT%"
FINGERPRINT: Final = "primaryLocationLineHash"
"""The fingerprint code scanning matches alerts by across runs."""

_CONFIG_KEY: Final = re.compile(r"\btap:([A-Za-z]+)")


@dataclass(frozen=True)
class StackSource:
    """Where a stack's results point: its stack file, as a URI, and the file's text."""

    uri: str
    text: str
    relative: bool = True
    """True when `uri` is relative to the checkout root (SARIF's %SRCROOT%)."""


@dataclass(frozen=True)
class ToolInfo:
    """Who made the log: tap's version, and where to read about it (None when unknown)."""

    version: str
    information_uri: str | None = None


def sarif_log(
    results: Sequence[CheckResult],
    sources: Mapping[str, StackSource],
    tool: ToolInfo,
    rules: Sequence[Rule] = TAP_PACK,
) -> dict[str, Any]:
    """The SARIF log of `results`; `sources` maps each stack to its stack file."""
    index = {rule.id: position for position, rule in enumerate(rules)}
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "version": tool.version,
        "semanticVersion": tool.version,
        "rules": [reporting_descriptor(rule) for rule in rules],
    }
    if tool.information_uri:
        driver["informationUri"] = tool.information_uri
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": "tap-check/"},
        "columnKind": "unicodeCodePoints",
        "results": [
            sarif_result(finding, result.stack, sources[result.stack], index)
            for result in results
            for finding in result.findings
        ],
        "properties": {"stacks": [result.stack for result in results]},
    }
    if any(source.relative for source in sources.values()):
        run["originalUriBaseIds"] = {SOURCE_ROOT: {"description": {"text": "the checkout root"}}}
    return {"$schema": SCHEMA_URI, "version": VERSION, "runs": [run]}


def reporting_descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as SARIF describes one: what it checks, why, how to fix, and its level."""
    summary = " ".join((rule.check.__doc__ or rule.id).split())
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.split("-")),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": rule.explanation},
        "help": {
            "text": f"{rule.explanation} Fix: {rule.fix}",
            "markdown": f"{rule.explanation}\n\n**Fix:** {rule.fix}",
        },
        "defaultConfiguration": {"level": rule.level.value},
        "properties": {"tags": [_service(rule), rule.level.value]},
    }


def sarif_result(
    finding: Finding, stack: str, source: StackSource, index: Mapping[str, int]
) -> dict[str, Any]:
    """One finding, located at its stack file and named by its resource."""
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": _artifact_location(source),
            "region": {"startLine": config_line(source.text, finding.fix)},
        }
    }
    if finding.resource_urn is not None:
        location["logicalLocations"] = [
            {
                "name": resource_label(finding.resource_urn),
                "fullyQualifiedName": finding.resource_urn,
                "kind": urn_type(finding.resource_urn),
            }
        ]
    identity = f"{stack}\n{finding.rule_id}\n{finding.resource_urn or ''}"
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": finding.level.value,
        "message": {"text": f"{stack}: {resource_label(finding.resource_urn)}: {finding.message}"},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: hashlib.sha256(identity.encode()).hexdigest()},
        "properties": {"stack": stack},
    }
    if finding.rule_id in index:
        result["ruleIndex"] = index[finding.rule_id]
    if finding.suppressed_reason is not None:
        result["suppressions"] = [{"kind": "external", "justification": finding.suppressed_reason}]
    return result


def config_line(text: str, fix: str) -> int:
    """The 1-based line of the first `tap:` key `fix` names that the stack file sets, else 1."""
    lines = text.splitlines()
    for key in _CONFIG_KEY.findall(fix):
        for number, line in enumerate(lines, start=1):
            if line.lstrip().startswith(f"tap:{key}:"):
                return number
    return 1


def _artifact_location(source: StackSource) -> dict[str, str]:
    if source.relative:
        return {"uri": source.uri, "uriBaseId": SOURCE_ROOT}
    return {"uri": source.uri}


def _service(rule: Rule) -> str:
    """The rule's service, from its module (`tap.rules.s3` → `s3`, `lambda_` → `lambda`)."""
    return rule.check.__module__.rsplit(".", 1)[-1].rstrip("_")
