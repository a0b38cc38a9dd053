"""The bytecode share the command and cold-import benchmarks record is what is on disk."""

import sys
from pathlib import Path

from benchmarks.bytecode import compile_all


def test_compile_all_compiles_a_tree_and_counts_its_fresh_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    for name in ("a", "b", "c"):
        (package / f"{name}.py").write_text(f"VALUE = {name!r}\n")
    (package / "broken.py").write_text("def (:\n")  # does not compile: counted, never fresh

    share = compile_all(Path(sys.executable), package, site_packages=False)

    assert share == {"fresh": 3, "modules": 4, "share": 0.75}
    assert len(list((package / "__pycache__").glob("*.pyc"))) == 3
