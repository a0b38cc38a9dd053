"""How `tap diff` shows differences: one header per resource, one line per changed property."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from tap.diff import Difference


def print_differences(
    console: Console, differences: Sequence[Difference], stack_a: str, stack_b: str
) -> None:
    """The text report."""
    from tap.diff import DiffKind

    styles = {
        DiffKind.ONLY_IN_A: f"[red]- only in {stack_a}[/red]",
        DiffKind.ONLY_IN_B: f"[green]+ only in {stack_b}[/green]",
        DiffKind.CHANGED: "[yellow]~ changed[/yellow]",
    }
    current = None
    for d in differences:
        if d.path != current:
            current = d.path
            separator = "" if d.kind is DiffKind.CHANGED else ":"
            console.print(f"{styles[d.kind]}{separator} {d.path} [dim]({d.type})[/dim]")
        if d.kind is DiffKind.CHANGED:
            console.print(f"    {d.property}: {stack_a}={_show(d.a)}  {stack_b}={_show(d.b)}")
    resources = len({d.path for d in differences})
    console.print(
        f"{len(differences)} difference(s) in {resources} resource(s) "
        f"between {stack_a} and {stack_b}"
    )


def differences_document(
    differences: Sequence[Difference], stack_a: str, stack_b: str
) -> dict[str, Any]:
    """The JSON report."""
    return {"a": stack_a, "b": stack_b, "differences": [d.to_dict() for d in differences]}


def _show(value: object) -> str:
    return "<absent>" if value is None else json.dumps(value, default=str)
