"""`tap init` writes stack files for a team's own accounts; the shipped ones are its examples."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tap.accounts import EXAMPLE_ORIGIN, Target, render, templates
from tap.cli.app import app
from tap.config import load_project
from tap.facts.accounts import DOCUMENTATION_ACCOUNT_IDS
from tests.support.paths import REPO_ROOT, STACKS

runner = CliRunner()
EXAMPLES = {
    "dev": Target("dev", "111122223333", "us-east-1"),
    "staging": Target("staging", "444455556666", "us-west-2"),
    "prod": Target("prod", "777788889999", "us-east-1"),
}
OURS = [
    "--env", "dev=210987654321:eu-west-1",
    "--env", "staging=310987654321:eu-central-1",
    "--env", "prod=410987654321:eu-west-1",
]  # fmt: skip


def init(project: Path, *args: str) -> tuple[int, list[str], list[str]]:
    result = runner.invoke(app, ["init", "-C", str(project), *args])
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def settings(path: Path) -> dict[str, object]:
    return dict(yaml.safe_load(path.read_text())["config"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stack_files_are_the_templates_with_documentation_accounts(stack: str) -> None:
    shipped = (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert shipped == render(templates()[stack], EXAMPLES[stack], "us-west-2", EXAMPLE_ORIGIN)
    assert EXAMPLES[stack].account_id in DOCUMENTATION_ACCOUNT_IDS
    assert shipped.startswith(f"# An example: {EXAMPLES[stack].account_id} is an AWS documentation")


def test_init_writes_each_environments_account_region_role_and_prods_replica(
    stack_dir: Path,
) -> None:
    code, out, err = init(stack_dir, *OURS, "--force")

    assert (code, err) == (0, [])
    assert out[:3] == [
        f"wrote {stack_dir / 'Pulumi.dev.yaml'} (210987654321, eu-west-1)",
        f"wrote {stack_dir / 'Pulumi.staging.yaml'} (310987654321, eu-central-1)",
        f"wrote {stack_dir / 'Pulumi.prod.yaml'} (410987654321, eu-west-1)",
    ]
    project = load_project(stack_dir)
    assert project.problems == []
    got = {
        s: (c.account_id, c.region, c.deploy_role_arn, c.table.replica_regions)
        for s, c in project.configs.items()
    }
    assert got == {
        "dev": ("210987654321", "eu-west-1", "arn:aws:iam::210987654321:role/tap-deployer", ()),
        "staging": (
            "310987654321", "eu-central-1", "arn:aws:iam::310987654321:role/tap-deployer", ()
        ),
        "prod": (
            "410987654321", "eu-west-1", "arn:aws:iam::410987654321:role/tap-deployer",
            ("eu-central-1",),
        ),
    }  # fmt: skip
    # AND no documentation id is left anywhere, and the result passes tap validate --strict
    text = "".join(p.read_text() for p in stack_dir.glob("Pulumi.*.yaml"))
    assert not [i for i in DOCUMENTATION_ACCOUNT_IDS if i in text]
    strict = runner.invoke(app, ["validate", "--strict", "-C", str(stack_dir)])
    assert (strict.exit_code, strict.stderr) == (0, "")
    # AND everything else is the template's: the same settings but the ones init writes
    for stack in STACKS:
        mine = settings(stack_dir / f"Pulumi.{stack}.yaml")
        example = settings(REPO_ROOT / f"Pulumi.{stack}.yaml")
        changed = {k for k in mine if mine[k] != example[k]}
        expected = {
            "tap:accountId",
            "tap:region",
            "tap:deployRoleArn",
            "tap:permissionsBoundaryArn",
        }
        assert changed == (expected | {"tap:table"} if stack == "prod" else expected)


def test_init_refuses_to_overwrite_without_force_and_writes_nothing(stack_dir: Path) -> None:
    before = {p.name: p.read_text() for p in stack_dir.glob("Pulumi.*.yaml")}

    code, out, err = init(stack_dir, *OURS)

    assert (code, out) == (2, [])
    assert err == [
        *(f"✗ {stack_dir / f'Pulumi.{s}.yaml'} exists; pass --force to replace it" for s in STACKS),
        "error: tap init: 3 problem(s); nothing was written",
    ]
    assert {p.name: p.read_text() for p in stack_dir.glob("Pulumi.*.yaml")} == before


def test_init_writes_into_a_project_without_stack_files(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    code, _out, err = init(tmp_path, *OURS)
    assert (code, err) == (0, [])
    assert sorted(p.name for p in tmp_path.glob("Pulumi.*.yaml")) == [
        "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"
    ]  # fmt: skip


BAD_INPUT = {
    "short account": (
        ["--env", "dev=12345:us-east-1"],
        "--env dev=12345:us-east-1: '12345' is not a 12-digit AWS account id",
    ),
    "unknown region": (
        ["--env", "dev=210987654321:us-east-9"],
        "--env dev=210987654321:us-east-9: 'us-east-9' is not an AWS region code "
        "(e.g. us-east-1, eu-west-2)",
    ),
    "documentation account": (
        ["--env", "dev=111122223333:us-east-1"],
        "--env dev=111122223333:us-east-1: 111122223333 is an AWS documentation account id, "
        "not an account of yours",
    ),
    "no template": (
        ["--env", "qa=210987654321:us-east-1"],
        "--env qa=210987654321:us-east-1: no template for 'qa' (templates: dev, prod, staging)",
    ),
    "not a spec": (
        ["--env", "dev"],
        "--env dev: expected ENV=ACCOUNT:REGION, e.g. dev=123456789012:us-east-1",
    ),
    "twice": (
        ["--env", "dev=210987654321:us-east-1", "--env", "dev=210987654322:us-east-1"],
        "--env dev: given more than once",
    ),
    "prod alone": (
        ["--env", "prod=410987654321:eu-west-1"],
        "prod needs --replica-region (no staging to replicate into)",
    ),
    "replica in prod's region": (
        [*OURS, "--replica-region", "eu-west-1"],
        "prod's replica region eu-west-1 is its own region: pass --replica-region",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_one_line_per_problem_exit_2_and_nothing_written(
    tmp_path: Path, case: str
) -> None:
    args, problem = BAD_INPUT[case]
    (tmp_path / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    code, out, err = init(tmp_path, *args)
    assert (code, out) == (2, [])
    assert err == [f"✗ {problem}", "error: tap init: 1 problem(s); nothing was written"]
    assert list(tmp_path.glob("Pulumi.*.yaml")) == []


def test_init_writes_nothing_the_project_would_refuse(stack_dir: Path) -> None:
    """Two environments in one account: tap validate's rule, checked before anything is written."""
    before = {p.name: p.read_text() for p in stack_dir.glob("Pulumi.*.yaml")}
    code, out, err = init(
        stack_dir,
        "--env", "dev=210987654321:eu-west-1",
        "--env", "staging=210987654321:eu-central-1",
        "--force",
    )  # fmt: skip
    assert (code, out) == (1, [])
    assert any("210987654321" in line and "account" in line for line in err), err
    assert {p.name: p.read_text() for p in stack_dir.glob("Pulumi.*.yaml")} == before
