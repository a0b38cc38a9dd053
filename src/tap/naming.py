"""Every physical AWS name tap creates, computed in one place from an environment's config."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass
from enum import IntEnum

from tap.config.errors import ConfigProblem
from tap.config.model import EnvironmentConfig

_HASH_LEN = 8


class Limit(IntEnum):
    """Longest name each service accepts."""

    S3_BUCKET = 63
    LAMBDA_FUNCTION = 64
    IAM_ROLE = 64
    IAM_POLICY = 128
    SQS_QUEUE = 80
    DYNAMODB_TABLE = 255
    EVENT_RULE = 64
    SNS_TOPIC = 256
    ALARM = 255
    DASHBOARD = 255
    KMS_ALIAS = 250  # 256 minus the "alias/" prefix


_S3_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def region_token(region: str) -> str:
    """`us-east-1` becomes `useast1`: short, and still unique per region."""
    return region.replace("-", "")


def s3_bucket_name_problems(name: str) -> list[str]:
    """Every way `name` breaks the general-purpose bucket naming rules (empty when valid)."""
    problems: list[str] = []
    if not 3 <= len(name) <= Limit.S3_BUCKET:
        problems.append(f"must be 3-63 characters long, is {len(name)}")
    if not _S3_CHARS.match(name):
        problems.append(
            "must use only lowercase letters, digits, '.' and '-', "
            "and start and end with a letter or digit"
        )
    if ".." in name:
        problems.append("must not contain '..'")
    try:
        ipaddress.IPv4Address(name)
        problems.append("must not be formatted like an IP address")
    except ValueError:
        pass
    problems.extend(
        f"must not start with the reserved prefix '{p}'"
        for p in _S3_RESERVED_PREFIXES
        if name.startswith(p)
    )
    problems.extend(
        f"must not end with the reserved suffix '{s}'"
        for s in _S3_RESERVED_SUFFIXES
        if name.endswith(s)
    )
    return problems


def short_hash(text: str) -> str:
    """A stable 8-hex-digit digest, used to keep shortened names unique."""
    return hashlib.sha256(text.encode()).hexdigest()[:_HASH_LEN]


def compose(prefix: str, component: str, env: str, region: str, limit: int) -> str:
    """`<prefix>-<component>-<env>-<region>`, never repeating a token, shortened with a hash."""
    suffix = f"{env}-{region_token(region)}"
    component = _strip_repeats(component, prefix, suffix, env)
    full = "-".join(part for part in (prefix, component, suffix) if part)
    if len(full) <= limit:
        return full
    digest = short_hash(full)
    room = limit - len(prefix) - len(suffix) - len(digest) - 3
    if room >= 1:
        head = component[:room].rstrip("-.")
        return "-".join(part for part in (prefix, head, digest, suffix) if part)
    return f"{full[: limit - _HASH_LEN - 1].rstrip('-.')}-{digest}"


def _strip_repeats(component: str, prefix: str, suffix: str, env: str) -> str:
    """Drop a prefix or environment suffix the caller already put in the component."""
    while component.startswith(f"{prefix}-"):
        component = component[len(prefix) + 1 :]
    if component == prefix:
        component = ""
    for tail in (suffix, env):
        if component.endswith(f"-{tail}"):
            component = component[: -len(tail) - 1]
    return component


@dataclass(frozen=True)
class Names:
    """Physical names for one environment."""

    prefix: str
    env: str
    region: str

    @classmethod
    def of(cls, config: EnvironmentConfig) -> Names:
        """Names for `config`'s environment in its primary region."""
        return cls(prefix=config.name_prefix, env=config.environment, region=config.region)

    def _name(self, component: str, limit: Limit) -> str:
        return compose(self.prefix, component, self.env, self.region, int(limit))

    def bucket(self, logical: str) -> str:
        """The data bucket's globally unique name, e.g. `tap-data-dev-useast1`."""
        return self._name(logical, Limit.S3_BUCKET)

    @property
    def table(self) -> str:
        """The items table."""
        return self._name("items", Limit.DYNAMODB_TABLE)

    @property
    def function(self) -> str:
        """The processor function."""
        return self._name("processor", Limit.LAMBDA_FUNCTION)

    @property
    def processor_role(self) -> str:
        """The processor's execution role."""
        return self._name("processor", Limit.IAM_ROLE)

    @property
    def batch_operations_role(self) -> str:
        """The role S3 Batch Operations assumes for `tap backfill --batch-operations` jobs."""
        return self._name("batch-operations", Limit.IAM_ROLE)

    @property
    def permissions_boundary(self) -> str:
        """The managed policy every role the stack creates must carry as its boundary."""
        return self._name("boundary", Limit.IAM_POLICY)

    def pattern(self) -> str:
        """`<prefix>-*-<env>-<region>`: every composed name of this environment (IAM wildcard)."""
        return f"{self.prefix}-*-{self.env}-{region_token(self.region)}"

    @property
    def log_group(self) -> str:
        """The processor's log group, where Lambda writes by default."""
        return f"/aws/lambda/{self.function}"

    @property
    def delivery_dlq(self) -> str:
        """Queue for events EventBridge could not deliver."""
        return self._name("delivery-dlq", Limit.SQS_QUEUE)

    @property
    def processor_dlq(self) -> str:
        """Queue for processor failures after retries, and rejected events."""
        return self._name("processor-dlq", Limit.SQS_QUEUE)

    def rule(self, bucket: str, route: str) -> str:
        """The EventBridge rule of one route."""
        return self._name(f"{bucket}-{route}", Limit.EVENT_RULE)

    @property
    def alarm_topic(self) -> str:
        """SNS topic that alarms notify."""
        return self._name("alarms", Limit.SNS_TOPIC)

    def alarm(self, what: str) -> str:
        """One CloudWatch alarm."""
        return self._name(what, Limit.ALARM)

    @property
    def dashboard(self) -> str:
        """The environment's pipeline dashboard."""
        return self._name("pipeline", Limit.DASHBOARD)

    @property
    def kms_alias(self) -> str:
        """Alias of the environment's customer-managed key."""
        return "alias/" + compose(self.prefix, "", self.env, self.region, int(Limit.KMS_ALIAS))

    @property
    def state_bucket(self) -> str:
        """The Pulumi state bucket `tap bootstrap --state-backend` creates."""
        return self._name("pulumi-state", Limit.S3_BUCKET)

    @property
    def secrets_key_alias(self) -> str:
        """Alias of the key Pulumi encrypts the stack's secrets with (`awskms://`)."""
        return "alias/" + self._name("pulumi-secrets", Limit.KMS_ALIAS)

    def all(self, config: EnvironmentConfig) -> dict[str, str]:
        """Every name of `config`'s environment, keyed by what it names."""
        names = {
            "table": self.table,
            "function": self.function,
            "processorRole": self.processor_role,
            "deliveryDlq": self.delivery_dlq,
            "processorDlq": self.processor_dlq,
            "alarmTopic": self.alarm_topic,
            "dashboard": self.dashboard,
            "kmsAlias": self.kms_alias,
        }
        if config.backfill.batch_operations:
            names["batchOperationsRole"] = self.batch_operations_role
        for bucket in config.buckets:
            names[f"bucket.{bucket.name}"] = self.bucket(bucket.name)
            for route in bucket.routes:
                names[f"rule.{bucket.name}.{route.name}"] = self.rule(bucket.name, route.name)
        return names


def name_problems(configs: dict[str, EnvironmentConfig]) -> list[ConfigProblem]:
    """Invalid bucket names, and physical names two environments would both claim."""
    found: list[ConfigProblem] = []
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for stack, config in sorted(configs.items()):
        names = Names.of(config)
        for i, bucket in enumerate(config.buckets):
            physical = names.bucket(bucket.name)
            found.extend(
                ConfigProblem(stack, f"buckets[{i}].name", f"bucket name '{physical}' {problem}")
                for problem in s3_bucket_name_problems(physical)
            )
        for what, physical in names.all(config).items():
            owners[physical].append((stack, what))
    for physical, claims in sorted(owners.items()):
        stacks = sorted({stack for stack, _ in claims})
        if len(stacks) > 1:
            found.extend(
                ConfigProblem(
                    stack,
                    "environment",
                    f"physical name '{physical}' is also produced by "
                    f"{', '.join(s for s in stacks if s != stack)}",
                )
                for stack in stacks
            )
    return found
