"""The CrossGuard adapter: the tap rules as stack policies, called directly with no engine."""

import importlib.util
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tap.config import EnvironmentConfig
from tap.config.model import Suppression
from tap.facts.tokens import PUBLIC_ACCESS_BLOCK, QUEUE_POLICY
from tap.rules import TAP_PACK, Level
from tap.synth.graph import ResourceGraph
from tests.support.shipped import (
    REPO_ROOT,
    STACKS,
    context,
    edit,
    graph,
    only,
    replace,
    shipped,
    shipped_preview,
)

ADAPTER = REPO_ROOT / "policy" / "tap_policies.py"


def _load_adapter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tap_policies", ADAPTER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tap_policies = _load_adapter()


def _engine_value(value: object) -> object:
    """Graph JSON's unknown marker as the engine hands it to policies."""
    if value == "[unknown]":
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: _engine_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_value(v) for v in value]
    return value


def stack_args(g: ResourceGraph) -> StackValidationArgs:
    """What the engine would pass a stack policy for this graph."""
    providers = {
        r.urn: PolicyProviderResource(r.type, dict(r.outputs), r.urn, r.name) for r in g.providers()
    }
    by_urn: dict[str, PolicyResource] = {}
    for r in g.resources:
        options = PolicyResourceOptions(
            bool(r.options.get("protect")),
            list(r.options.get("ignoreChanges", [])),
            r.options.get("deleteBeforeReplace"),
            [],
            PolicyCustomTimeouts(0, 0, 0),
            [],
            r.parent,
        )
        props = unknown_checking_proxy(_engine_value(r.outputs))  # type: ignore[arg-type]
        provider = providers.get(r.provider) if r.provider else None
        by_urn[r.urn] = PolicyResource(
            r.type, props, r.urn, r.name, options, provider, None, [], {}
        )
    for r in g.resources:
        resource = by_urn[r.urn]
        resource.parent = by_urn.get(r.parent) if r.parent else None
        resource.dependencies = [by_urn[d] for d in r.dependencies if d in by_urn]
        resource.property_dependencies = {
            k: [by_urn[d] for d in deps if d in by_urn]
            for k, deps in r.property_dependencies.items()
        }
    return StackValidationArgs(list(by_urn.values()))


def violations(
    g: ResourceGraph,
    load_config: Callable[[str], EnvironmentConfig | None] = tap_policies.stack_config,
    policies: list[StackValidationPolicy] | None = None,
) -> list[tuple[str, str | None]]:
    """Every violation a tap policy reports for `g`: by default, every rule as a policy that
    reads the stack's config through `load_config`; or `policies`, such as the shipped pack."""
    reported: list[tuple[str, str | None]] = []
    if policies is None:
        policies = [tap_policies.stack_policy(rule, load_config) for rule in TAP_PACK]
    args = stack_args(g)
    for policy in policies:
        policy.validate(args, lambda message, urn=None: reported.append((message, urn)))
    return reported


@pytest.mark.slow  # a fresh interpreter
def test_importing_the_adapter_starts_no_server_and_constructs_no_pack() -> None:
    probe = (
        "import sys, threading\n"
        "import pulumi_policy\n"
        "def refuse(*a, **k): raise SystemExit('PolicyPack constructed on import')\n"
        "pulumi_policy.PolicyPack.__init__ = refuse\n"
        "before = threading.active_count()\n"
        f"sys.path.insert(0, {str(ADAPTER.parent)!r})\n"
        "import tap_policies\n"
        "print(threading.active_count() - before, len(tap_policies.POLICIES))\n"
    )
    # an import that served (blocked) would hit the timeout: a bound, never a measure of speed
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    new_threads, policies = map(int, done.stdout.split())
    assert new_threads == 0
    assert policies == len(TAP_PACK)


def test_main_is_the_only_place_that_constructs_the_pack() -> None:
    policy_dir = REPO_ROOT / "policy"
    constructing = [p.name for p in policy_dir.glob("*.py") if "PolicyPack(" in p.read_text()]
    assert constructing == ["__main__.py"]
    assert "name: python" in (policy_dir / "PulumiPolicy.yaml").read_text()
    requirements = (policy_dir / "requirements.txt").read_text().split()
    dev = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["dev"]
    # The pin the tests (and tap.internals' proxy adapter) ran with; tap's base, no extra.
    assert next(r for r in dev if r.startswith("pulumi-policy")) in requirements
    assert requirements[-2:] == ["-e", ".."]


def test_every_rule_is_a_policy_named_by_its_id_with_its_enforcement() -> None:
    assert [p.name for p in tap_policies.POLICIES] == [r.id for r in TAP_PACK]
    for policy, rule in zip(tap_policies.POLICIES, TAP_PACK, strict=True):
        expected = (
            EnforcementLevel.MANDATORY if rule.level is Level.ERROR else EnforcementLevel.ADVISORY
        )
        assert policy.enforcement_level == expected
        assert policy.description == rule.explanation
        assert policy.remediation_steps == rule.fix


def test_the_rebuilt_graph_matches_the_synthesized_one() -> None:
    g = graph("prod")
    rebuilt = tap_policies.graph_of(stack_args(g).resources)
    assert (rebuilt.project, rebuilt.stack) == ("tap", "prod")
    assert [(r.urn, r.type, r.provider, r.parent) for r in rebuilt.resources] == [
        (r.urn, r.type, r.provider, r.parent) for r in g.resources
    ]
    assert [r.inputs for r in rebuilt.resources] == [r.outputs for r in g.resources]
    assert [r.options for r in rebuilt.resources] == [r.options for r in g.resources]
    assert any(r.options.get("protect") for r in rebuilt.resources)


def test_an_unprotected_prod_key_is_reported_from_the_engines_options() -> None:
    g = graph("prod")
    key = only(g, "aws:kms/key:Key")
    g = replace(g, key, options={})
    # The pack as shipped: its policies read Pulumi.prod.yaml themselves (production: true).
    assert violations(g, policies=tap_policies.POLICIES) == [
        (
            "[kms-key-protected-in-production] production key prod-key-key is not protected "
            "\u2014 fix: keep tap:production: true so EncryptionKey protects the key and its "
            "replicas",
            key.urn,
        )
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_a_clean_shipped_stack_has_no_violations(stack: str) -> None:
    assert violations(shipped(stack)[0]) == []


@pytest.mark.slow  # synthesizes a preview of each stack
@pytest.mark.parametrize("stack", STACKS)
def test_a_preview_of_a_shipped_stack_has_no_violations(stack: str) -> None:
    assert violations(shipped_preview(stack)) == []


def test_public_access_off_is_reported_through_report_violation() -> None:
    g = graph("dev")
    g = edit(g, only(g, PUBLIC_ACCESS_BLOCK), lambda p: p.update(restrictPublicBuckets=False))
    bucket_urn = only(g, "aws:s3/bucket:Bucket").urn
    assert violations(g) == [
        (
            "[s3-bucket-public-access-blocked] bucket tap-data-dev-useast1 does not block public "
            "access: restrictPublicBuckets off \u2014 fix: restore the BucketPublicAccessBlock "
            "with all four flags true (DataBucket)",
            bucket_urn,
        )
    ]


def test_a_missing_queue_policy_is_reported() -> None:
    g = graph("dev")
    policy = only(g, QUEUE_POLICY, "delivery-dlq-policy")
    g = g.model_copy(update={"resources": [r for r in g.resources if r.urn != policy.urn]})
    messages = [m for m, _ in violations(g)]
    assert any(
        m.startswith("[events-dead-letter-queue-admits-rule] DLQ tap-delivery-dlq")
        for m in messages
    )
    assert any(m.startswith("[sqs-queue-tls-only] queue tap-delivery-dlq") for m in messages)


def test_a_suppressed_finding_is_not_a_violation() -> None:
    g = graph("dev")
    g = edit(g, only(g, PUBLIC_ACCESS_BLOCK), lambda p: p.update(restrictPublicBuckets=False))
    config = context("dev").config
    assert config is not None
    suppression = Suppression(
        rule="s3-bucket-public-access-blocked",
        resource="dev-data-bucket",
        reason="a test of suppressions in the policy pack",
    )
    suppressed = config.model_copy(update={"suppressions": (suppression,)})
    assert violations(g, load_config=lambda _stack: suppressed) == []


def test_refused_suppressions_are_reported() -> None:
    config = context("dev").config
    assert config is not None
    typo = Suppression(rule="no-such-rule", resource="x", reason="a long enough reason")
    broken = config.model_copy(update={"suppressions": (typo,)})
    reported = violations(shipped("dev")[0], load_config=lambda _stack: broken)
    assert len(reported) == len(TAP_PACK)
    assert reported[0] == (
        "[aws-resources-use-stack-provider] refused suppressions: "
        "tap:suppressions[0] (no-such-rule on x): no rule has id 'no-such-rule'",
        None,
    )


def test_the_stacks_config_is_read_from_the_project(tmp_path: Path) -> None:
    assert tap_policies.stack_config("prod").production is True
    assert tap_policies.stack_config("nope") is None
    assert tap_policies.stack_config("dev", tmp_path) is None


def test_every_policy_of_a_preview_shares_one_read_of_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """39 policies ask for the config; the files are read once, and again only after an edit."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (tmp_path / name).write_text((REPO_ROOT / name).read_text())
    reads: list[str] = []
    real = tap_policies.load_stack

    def counting(project_dir: Path, stack: str):  # type: ignore[no-untyped-def]
        reads.append(stack)
        return real(project_dir, stack)

    monkeypatch.setattr(tap_policies, "load_stack", counting)
    configs = {id(tap_policies.stack_config("dev", tmp_path)) for _ in TAP_PACK}
    assert reads == ["dev"]
    assert len(configs) == 1

    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("memoryMb: 256", "memoryMb: 1024"))
    assert tap_policies.stack_config("dev", tmp_path).processor.memory_mb == 1024
    assert reads == ["dev", "dev"]
