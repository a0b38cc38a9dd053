"""Every invalid edit of the shipped stacks that the config, validation and CLI tests make, as data.

Each mutation breaks a scratch copy of the shipped project directory;
tests/cli/test_config_parity.py runs `tap validate` and the commands that load a stack on each,
and requires the same lines and the same exit code. A test that breaks the shipped stacks a new
way adds its edit here too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Settings = dict[str, Any]
Mutation = Callable[[Path], None]

NAMESPACE = "tap:"


def replace(stack: str, old: str, new: str, count: int = 1) -> Mutation:
    """Replace text in `Pulumi.<stack>.yaml` (or `Pulumi.yaml` for stack "")."""

    def mutate(directory: Path) -> None:
        path = directory / (f"Pulumi.{stack}.yaml" if stack else "Pulumi.yaml")
        text = path.read_text(encoding="utf-8")
        assert old in text, (path, old)
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    return mutate


def append(stack: str, text: str) -> Mutation:
    def mutate(directory: Path) -> None:
        path = directory / f"Pulumi.{stack}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


def write(name: str, content: str | bytes) -> Mutation:
    def mutate(directory: Path) -> None:
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return mutate


def remove(name: str) -> Mutation:
    return lambda directory: (directory / name).unlink()


def edit(stack: str, change: Callable[[Settings], object]) -> Mutation:
    """Rewrite `Pulumi.<stack>.yaml` with its `tap:` settings changed by `change`."""

    def mutate(directory: Path) -> None:
        path = directory / f"Pulumi.{stack}.yaml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        config = document["config"]
        settings = {
            k.removeprefix(NAMESPACE): v for k, v in config.items() if k.startswith(NAMESPACE)
        }
        change(settings)
        others = {k: v for k, v in config.items() if not k.startswith(NAMESPACE)}
        document["config"] = {**others, **{NAMESPACE + k: v for k, v in settings.items()}}
        path.write_text(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(directory: Path) -> None:
        for mutation in mutations:
            mutation(directory)

    return mutate


def put(path: str, value: object) -> Callable[[Settings], None]:
    """Set a dotted path (`processor.memoryMb`, `buckets.0.versioning`), creating mappings."""

    def change(settings: Settings) -> None:
        *parents, leaf = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = settings
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(part, str) else target[part]
        target[leaf] = value

    return change


def delete(path: str) -> Callable[[Settings], None]:
    def change(settings: Settings) -> None:
        *parents, leaf = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = settings
        for part in parents:
            target = target[part]
        del target[leaf]

    return change


def _copy_first_bucket(settings: Settings) -> None:
    settings["buckets"].append(copy.deepcopy(settings["buckets"][0]))


def _duplicate_first_rule(settings: Settings) -> None:
    rules = settings["buckets"][0]["lifecycleRules"]
    rules.append(dict(rules[0]))


def _share_staging_account_with_dev(settings: Settings) -> None:
    settings["accountId"] = "111122223333"
    settings["deployRoleArn"] = "arn:aws:iam::111122223333:role/tap-deployer"


def _tags(count: int) -> dict[str, str]:
    return {f"tag-{i}": "v" for i in range(count)}


def _clear(settings: Settings) -> None:
    settings.clear()


MUTATIONS: dict[str, Mutation] = {
    # tests/cli/test_validate.py
    "region typo, misspelled key and runtime drift": both(
        replace("staging", "region: us-west-2", "region: us-wset-2"),
        replace("staging", "memoryMb: 512", "memroyMb: 512"),
        replace("dev", "runtime: python3.12", "runtime: python3.13"),
    ),
    "prod without replicas": replace("prod", "replicaRegions: [us-west-2]", "replicaRegions: []"),
    "missing Pulumi.yaml": remove("Pulumi.yaml"),
    "unparseable stack yaml": write(
        "Pulumi.dev.yaml", "config:\n  tap:environment: dev\n  tap:tags: {team: [x\n"
    ),
    "stack file not UTF-8": lambda d: (d / "Pulumi.dev.yaml").write_bytes(
        (d / "Pulumi.dev.yaml").read_bytes() + b"\xff\xfe"
    ),
    "Pulumi.yaml not UTF-8": write("Pulumi.yaml", b"name: t\xe9p\n"),
    "complex mapping key": write("Pulumi.dev.yaml", "config:\n  ? [a, b]\n  : 1\n"),
    "sexagesimal timeout": replace("dev", "timeoutSeconds: 30", "timeoutSeconds: 1:00"),
    "octal memory": replace("dev", "memoryMb: 256", "memoryMb: 0400"),
    "binary memory": replace("dev", "memoryMb: 256", "memoryMb: 0b100000000"),
    "underscored age": replace(
        "dev",
        "maximumEventAgeSeconds: 3600\n    delivery",
        "maximumEventAgeSeconds: 3_600\n    delivery",
    ),
    "yaml 1.1 no": replace("dev", "pointInTimeRecovery: false", "pointInTimeRecovery: no"),
    "yaml 1.1 on": replace("dev", "versioning: true", "versioning: on"),
    "octal tag value": replace("dev", 'cost-center: "4711"', "cost-center: 04711"),
    "yaml 1.1 key": replace("dev", "team: data-platform", "on: data-platform"),
    "boolean concurrency": replace("prod", "reservedConcurrency: 100", "reservedConcurrency: true"),
    "quoted memory": replace("prod", "memoryMb: 1024", 'memoryMb: "1024"'),
    "numeric production flag": replace("prod", "production: true", "production: 1"),
    "numeric tag value": replace("prod", 'cost-center: "4711"', "cost-center: 4711"),
    "51 tags": edit("dev", lambda s: s["tags"].update(_tags(49))),
    # tests/config/test_loading.py
    "several stacks broken": both(
        lambda d: (d / "Pulumi.dev.yaml").write_text(
            (d / "Pulumi.dev.yaml")
            .read_text()
            .replace("us-east-1", "us-wset-2")
            .replace("Days: 14\n", "Days: 13\n")
        ),
        replace("prod", "deletionProtection: true", "deletionProtection: false"),
    ),
    "repeated key": append("prod", "  tap:production: false\n"),
    "repeated nested key": replace("dev", "memoryMb: 256\n", "memoryMb: 256\n    memoryMb: 512\n"),
    "not a mapping": write("Pulumi.dev.yaml", "- tap:region\n- us-east-1\n"),
    "config not a mapping": write("Pulumi.dev.yaml", "config: [1, 2]\n"),
    "invalid flow sequence": replace(
        "dev", "events: [Object Created, Object Deleted]", "events: [x"
    ),
    "sibling runtime drift": replace("prod", "runtime: python3.12", "runtime: python3.13"),
    "yaml 1.1 no in production": replace(
        "prod", "deletionProtection: true", "deletionProtection: no"
    ),
    "Pulumi.yaml without a name": write("Pulumi.yaml", "runtime: python\n"),
    "a stack file that is a directory": both(
        remove("Pulumi.dev.yaml"), lambda d: (d / "Pulumi.dev.yaml").mkdir()
    ),
    "a stack file over 1 MiB": append("dev", "# padding\n" * (1 << 17)),
    "deep nesting": append("dev", "  tap:tags: " + "[" * 5000 + "\n"),
    # tests/test_validation.py
    "reserved name prefix and architecture drift": both(
        append("dev", "  tap:namePrefix: sthree-tap\n"),
        replace("prod", "architecture: arm64", "architecture: x86_64"),
    ),
    "copied stack": lambda d: (d / "Pulumi.qa.yaml").write_text(
        (d / "Pulumi.dev.yaml").read_text()
    ),
    "reserved xn-- prefix": append("dev", "  tap:namePrefix: xn--tap\n"),
    # tests/config/test_model.py
    "unknown top-level key": edit("dev", put("regoin", "us-east-1")),
    "unknown nested key": edit("dev", put("processor.memroyMb", 512)),
    "unknown key in a list item": edit("dev", put("buckets.0.lifecycleRules.1.expirationDay", 3)),
    "unknown key without a match": edit("dev", put("table.zzz", True)),
    "misspelled region": edit("dev", put("region", "us-wset-2")),
    "misspelled replica region": edit(
        "prod", put("table.replicaRegions", ["us-west-2", "eu-wset-1"])
    ),
    **{
        f"account id {account}": edit("dev", put("accountId", account))
        for account in ("11112222333", "1111222233334", "11112222333x")
    },
    "unquoted account id": edit("dev", put("accountId", 111122223333)),
    "deploy role is a user": edit(
        "dev", put("deployRoleArn", "arn:aws:iam::111122223333:user/deployer")
    ),
    **{
        f"environment {name}": edit("dev", put("environment", name))
        for name in ("Dev", "d", "dev-1", "averyveryverylongname")
    },
    **{
        f"log retention {days}": edit("dev", put("processor.logRetentionDays", days))
        for days in (0, 2, 13, 366, 10000)
    },
    "zero reserved concurrency": edit("dev", put("processor.reservedConcurrency", 0)),
    **{
        f"alarm period {seconds}": edit("dev", put("alarms.evaluationPeriodSeconds", seconds))
        for seconds in (61, 90, 150, 10, 86460)
    },
    "lifecycle rule without an action": edit(
        "dev", lambda s: s["buckets"][0]["lifecycleRules"].append({"id": "x", "prefix": "x/"})
    ),
    "duplicate lifecycle rule ids": edit("dev", _duplicate_first_rule),
    "unknown event type": edit(
        "dev", put("buckets.0.routes", [{"name": "ingest", "events": ["Object Restored"]}])
    ),
    "invalid bucket name": edit(
        "dev", put("buckets", [{"name": "Data", "routes": [{"name": "i"}]}])
    ),
    "no buckets": edit("dev", put("buckets", [])),
    "alarm email": edit("prod", put("alarms.email", "oncall-at-example.com")),
    "short suppression reason": edit(
        "dev", put("suppressions", [{"rule": "s3-versioning", "resource": "data", "reason": "x"}])
    ),
    "no settings at all": edit("dev", _clear),
    **{
        f"lax {path} {value!r}": edit("dev", put(path, value))
        for path, value in (
            ("processor.reservedConcurrency", True),
            ("processor.memoryMb", "512"),
            ("processor.timeoutSeconds", 30.0),
            ("processor.logRetentionDays", None),
            ("failureHandling.delivery.maximumRetryAttempts", "185"),
            ("buckets.0.lifecycleRules.0.transitions.0.days", False),
            ("production", "true"),
            ("buckets.0.versioning", 1),
            ("table.pointInTimeRecovery", "yes"),
            ("kmsKey", 0),
            ("tags.cost-center", 4711),
            ("externalId", 123456),
            ("namePrefix", True),
            ("buckets.0.routes.0.prefix", 2026),
            ("table.replicaRegions", "us-west-2"),
            ("processor", "big"),
            ("tags", ["team"]),
        )
    },
    # tests/config/test_checks.py
    "role in another account": edit(
        "dev", put("deployRoleArn", "arn:aws:iam::999988887777:role/tap-deployer")
    ),
    "replica in the primary region": edit(
        "prod", put("table.replicaRegions", ["us-west-2", "us-east-1"])
    ),
    "replica only in the primary region": edit("prod", put("table.replicaRegions", ["us-east-1"])),
    "replica region twice": edit("prod", put("table.replicaRegions", ["us-west-2", "us-west-2"])),
    "production without deletion protection": edit("prod", put("table.deletionProtection", False)),
    "production without point-in-time recovery": edit(
        "prod", put("table.pointInTimeRecovery", False)
    ),
    "production without a replica": edit("prod", delete("table.replicaRegions")),
    **{
        f"{name} without the production flag": edit(
            "prod", lambda s, name=name: s.update(environment=name, production=False)
        )
        for name in ("prod", "production", "prd", "live")
    },
    "dev marked production": edit("dev", put("production", True)),
    "environment not the stack name": edit("dev", put("environment", "qa")),
    "kms bucket without a key": edit("dev", put("kmsKey", False)),
    "two buckets with one name": edit("dev", _copy_first_bucket),
    "three mistakes in one stack": edit(
        "dev",
        lambda s: (
            put("region", "us-wset-2")(s),
            put("processor.memroyMb", 512)(s),
            put("processor.logRetentionDays", 13)(s),
        ),
    ),
    "cross-field mistakes": edit(
        "prod",
        lambda s: s.update(
            environment="live",
            deployRoleArn="arn:aws:iam::111122223333:role/tap-deployer",
            kmsKey=False,
            table={**s["table"], "deletionProtection": False},
        ),
    ),
    "versioning drift": edit("staging", put("buckets.0.versioning", False)),
    "encryption drift": edit("staging", put("buckets.0.encryption.algorithm", "AES256")),
    "transition days drift": edit(
        "staging", put("buckets.0.lifecycleRules.0.transitions.1.days", 90)
    ),
    "lifecycle rule removed": edit("staging", lambda s: s["buckets"][0]["lifecycleRules"].pop()),
    "lifecycle rule prefix drift": edit(
        "staging", put("buckets.0.lifecycleRules.3.prefix", "temp/")
    ),
    "expiration days drift": edit("dev", put("buckets.0.lifecycleRules.3.expirationDays", 15)),
    "runtime drift": edit("dev", put("processor.runtime", "python3.13")),
    "architecture drift": edit("dev", put("processor.architecture", "x86_64")),
    "handler drift": edit("dev", put("processor.handler", "app.handler")),
    "drift in production": edit("prod", put("processor.runtime", "python3.13")),
    "drift without production": both(
        remove("Pulumi.prod.yaml"), edit("staging", put("processor.architecture", "x86_64"))
    ),
    "bucket missing and extra": edit("dev", put("buckets.0.name", "landing")),
    "shared account": edit("staging", _share_staging_account_with_dev),
    "shared account opted in on one side": edit(
        "staging", lambda s: (_share_staging_account_with_dev(s), s.update(allowSharedAccount=True))
    ),
    "drift in several stacks": both(
        edit(
            "dev",
            lambda s: (
                put("processor.handler", "app.handler")(s),
                put("buckets.0.versioning", False)(s),
            ),
        ),
        edit("staging", put("buckets.0.encryption.algorithm", "AES256")),
    ),
    "48 tags": edit("dev", put("tags", _tags(48))),
    "long tag key and value": edit("dev", put("tags", {"k" * 129: "v", "team": "v" * 257})),
    **{
        f"{prefix} tag prefix": edit(
            "dev", put("tags", {f"{prefix}team": "x", "team": f"{prefix}x"})
        )
        for prefix in ("aws:", "AWS:", "Aws:")
    },
    "tag characters": edit("dev", put("tags", {"cost#center": "4711", "team": "data\tplatform!"})),
    "tag with several problems": edit("dev", put("tags", {"aws:x#": "y"})),
    "empty tag key": edit("dev", put("tags", {"": "x"})),
}
