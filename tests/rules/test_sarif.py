"""The SARIF pieces alone: which stack-file line a fix points at, and a crashed rule's result."""

from __future__ import annotations

from tap.rules.engine import CRASH_FIX
from tap.rules.model import Finding, Level
from tap.rules.sarif import StackSource, config_line, sarif_result

STACK_FILE = """\
config:
  tap:environment: prod
  tap:table:
    pointInTimeRecovery: true
  tap:processor:
    reservedConcurrency: 100
"""


def test_the_line_is_that_of_the_first_key_the_fix_names_that_the_file_sets() -> None:
    assert config_line(STACK_FILE, "set tap:table.pointInTimeRecovery: true (ItemsTable)") == 3
    assert config_line(STACK_FILE, "set tap:kmsKey: true, or pass tap:processor.x") == 5


def test_a_fix_naming_no_key_the_file_sets_points_at_line_one() -> None:
    assert config_line(STACK_FILE, "set tap:kmsKey: true (EncryptionKey)") == 1
    assert config_line(STACK_FILE, "use tap.provider.build_provider") == 1


def test_a_crashed_rule_is_an_error_at_the_stack_file_with_no_resource() -> None:
    crash = Finding(
        "s3-bucket-versioned", Level.ERROR, None, "rule crashed: KeyError: 'x'", CRASH_FIX
    )

    result = sarif_result(crash, "prod", StackSource("Pulumi.prod.yaml", STACK_FILE), {})

    assert result["level"] == "error"
    assert result["message"]["text"] == "prod: (stack): rule crashed: KeyError: 'x'"
    assert "ruleIndex" not in result
    [location] = result["locations"]
    assert "logicalLocations" not in location
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "Pulumi.prod.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }
