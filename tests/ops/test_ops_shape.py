"""The day-2 package keeps the shape issue 24 asked of it: reconcile is a package of modules of
one concern each, none over 300 lines, and no AWS client in src/tap/ops is typed `Any`."""

from __future__ import annotations

import ast
from pathlib import Path

import tap.ops

OPS = Path(tap.ops.__file__).parent
CLIENT_NAMES = ("s3", "dynamodb", "sqs", "sts", "client", "_client", "_s3", "_dynamodb")
"""Names the ops code gives a boto3 client (parameters, attributes, variables)."""


def _annotated(tree: ast.AST) -> list[tuple[str, ast.expr, int]]:
    """(name, annotation, line) of every annotated parameter, variable and attribute."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append((node.arg, node.annotation, node.lineno))
        elif isinstance(node, ast.AnnAssign):
            target = node.target
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            found.append((name, node.annotation, node.lineno))
    return found


def test_reconcile_is_a_package_of_modules_of_at_most_300_lines() -> None:
    modules = {p.name: len(p.read_text().splitlines()) for p in (OPS / "reconcile").glob("*.py")}

    assert not (OPS / "reconcile.py").exists()
    assert len(modules) >= 6
    assert {name: n for name, n in modules.items() if n > 300} == {}


def test_no_client_in_src_tap_ops_is_typed_any() -> None:
    untyped = [
        f"{path.relative_to(OPS)}:{line} {name}"
        for path in sorted(OPS.rglob("*.py"))
        for name, annotation, line in _annotated(ast.parse(path.read_text()))
        if name in CLIENT_NAMES and "Any" in ast.unparse(annotation)
    ]

    assert untyped == []
