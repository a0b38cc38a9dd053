"""Appliers for the processor: its role, log group, function, alias, async config, permissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.facts.arns import build_arn, partition_of
from tap.local.appliers.context import ApplyContext
from tap.local.appliers.values import compact, mapping, optional_int, required_str
from tap.local.graph import GraphResource


def log_group(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A CloudWatch Logs log group."""
    name = required_str(inputs, "name", resource.urn)
    logs = ctx.client("logs", inputs)
    logs.create_log_group(**compact(logGroupName=name, kmsKeyId=inputs.get("kmsKeyId")))
    retention = optional_int(inputs, "retentionInDays")
    if retention:
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
    region = logs.meta.region_name
    return {
        "id": name,
        "name": name,
        "arn": build_arn(
            partition_of(region), "logs", region, ctx.emulator.account_id, f"log-group:{name}"
        ),
    }


def role(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An IAM role."""
    name = required_str(inputs, "name", resource.urn)
    created = ctx.client("iam").create_role(
        **compact(
            RoleName=name,
            AssumeRolePolicyDocument=required_str(inputs, "assumeRolePolicy", resource.urn),
            Description=inputs.get("description"),
            Path=inputs.get("path"),
            PermissionsBoundary=inputs.get("permissionsBoundary"),
        )
    )["Role"]
    return {"id": name, "name": name, "arn": created["Arn"], "uniqueId": created["RoleId"]}


def role_policy(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """An IAM role's inline policy; `role` is the role's name (its id)."""
    role_name = required_str(inputs, "role", resource.urn)
    name = required_str(inputs, "name", resource.urn)
    ctx.client("iam").put_role_policy(
        RoleName=role_name,
        PolicyName=name,
        PolicyDocument=required_str(inputs, "policy", resource.urn),
    )
    return {"id": f"{role_name}:{name}"}


def function(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Function, with the built artifact as its code."""
    name = required_str(inputs, "name", resource.urn)
    environment = mapping(inputs, "environment").get("variables") or {}
    logging_config = mapping(inputs, "loggingConfig")
    lam = ctx.client("lambda", inputs)
    created = lam.create_function(
        **compact(
            FunctionName=name,
            Role=required_str(inputs, "role", resource.urn),
            Runtime=inputs.get("runtime"),
            Handler=inputs.get("handler"),
            Architectures=list(inputs.get("architectures") or []) or None,
            Code={"ZipFile": ctx.artifact},
            MemorySize=optional_int(inputs, "memorySize"),
            Timeout=optional_int(inputs, "timeout"),
            Publish=bool(inputs.get("publish")),
            Environment={"Variables": {str(k): str(v) for k, v in environment.items()}},
            TracingConfig=compact(Mode=mapping(inputs, "tracingConfig").get("mode")) or None,
            LoggingConfig=compact(
                LogFormat=logging_config.get("logFormat"),
                LogGroup=logging_config.get("logGroup"),
                ApplicationLogLevel=logging_config.get("applicationLogLevel"),
                SystemLogLevel=logging_config.get("systemLogLevel"),
            )
            or None,
        )
    )
    concurrency = optional_int(inputs, "reservedConcurrentExecutions")
    if concurrency is not None and concurrency >= 0:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=concurrency)
    arn = created["FunctionArn"]
    unqualified = arn.rsplit(":", 1)[0] if arn.count(":") > 6 else arn
    version = created.get("Version", "$LATEST")
    return {
        "id": name,
        "name": name,
        "arn": unqualified,
        "version": version,
        "qualifiedArn": f"{unqualified}:{version}",
    }


def alias(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A Lambda alias."""
    created = ctx.client("lambda", inputs).create_alias(
        FunctionName=required_str(inputs, "functionName", resource.urn),
        Name=required_str(inputs, "name", resource.urn),
        FunctionVersion=required_str(inputs, "functionVersion", resource.urn),
    )
    return {"id": created["AliasArn"], "arn": created["AliasArn"]}


def event_invoke_config(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A Lambda function's async invocation config (retries, destinations)."""
    destinations = mapping(inputs, "destinationConfig")
    on_failure = mapping(destinations, "onFailure").get("destination")
    on_success = mapping(destinations, "onSuccess").get("destination")
    function_name = required_str(inputs, "functionName", resource.urn)
    ctx.client("lambda", inputs).put_function_event_invoke_config(
        **compact(
            FunctionName=function_name,
            Qualifier=inputs.get("qualifier"),
            MaximumRetryAttempts=optional_int(inputs, "maximumRetryAttempts"),
            MaximumEventAgeInSeconds=optional_int(inputs, "maximumEventAgeInSeconds"),
            DestinationConfig=compact(
                OnFailure=compact(Destination=on_failure) or None,
                OnSuccess=compact(Destination=on_success) or None,
            )
            or None,
        )
    )
    qualifier = inputs.get("qualifier")
    return {"id": f"{function_name}:{qualifier}" if qualifier else function_name}


def permission(
    ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]
) -> Mapping[str, Any]:
    """A Lambda permission: a statement in the function's resource policy."""
    statement_id = inputs.get("statementId") or resource.name
    ctx.client("lambda", inputs).add_permission(
        **compact(
            FunctionName=required_str(inputs, "function", resource.urn),
            StatementId=statement_id,
            Action=required_str(inputs, "action", resource.urn),
            Principal=required_str(inputs, "principal", resource.urn),
            SourceArn=inputs.get("sourceArn"),
            SourceAccount=inputs.get("sourceAccount"),
            Qualifier=inputs.get("qualifier"),
        )
    )
    return {"id": statement_id}
