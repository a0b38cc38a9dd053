"""`tap local`: the whole pipeline end to end on an embedded emulator, as a library."""

from tap.local.emulator import Credentials, aws_scan_command, stop_emulator
from tap.local.errors import (
    ApplyError,
    ArtifactError,
    EmulatorError,
    GraphError,
    InvalidOptionsError,
    LocalRunError,
    PolicyEvaluationError,
    UnsupportedResourceError,
)
from tap.local.function import EventHandler, HandlerFactory, HandlerRuntime, LambdaContext
from tap.local.options import LocalOptions
from tap.local.report import LocalReport
from tap.local.runner import ProgressCallback, local_run, run_local

__all__ = [
    "ApplyError",
    "ArtifactError",
    "Credentials",
    "EmulatorError",
    "EventHandler",
    "GraphError",
    "HandlerFactory",
    "HandlerRuntime",
    "InvalidOptionsError",
    "LambdaContext",
    "LocalOptions",
    "LocalReport",
    "LocalRunError",
    "PolicyEvaluationError",
    "ProgressCallback",
    "UnsupportedResourceError",
    "aws_scan_command",
    "local_run",
    "run_local",
    "stop_emulator",
]
