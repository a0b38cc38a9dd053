"""The optional extras tap's commands need beyond the base install, and the check for them."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Final

from tap.errors import EXIT_USAGE, TapError

EXTRAS: Final = {"local": ("moto", "principalmapper", "lambda_preflight", "py_iam_expand")}
"""Each extra in pyproject.toml by the top-level modules it installs."""


class MissingExtraError(TapError):
    """A command needs an extra that is not installed; the message says how to install it."""

    exit_code = EXIT_USAGE


def missing_modules(extra: str) -> list[str]:
    """The extra's modules that cannot be imported here (found without importing them)."""
    return [m for m in EXTRAS[extra] if find_spec(m) is None]


def require_extra(extra: str, command: str) -> None:
    """Raise MissingExtraError, in one line, unless every module of `extra` is installed."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(
            f"{command} needs tap's '{extra}' extra (missing: {', '.join(missing)}); "
            f"install it with: pip install -e '.[{extra}]' (or make demo)"
        )
