"""Every `tap bootstrap` template passes AWS's CloudFormation linter with nothing to report.

cfn-lint checks the template against CloudFormation's resource schemas (property names, types,
required properties, IAM policy shapes, references) for the stack's region, including its
informational checks. What only a real account can show: that CloudFormation creates it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bootstrap.conftest import TRUSTS, project_for, run_bootstrap, stack_config
from tests.support.paths import REPO_ROOT
from tests.support.shipped import STACKS

pytestmark = pytest.mark.slow  # cfn-lint loads its schemas (about 10 s) and lints 18 templates


def _lint(text: str, region: str) -> list[str]:
    from cfnlint.api import ManualArgs, lint

    matches = lint(text, config=ManualArgs(regions=[region], include_checks=["I"]))
    return [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches]


@pytest.mark.parametrize("backend", [False, True], ids=["role-only", "state-backend"])
@pytest.mark.parametrize("trust", list(TRUSTS))
@pytest.mark.parametrize("stack", STACKS)
def test_the_template_lints_clean(
    stack: str, trust: str, backend: bool, external_id_project: Path
) -> None:
    args = [*TRUSTS[trust], *(["--state-backend"] if backend else [])]
    result = run_bootstrap(project_for(stack, trust, external_id_project), stack, *args)
    assert result.exit_code == 0, result.stderr

    assert "AWS::IAM::Role" in result.stdout
    assert _lint(result.stdout, stack_config(stack).region) == []


def test_the_linter_reports_a_broken_template() -> None:
    """The check above can fail: a misspelt property is an error cfn-lint names."""
    result = run_bootstrap(REPO_ROOT, "prod", *TRUSTS["github-oidc"], "--state-backend")
    broken = result.stdout.replace("VersioningConfiguration:", "VersioningConfig:")

    [problem] = _lint(broken, "us-east-1")
    assert problem.startswith("E3002 Additional properties are not allowed ('VersioningConfig'")
