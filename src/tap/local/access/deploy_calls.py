"""Recording a deployment's calls: the IAM action, the resource ARN and the condition keys the
request sets (`iam:PermissionsBoundary`, `aws:RequestTag/...`, `iam:PassedToService`).

The data path's calls need only an action and a resource (`tap.calls`); creating resources sets
condition keys the deploy policy tests, so each call here carries its own request context.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tap.calls import PASSES_ROLE, iam_action, resource_arn
from tap.facts.arns import build_arn, is_arn, partition_of
from tap.facts.implied import REPLICA_ACTIONS, REPLICATION_ROLE, TABLE_KEY_ACTIONS
from tap.facts.principals import DYNAMODB_REPLICATION_PRINCIPAL


@dataclass(frozen=True, slots=True)
class DeployCall:
    """One call a deployment made: action, resource, and the condition keys it set."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    """Condition keys the request itself sets, as sorted (key, value) pairs."""
    resource_type: str = ""
    """The graph type whose applier or provider read made the call."""
    implied: bool = False
    """Authorised as part of another call (`IMPLIED_BY`), not a request of its own."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "action": self.action,
            "resource": self.resource,
            "context": dict(self.context),
            "resource_type": self.resource_type,
            "implied": self.implied,
        }


def _arn(service: str, region: str, account: str, resource: str, *, regional: bool = True) -> str:
    return build_arn(partition_of(region), service, region if regional else "", account, resource)


def _iam_resource(params: Mapping[str, Any], region: str, account: str) -> str | None:
    if isinstance(params.get("RoleName"), str):
        return _arn("iam", region, account, f"role/{params['RoleName']}", regional=False)
    policy = params.get("PolicyArn")
    return policy if isinstance(policy, str) else None


def _log_group(params: Mapping[str, Any], region: str, account: str) -> str | None:
    name = params.get("logGroupName")
    return _arn("logs", region, account, f"log-group:{name}") if isinstance(name, str) else None


def _event_rule(params: Mapping[str, Any], region: str, account: str) -> str | None:
    rule = params.get("Rule") or params.get("Name")
    if not isinstance(rule, str):
        return None
    return rule if is_arn(rule) else _arn("events", region, account, f"rule/{rule}")


def _topic(params: Mapping[str, Any], region: str, account: str) -> str | None:
    topic = params.get("TopicArn") or params.get("Name")
    if not isinstance(topic, str):
        return None
    return topic if is_arn(topic) else _arn("sns", region, account, topic)


def _alarm_or_dashboard(params: Mapping[str, Any], region: str, account: str) -> str | None:
    if isinstance(params.get("AlarmName"), str):
        return _arn("cloudwatch", region, account, f"alarm:{params['AlarmName']}")
    name = params.get("DashboardName")
    if not isinstance(name, str):
        return None
    return _arn("cloudwatch", region, account, f"dashboard/{name}", regional=False)


def _key_alias(params: Mapping[str, Any], region: str, account: str) -> str | None:
    alias = params.get("AliasName")
    return _arn("kms", region, account, alias) if isinstance(alias, str) else None


_NAMED: Final[Mapping[str, Callable[[Mapping[str, Any], str, str], str | None]]] = {
    "iam": _iam_resource,
    "logs": _log_group,
    "events": _event_rule,
    "sns": _topic,
    "cloudwatch": _alarm_or_dashboard,
    "kms": _key_alias,
}
"""Each service's ARN from a control-plane call's parameters, or None when none names one."""


def _named_resource(service: str, params: Mapping[str, Any], region: str, account: str) -> str:
    """Resource ARNs of the control-plane calls `tap.calls.resource_arn` does not know."""
    named = _NAMED.get(service)
    found = named(params, region, account) if named else None
    return "*" if found is None else found


def deploy_resource(service: str, params: Mapping[str, Any], region: str, account: str) -> str:
    """The ARN a deployment call acts on, from its parameters; `*` when none names one."""
    if service == "kms" and isinstance(params.get("AliasName"), str):
        return _named_resource(service, params, region, account)
    found = resource_arn(service, params, region=region, account_id=account)
    return found if found != "*" else _named_resource(service, params, region, account)


def request_context(action: str, params: Mapping[str, Any]) -> dict[str, str]:
    """The condition keys a request sets from its own parameters."""
    context: dict[str, str] = {}
    if isinstance(params.get("PermissionsBoundary"), str):
        context["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    for tag in params.get("Tags") or []:
        if isinstance(tag, Mapping):
            key = tag.get("TagKey", tag.get("Key"))
            value = tag.get("TagValue", tag.get("Value"))
            if isinstance(key, str) and isinstance(value, str):
                context[f"aws:RequestTag/{key}"] = value
    if action == "sqs:CreateQueue" and isinstance(params.get("tags"), Mapping):
        context.update({f"aws:RequestTag/{k}": str(v) for k, v in params["tags"].items()})
    return context


def _table_key(region: str, account: str, sse: object) -> list[DeployCall]:
    key = sse.get("KMSMasterKeyId") if isinstance(sse, Mapping) else None
    if not isinstance(key, str):
        return []
    arn = resource_arn("kms", {"KeyId": key}, region=region, account_id=account)
    return [DeployCall(a, arn, (), implied=True) for a in TABLE_KEY_ACTIONS]


def implied_calls(
    action: str, params: Mapping[str, Any], region: str, account: str
) -> list[DeployCall]:
    """What AWS authorises as the caller within one call: the CMK a table is encrypted with,
    what adding a replica needs in its region, the tags and region of a replicated key."""
    implied: list[DeployCall] = []
    if action in ("dynamodb:CreateTable", "dynamodb:UpdateTable"):
        implied += _table_key(region, account, params.get("SSESpecification"))
    for update in params.get("ReplicaUpdates") or [] if action == "dynamodb:UpdateTable" else []:
        create = update.get("Create") if isinstance(update, Mapping) else None
        if not isinstance(create, Mapping):
            continue
        where = str(create["RegionName"])
        table = _arn("dynamodb", where, account, f"table/{params['TableName']}")
        implied += [DeployCall(a, table, (), implied=True) for a in REPLICA_ACTIONS]
        implied += _table_key(where, account, create)
        implied.append(
            DeployCall(
                "iam:CreateServiceLinkedRole",
                _arn("iam", where, account, REPLICATION_ROLE, regional=False),
                (("iam:AWSServiceName", DYNAMODB_REPLICATION_PRINCIPAL),),
                implied=True,
            )
        )
    if action == "kms:ReplicateKey":
        tags = request_context("kms:CreateKey", params)
        context = tuple(sorted({**tags, "aws:RequestedRegion": params["ReplicaRegion"]}.items()))
        implied.append(DeployCall("kms:CreateKey", "*", context, implied=True))
    return implied


@dataclass
class DeployRecorder:
    """Records every call of the clients it is hooked to (`hook`), with the client's region."""

    account_id: str
    resource_type: str = ""
    """The graph type being applied now; set by the caller before each resource."""
    _calls: list[DeployCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, client: Any, region: str) -> None:
        """Record `client`'s calls from now on (an `Emulator.as_principal` on_client)."""

        def record(params: Mapping[str, Any], model: Any, **_: Any) -> None:
            self._record(region, params, model)

        client.meta.events.register("before-parameter-build", record)

    def _record(self, region: str, params: Mapping[str, Any], model: Any) -> None:
        service_model = model.service_model
        prefix = service_model.signing_name or service_model.endpoint_prefix
        action = iam_action(prefix, model.name)
        service = service_model.service_name
        context = request_context(action, params)
        resource = deploy_resource(service, params, region, self.account_id)
        calls = [DeployCall(action, resource, tuple(sorted(context.items())), self.resource_type)]
        if action == "kms:CreateAlias" and isinstance(params.get("TargetKeyId"), str):
            key = resource_arn("kms", {"KeyId": params["TargetKeyId"]}, region=region,
                               account_id=self.account_id)  # fmt: skip
            calls.append(DeployCall(action, key, (), self.resource_type))
        calls += [
            DeployCall(c.action, c.resource, c.context, self.resource_type, implied=True)
            for c in implied_calls(action, params, region, self.account_id)
        ]
        parameter, service_principal = PASSES_ROLE.get(action, ("", ""))
        passed = params.get(parameter)
        if isinstance(passed, str):
            pass_context = (("iam:PassedToService", service_principal),)
            calls.append(
                DeployCall("iam:PassRole", passed, pass_context, self.resource_type, implied=True)
            )
        with self._lock:
            self._calls.extend(calls)

    @property
    def calls(self) -> list[DeployCall]:
        """Every call so far, in order."""
        with self._lock:
            return list(self._calls)
