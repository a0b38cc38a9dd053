"""The deploy role's proof: apply a stack's graph to the emulator as the deploy role, and judge
every call, and every read the terraform provider makes after a create, against its policy.

moto does not enforce IAM here (it would accept every call); the judges are the two offline
evaluators (`tap.local.access.evaluators`), as in the processor role's proof. The role, its
policy and the boundary are created in the emulator as the bootstrap would create them, the role
is assumed through moto's STS, and the graph is applied with those credentials.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tap.bootstrap.permissions import boundary_arn, boundary_policy, deploy_policy
from tap.config.model import EnvironmentConfig
from tap.facts import tokens
from tap.facts.arns import iam_path_and_name, parse_arn
from tap.facts.policies import as_list, statements
from tap.facts.provider_reads import PROVIDER_READS, UNSCOPED_ACTIONS
from tap.local.access.deploy_calls import DeployCall, DeployRecorder, deploy_resource
from tap.local.access.evaluators import Evaluator, PolicyDocument, evaluators_for, judge
from tap.local.appliers import APPLIERS, Applied, Applier, ApplyContext, apply_graph
from tap.local.appliers.context import OBSERVER_PREFIX
from tap.local.emulator import Credentials, Emulator, running_emulator
from tap.local.graph import GraphResource

DEPLOY_POLICY_NAME: Final = "tap-deploy"
"""The deploy role's inline policy in the emulator."""
SESSION_SUFFIX: Final = "deploy"


@dataclass(frozen=True, slots=True)
class JudgedDeployCall:
    """A distinct call, how often it was made, and each evaluator's decision."""

    call: DeployCall
    count: int
    decisions: dict[str, bool]

    @property
    def allowed(self) -> bool:
        """Allowed only when every evaluator allows it."""
        return all(self.decisions.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.call.to_dict(), "count": self.count, "decisions": dict(self.decisions)}


@dataclass(frozen=True, slots=True)
class DeployRoleProof:
    """Every call the apply made, every provider read, and every grant of a created role."""

    role_arn: str
    caller_arn: str
    """Who the emulator says made the calls: the assumed deploy role's session."""
    calls: tuple[JudgedDeployCall, ...]
    """The apply's calls, judged against the deploy policy."""
    reads: tuple[JudgedDeployCall, ...]
    """The provider's reads of each applied resource (`tap.facts.provider_reads`)."""
    role_grants: tuple[JudgedDeployCall, ...]
    """Each created role's grants, judged against the permissions boundary."""
    local_only: tuple[DeployCall, ...]
    """Calls of tap local's own plumbing (observer queues), which a real deploy never makes."""
    evaluators: tuple[str, ...]

    @property
    def unauthorized(self) -> tuple[JudgedDeployCall, ...]:
        """Calls, reads and grants some evaluator denies."""
        return tuple(j for j in (*self.calls, *self.reads, *self.role_grants) if not j.allowed)

    @property
    def disagreements(self) -> tuple[JudgedDeployCall, ...]:
        """Where the evaluators decided differently."""
        everything = (*self.calls, *self.reads, *self.role_grants)
        return tuple(j for j in everything if len(set(j.decisions.values())) > 1)

    @property
    def ok(self) -> bool:
        """Nothing denied."""
        return not self.unauthorized

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "role_arn": self.role_arn,
            "caller_arn": self.caller_arn,
            "evaluators": list(self.evaluators),
            "calls": [j.to_dict() for j in self.calls],
            "reads": [j.to_dict() for j in self.reads],
            "role_grants": [j.to_dict() for j in self.role_grants],
            "local_only": [c.to_dict() for c in self.local_only],
            "unauthorized": [j.to_dict() for j in self.unauthorized],
        }


def _create_deploy_role(
    emulator: Emulator, config: EnvironmentConfig, policy: PolicyDocument, boundary: PolicyDocument
) -> Credentials:
    """The boundary policy and the deploy role (trusting the emulator's caller), as the bootstrap
    creates them; then the role's temporary credentials from moto's STS."""
    iam = emulator.client("iam")
    path, name = iam_path_and_name(boundary_arn(config))
    iam.create_policy(PolicyName=name, Path=path, PolicyDocument=json.dumps(boundary))
    caller = emulator.client("sts").get_caller_identity()["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"}
        ],
    }
    path, role_name = iam_path_and_name(config.deploy_role_arn)
    iam.create_role(RoleName=role_name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=role_name, PolicyName=DEPLOY_POLICY_NAME, PolicyDocument=json.dumps(policy)
    )
    assumed = emulator.client("sts").assume_role(
        RoleArn=config.deploy_role_arn,
        RoleSessionName=f"tap-{config.environment}-{SESSION_SUFFIX}",
    )["Credentials"]
    return Credentials(assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"])


def _recorded(recorder: DeployRecorder) -> dict[str, Applier]:
    """The appliers, each telling the recorder which type it is applying."""

    def typed(type_token: str, applier: Applier) -> Applier:
        def apply(ctx: ApplyContext, resource: GraphResource, inputs: Mapping[str, Any]) -> Any:
            recorder.resource_type = type_token
            return applier(ctx, resource, inputs)

        return apply

    return {t: typed(t, a) for t, a in APPLIERS.items()}


def default_tags(resources: Sequence[GraphResource]) -> dict[str, str]:
    """The AWS provider's default tags, which the bridged provider sends with every create."""
    for resource in resources:
        if resource.type == tokens.AWS_PROVIDER:
            raw = resource.inputs.get("defaultTags")
            parsed = json.loads(raw) if isinstance(raw, str) else raw
            tags = (parsed or {}).get("tags") or {}
            return {str(k): str(v) for k, v in tags.items()}
    return {}


_READ_PARAMS: Final[Mapping[str, tuple[str, Mapping[str, str]]]] = {
    **{
        t: ("s3", {"Bucket": "bucket"})
        for t in PROVIDER_READS
        if t.startswith("aws:s3/") and t != tokens.BUCKET
    },
    tokens.QUEUE_POLICY: ("sqs", {"QueueUrl": "queueUrl"}),
    tokens.ROLE_POLICY: ("iam", {"RoleName": "role"}),
    tokens.PERMISSION: ("lambda", {"FunctionName": "function", "Qualifier": "qualifier"}),
    tokens.INVOKE_CONFIG: ("lambda", {"FunctionName": "functionName", "Qualifier": "qualifier"}),
    tokens.EVENT_TARGET: ("events", {"Rule": "rule"}),
    tokens.DASHBOARD: ("cloudwatch", {"DashboardName": "dashboardName"}),
    tokens.TOPIC_SUBSCRIPTION: ("sns", {"TopicArn": "topic"}),
    tokens.TOPIC_POLICY: ("sns", {"TopicArn": "arn"}),
    tokens.TABLE_REPLICA: ("dynamodb", {"TableName": "globalTableArn"}),
}
"""How to name what a type's reads act on, from its inputs, when its outputs hold no `arn`."""


def _read_target(applied: Applied, region: str, account: str) -> str:
    """The ARN the provider's reads of one applied resource act on."""
    service, params = _READ_PARAMS.get(applied.resource.type, ("", {}))
    if not service:
        return str(applied.outputs.get("arn") or "*")
    values = {k: applied.inputs.get(v) for k, v in params.items() if applied.inputs.get(v)}
    where = str(applied.inputs.get("region") or region)
    if applied.resource.type == tokens.TABLE_REPLICA:
        values = {"TableName": str(values["TableName"]).rsplit("/", 1)[-1]}
    return deploy_resource(service, values, where, account)


def provider_reads(ctx: ApplyContext, region: str, account: str) -> list[DeployCall]:
    """The reads the provider makes of every applied resource, as calls."""
    reads: list[DeployCall] = []
    for applied in ctx.applied.values():
        listed = PROVIDER_READS.get(applied.resource.type)
        if listed is None:
            continue
        target = _read_target(applied, region, account)
        reads += [
            DeployCall(a, "*" if a in UNSCOPED_ACTIONS else target, (), applied.resource.type)
            for a in listed.actions
        ]
    return reads


def _held_context(emulator: Emulator, resources: set[str]) -> dict[str, dict[str, str]]:
    """Condition keys AWS reads from what the emulator holds: each key's tags, each role's
    boundary; by resource ARN."""
    held: dict[str, dict[str, str]] = {}
    for arn in sorted(r for r in resources if r.startswith("arn:")):
        parsed = parse_arn(arn)
        if parsed.service == "kms" and parsed.resource.startswith("key/"):
            tags = emulator.client("kms", parsed.region).list_resource_tags(KeyId=arn)["Tags"]
            held[arn] = {f"aws:ResourceTag/{t['TagKey']}": t["TagValue"] for t in tags}
        elif parsed.service == "iam" and parsed.resource.startswith("role/"):
            iam = emulator.client("iam")
            try:
                role = iam.get_role(RoleName=parsed.resource.rsplit("/", 1)[-1])["Role"]
            except iam.exceptions.NoSuchEntityException:
                continue
            boundary = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            held[arn] = {"iam:PermissionsBoundary": boundary} if boundary else {}
    return held


def _judge_all(
    evaluators: Sequence[Evaluator],
    calls: Sequence[DeployCall],
    base: Mapping[str, str],
    held: Mapping[str, Mapping[str, str]],
) -> tuple[JudgedDeployCall, ...]:
    """Each distinct call judged with the base context, what the resource holds, and its own."""
    counts = Counter(calls)
    return tuple(
        JudgedDeployCall(
            call,
            count,
            judge(
                evaluators,
                call.action,
                call.resource,
                {**base, **held.get(call.resource, {}), **dict(call.context)},
            ).decisions,
        )
        for call, count in counts.items()
    )


def role_grants(ctx: ApplyContext) -> list[DeployCall]:
    """Every (action, resource) the created roles' inline policies grant."""
    grants: list[DeployCall] = []
    for applied in ctx.applied_of_type(tokens.ROLE_POLICY):
        for statement in statements(json.loads(str(applied.inputs["policy"]))):
            if statement.get("Effect") != "Allow":
                continue
            grants += [
                DeployCall(str(a), str(r), (), tokens.ROLE_POLICY)
                for a in as_list(statement.get("Action"))
                for r in as_list(statement.get("Resource"))
            ]
    return grants


def _is_local_only(call: DeployCall) -> bool:
    return f":{OBSERVER_PREFIX}" in call.resource


def prove_deploy_role(
    resources: Sequence[GraphResource],
    config: EnvironmentConfig,
    *,
    artifact: bytes,
    policy: PolicyDocument | None = None,
    boundary: PolicyDocument | None = None,
) -> DeployRoleProof:
    """Deploy the graph into a fresh emulator as the deploy role, and judge what it did."""
    policy = deploy_policy(config) if policy is None else policy
    boundary = boundary_policy(config) if boundary is None else boundary
    account, region = config.account_id, config.region
    with running_emulator(account_id=account, region=region) as emulator:
        recorder = DeployRecorder(account)
        credentials = _create_deploy_role(emulator, config, policy, boundary)
        caller = emulator.as_principal(credentials).client("sts").get_caller_identity()["Arn"]
        deployer = emulator.as_principal(credentials, on_client=recorder.hook)
        ctx = ApplyContext(deployer, artifact, default_tags=default_tags(resources))
        apply_graph(ctx, list(resources), appliers=_recorded(recorder))
        recorded = recorder.calls
        calls = [c for c in recorded if not _is_local_only(c)]
        reads = provider_reads(ctx, region, account)
        grants = role_grants(ctx)
        held = _held_context(emulator, {c.resource for c in (*calls, *reads, *grants)})
    base = {
        "aws:SecureTransport": "true",
        "aws:RequestedRegion": region,
        "aws:PrincipalArn": config.deploy_role_arn,
        "aws:PrincipalAccount": account,
    }
    deploy_judges = evaluators_for([policy])
    boundary_judges = evaluators_for([boundary])
    return DeployRoleProof(
        role_arn=config.deploy_role_arn,
        caller_arn=caller,
        calls=_judge_all(deploy_judges, calls, base, held),
        reads=_judge_all(deploy_judges, reads, base, held),
        role_grants=_judge_all(boundary_judges, grants, base, held),
        local_only=tuple(c for c in recorded if _is_local_only(c)),
        evaluators=tuple(e.name for e in deploy_judges),
    )


__all__ = ["DeployRoleProof", "JudgedDeployCall", "boundary_arn", "prove_deploy_role"]
