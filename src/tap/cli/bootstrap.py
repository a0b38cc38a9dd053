"""`tap bootstrap`: the per-account CloudFormation template (deploy role, trust, boundary,
and optionally the Pulumi state backend)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tap.cli import plain
from tap.cli.options import ProjectDir, StackOption
from tap.cli.output import err, user_errors
from tap.errors import EXIT_USAGE

if TYPE_CHECKING:
    from tap.bootstrap.trust import Trust


class TrustKind(StrEnum):
    """Whom the deploy role trusts."""

    GITHUB_OIDC = "github-oidc"
    PRINCIPAL = "principal"


class TemplateFormat(StrEnum):
    """How the template is written."""

    YAML = "yaml"
    JSON = "json"


def _trust(
    kind: TrustKind, github_repo: str | None, create_oidc_provider: bool, principal: str | None
) -> Trust:
    """The chosen trust; a usage error (exit 2) for options that belong to the other one."""
    from tap.bootstrap.trust import GitHubOidcTrust, PrincipalTrust

    if kind is TrustKind.GITHUB_OIDC:
        if github_repo is None or principal is not None:
            raise typer.BadParameter(
                "github-oidc takes --github-repo ORG/REPO and no --principal", param_hint="--trust"
            )
        return GitHubOidcTrust(github_repo, create_provider=create_oidc_provider)
    if principal is None or github_repo is not None or create_oidc_provider:
        raise typer.BadParameter(
            "principal takes --principal ARN, and no --github-repo or --create-oidc-provider",
            param_hint="--trust",
        )
    return PrincipalTrust(principal)


def _dump(template: dict[str, object], fmt: TemplateFormat) -> str:
    import json

    if fmt is TemplateFormat.JSON:
        return json.dumps(template, indent=2) + "\n"
    import yaml

    # Through JSON first: resources share their tags list, which YAML would write as aliases.
    plain_data = json.loads(json.dumps(template))
    return str(yaml.safe_dump(plain_data, sort_keys=False, width=1 << 16))


TrustOption = Annotated[
    TrustKind,
    typer.Option(
        "--trust",
        help="github-oidc: GitHub Actions jobs of --github-repo in the GitHub environment "
        "named after the stack; principal: --principal with tap:externalId.",
    ),
]
GitHubRepo = Annotated[
    str | None, typer.Option("--github-repo", metavar="ORG/REPO", help="The repository.")
]
CreateOidcProvider = Annotated[
    bool,
    typer.Option(
        "--create-oidc-provider",
        help="Create the account's GitHub OIDC provider too (else it must exist).",
    ),
]
PrincipalOption = Annotated[
    str | None,
    typer.Option("--principal", metavar="ARN", help="The IAM role, user or account trusted."),
]
StateBackend = Annotated[
    bool,
    typer.Option(
        "--state-backend",
        help="Add the Pulumi state bucket and the KMS key for --secrets-provider awskms://.",
    ),
]
FormatOption = Annotated[
    TemplateFormat, typer.Option("--format", "-f", help="The template's format.")
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write the template to this file."),
]


def bootstrap(
    stack: StackOption,
    trust: TrustOption,
    github_repo: GitHubRepo = None,
    create_oidc_provider: CreateOidcProvider = False,
    principal: PrincipalOption = None,
    state_backend: StateBackend = False,
    fmt: FormatOption = TemplateFormat.YAML,
    output: OutputOption = None,
    project_dir: ProjectDir = Path(),
) -> None:
    """Render the CloudFormation template an account administrator deploys once per account:
    the deploy role named by tap:deployRoleArn, its trust, the permissions boundary named by
    tap:permissionsBoundaryArn, and with --state-backend Pulumi's state bucket and secrets key."""
    from tap.bootstrap.steps import next_steps
    from tap.bootstrap.template import BootstrapOptions, render_template
    from tap.config import ConfigError
    from tap.validation import load_stack

    with user_errors():
        try:
            project, config = load_stack(project_dir, stack)
        except ConfigError as exc:
            plain.report(sys.stderr, exc)  # the lines `tap validate` prints; nothing to render
            raise typer.Exit(EXIT_USAGE) from None
        options = BootstrapOptions(
            _trust(trust, github_repo, create_oidc_provider, principal), state_backend
        )
        text = _dump(render_template(project.name, config, options), fmt)
        if output is not None:
            output.write_text(text, encoding="utf-8")
    if output is None:
        sys.stdout.write(text)
    template_file = str(output) if output else f"tap-bootstrap-{stack}.{fmt.value}"
    where = f"wrote {output}" if output else f"save the template as {template_file}"
    err().print(f"{where}; then, as an administrator of account {config.account_id}:")
    for line in next_steps(config, options, template_file):
        err().print(f"  {line}")
