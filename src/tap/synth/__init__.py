"""Synthesize a Pulumi program into a ResourceGraph, offline, under a recording mock monitor."""

from typing import TYPE_CHECKING, Any

from tap.synth.errors import SynthError, UnknownInvokeError, UnknownResourceTypeError
from tap.synth.graph import GraphFormatError, Resource, ResourceGraph

if TYPE_CHECKING:
    from tap.synth.runner import run_program

__all__ = [
    "GraphFormatError",
    "Resource",
    "ResourceGraph",
    "SynthError",
    "UnknownInvokeError",
    "UnknownResourceTypeError",
    "run_program",
]


def __getattr__(name: str) -> Any:
    """`run_program` imports pulumi: only on first use, so reading a graph does not."""
    if name == "run_program":
        from tap.synth.runner import run_program

        return run_program
    raise AttributeError(f"module 'tap.synth' has no attribute {name!r}")
