"""`validate_project`: config problems plus the physical names every stack would claim."""

from pathlib import Path

import pytest

from tap.config import ConfigError, ConfigReadError, parse_environment
from tap.config.loading import read_stack_file
from tap.naming import name_problems
from tap.validation import load_stack, validate_project


def shipped(repo_root: Path, stack: str, **overrides: object) -> dict[str, object]:
    settings = read_stack_file(repo_root / f"Pulumi.{stack}.yaml").settings
    return {**settings, **overrides}


def test_shipped_stacks_validate_without_problems(repo_root: Path) -> None:
    project = validate_project(repo_root)

    assert project.problems == []
    assert sorted(project.configs) == ["dev", "prod", "staging"]


def test_two_stacks_of_one_environment_and_region_collide_on_every_name(
    repo_root: Path,
) -> None:
    dev = parse_environment("dev", shipped(repo_root, "dev"))

    problems = name_problems({"dev": dev, "dev-copy": dev})

    assert (
        "dev: environment: physical name 'tap-data-dev-useast1' is also produced by "
        "dev-copy" in [str(p) for p in problems]
    )
    assert (
        "dev-copy: environment: physical name 'tap-items-dev-useast1' is also produced by "
        "dev" in [str(p) for p in problems]
    )
    # Ten names, nine distinct: the function and its role share one (separate namespaces).
    names_per_stack = len({p.message for p in problems if p.stack == "dev"})
    assert names_per_stack == 9
    assert {p.path for p in problems} == {"environment"}


def test_same_environment_in_another_region_does_not_collide(repo_root: Path) -> None:
    dev = parse_environment("dev", shipped(repo_root, "dev"))
    west = parse_environment("dev", shipped(repo_root, "dev", region="us-west-2"))

    assert name_problems({"dev": dev, "dev-west": west}) == []


def test_shipped_environments_claim_disjoint_names(repo_root: Path) -> None:
    configs = {s: parse_environment(s, shipped(repo_root, s)) for s in ("dev", "staging", "prod")}

    assert name_problems(configs) == []


def test_name_prefix_that_makes_a_reserved_bucket_name_is_reported(repo_root: Path) -> None:
    dev = parse_environment("dev", shipped(repo_root, "dev", namePrefix="xn--tap"))

    assert [str(p) for p in name_problems({"dev": dev})] == [
        "dev: buckets[0].name: bucket name 'xn--tap-data-dev-useast1' must not start with "
        "the reserved prefix 'xn--'"
    ]


def test_name_problems_join_config_problems_in_one_sorted_list(stack_dir: Path) -> None:
    dev = stack_dir / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  tap:namePrefix: sthree-tap\n")
    prod = stack_dir / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("architecture: arm64", "architecture: x86_64"))

    project = validate_project(stack_dir)

    assert [str(p) for p in project.problems] == [
        "dev: buckets[0].name: bucket name 'sthree-tap-data-dev-useast1' must not start with "
        "the reserved prefix 'sthree-'",
        "dev: processor.architecture: is 'arm64' but prod has 'x86_64'; "
        "it must be identical in every environment",
        "staging: processor.architecture: is 'arm64' but prod has 'x86_64'; "
        "it must be identical in every environment",
    ]


def test_stack_copied_without_changing_environment_is_caught(stack_dir: Path) -> None:
    (stack_dir / "Pulumi.qa.yaml").write_text((stack_dir / "Pulumi.dev.yaml").read_text())

    project = validate_project(stack_dir)

    assert [str(p) for p in project.problems] == [
        "dev: accountId: 111122223333 is also used by qa; environments need separate accounts "
        "(set allowSharedAccount: true in each to share on purpose)",
        "qa: accountId: 111122223333 is also used by dev; environments need separate accounts "
        "(set allowSharedAccount: true in each to share on purpose)",
        "qa: environment: is 'dev', but the stack is named 'qa'",
    ]


# --- load_stack: how every command but validate gets a stack's config ----------------------


def test_load_stack_returns_the_named_stack(repo_root: Path) -> None:
    project, config = load_stack(repo_root, "staging")

    assert config.environment == "staging"
    assert config.region == "us-west-2"
    assert project.configs["staging"] is config


def test_load_stack_names_the_known_stacks_when_the_stack_is_unknown(repo_root: Path) -> None:
    with pytest.raises(ConfigReadError) as caught:
        load_stack(repo_root, "qa")

    assert str(caught.value) == f"no stack 'qa' in {repo_root} (stacks: dev, prod, staging)"


def test_load_stack_refuses_a_stack_whose_sibling_is_broken(stack_dir: Path) -> None:
    prod = stack_dir / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("runtime: python3.12", "runtime: python3.13"))

    with pytest.raises(ConfigError) as caught:
        load_stack(stack_dir, "dev")

    assert sorted((p.stack, p.path) for p in caught.value.problems) == [
        ("dev", "processor.runtime"),
        ("staging", "processor.runtime"),
    ]
    assert caught.value.stacks == ("dev", "prod", "staging")


def test_load_stack_refuses_what_only_the_naming_checks_find(stack_dir: Path) -> None:
    """A reserved namePrefix is valid config but makes an invalid bucket name."""
    dev = stack_dir / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text() + "  tap:namePrefix: xn--tap\n")

    with pytest.raises(ConfigError) as caught:
        load_stack(stack_dir, "staging")

    assert [str(p) for p in caught.value.problems] == [
        str(p) for p in validate_project(stack_dir).problems
    ]
    assert [p.path for p in caught.value.problems] == ["buckets[0].name"]
