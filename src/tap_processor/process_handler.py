"""Lambda entry point at the artifact root: `process_handler.lambda_handler`."""

from tap_processor.handler import lambda_handler

__all__ = ["lambda_handler"]
