"""A fake AWS provider: the ids, ARNs and computed outputs AWS would return, deterministically.

Each created type's declaration in `tap.resources` names its answer here (`RESOURCE_TYPES`);
a type without one is an error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from tap.facts import tokens
from tap.facts.arns import (
    bucket_arn,
    build_arn,
    dns_suffix_of,
    is_arn,
    parse_arn,
    partition_of,
    queue_url,
    unqualified_function_arn,
)
from tap.resources import Kind, ResourceType, of_kind
from tap.synth.errors import (
    MissingInputError,
    UnknownInputError,
    UnknownInvokeError,
    UnknownResourceTypeError,
)
from tap.synth.values import is_unknown, reveal

FIXED_TIMESTAMP: Final = "2026-01-01T00:00:00.000+0000"
STREAM_LABEL: Final = "2026-01-01T00:00:00.000"
_NAMESPACE: Final = uuid.UUID("5d1b6f4e-3c0a-4a57-9f1e-7a7d2c6b0a11")
_S3_HOSTED_ZONES: Final = {
    "us-east-1": "Z3AQBSTGFYJSTF",
    "us-east-2": "Z2O1EMRO9K5GLX",
    "us-west-1": "Z2F56UZL2M1ACD",
    "us-west-2": "Z3BJ6K6RIION7M",
    "eu-west-1": "Z1BKCTXD74EZPE",
    "eu-central-1": "Z21DNDUVLTQW6Q",
}


def stable_uuid(*parts: str) -> str:
    """A UUID that depends only on `parts`."""
    return str(uuid.uuid5(_NAMESPACE, "\0".join(parts)))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def provider_id_of(reference: str) -> str:
    """The id part of a provider reference `<provider urn>::<provider id>`."""
    return reference.rsplit("::", 1)[-1] if reference else ""


def provider_urn_of(reference: str) -> str | None:
    """The URN part of a provider reference, or None for the default provider."""
    return reference.rsplit("::", 1)[0] if reference else None


@dataclass(frozen=True)
class ResourceRequest:
    """One resource as a type's fake sees it: inputs plus where it lives."""

    type_token: str
    name: str
    inputs: Mapping[str, Any]
    account_id: str
    region: str

    @property
    def partition(self) -> str:
        """The region's partition."""
        return partition_of(self.region)

    def optional(self, key: str) -> Any:
        """An input that may be absent; unknown raises UnknownInputError."""
        value = self.inputs.get(key)
        if is_unknown(value):
            raise UnknownInputError(f"{self.type_token} {self.name}: '{key}' is not known yet")
        return value

    def text(self, key: str) -> str:
        """A required string input."""
        value = self.optional(key)
        if value is None or value == "":
            raise MissingInputError(self.type_token, self.name, key)
        return str(value)

    def physical_name(self, key: str = "name", *, suffix: str = "") -> str:
        """The input name, else `<name>-<7 hex>` like Pulumi autonaming, but deterministic."""
        given = self.optional(key)
        if given:
            return str(given)
        prefix = self.optional(f"{key}Prefix")
        stem = str(prefix) if prefix else f"{self.name}-"
        digest = _digest(self.type_token, self.name, self.account_id, self.region)
        return f"{stem}{digest[:7]}{suffix}"

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """An ARN in the request's partition, account and (unless global) region."""
        region = self.region if regional else ""
        return build_arn(self.partition, service, region, self.account_id, resource)


Computed = tuple[str, dict[str, Any]]
"""A fake's answer: the physical id and the computed outputs."""


@dataclass(frozen=True)
class FakeResourceType:
    """How to answer one resource type."""

    compute: Callable[[ResourceRequest], Computed]
    tagged: bool = False
    """Whether the type carries `tags`, so `tagsAll` includes the provider's default tags."""


def _same_as(key: str) -> Callable[[ResourceRequest], Computed]:
    def compute(request: ResourceRequest) -> Computed:
        return request.text(key), {}

    return compute


def _bucket(request: ResourceRequest) -> Computed:
    name = request.physical_name("bucket").lower()
    suffix = dns_suffix_of(request.partition)
    zone = _S3_HOSTED_ZONES.get(request.region, "Z" + _digest(request.region)[:13].upper())
    return name, {
        "bucket": name,
        "arn": bucket_arn(name, request.partition),
        "bucketDomainName": f"{name}.s3.{suffix}",
        "bucketRegionalDomainName": f"{name}.s3.{request.region}.{suffix}",
        "region": request.region,
        "hostedZoneId": zone,
    }


def _table(request: ResourceRequest) -> Computed:
    name = request.physical_name()
    arn = request.arn("dynamodb", f"table/{name}")
    computed: dict[str, Any] = {"name": name, "arn": arn}
    if request.optional("streamEnabled"):
        computed["streamArn"] = f"{arn}/stream/{STREAM_LABEL}"
        computed["streamLabel"] = STREAM_LABEL
    return name, computed


def _table_replica(request: ResourceRequest) -> Computed:
    global_arn = request.text("globalTableArn")
    parsed = parse_arn(global_arn) if is_arn(global_arn) else None
    if parsed is None or not parsed.resource.startswith("table/"):
        raise MissingInputError(request.type_token, request.name, "globalTableArn (a table ARN)")
    main_region, table_name = parsed.region, parsed.resource.removeprefix("table/")
    return f"{table_name}:{main_region}", {
        "arn": request.arn("dynamodb", f"table/{table_name}"),
        "region": request.region,
    }


def _queue(request: ResourceRequest) -> Computed:
    fifo = bool(request.optional("fifoQueue"))
    name = request.physical_name(suffix=".fifo" if fifo else "")
    url = queue_url(request.region, request.account_id, name)
    return url, {"name": name, "arn": request.arn("sqs", name), "url": url}


def _role(request: ResourceRequest) -> Computed:
    name = request.physical_name()
    path = str(request.optional("path") or "/")
    unique = "AROA" + base64.b32encode(bytes.fromhex(_digest(request.account_id, name))).decode()
    return name, {
        "name": name,
        "path": path,
        "arn": request.arn("iam", f"role{path}{name}", regional=False),
        "uniqueId": unique[:21],
        "createDate": "2026-01-01T00:00:00Z",
    }


def _role_policy(request: ResourceRequest) -> Computed:
    role = request.text("role")
    name = request.physical_name()
    return f"{role}:{name}", {"name": name}


def _log_group(request: ResourceRequest) -> Computed:
    name = request.physical_name()
    return name, {"name": name, "arn": request.arn("logs", f"log-group:{name}")}


def _invoke_arn(request: ResourceRequest, target_arn: str) -> str:
    # API Gateway's service-integration ARN: the account field names the service (lambda).
    path = f"path/2015-03-31/functions/{target_arn}/invocations"
    return build_arn(request.partition, "apigateway", request.region, "lambda", path)


def _code_hashes(code: Any) -> dict[str, Any]:
    """AWS's CodeSha256 (base64 SHA-256 of the zip) when the code is a local zip file."""
    if not isinstance(code, pulumi.FileArchive):
        return {}
    path = Path(code.path)
    if not path.is_file():
        return {}
    content = path.read_bytes()
    code_sha = base64.b64encode(hashlib.sha256(content).digest()).decode()
    return {"codeSha256": code_sha, "sourceCodeHash": code_sha, "codeSize": len(content)}


def _function(request: ResourceRequest) -> Computed:
    name = request.physical_name()
    arn = request.arn("lambda", f"function:{name}")
    version = "1" if request.optional("publish") else "$LATEST"
    computed: dict[str, Any] = {
        "name": name,
        "arn": arn,
        "invokeArn": _invoke_arn(request, arn),
        "version": version,
        "qualifiedArn": f"{arn}:{version}",
        "qualifiedInvokeArn": _invoke_arn(request, f"{arn}:{version}"),
        "lastModified": FIXED_TIMESTAMP,
        **_code_hashes(request.optional("code")),
    }
    if request.optional("sourceCodeHash"):
        computed["sourceCodeHash"] = request.optional("sourceCodeHash")
    return name, computed


def _function_arn(request: ResourceRequest, function: str) -> str:
    """A function ARN from a `functionName` input, which may be a name or an ARN."""
    if is_arn(function):
        return unqualified_function_arn(function)
    return request.arn("lambda", f"function:{function}")


def _lambda_alias(request: ResourceRequest) -> Computed:
    name = request.text("name")
    arn = f"{_function_arn(request, request.text('functionName'))}:{name}"
    return arn, {"arn": arn, "invokeArn": _invoke_arn(request, arn)}


def _permission(request: ResourceRequest) -> Computed:
    statement = request.optional("statementId")
    if not statement:
        prefix = request.optional("statementIdPrefix") or "terraform-"
        statement = f"{prefix}{_digest(request.name, request.account_id)[:26]}"
    return str(statement), {"statementId": statement}


def _invoke_config(request: ResourceRequest) -> Computed:
    function = request.text("functionName")
    qualifier = request.optional("qualifier")
    return (f"{function}:{qualifier}" if qualifier else function), {}


def _event_rule(request: ResourceRequest) -> Computed:
    name = request.physical_name()
    bus = str(request.optional("eventBusName") or "default")
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return name, {"name": name, "eventBusName": bus, "arn": request.arn("events", resource)}


def _event_target(request: ResourceRequest) -> Computed:
    rule = request.text("rule")
    target = request.optional("targetId") or f"terraform-{_digest(request.name)[:26]}"
    bus = request.optional("eventBusName")
    parts = [rule, target] if bus in (None, "", "default") else [bus, rule, target]
    return "-".join(str(p) for p in parts), {"targetId": target}


def _metric_alarm(request: ResourceRequest) -> Computed:
    name = request.physical_name()
    return name, {"name": name, "arn": request.arn("cloudwatch", f"alarm:{name}")}


def _dashboard(request: ResourceRequest) -> Computed:
    name = request.text("dashboardName")
    return name, {"dashboardArn": request.arn("cloudwatch", f"dashboard/{name}", regional=False)}


def _topic(request: ResourceRequest) -> Computed:
    fifo = bool(request.optional("fifoTopic"))
    name = request.physical_name(suffix=".fifo" if fifo else "")
    arn = request.arn("sns", name)
    return arn, {"name": name, "arn": arn, "owner": request.account_id}


def _topic_subscription(request: ResourceRequest) -> Computed:
    topic = request.text("topic")
    endpoint = str(request.optional("endpoint") or "")
    arn = f"{topic}:{stable_uuid(topic, request.text('protocol'), endpoint, request.name)}"
    return arn, {"arn": arn, "ownerId": request.account_id}


def _key_id(request: ResourceRequest, *, multi_region: bool) -> str:
    key = stable_uuid("kms-key", request.name, request.account_id, request.region)
    return f"mrk-{key.replace('-', '')}" if multi_region else key


def _kms_key(request: ResourceRequest) -> Computed:
    key_id = _key_id(request, multi_region=bool(request.optional("multiRegion")))
    return key_id, {"keyId": key_id, "arn": request.arn("kms", f"key/{key_id}")}


def _kms_replica_key(request: ResourceRequest) -> Computed:
    primary = request.text("primaryKeyArn")
    key_id = primary.rsplit("key/", 1)[-1]
    return key_id, {"keyId": key_id, "arn": request.arn("kms", f"key/{key_id}")}


def _kms_alias(request: ResourceRequest) -> Computed:
    name = request.physical_name()
    target = request.text("targetKeyId")
    target_arn = target if is_arn(target) else request.arn("kms", f"key/{target}")
    return name, {"name": name, "arn": request.arn("kms", name), "targetKeyArn": target_arn}


def _fake_of(declared: ResourceType) -> FakeResourceType:
    """The answer `declared` names: its `_<fake>` function here, or the id is one input."""
    if declared.id_input is not None:
        return FakeResourceType(_same_as(declared.id_input), tagged=declared.tagged)
    compute = globals().get(f"_{declared.fake}")
    if not callable(compute):
        raise LookupError(f"{declared.token} declares fake outputs '_{declared.fake}': none here")
    return FakeResourceType(compute, tagged=declared.tagged)


RESOURCE_TYPES: Final[Mapping[str, FakeResourceType]] = {
    declared.token: _fake_of(declared) for declared in of_kind(Kind.CREATED)
}
"""Every created type's answer, found from its declaration in `tap.resources`."""


@dataclass(frozen=True)
class ProviderSettings:
    """What a resource inherits from its explicit provider."""

    region: str | None = None
    default_tags: Mapping[str, str] | None = None
    role_arn: str | None = None
    session_name: str | None = None


def _provider_json(value: Any) -> Any:
    """Provider inputs reach the engine as strings; structured ones as JSON."""
    if isinstance(value, str) and value[:1] in "[{":
        return json.loads(value)
    return value


def _provider_settings(inputs: Mapping[str, Any]) -> ProviderSettings:
    region = inputs.get("region")
    tags = (_provider_json(inputs.get("defaultTags")) or {}).get("tags")
    roles = _provider_json(inputs.get("assumeRoles")) or []
    role = roles[0] if roles else {}
    return ProviderSettings(
        region=region if isinstance(region, str) and not is_unknown(region) else None,
        default_tags=tags,
        role_arn=role.get("roleArn"),
        session_name=role.get("sessionName"),
    )


def _tags_all(
    default_tags: Mapping[str, str], request: ResourceRequest, inputs: Mapping[str, Any]
) -> Any:
    """Provider default tags overlaid with the resource's tags, keeping secret tags secret."""
    request.optional("tags")  # unknown tags make tagsAll unknown
    tags = inputs.get("tags") or {}
    if isinstance(tags, Mapping):
        return {**default_tags, **tags}
    return tags  # a secret wrapper around the whole map: keep it opaque


class FakeAws(Mocks):
    """Answers resource registrations and invokes for one stack's account and region."""

    def __init__(self, *, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self._providers: dict[str, ProviderSettings] = {}
        self._lock = threading.Lock()

    def provider_settings(self, reference: str) -> ProviderSettings:
        """Settings of the provider behind a reference; empty for the default provider."""
        with self._lock:
            return self._providers.get(provider_id_of(reference), ProviderSettings())

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        """The id and outputs AWS would give the resource: its inputs plus computed values."""
        inputs = reveal(args.inputs)
        if args.custom is False:
            return "", {}
        if args.typ == tokens.AWS_PROVIDER:
            provider_id = stable_uuid("provider", args.name)
            with self._lock:
                self._providers[provider_id] = _provider_settings(inputs)
            return provider_id, dict(args.inputs)
        fake = RESOURCE_TYPES.get(args.typ)
        if fake is None:
            raise UnknownResourceTypeError(args.typ, args.name)
        provider = self.provider_settings(args.provider or "")
        own_region = inputs.get("region")
        region = own_region if isinstance(own_region, str) else provider.region or self.region
        request = ResourceRequest(args.typ, args.name, inputs, self.account_id, region)
        resource_id, computed = fake.compute(request)
        outputs = {**args.inputs, **computed}
        if fake.tagged:
            outputs["tagsAll"] = _tags_all(provider.default_tags or {}, request, args.inputs)
        return resource_id, outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """Answer the account, region and partition invokes; refuse any other."""
        answer = INVOKES.get(args.token)
        if answer is None:
            raise UnknownInvokeError(args.token)
        settings = self.provider_settings(args.provider or "")
        return answer(self, reveal(args.args), settings), []


def _caller_identity(
    fake: FakeAws, _args: Mapping[str, Any], provider: ProviderSettings
) -> dict[str, Any]:
    account = fake.account_id
    partition = partition_of(provider.region or fake.region)
    if provider.role_arn:
        role = provider.role_arn.rsplit("/", 1)[-1]
        session = provider.session_name or "tap-synth"
        arn = build_arn(partition, "sts", "", account, f"assumed-role/{role}/{session}")
        user_id = f"AROA{_digest(account, role)[:17].upper()}:{session}"
    else:
        arn = build_arn(partition, "iam", "", account, "user/tap-synth")
        user_id = f"AIDA{_digest(account)[:17].upper()}"
    return {"accountId": account, "arn": arn, "userId": user_id, "id": account}


def _region(fake: FakeAws, args: Mapping[str, Any], provider: ProviderSettings) -> dict[str, Any]:
    region = args.get("region") or provider.region or fake.region
    endpoint = f"ec2.{region}.{dns_suffix_of(partition_of(region))}"
    return {"region": region, "name": region, "id": region, "endpoint": endpoint}


def _partition(
    fake: FakeAws, _args: Mapping[str, Any], provider: ProviderSettings
) -> dict[str, Any]:
    partition = partition_of(provider.region or fake.region)
    suffix = dns_suffix_of(partition)
    reverse = ".".join(reversed(suffix.split(".")))
    return {
        "partition": partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": reverse,
        "id": partition,
    }


INVOKES: Final[
    dict[str, Callable[[FakeAws, Mapping[str, Any], ProviderSettings], dict[str, Any]]]
] = {
    tokens.GET_CALLER_IDENTITY: _caller_identity,
    tokens.GET_REGION: _region,
    tokens.GET_PARTITION: _partition,
}
