"""What `tap bootstrap` refuses: options or config it cannot render a template from."""

from __future__ import annotations

from typing import ClassVar

from tap.errors import EXIT_USAGE, TapError


class BootstrapError(TapError):
    """The template cannot be rendered from these options and this config (exit 2)."""

    exit_code: ClassVar[int] = EXIT_USAGE
    prefix: ClassVar[str] = "cannot bootstrap"
