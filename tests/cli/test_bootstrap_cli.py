"""`tap bootstrap` as a user runs it: the template on stdout or in a file, the next steps on
stderr, and every refusal one line with exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.bootstrap.conftest import TRUSTS, run_bootstrap
from tests.support.paths import REPO_ROOT


def _project(directory: Path, edit: tuple[str, str] | None = None) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(REPO_ROOT / name, directory / name)
    if edit is not None:
        path = directory / "Pulumi.dev.yaml"
        text = path.read_text(encoding="utf-8")
        assert edit[0] in text
        path.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    return directory


def test_the_template_goes_to_stdout_and_the_steps_to_stderr() -> None:
    result = run_bootstrap(REPO_ROOT, "prod", *TRUSTS["github-oidc"], "--state-backend")

    assert result.exit_code == 0
    template = yaml.safe_load(result.stdout)
    assert template["Resources"]["DeployRole"]["Properties"]["RoleName"] == "tap-deployer"
    assert "--capabilities" not in result.stdout
    assert result.stderr.splitlines() == [
        "save the template as tap-bootstrap-prod.yaml; then, as an administrator of account "
        "777788889999:",
        "  aws cloudformation deploy --template-file tap-bootstrap-prod.yaml --stack-name "
        "tap-bootstrap-prod --capabilities CAPABILITY_NAMED_IAM --region us-east-1",
        "  pulumi login 's3://tap-pulumi-state-prod-useast1?region=us-east-1&awssdk=v2'",
        "  pulumi stack init prod --secrets-provider "
        "'awskms://alias/tap-pulumi-secrets-prod-useast1?region=us-east-1'",
    ]


def test_output_writes_the_file_and_json_is_the_same_template(tmp_path: Path) -> None:
    target = tmp_path / "bootstrap.json"
    written = run_bootstrap(
        REPO_ROOT, "dev", *TRUSTS["github-oidc"], "-f", "json", "-o", str(target)
    )
    shown = run_bootstrap(REPO_ROOT, "dev", *TRUSTS["github-oidc"])

    assert (written.exit_code, shown.exit_code) == (0, 0)
    assert written.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8")) == yaml.safe_load(shown.stdout)
    assert written.stderr.startswith(f"wrote {target}; then")
    assert "pulumi login" not in written.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trust", "github-oidc"], "github-oidc takes --github-repo ORG/REPO and no --principal"),
        (
            [*TRUSTS["github-oidc"], "--principal", "arn:aws:iam::210987654321:role/ci"],
            "github-oidc takes --github-repo ORG/REPO and no --principal",
        ),
        (
            [*TRUSTS["principal"], "--create-oidc-provider"],
            "principal takes --principal ARN, and no --github-repo or --create-oidc-provider",
        ),
        (["--trust", "saml"], "'saml' is not one of"),
    ],
)
def test_options_of_the_other_trust_are_usage_errors(args: list[str], message: str) -> None:
    result = run_bootstrap(REPO_ROOT, "prod", *args)

    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            TRUSTS["principal"],
            "error: cannot bootstrap: --trust principal needs tap:externalId in Pulumi.dev.yaml: "
            "a named principal assumes the deploy role only with that external id",
        ),
        (
            ["--trust", "github-oidc", "--github-repo", "acme"],
            "error: cannot bootstrap: --github-repo 'acme' is not ORG/REPO",
        ),
    ],
)
def test_what_cannot_be_rendered_is_one_line_and_exit_2(args: list[str], line: str) -> None:
    result = run_bootstrap(REPO_ROOT, "dev", *args)

    assert (result.exit_code, result.stdout, result.stderr.splitlines()) == (2, "", [line])


def test_a_deploy_role_in_another_account_is_refused_with_exit_2(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        ("arn:aws:iam::111122223333:role/tap-deployer", "arn:aws:iam::999988887777:role/x"),
    )
    result = run_bootstrap(project, "dev", *TRUSTS["github-oidc"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        "dev: deployRoleArn: is in account 999988887777, but accountId is 111122223333; "
        "a stack may only assume a role in its own account" in result.stderr
    )


def test_a_stack_without_a_boundary_key_is_refused_with_exit_2(tmp_path: Path) -> None:
    boundary = (
        "  tap:permissionsBoundaryArn: arn:aws:iam::111122223333:policy/tap-deploy-boundary\n"
    )
    project = _project(tmp_path, (boundary, ""))
    result = run_bootstrap(project, "dev", *TRUSTS["github-oidc"])

    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: cannot bootstrap: tap:permissionsBoundaryArn is not set in Pulumi.dev.yaml"
    )


def test_an_unknown_stack_is_refused_with_exit_2() -> None:
    result = run_bootstrap(REPO_ROOT, "qa", *TRUSTS["github-oidc"])

    assert result.exit_code == 2
    assert "no stack 'qa'" in result.stderr


def test_an_output_file_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "bootstrap.yaml"
    result = run_bootstrap(REPO_ROOT, "dev", *TRUSTS["github-oidc"], "-o", str(target))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {target}: No such file or directory"]
    assert result.stdout == ""
