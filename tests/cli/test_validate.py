"""`tap validate`: exit codes and the exact lines a user reads."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tap.cli.app import app

runner = CliRunner()
EXAMPLES_WARNING = (
    "warning: example accounts in dev, prod, staging: 111122223333, 777788889999, "
    "444455556666 are AWS documentation account ids, not yours; write your own with tap init "
    "(docs/deploy.md)"
)


def validate(directory: Path) -> tuple[int, list[str], list[str]]:
    """Run `tap validate -C directory`; return the exit code, stdout and stderr lines."""
    result = runner.invoke(app, ["validate", "-C", str(directory)])
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_shipped_stacks_are_valid(repo_root: Path) -> None:
    code, out, err = validate(repo_root)

    assert code == 0
    assert out == ["✓ 3 stacks valid: dev, prod, staging"]
    assert err == [EXAMPLES_WARNING]


def test_strict_fails_on_the_shipped_examples_accounts(repo_root: Path) -> None:
    result = runner.invoke(app, ["validate", "--strict", "-C", str(repo_root)])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [EXAMPLES_WARNING.replace("warning:", "error:")]


def test_one_example_account_is_named_alone_and_strict_passes_without_any(
    stack_dir: Path,
) -> None:
    """GIVEN staging and prod moved to real-looking accounts, dev still on an example one"""
    for stack, old, new in (
        ("staging", "444455556666", "210987654321"),
        ("prod", "777788889999", "310987654321"),
    ):
        path = stack_dir / f"Pulumi.{stack}.yaml"
        path.write_text(path.read_text().replace(old, new))
    code, out, err = validate(stack_dir)
    assert (code, out) == (0, ["✓ 3 stacks valid: dev, prod, staging"])
    assert err == [
        "warning: example accounts in dev: 111122223333 are AWS documentation account ids, "
        "not yours; write your own with tap init (docs/deploy.md)"
    ]
    dev = stack_dir / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace("111122223333", "410987654321"))
    strict = runner.invoke(app, ["validate", "--strict", "-C", str(stack_dir)])
    assert (strict.exit_code, strict.stderr) == (0, "")


def test_copy_of_shipped_stacks_is_valid(stack_dir: Path) -> None:
    code, out, _ = validate(stack_dir)

    assert code == 0
    assert "3 stacks valid" in out[0]


def test_broken_stacks_print_one_line_per_problem_and_exit_1(stack_dir: Path) -> None:
    staging = stack_dir / "Pulumi.staging.yaml"
    edit(staging, "region: us-west-2", "region: us-wset-2")
    edit(staging, "memoryMb: 512", "memroyMb: 512")
    edit(stack_dir / "Pulumi.dev.yaml", "runtime: python3.12", "runtime: python3.13")

    code, out, err = validate(stack_dir)

    assert code == 1
    assert out == [
        "✗ dev: processor.runtime: is 'python3.13' but prod has 'python3.12'; "
        "it must be identical in every environment",
        "✗ staging: processor.memroyMb: unknown key; did you mean 'memoryMb'?",
        "✗ staging: region: 'us-wset-2' is not an AWS region code (e.g. us-east-1, eu-west-2)",
        "3 problem(s) in 2 of 3 stacks (dev, prod, staging)",
    ]
    assert not [line for line in out if line.startswith("✗ prod")]
    assert err == []


def test_production_rule_failure_is_reported_for_prod_only(stack_dir: Path) -> None:
    edit(stack_dir / "Pulumi.prod.yaml", "replicaRegions: [us-west-2]", "replicaRegions: []")

    code, out, _ = validate(stack_dir)

    assert code == 1
    assert out == [
        "✗ prod: table.replicaRegions: production needs at least one replica region other "
        "than its own region",
        "1 problem(s) in 1 of 3 stacks (dev, prod, staging)",
    ]


def test_missing_directory_is_a_one_line_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    result = runner.invoke(app, ["validate", "-C", str(missing)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {missing / 'Pulumi.yaml'}: cannot read: No such file or directory"
    ]
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_missing_pulumi_yaml_is_a_one_line_usage_error(stack_dir: Path) -> None:
    (stack_dir / "Pulumi.yaml").unlink()

    result = runner.invoke(app, ["validate", "-C", str(stack_dir)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {stack_dir / 'Pulumi.yaml'}: cannot read: No such file or directory"
    ]
    assert "Traceback" not in result.output


def test_unparseable_stack_yaml_is_a_one_line_usage_error(stack_dir: Path) -> None:
    bad = stack_dir / "Pulumi.dev.yaml"
    bad.write_text("config:\n  tap:environment: dev\n  tap:tags: {team: [x\n")

    result = runner.invoke(app, ["validate", "-C", str(stack_dir)])

    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {bad}: not valid YAML at line 4, column 1: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_directory_without_stack_files_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: tap\n")

    result = runner.invoke(app, ["validate", "-C", str(tmp_path)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {tmp_path}: no Pulumi.<stack>.yaml files"]


def test_a_stack_file_that_is_not_utf8_is_a_one_line_usage_error(stack_dir: Path) -> None:
    bad = stack_dir / "Pulumi.dev.yaml"
    size = len(bad.read_bytes())
    bad.write_bytes(bad.read_bytes() + b"\xff\xfe")

    result = runner.invoke(app, ["validate", "-C", str(stack_dir)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {bad}: not UTF-8 text (byte {size} is 0xff)"]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_pulumi_yaml_that_is_not_utf8_is_a_one_line_usage_error(stack_dir: Path) -> None:
    project = stack_dir / "Pulumi.yaml"
    project.write_bytes(b"name: t\xe9p\n")

    result = runner.invoke(app, ["validate", "-C", str(stack_dir)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {project}: not UTF-8 text (byte 7 is 0xe9)"]


def test_a_complex_mapping_key_is_a_one_line_usage_error(stack_dir: Path) -> None:
    bad = stack_dir / "Pulumi.dev.yaml"
    bad.write_text("config:\n  ? [a, b]\n  : 1\n")

    result = runner.invoke(app, ["validate", "-C", str(stack_dir)])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {bad}: not valid YAML at line 2, column 5: a mapping key must be a plain value"
    ]
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("timeoutSeconds: 30", "timeoutSeconds: 1:00",
         "processor.timeoutSeconds: 1:00 is read as 60 by YAML 1.1 but as the string '1:00' by "
         "YAML 1.2; write 60, or quote it"),
        ("memoryMb: 256", "memoryMb: 0400",
         "processor.memoryMb: 0400 is read as 256 by YAML 1.1 but as 400 by YAML 1.2; write 400, "
         "or quote it"),
        ("memoryMb: 256", "memoryMb: 0b100000000",
         "processor.memoryMb: 0b100000000 is read as 256 by YAML 1.1 but as the string "
         "'0b100000000' by YAML 1.2; write 256, or quote it"),
        ("maximumEventAgeSeconds: 3600\n    delivery",
         "maximumEventAgeSeconds: 3_600\n    delivery",
         "failureHandling.processing.maximumEventAgeSeconds: 3_600 is read as 3600 by YAML 1.1 but "
         "as the string '3_600' by YAML 1.2; write 3600, or quote it"),
        ("pointInTimeRecovery: false", "pointInTimeRecovery: no",
         "table.pointInTimeRecovery: no is read as false by YAML 1.1 but as the string 'no' by "
         "YAML 1.2; write false, or quote it"),
        ("versioning: true", "versioning: on",
         "buckets[0].versioning: on is read as true by YAML 1.1 but as the string 'on' by "
         "YAML 1.2; write true, or quote it"),
        ('cost-center: "4711"', "cost-center: 04711",
         "tags.cost-center: 04711 is read as 2505 by YAML 1.1 but as 4711 by YAML 1.2; "
         "write 4711, or quote it"),
        ("team: data-platform", "on: data-platform",
         "tags.on: on is read as true by YAML 1.1 but as the string 'on' by YAML 1.2; quote it"),
    ],
)  # fmt: skip
def test_a_value_yaml_versions_read_differently_is_one_line_at_its_path(
    stack_dir: Path, old: str, new: str, line: str
) -> None:
    edit(stack_dir / "Pulumi.dev.yaml", old, new)

    code, out, err = validate(stack_dir)

    assert code == 1
    assert out == [f"✗ dev: {line}", "1 problem(s) in 1 of 3 stacks (dev, prod, staging)"]
    assert err == []


def test_a_quoted_value_is_a_string_whatever_it_looks_like(stack_dir: Path) -> None:
    edit(stack_dir / "Pulumi.dev.yaml", "team: data-platform", "team: 'yes'")

    code, out, _ = validate(stack_dir)

    assert code == 0, out


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("reservedConcurrency: 100", "reservedConcurrency: true",
         "prod: processor.reservedConcurrency: Input should be a valid integer, not the boolean "
         "true"),
        ("memoryMb: 1024", 'memoryMb: "1024"',
         "prod: processor.memoryMb: Input should be a valid integer, not the string '1024'; "
         "write 1024 without quotes"),
        ("production: true", "production: 1",
         "prod: production: Input should be a valid boolean, not the number 1; write true or "
         "false"),
        ('cost-center: "4711"', "cost-center: 4711",
         "prod: tags.cost-center: Input should be a valid string, not the number 4711; quote it"),
    ],
)  # fmt: skip
def test_a_value_of_the_wrong_type_is_one_line_not_a_silent_conversion(
    stack_dir: Path, old: str, new: str, line: str
) -> None:
    edit(stack_dir / "Pulumi.prod.yaml", old, new)

    code, out, err = validate(stack_dir)

    assert code == 1
    assert out == [f"✗ {line}", "1 problem(s) in 1 of 3 stacks (dev, prod, staging)"]
    assert err == []


def test_a_stack_with_51_tags_is_refused_in_one_line(stack_dir: Path) -> None:
    many = "".join(f"    tag-{i}: v\n" for i in range(49))
    edit(
        stack_dir / "Pulumi.dev.yaml",
        '    cost-center: "4711"\n',
        f'    cost-center: "4711"\n{many}',
    )

    code, out, _ = validate(stack_dir)

    assert code == 1
    assert out == [
        "✗ dev: tags: 54 tags with tap's own (environment, managed-by, project) are more than the "
        "50 AWS allows on a resource; keep at most 47 others",
        "1 problem(s) in 1 of 3 stacks (dev, prod, staging)",
    ]


def test_text_from_the_file_is_printed_as_written_never_as_markup(stack_dir: Path) -> None:
    edit(stack_dir / "Pulumi.dev.yaml", "team: data-platform", '"[bold]team": data-platform')

    code, out, _ = validate(stack_dir)

    assert code == 1
    assert out[0] == (
        "✗ dev: tags.[bold]team: key has '[', ']'; AWS tags allow only letters, digits, spaces "
        "and _ . : / = + - @"
    )


FAST_FORMS = {
    "no options": [],
    "-C": ["-C", "{dir}"],
    "--project-dir": ["--project-dir", "{dir}"],
    "--project-dir=": ["--project-dir={dir}"],
    "--strict": ["--strict", "-C", "{dir}"],
}


@pytest.mark.parametrize("form", FAST_FORMS)
@pytest.mark.parametrize("project", ["valid", "broken", "missing"])
def test_the_console_scripts_fast_path_prints_what_the_typer_command_prints(
    stack_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    form: str,
    project: str,
) -> None:
    """`tap validate` runs without typer (tap.cli.fastpath); typer's command must agree."""
    from tap.cli import fastpath

    directory = stack_dir
    if project == "broken":
        edit(stack_dir / "Pulumi.staging.yaml", "region: us-west-2", "region: us-wset-2")
    if project == "missing":
        directory = stack_dir / "empty"
        directory.mkdir()
    monkeypatch.chdir(directory)  # what the form without options validates
    args = ["validate", *(a.format(dir=directory) for a in FAST_FORMS[form])]

    fast_code = fastpath.dispatch(args)
    fast = capsys.readouterr()
    typed = runner.invoke(app, args)

    # --strict fails on the shipped examples' accounts
    valid = 1 if form == "--strict" else 0
    assert fast_code == typed.exit_code == {"valid": valid, "broken": 1, "missing": 2}[project]
    assert (fast.out, fast.err) == (typed.stdout, typed.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--help"],
        ["validate", "-C"],
        ["validate", "--project-dir="],
        ["validate", "-C", "a", "-C", "b"],
        ["validate", "--stack", "dev"],
        ["validate", "-C", "--help"],
        ["validate", "-C", "Pulumi.yaml"],  # a file: typer says so
        ["synth", "--stack", "dev"],
        [],
    ],
)
def test_anything_else_is_left_to_typer(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from tap.cli import fastpath

    monkeypatch.chdir(repo_root)

    assert fastpath.dispatch(args) is None


def test_the_fast_path_knows_validates_options_exactly() -> None:
    """If `tap validate` gains an option, the fast path must learn it (or it would never run)."""
    import typer.main

    from tap.cli import fastpath

    command = typer.main.get_command(app).commands["validate"]  # type: ignore[attr-defined]
    flags = {flag for param in command.params for flag in param.opts if param.name != "help"}

    assert flags == {*fastpath.PROJECT_DIR_FLAGS, fastpath.STRICT_FLAG}
