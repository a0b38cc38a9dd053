"""What the administrator runs with the template, and what the stack's owner runs after it."""

from __future__ import annotations

from tap.bootstrap.backend import Backend
from tap.bootstrap.template import BootstrapOptions
from tap.config import EnvironmentConfig
from tap.facts.bootstrap import CFN_NAMED_IAM


def cloudformation_stack_name(config: EnvironmentConfig) -> str:
    """The CloudFormation stack the bootstrap is deployed as, e.g. `tap-bootstrap-dev`."""
    return f"{config.name_prefix}-bootstrap-{config.environment}"


def deploy_command(config: EnvironmentConfig, template_file: str) -> str:
    """`aws cloudformation deploy` of the template, in the stack's account and region."""
    return (
        f"aws cloudformation deploy --template-file {template_file} "
        f"--stack-name {cloudformation_stack_name(config)} "
        f"--capabilities {CFN_NAMED_IAM} --region {config.region}"
    )


def next_steps(
    config: EnvironmentConfig, options: BootstrapOptions, template_file: str
) -> tuple[str, ...]:
    """The commands, in order: deploy the template, then (with the backend) log in and init."""
    steps = [deploy_command(config, template_file)]
    if options.state_backend:
        steps.extend(Backend.of(config).commands(config.environment))
    return tuple(steps)
