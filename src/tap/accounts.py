"""Stack files for a team's own accounts (`tap init`), and the example accounts `tap validate`
warns about.

The stack files are rendered from templates shipped in the package (`tap/templates`); the
repository's own `Pulumi.<env>.yaml` are those templates rendered with AWS's documentation
account ids, the examples every command runs on offline.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from pydantic import TypeAdapter, ValidationError

from tap.config import ConfigError
from tap.config.model import AccountId, Region
from tap.errors import EXIT_USAGE, TapError
from tap.facts.accounts import DOCUMENTATION_ACCOUNT_IDS
from tap.facts.arns import partition_of

INIT_ORIGIN = (
    "Written by `tap init` for account ${account_id}, ${region}; `tap validate` checks it."
)
"""The first line of a stack file `tap init` writes."""
EXAMPLE_ORIGIN = (
    "An example: ${account_id} is an AWS documentation account id, not yours.\n"
    "# Write this file for your own accounts with `tap init` (docs/deploy.md, section 3)."
)
"""The first line of a shipped example stack file."""
_ENV_SPEC = re.compile(r"^(?P<env>[^=]+)=(?P<account>[^:]*):(?P<region>.*)$")


class InitError(TapError):
    """`tap init` was asked for something it cannot write; one line per problem."""

    exit_code = EXIT_USAGE
    prefix = "tap init"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was written")
        self.problems = problems

    def details(self) -> tuple[str, ...]:
        """One line per problem."""
        return tuple(self.problems)


@dataclass(frozen=True)
class Target:
    """Where one environment deploys: its account and primary region."""

    environment: str
    account_id: str
    region: str


def templates() -> dict[str, str]:
    """The shipped stack file templates, by environment."""
    folder = resources.files("tap") / "templates"
    return {
        entry.name.removeprefix("Pulumi.").removesuffix(".yaml"): entry.read_text("utf-8")
        for entry in folder.iterdir()
        if entry.name.startswith("Pulumi.") and entry.name.endswith(".yaml")
    }


def _problem(validator: TypeAdapter[str], value: str) -> str | None:
    """What config's own validator says of `value`, or None."""
    try:
        validator.validate_python(value)
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        return message.removesuffix(" (quote it in YAML)")
    return None


def _target_problems(target: Target, known: dict[str, str]) -> list[str]:
    """What is wrong with one target: no template, a bad or example account, a bad region."""
    problems = [
        None
        if target.environment in known
        else f"no template for '{target.environment}' (templates: {', '.join(sorted(known))})",
        _problem(TypeAdapter(AccountId), target.account_id),
        f"{target.account_id} is an AWS documentation account id, not an account of yours"
        if target.account_id in DOCUMENTATION_ACCOUNT_IDS
        else None,
        _problem(TypeAdapter(Region), target.region),
    ]
    return [p for p in problems if p]


def parse_targets(specs: list[str]) -> list[Target]:
    """`ENV=ACCOUNT:REGION` specs as targets; InitError lists every bad one."""
    known = templates()
    problems: list[str] = []
    targets: list[Target] = []
    for spec in specs:
        found = _ENV_SPEC.match(spec)
        if found is None:
            problems.append(
                f"--env {spec}: expected ENV=ACCOUNT:REGION, e.g. dev=123456789012:us-east-1"
            )
            continue
        target = Target(found["env"], found["account"], found["region"])
        problems += [f"--env {spec}: {p}" for p in _target_problems(target, known)]
        targets.append(target)
    envs = [t.environment for t in targets]
    twice = sorted({e for e in envs if envs.count(e) > 1})
    problems += [f"--env {e}: given more than once" for e in twice]
    if problems:
        raise InitError(problems)
    return targets


def replica_region(targets: list[Target], given: str | None) -> str:
    """prod's table replica region: `given`, else staging's region; never prod's own."""
    by_env = {t.environment: t for t in targets}
    prod = by_env.get("prod")
    if prod is None:
        return given or ""
    region = given or (by_env["staging"].region if "staging" in by_env else None)
    if region is None:
        raise InitError(["prod needs --replica-region (no staging to replicate into)"])
    if (problem := _problem(TypeAdapter(Region), region)) is not None:
        raise InitError([f"--replica-region {region}: {problem}"])
    if region == prod.region:
        raise InitError(
            [f"prod's replica region {region} is its own region: pass --replica-region"]
        )
    return region


def render(template: str, target: Target, replica: str, origin: str = INIT_ORIGIN) -> str:
    """One stack file: the template with the target's account, region and partition."""
    values = {
        "account_id": target.account_id,
        "region": target.region,
        "partition": partition_of(target.region),
        "replica_region": replica,
    }
    return Template(template).substitute(values, origin=Template(origin).substitute(values))


def write_stack_files(
    project: Path, targets: list[Target], *, replica: str | None = None, force: bool = False
) -> list[Path]:
    """Write each target's `Pulumi.<env>.yaml` into `project`, once the project would validate
    with them; InitError (nothing written) for an existing file without `force`, or for problems
    `tap validate` would report."""
    known = templates()
    region = replica_region(targets, replica)
    files = {
        project / f"Pulumi.{t.environment}.yaml": render(known[t.environment], t, region)
        for t in targets
    }
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise InitError([f"{p} exists; pass --force to replace it" for p in existing])
    _validate_with(project, files)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


def _validate_with(project: Path, files: dict[Path, str]) -> None:
    """Validate `project` as it would be with `files` written, in a scratch copy."""
    from tap.validation import validate_project

    with tempfile.TemporaryDirectory(prefix="tap-init-") as scratch:
        for source in project.glob("Pulumi.*"):
            shutil.copyfile(source, Path(scratch) / source.name)
        if not (project / "Pulumi.yaml").exists():
            raise InitError([f"{project} holds no Pulumi.yaml: run tap init in the project"])
        for path, text in files.items():
            (Path(scratch) / path.name).write_text(text, encoding="utf-8")
        found = validate_project(Path(scratch))
        if found.problems:
            raise ConfigError(found.problems, tuple(found.files))


def example_accounts(configs: dict[str, str]) -> dict[str, str]:
    """{stack: account id} for the stacks whose account is one of AWS's documentation ids."""
    return {s: a for s, a in sorted(configs.items()) if a in DOCUMENTATION_ACCOUNT_IDS}
