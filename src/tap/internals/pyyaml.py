"""PyYAML's private API: libyaml's parser, which PyYAML exports only assembled into loaders."""

from __future__ import annotations

from typing import Any, Final

SURFACES: Final = frozenset({"yaml._yaml.CParser"})
"""Each private surface of PyYAML this module reaches, as tests/test_internals.py names it."""


def libyaml_parser() -> Any:
    """`yaml._yaml.CParser`, libyaml's scanner and parser (the first base of `yaml.CSafeLoader`,
    which PyYAML exports only assembled), or None where PyYAML was built without libyaml."""
    import yaml

    if not yaml.__with_libyaml__:
        return None
    from yaml._yaml import CParser

    return CParser
