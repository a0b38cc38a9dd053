"""No function in src/ is longer than 60 lines (issue 24 §4).

ruff's PLR0915 (statements) and C901 (complexity) run in `make test` too, but neither counts
lines: a function of few statements can still run to a hundred lines of arguments and literals.
This test counts what a reader scrolls through, decorators excluded, docstring included.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.paths import REPO_ROOT

LIMIT = 60


def _long_functions(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > LIMIT:
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    found.append(f"{where} {node.name} ({lines} lines)")
    return found


def test_no_function_in_src_is_over_60_lines() -> None:
    assert _long_functions(REPO_ROOT / "src") == []


def test_the_count_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    at_limit = "\n".join(f"    y{i} = {i}" for i in range(LIMIT - 1))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text(
        f"def short():\n    return 1\n\n\ndef long():\n{body}\n\n\n@decorated\n"
        f"def just_fits():\n{at_limit}\n"
    )
    assert _long_functions(tmp_path / "src") == [f"src/m.py:5 long ({LIMIT + 1} lines)"]
