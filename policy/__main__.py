"""The tap CrossGuard pack: `pulumi preview --policy-pack policy/` runs every `tap check` rule."""

from pulumi_policy import EnforcementLevel, PolicyPack
from tap_policies import POLICIES

# Constructing the pack starts the analyzer's gRPC server: only ever here, never on import.
PolicyPack(name="tap-guardrails", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
