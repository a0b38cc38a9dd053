"""The checkout under test and its shipped stacks: the one definition of REPO_ROOT."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "staging", "prod")
STACK_FILES = ("Pulumi.yaml", *(f"Pulumi.{stack}.yaml" for stack in STACKS))
