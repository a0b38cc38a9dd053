"""Synthesize a Pulumi program into a ResourceGraph, offline, under a recording mock monitor."""

from tap.synth.errors import SynthError, UnknownInvokeError, UnknownResourceTypeError
from tap.synth.graph import GraphFormatError, Resource, ResourceGraph
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
