"""The operator's access proof: each call a day-2 command made, judged against the operator
policy (`tap.ops.needs.operator_policy`) by the same evaluators that judge the handler's calls."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from tap.calls import PASSES_ROLE, AwsCall, CallSource
from tap.local.access.proof import AccessProof, prove_access
from tap.ops.needs import Command, operator_policy
from tap.ops.stack import StackResources

UNAUTHORISED_CALLS: Final = frozenset({"sts:GetCallerIdentity"})
"""Calls that need no permission: AWS answers them for any principal."""
DECRYPTING: Final = frozenset(
    {"sqs:ReceiveMessage", "dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem"}
)
"""Calls on a CMK-encrypted queue or table for which the service uses the key as the caller."""


def implied_decrypts(resources: StackResources, calls: Sequence[AwsCall]) -> list[AwsCall]:
    """kms:Decrypt, as the caller, for each call on the stack's CMK-encrypted table or queues.

    The key is the deployed one (`tap.ops.stack.as_deployed`, from the emulator): the graph's
    key id is made up, and a grant by alias is beyond one of the two evaluators
    (lambda-preflight cannot evaluate `ForAnyValue:`), so the proof refuses to guess.
    """
    decrypting = [c for c in calls if c.action in DECRYPTING]
    if not decrypting or resources.kms_key_alias is None:
        return []
    if resources.kms_key_arn is None:
        raise ValueError(f"prove {resources.stack} with its deployed key's ARN (as_deployed)")
    return [AwsCall("kms:Decrypt", resources.kms_key_arn, CallSource.IMPLIED) for _ in decrypting]


def request_context(calls: Sequence[AwsCall]) -> dict[str, str]:
    """The condition keys AWS sets on these requests that the operator policy tests: the
    service the calls pass a role to (`iam:PassedToService`). One proof judges one context, so
    calls that pass roles to different services are refused: prove them apart."""
    services = {PASSES_ROLE[c.action][1] for c in calls if c.action in PASSES_ROLE}
    if len(services) > 1:
        raise ValueError(f"these calls pass roles to {sorted(services)}: prove each apart")
    return {"iam:PassedToService": services.pop()} if services else {}


def prove_operator_access(
    resources: StackResources, calls: Sequence[AwsCall], commands: Iterable[Command]
) -> AccessProof:
    """Judge the calls (and the KMS use they imply) against the commands' operator policy.

    `unused` lists grants no call exercised: a need declared that the run did not show.
    """
    judged = [c for c in calls if c.action not in UNAUTHORISED_CALLS]
    return prove_access(
        [operator_policy(resources, list(commands))],
        judged,
        queue_keys={},
        runtime_calls=implied_decrypts(resources, judged),
        context=request_context(judged),
    )
