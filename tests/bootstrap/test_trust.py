"""The deploy role's trust is narrow: only the right repository's environment, or the named
principal with the external id, or the role re-assuming itself.

Judged by both IAM evaluators `tap local`'s access proof uses (principalmapper and
lambda-preflight; a call is allowed only when both allow it, and they must agree). Neither
matches a statement's Principal, so `caller_may_assume` first keeps the statements whose
Principal admits the caller, as IAM does for the exact principals this trust names (a
federated provider ARN, a role ARN, an account root admitting that account's principals).
What only a real account can show: that STS puts these claims into the request context as
GitHub documents them, and that the OIDC provider's issuer is GitHub's.
"""

from __future__ import annotations

from typing import Any

import pytest

from tap.bootstrap.errors import BootstrapError
from tap.bootstrap.trust import (
    GitHubOidcTrust,
    PrincipalTrust,
    oidc_provider_arn,
    trust_policy,
)
from tap.config import EnvironmentConfig
from tap.facts.arns import parse_arn
from tap.facts.bootstrap import (
    ASSUME_ROLE,
    ASSUME_ROLE_WITH_WEB_IDENTITY,
    EXTERNAL_ID_KEY,
    GITHUB_AUD_KEY,
    GITHUB_SUB_KEY,
    PRINCIPAL_ARN_KEY,
)
from tap.local.access.evaluators import evaluators_for, judge
from tests.bootstrap.conftest import stack_config

REPO = "acme/tap"
CI_ROLE = "arn:aws:iam::210987654321:role/ci"


def _config(stack: str) -> EnvironmentConfig:
    return stack_config(stack)


def _admits(statement: dict[str, Any], kind: str, caller: str) -> bool:
    named = statement["Principal"].get(kind)
    if named == caller:
        return True
    # An account root admits every principal of that account (its identity policy decides).
    return (
        kind == "AWS"
        and isinstance(named, str)
        and named.endswith(":root")
        and parse_arn(named).account == parse_arn(caller).account
    )


def caller_may_assume(
    document: dict[str, Any], kind: str, caller: str, action: str, context: dict[str, str]
) -> bool:
    """Both evaluators' verdict on the statements whose Principal admits `caller`."""
    admitting = [s for s in document["Statement"] if _admits(s, kind, caller)]
    if not admitting:
        return False
    kept = {"Version": document["Version"], "Statement": admitting}
    role = "arn:aws:iam::000000000000:role/any"  # trust statements name no Resource
    verdict = judge(evaluators_for([kept]), action, role, context)
    assert verdict.agreed, verdict.decisions
    return verdict.allowed


def _token(sub: str | None, aud: str | None = "sts.amazonaws.com") -> dict[str, str]:
    claims = {GITHUB_SUB_KEY: sub, GITHUB_AUD_KEY: aud}
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_a_job_in_the_repository_and_the_stacks_environment_may_assume(stack: str) -> None:
    config = _config(stack)
    document = trust_policy(config, GitHubOidcTrust(REPO))

    assert caller_may_assume(
        document,
        "Federated",
        oidc_provider_arn(config),
        ASSUME_ROLE_WITH_WEB_IDENTITY,
        _token(f"repo:{REPO}:environment:{stack}"),
    )


@pytest.mark.parametrize(
    ("case", "claims"),
    [
        ("another repository", _token("repo:acme/other:environment:prod")),
        ("a fork-like name", _token("repo:acme/tap-fork:environment:prod")),
        ("another environment", _token("repo:acme/tap:environment:staging")),
        ("an environment with a suffix", _token("repo:acme/tap:environment:prod-2")),
        ("a pull request", _token("repo:acme/tap:pull_request")),
        ("a branch ref", _token("repo:acme/tap:ref:refs/heads/main")),
        ("a tag ref", _token("repo:acme/tap:ref:refs/tags/v1")),
        ("another audience", _token("repo:acme/tap:environment:prod", aud="sts.example.com")),
        ("no audience", _token("repo:acme/tap:environment:prod", aud=None)),
        ("no subject", _token(None)),
    ],
)
def test_any_other_github_token_is_denied(case: str, claims: dict[str, str]) -> None:
    config = _config("prod")
    document = trust_policy(config, GitHubOidcTrust(REPO))

    assert not caller_may_assume(
        document, "Federated", oidc_provider_arn(config), ASSUME_ROLE_WITH_WEB_IDENTITY, claims
    ), case


def test_the_right_claims_through_another_identity_provider_are_denied() -> None:
    config = _config("prod")
    document = trust_policy(config, GitHubOidcTrust(REPO))
    other = "arn:aws:iam::777788889999:oidc-provider/gitlab.com"

    assert not caller_may_assume(
        document,
        "Federated",
        other,
        ASSUME_ROLE_WITH_WEB_IDENTITY,
        _token("repo:acme/tap:environment:prod"),
    )


def test_the_oidc_statement_allows_web_identity_only() -> None:
    config = _config("prod")
    document = trust_policy(config, GitHubOidcTrust(REPO))

    assert not caller_may_assume(
        document,
        "Federated",
        oidc_provider_arn(config),
        ASSUME_ROLE,
        _token("repo:acme/tap:environment:prod"),
    )


@pytest.mark.parametrize(
    ("external_id", "allowed"),
    [("tap-prod-deploy", True), ("tap-staging-deploy", False), ("", False), (None, False)],
)
def test_the_named_principal_needs_the_external_id(external_id: str | None, allowed: bool) -> None:
    document = trust_policy(_config("prod"), PrincipalTrust(CI_ROLE))
    context = {} if external_id is None else {EXTERNAL_ID_KEY: external_id}

    assert caller_may_assume(document, "AWS", CI_ROLE, ASSUME_ROLE, context) is allowed


def test_another_principal_with_the_external_id_is_denied() -> None:
    document = trust_policy(_config("prod"), PrincipalTrust(CI_ROLE))
    other = "arn:aws:iam::210987654321:role/other"

    assert not caller_may_assume(
        document, "AWS", other, ASSUME_ROLE, {EXTERNAL_ID_KEY: "tap-prod-deploy"}
    )


@pytest.mark.parametrize("trust", [GitHubOidcTrust(REPO), PrincipalTrust(CI_ROLE)])
def test_only_the_deploy_role_itself_may_re_assume_it(trust: Any) -> None:
    config = _config("prod")
    document = trust_policy(config, trust)
    role = config.deploy_role_arn
    same_account_other = "arn:aws:iam::777788889999:role/tap-processor-prod-useast1"
    context = {EXTERNAL_ID_KEY: "tap-prod-deploy"}

    assert caller_may_assume(
        document, "AWS", role, ASSUME_ROLE, {**context, PRINCIPAL_ARN_KEY: role}
    )
    assert not caller_may_assume(
        document,
        "AWS",
        same_account_other,
        ASSUME_ROLE,
        {**context, PRINCIPAL_ARN_KEY: same_account_other},
    )
    assert not caller_may_assume(document, "AWS", role, ASSUME_ROLE, {PRINCIPAL_ARN_KEY: role})


def test_the_principal_trust_is_refused_without_an_external_id() -> None:
    with pytest.raises(BootstrapError, match=r"needs tap:externalId in Pulumi\.dev\.yaml"):
        trust_policy(_config("dev"), PrincipalTrust(CI_ROLE))


@pytest.mark.parametrize("repo", ["acme", "acme/tap/x", "acme/t p", "", "/tap"])
def test_a_repository_that_is_not_org_slash_repo_is_refused(repo: str) -> None:
    with pytest.raises(BootstrapError, match="is not ORG/REPO"):
        GitHubOidcTrust(repo)


@pytest.mark.parametrize(
    "principal",
    ["ci", "arn:aws:s3:::bucket", "arn:aws:iam::210987654321:policy/p", "12345678901"],
)
def test_a_principal_that_is_no_iam_identity_is_refused(principal: str) -> None:
    with pytest.raises(BootstrapError, match="--principal"):
        PrincipalTrust(principal)
