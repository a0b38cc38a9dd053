"""Reading stack files and `pulumi.Config`, and loading a project's stacks together."""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from tap.config import ConfigError, ConfigReadError, load_project
from tap.config.loading import (
    from_pulumi,
    parse_environment,
    read_stack_file,
    to_pulumi_config,
)
from tap.facts.markers import SECRET_MARK
from tests.support.paths import STACKS

from .conftest import shipped_settings

Settings = dict[str, Any]


@pytest.fixture
def pulumi_config() -> Iterator[None]:
    """Leaves pulumi's process-wide config empty after the test."""
    pulumi.runtime.set_all_config({})
    yield
    pulumi.runtime.set_all_config({})


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- read_stack_file -------------------------------------------------------------------


def test_stack_file_yields_stack_name_and_tap_settings_only(tmp_path: Path) -> None:
    path = write(
        tmp_path / "Pulumi.qa.yaml",
        "config:\n  tap:region: eu-west-1\n  aws:region: eu-west-1\n  tap:tags: {a: b}\n",
    )

    stack_file = read_stack_file(path)

    assert stack_file.stack == "qa"
    assert stack_file.path == path
    assert stack_file.settings == {"region": "eu-west-1", "tags": {"a": "b"}}
    assert stack_file.other_keys == ("aws:region",)


def test_secure_values_become_a_placeholder(tmp_path: Path) -> None:
    path = write(
        tmp_path / "Pulumi.qa.yaml",
        "config:\n  tap:externalId:\n    secure: v1:abc123==\n",
    )

    assert read_stack_file(path).settings == {"externalId": SECRET_MARK}
    assert SECRET_MARK == "[secret]"


def test_mapping_with_more_than_secure_is_kept_as_is(tmp_path: Path) -> None:
    path = write(tmp_path / "Pulumi.qa.yaml", "config:\n  tap:x:\n    secure: a\n    b: c\n")

    assert read_stack_file(path).settings == {"x": {"secure": "a", "b": "c"}}


def test_empty_stack_file_has_no_settings(tmp_path: Path) -> None:
    stack_file = read_stack_file(write(tmp_path / "Pulumi.qa.yaml", ""))

    assert stack_file.settings == {}
    assert stack_file.other_keys == ()


def test_missing_stack_file_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.qa.yaml"

    with pytest.raises(ConfigReadError) as caught:
        read_stack_file(path)

    assert str(caught.value) == f"{path}: cannot read: No such file or directory"


def test_unreadable_stack_file_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.qa.yaml"
    path.mkdir()

    with pytest.raises(ConfigReadError) as caught:
        read_stack_file(path)

    assert str(caught.value) == f"{path}: cannot read: Is a directory"


def test_stack_file_without_read_permission_is_a_read_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root reads files whatever their mode, so the OS's refusal is simulated."""
    path = write(tmp_path / "Pulumi.qa.yaml", "config: {}\n")

    real_open = os.open

    def refuse(file: object, *args: object, **kwargs: object) -> int:
        if Path(str(file)) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)

    with pytest.raises(ConfigReadError, match="cannot read: Permission denied"):
        read_stack_file(path)


def test_invalid_yaml_is_a_read_error_with_its_position(tmp_path: Path) -> None:
    path = write(tmp_path / "Pulumi.qa.yaml", "config:\n  tap:region: [us-east-1\n")

    with pytest.raises(ConfigReadError) as caught:
        read_stack_file(path)

    assert str(caught.value) == (
        f"{path}: not valid YAML at line 3, column 1: expected ',' or ']', but got '<stream end>'"
    )


def test_a_repeated_key_is_a_read_error_not_a_silent_override(tmp_path: Path) -> None:
    text = "config:\n  tap:production: false\n  tap:region: us-east-1\n  tap:production: true\n"
    path = write(tmp_path / "Pulumi.prod.yaml", text)

    with pytest.raises(ConfigReadError) as caught:
        read_stack_file(path)

    assert str(caught.value) == (
        f"{path}: not valid YAML at line 4, column 3: key 'tap:production' is repeated "
        "(first at line 2)"
    )


def test_a_repeated_key_in_a_nested_mapping_is_refused_too(tmp_path: Path) -> None:
    text = "config:\n  tap:processor:\n    memoryMb: 256\n    memoryMb: 512\n"
    path = write(tmp_path / "Pulumi.qa.yaml", text)

    with pytest.raises(ConfigReadError, match="key 'memoryMb' is repeated"):
        read_stack_file(path)


def test_a_merge_key_may_be_overridden_without_counting_as_a_repeat(tmp_path: Path) -> None:
    text = (
        "defaults: &defaults\n  memoryMb: 256\n  timeoutSeconds: 30\n"
        "config:\n  tap:processor:\n    <<: *defaults\n    memoryMb: 512\n"
    )
    path = write(tmp_path / "Pulumi.qa.yaml", text)

    assert read_stack_file(path).settings["processor"] == {"memoryMb": 512, "timeoutSeconds": 30}


def test_the_same_key_in_sibling_mappings_is_fine(tmp_path: Path) -> None:
    text = "config:\n  tap:buckets:\n    - name: a\n    - name: b\n"
    path = write(tmp_path / "Pulumi.qa.yaml", text)

    assert read_stack_file(path).settings["buckets"] == [{"name": "a"}, {"name": "b"}]


def test_non_mapping_document_is_a_read_error(tmp_path: Path) -> None:
    path = write(tmp_path / "Pulumi.qa.yaml", "- tap:region\n- us-east-1\n")

    with pytest.raises(ConfigReadError) as caught:
        read_stack_file(path)

    assert str(caught.value) == f"{path}: expected a mapping at the top level"


def test_non_mapping_config_section_is_a_read_error(tmp_path: Path) -> None:
    path = write(tmp_path / "Pulumi.qa.yaml", "config: [1, 2]\n")

    with pytest.raises(ConfigReadError) as caught:
        read_stack_file(path)

    assert str(caught.value) == f"{path}: 'config' must be a mapping"


# --- pulumi config round trip ----------------------------------------------------------


def test_pulumi_config_uses_full_keys_and_json_for_structures(dev_settings: Settings) -> None:
    config = to_pulumi_config(dev_settings)

    assert config["tap:accountId"] == "111122223333"
    assert config["tap:environment"] == "dev"
    assert json.loads(config["tap:tags"]) == {"team": "data-platform", "cost-center": "4711"}
    assert json.loads(config["tap:processor"])["logRetentionDays"] == 14


@pytest.mark.parametrize("stack", STACKS)
def test_program_reads_the_same_config_the_cli_validates(pulumi_config: None, stack: str) -> None:
    settings = shipped_settings(stack)
    pulumi.runtime.set_all_config(to_pulumi_config(settings))

    from_program = from_pulumi(stack)

    assert from_program == parse_environment(stack, settings)
    assert from_program.account_id == settings["accountId"]
    assert isinstance(from_program.account_id, str)


def test_numeric_looking_strings_stay_strings_through_pulumi_config(
    pulumi_config: None, dev_settings: Settings
) -> None:
    dev_settings["externalId"] = "123456"
    dev_settings["tags"]["cost-center"] = "0042"
    pulumi.runtime.set_all_config(to_pulumi_config(dev_settings))

    config = from_pulumi("dev")

    assert config.account_id == "111122223333"
    assert config.external_id == "123456"
    assert config.tags["cost-center"] == "0042"


def test_unknown_tap_key_in_pulumi_config_is_an_error(
    pulumi_config: None, dev_settings: Settings
) -> None:
    pulumi.runtime.set_all_config({**to_pulumi_config(dev_settings), "tap:regoin": "us-east-1"})

    with pytest.raises(ConfigError) as caught:
        from_pulumi("dev")

    assert [str(p) for p in caught.value.problems] == [
        "dev: regoin: unknown key; did you mean 'region'?"
    ]


def test_other_namespaces_in_pulumi_config_are_ignored(
    pulumi_config: None, dev_settings: Settings
) -> None:
    pulumi.runtime.set_all_config({**to_pulumi_config(dev_settings), "aws:region": "eu-west-1"})

    assert from_pulumi("dev").region == "us-east-1"


def test_invalid_pulumi_config_reports_every_problem(
    pulumi_config: None, dev_settings: Settings
) -> None:
    dev_settings["region"] = "us-wset-2"
    dev_settings["processor"]["logRetentionDays"] = 13
    pulumi.runtime.set_all_config(to_pulumi_config(dev_settings))

    with pytest.raises(ConfigError) as caught:
        from_pulumi("dev")

    assert [p.path for p in caught.value.problems] == ["processor.logRetentionDays", "region"]


# --- load_project ---------------------------------------------------------


def test_shipped_project_loads_every_stack_without_problems(repo_root: Path) -> None:
    project = load_project(repo_root)

    assert project.name == "tap"
    assert sorted(project.files) == ["dev", "prod", "staging"]
    assert sorted(project.configs) == ["dev", "prod", "staging"]
    assert project.problems == []


def test_problems_in_several_stacks_are_collected_together(stack_dir: Path) -> None:
    dev = stack_dir / "Pulumi.dev.yaml"
    dev.write_text(
        dev.read_text().replace("us-east-1", "us-wset-2").replace("Days: 14\n", "Days: 13\n")
    )
    prod = stack_dir / "Pulumi.prod.yaml"
    prod.write_text(
        prod.read_text().replace("deletionProtection: true", "deletionProtection: false")
    )

    project = load_project(stack_dir)

    assert [str(p) for p in project.problems] == [
        "dev: processor.logRetentionDays: 13 is not a CloudWatch Logs retention; use one of "
        "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
        "2922, 3288, 3653",
        "dev: region: 'us-wset-2' is not an AWS region code (e.g. us-east-1, eu-west-2)",
        "prod: table.deletionProtection: must be true in production",
    ]
    assert sorted(project.configs) == ["staging"]


def test_project_without_pulumi_yaml_is_a_read_error(stack_dir: Path) -> None:
    (stack_dir / "Pulumi.yaml").unlink()

    with pytest.raises(ConfigReadError) as caught:
        load_project(stack_dir)

    assert (
        str(caught.value) == f"{stack_dir / 'Pulumi.yaml'}: cannot read: No such file or directory"
    )


def test_pulumi_yaml_without_a_name_is_a_read_error(stack_dir: Path) -> None:
    write(stack_dir / "Pulumi.yaml", "runtime: python\n")

    with pytest.raises(ConfigReadError) as caught:
        load_project(stack_dir)

    assert str(caught.value) == f"{stack_dir / 'Pulumi.yaml'}: needs a 'name'"


def test_project_without_stack_files_is_a_read_error(tmp_path: Path) -> None:
    write(tmp_path / "Pulumi.yaml", "name: tap\n")

    with pytest.raises(ConfigReadError) as caught:
        load_project(tmp_path)

    assert str(caught.value) == f"{tmp_path}: no Pulumi.<stack>.yaml files"


def test_a_value_yaml_versions_read_differently_is_its_fields_only_problem(
    stack_dir: Path,
) -> None:
    """`no` would also break 'must be true in production'; one line per field says it better."""
    prod = stack_dir / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("deletionProtection: true", "deletionProtection: no"))

    project = load_project(stack_dir)

    assert [str(p) for p in project.problems] == [
        "prod: table.deletionProtection: no is read as false by YAML 1.1 but as the string 'no' "
        "by YAML 1.2; write false, or quote it"
    ]
    assert "prod" not in project.configs


def test_values_outside_the_tap_namespace_are_not_tap_problems(tmp_path: Path) -> None:
    path = write(tmp_path / "Pulumi.qa.yaml", "config:\n  aws:skip: yes\n  tap:region: eu-west-1\n")

    assert read_stack_file(path).problems == ()
