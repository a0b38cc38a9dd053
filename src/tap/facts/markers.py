"""Placeholders that graph JSON and redacted output write instead of a value."""

from __future__ import annotations

from typing import Final

SECRET_MARK: Final = "[secret]"  # noqa: S105 - a marker, not a credential
"""A value the program marked secret: present, but not written out."""
UNKNOWN_MARK: Final = "[unknown]"
"""A value the engine does not know yet (preview)."""
