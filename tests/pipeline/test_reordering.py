"""Reordering a stack file's lifecycle rules, transitions or tags deploys exactly the same thing.

`pulumi preview` diffs lists by position, so a reordered list in the program's inputs would be
an update; the components sort what AWS treats as unordered.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap.synth.stack import synthesize_config
from tests.support.shipped import REPO_ROOT


def _graph(project: Path) -> list[tuple[str, str, Any]]:
    graph, _ = synthesize_config(project, "prod")
    return [
        (r.urn, r.type, json.loads(json.dumps(r.inputs, sort_keys=False))) for r in graph.resources
    ]


def _reverse_everything(config: dict[str, Any]) -> None:
    for bucket in config["tap:buckets"]:
        rules = bucket["lifecycleRules"]
        rules.reverse()
        for rule in rules:
            for key in ("transitions", "noncurrentVersionTransitions"):
                rule.get(key, []).reverse()
    config["tap:tags"] = dict(reversed(list(config["tap:tags"].items())))


@pytest.mark.slow  # synthesizes a stack twice
def test_a_reordered_stack_file_synthesizes_the_same_inputs(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "Pulumi.prod.yaml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    before = _graph(tmp_path)

    stack_file = tmp_path / "Pulumi.prod.yaml"
    document = yaml.safe_load(stack_file.read_text())
    original = json.dumps(document["config"])
    _reverse_everything(document["config"])
    assert json.dumps(document["config"]) != original  # the file really changed
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    after = _graph(tmp_path)

    assert after == before
