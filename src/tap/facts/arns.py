"""ARN building and parsing, partitions and endpoint domains.

`arn:<partition>:<service>:<region>:<account>:<resource>`, where the resource part may itself
hold colons (a Lambda qualifier), so it is everything after the fifth colon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

ROLE_ARN_RE: Final = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/[\w+=,.@/-]{1,512}$"
)
"""An IAM role's ARN; group 2 is its account."""
ROLE_ARN_SHAPE: Final = "arn:aws:iam::<account>:role/<name>"
POLICY_ARN_RE: Final = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):policy/[\w+=,.@/-]{1,512}$"
)
"""A customer-managed IAM policy's ARN; group 2 is its account."""
POLICY_ARN_SHAPE: Final = "arn:aws:iam::<account>:policy/<name>"


@dataclass(frozen=True)
class Arn:
    """An ARN's six fields; `str()` gives the ARN back."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        """The ARN text."""
        return build_arn(self.partition, self.service, self.region, self.account, self.resource)


def build_arn(partition: str, service: str, region: str, account: str, resource: str) -> str:
    """An ARN from its fields; global services (IAM, S3) pass an empty region or account."""
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def is_arn(text: object) -> bool:
    """Whether `text` is a string shaped like an ARN (six colon-separated fields)."""
    return isinstance(text, str) and text.startswith("arn:") and text.count(":") >= 5


def parse_arn(text: str) -> Arn:
    """The fields of an ARN; ValueError when `text` is not one."""
    if not is_arn(text):
        raise ValueError(f"'{text}' is not an ARN (arn:<partition>:<service>:...)")
    _, partition, service, region, account, resource = text.split(":", 5)
    return Arn(partition, service, region, account, resource)


def is_role_arn(text: str) -> bool:
    """Whether `text` is an IAM role's ARN (a partition, a 12-digit account, `role/<name>`)."""
    return ROLE_ARN_RE.match(text) is not None


def is_policy_arn(text: str) -> bool:
    """Whether `text` is a customer-managed IAM policy's ARN (an account, `policy/<name>`)."""
    return POLICY_ARN_RE.match(text) is not None


def iam_path_and_name(arn: str) -> tuple[str, str]:
    """(path, name) of an IAM role or policy ARN: `role/ci/deployer` is (`/ci/`, `deployer`)."""
    kind_and_path, _, name = parse_arn(arn).resource.rpartition("/")
    _, _, path = kind_and_path.partition("/")
    return (f"/{path}/" if path else "/"), name


def split_function_arn(arn: str) -> tuple[str, str | None]:
    """(function name, qualifier or None) of a Lambda function, version or alias ARN."""
    parts = parse_arn(arn).resource.split(":")
    return parts[1], (parts[2] if len(parts) > 2 else None)


def unqualified_function_arn(arn: str) -> str:
    """A Lambda function ARN without its version or alias qualifier."""
    parsed = parse_arn(arn)
    name, _ = split_function_arn(arn)
    return build_arn(
        parsed.partition, parsed.service, parsed.region, parsed.account, f"function:{name}"
    )


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    """An S3 bucket's ARN: global, so no region or account."""
    return build_arn(partition, "s3", "", "", bucket)


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def dns_suffix_of(partition: str) -> str:
    """The partition's service endpoint domain."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def queue_url(region: str, account: str, name: str) -> str:
    """An SQS queue's URL, in the endpoint domain of the region's partition."""
    return f"https://sqs.{region}.{dns_suffix_of(partition_of(region))}/{account}/{name}"


KMS_KEY_ID_RE: Final = re.compile(r"^(mrk-)?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}$")
"""A KMS key id: a UUID, or `mrk-` and 32 hex digits for a multi-Region key (moto's keep the
UUID's dashes after `mrk-`, so dashes are optional)."""


def kms_key_arn(partition: str, region: str, account: str, key_id: str) -> str:
    """A KMS key's ARN (`key_id` `*` stands for every key of the account in the region)."""
    return build_arn(partition, "kms", region, account, f"key/{key_id}")


def kms_key_id(arn: str) -> str | None:
    """The key id of a KMS key ARN, or None when `arn` is not one."""
    if not is_arn(arn):
        return None
    parsed = parse_arn(arn)
    key_id = parsed.resource.removeprefix("key/")
    if parsed.service != "kms" or key_id == parsed.resource:
        return None
    return key_id if KMS_KEY_ID_RE.match(key_id) else None
