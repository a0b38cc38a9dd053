"""`tap local --deploy-as deploy-role`: deploy the stack's graph into the emulator as its deploy
role, and show every call, provider read and created grant with both evaluators' judgement."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tap.cli.output import err, out, user_errors, write_json
from tap.errors import EXIT_FINDINGS

if TYPE_CHECKING:
    from tap.local.access.deploy_role import DeployRoleProof, JudgedDeployCall


class DeployAs(StrEnum):
    """Whose credentials `tap local` deploys the graph with."""

    OPERATOR = "operator"
    DEPLOY_ROLE = "deploy-role"


DeployAsOption = Annotated[
    DeployAs,
    typer.Option(
        "--deploy-as",
        help="operator: deploy, then push objects through (the default). deploy-role: only "
        "deploy, as the stack's deploy role (tap:deployRoleArn) holding the policy tap bootstrap "
        "grants it, and judge every call with two IAM evaluators; the object options are unused.",
    ),
]


def as_deploy_role(stack: str, project_dir: Path, *, no_cache: bool, json_output: bool) -> None:
    """Run the deploy role's proof for one stack and print it; exit 1 if anything is denied."""
    from tap.local.access.deploy_role import prove_deploy_role
    from tap.local.runner import processor_artifact
    from tap.synth.cache import synthesize_cached
    from tap.validation import validate_project

    with user_errors():
        graph, config = synthesize_cached(
            validate_project(project_dir), stack, use_cache=not no_cache
        )
        artifact = processor_artifact(graph.resources)
        err().print(f"deploying {stack} into the emulator as {config.deploy_role_arn}")
        proof = prove_deploy_role(graph.resources, config, artifact=artifact.read_bytes())
    if json_output:
        write_json(proof.to_dict())
    else:
        out().print(proof_text(proof, stack), markup=False)
    if not proof.ok:
        raise typer.Exit(EXIT_FINDINGS)


def _line(judged: JudgedDeployCall, *, with_type: bool = False) -> str:
    verdict = "allow" if judged.allowed else "DENY "
    denied_by = [name for name, allowed in judged.decisions.items() if not allowed]
    parts = [f"  {verdict}", judged.call.action, judged.call.resource]
    if with_type:
        parts.insert(1, judged.call.resource_type)
    parts += [f"{k}={v}" for k, v in judged.call.context]
    if judged.call.implied:
        parts.append("(implied)")
    if denied_by:
        parts.append(f"(denied by {', '.join(denied_by)})")
    return " ".join(parts)


def proof_text(proof: DeployRoleProof, stack: str) -> str:
    """The proof for people: every judged call, read and grant, then the verdict."""
    implied = sum(1 for j in proof.calls if j.call.implied)
    types = len({j.call.resource_type for j in proof.reads})
    rows = [
        f"stack {stack} deployed into the emulator as {proof.caller_arn}",
        f"judged by {' and '.join(proof.evaluators)}: calls and reads against the deploy "
        "policy, created grants against the permissions boundary",
        f"calls the apply made ({len(proof.calls)} distinct, {implied} implied by another):",
        *(_line(j) for j in proof.calls),
        f"provider reads ({len(proof.reads)}, for {types} resource types):",
        *(_line(j, with_type=True) for j in proof.reads),
        f"grants of the roles it created ({len(proof.role_grants)}):",
        *(_line(j) for j in proof.role_grants),
        f"not judged: {len(proof.local_only)} calls of tap local's own observer queues",
        "moto does not enforce IAM: the two evaluators are the judge of every line above",
    ]
    unbounded = any(
        j.call.action == "iam:CreateRole" and "iam:PermissionsBoundary" not in dict(j.call.context)
        for j in proof.unauthorized
    )
    if unbounded:
        rows.append(
            "a role is created without the permissions boundary: set tap:permissionsBoundaryArn "
            "(tap bootstrap creates the policy) so the program attaches it to every role"
        )
    if proof.ok:
        rows.append(f"✓ 0 unauthorized: the deploy role can deploy {stack}")
    else:
        rows.append(f"✗ {len(proof.unauthorized)} unauthorized")
    return "\n".join(rows)
