"""Every import in src/ and policy/ points down the layers docs/architecture.md documents.

The layer table in docs/architecture.md is the data: this test parses it (each row's layer, the
files its `code` cell names, and the layers its `may import` cell lists) rather than keeping a
copy, so the doc and the check cannot drift. Every import counts: module level, inside a
function (lazy), and under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from tests.support.paths import REPO_ROOT

DOC: Final = REPO_ROOT / "docs" / "architecture.md"
HEADER: Final = "| layer | code | may import | notes |"
EVERYTHING_BELOW: Final = "everything below"
NOTHING: Final = "nothing of ours"
SCANNED: Final = ("src", "policy")
OURS: Final = ("tap", "tap_processor")


@dataclass(frozen=True)
class Layer:
    """One row of the doc's layer table."""

    name: str
    paths: tuple[str, ...]
    """Files (`src/tap/diff.py`) and folders (`src/tap/ops/`) of the checkout it holds."""
    may_import: frozenset[str]


def parse_layers(doc: str) -> list[Layer]:
    """The layer table's rows, top layer first; `may import` resolved to layer names."""
    lines = doc.splitlines()
    start = lines.index(HEADER) + 2
    rows: list[list[str]] = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == len(HEADER.strip("|").split(" | ")), f"not four cells: {line}"
        rows.append(cells)
    names = [row[0] for row in rows]
    layers = []
    for index, (name, code, may, _notes) in enumerate(rows):
        paths = tuple(p for p in re.findall(r"`([^`]+)`", code) if p.startswith(SCANNED))
        if may == EVERYTHING_BELOW:
            allowed = frozenset(names[index + 1 :])
        elif may == NOTHING:
            allowed = frozenset()
        else:
            allowed = frozenset(re.findall(r"`([^`]+)`", may))
        layers.append(Layer(name, paths, allowed))
    return layers


def layer_of(path: str, layers: list[Layer]) -> Layer | None:
    """The layer whose `code` names the file, or the folder nearest it."""
    best: tuple[int, Layer] | None = None
    for layer in layers:
        for named in layer.paths:
            holds = path == named or (named.endswith("/") and path.startswith(named))
            if holds and (best is None or len(named) > best[0]):
                best = (len(named), layer)
    return None if best is None else best[1]


def _module_file(module: str, files: set[str]) -> str | None:
    """The checkout file of one of our modules (`tap.ops.stack` → `src/tap/ops/stack.py`)."""
    base = "src/" + module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in files:
            return candidate
    return None


def _package_of(path: str) -> list[str]:
    parts = Path(path).with_suffix("").parts
    return list(parts[1:-1]) if parts[0] == "src" else []


def imports_of(path: str, source: str, files: set[str]) -> list[tuple[int, str, str]]:
    """(line, the import as written, the file it reaches) for each import of our modules."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [(alias.name, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path)[: len(_package_of(path)) - node.level + 1]
                module = ".".join([*package, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from tap import iam` reaches the module tap.iam, not the package.
            targets = [(f"{module}.{a.name}", f"from {module} import {a.name}") for a in node.names]
            targets = [
                (name if _module_file(name, files) else module, written)
                for name, written in targets
            ]
        else:
            continue
        for module, written in targets:
            if module.split(".")[0] in OURS:
                reached = _module_file(module, files)
                assert reached is not None, f"{path}:{node.lineno}: {written} reaches no file"
                found.append((node.lineno, written, reached))
    return found


def violations(sources: dict[str, str], layers: list[Layer]) -> list[str]:
    """Each import against the layers: the importing file and line, the import, the layers."""
    files = set(sources)
    found = []
    for path, source in sorted(sources.items()):
        own = layer_of(path, layers)
        if own is None:
            found.append(f"{path}: in no layer of docs/architecture.md")
            continue
        for line, written, reached in imports_of(path, source, files):
            target = layer_of(reached, layers)
            if target is None or target is own or target.name in own.may_import:
                continue
            found.append(f"{path}:{line}: {written} ({own.name} may not import {target.name})")
    return found


def _checkout_sources() -> dict[str, str]:
    return {
        path.relative_to(REPO_ROOT).as_posix(): path.read_text(encoding="utf-8")
        for root in SCANNED
        for path in sorted((REPO_ROOT / root).rglob("*.py"))
    }


LAYERS: Final = parse_layers(DOC.read_text(encoding="utf-8"))


def test_the_documented_layers_point_down_and_name_only_layers() -> None:
    names = [layer.name for layer in LAYERS]
    assert len(names) == len(set(names)), "a layer is named twice"
    for index, layer in enumerate(LAYERS):
        assert layer.paths, f"layer {layer.name} names no file or folder"
        above = set(names[: index + 1])
        assert layer.may_import <= set(names), f"{layer.name}: {layer.may_import - set(names)}"
        assert not layer.may_import & above, (
            f"{layer.name} may import {sorted(layer.may_import & above)}: not below it"
        )


def test_every_import_in_the_checkout_follows_the_documented_layers() -> None:
    assert violations(_checkout_sources(), LAYERS) == []


PLANTED: Final = {
    "src/tap/ops/planted.py": (
        "def f():\n    from tap.local.emulator import Emulator\n",
        "src/tap/ops/planted.py:2: from tap.local.emulator import Emulator "
        "(ops may not import local)",
    ),
    "src/tap/facts/planted.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tap.config\n",
        "src/tap/facts/planted.py:3: tap.config (facts may not import config)",
    ),
    "src/tap/synth/planted.py": (
        "from tap import config\nfrom ..local import runner\n",
        "src/tap/synth/planted.py:2: from tap.local import runner (synth may not import local)",
    ),
    "src/tap_processor/planted.py": (
        "from tap.errors import TapError\n",
        "src/tap_processor/planted.py:1: from tap.errors import TapError "
        "(runtime may not import errors)",
    ),
    "src/tap/planted.py": ("", "src/tap/planted.py: in no layer of docs/architecture.md"),
}


@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_an_import_against_the_layers_is_named_with_its_module_and_line(planted: str) -> None:
    source, expected = PLANTED[planted]
    sources = {**_checkout_sources(), planted: source}
    assert violations(sources, LAYERS) == [expected]
