"""How much work tap's own code does, counted so the count does not change with the machine's load.

`counted_work` traces one call (sys.settrace, this thread) and counts, in code under src/tap:
- each line executed: a Python loop, comprehension or generator counts once per iteration;
- each element a membership test (`x in seq`, `x not in seq`) scanned in a list or tuple,
  which is one bytecode to the tracer however long the sequence is. The sequence is found from
  the instruction that loaded it (a name, or attributes of one); a test whose sequence is
  computed in place (`x in f(y)`) is counted as `unresolved` instead.

Work inside C code called from tap (a list copied by `list(...)`, a sort) is not counted;
`make bench` times the whole `tap check`, C included. The instructions read are CPython 3.11's;
tests/rules/test_rules_scale.py's own test of this counter fails if a later bytecode hides the
sequences from it.
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import tap

TAP_SOURCES = str(Path(tap.__file__).resolve().parent)
LOADS = frozenset(
    {"LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_GLOBAL", "LOAD_NAME", "LOAD_CONST"}
)
"""Instructions that push a value a tracer can look up again by its name (or constant)."""

Tracer = Callable[[FrameType, str, Any], Any]


@dataclass(frozen=True)
class Operand:
    """Where a membership test's sequence came from: `load` of `name`, then `attributes`."""

    load: str
    name: Any
    attributes: tuple[str, ...]

    def value(self, frame: FrameType) -> Any:
        """The sequence, looked up again in `frame` (StopIteration or AttributeError when it
        cannot be)."""
        if self.load == "LOAD_CONST":
            found = self.name
        else:
            scopes = {
                "LOAD_GLOBAL": (frame.f_globals, frame.f_builtins),
                "LOAD_NAME": (frame.f_locals, frame.f_globals, frame.f_builtins),
            }.get(self.load, (frame.f_locals,))
            found = next(scope[self.name] for scope in scopes if self.name in scope)
        for attribute in self.attributes:
            found = getattr(found, attribute)
        return found


def membership_operands(code: CodeType) -> dict[int, Operand | None]:
    """Offsets of `code`'s membership tests, each with where its sequence came from (None when
    it was computed in place)."""
    instructions = list(dis.get_instructions(code))
    tests: dict[int, Operand | None] = {}
    for index, instruction in enumerate(instructions):
        if instruction.opname != "CONTAINS_OP":
            continue
        attributes: list[str] = []
        source = index - 1
        while source >= 0 and instructions[source].opname == "LOAD_ATTR":
            attributes.append(instructions[source].argval)
            source -= 1
        loaded = instructions[source] if source >= 0 else None
        tests[instruction.offset] = (
            Operand(loaded.opname, loaded.argval, tuple(reversed(attributes)))
            if loaded is not None and loaded.opname in LOADS
            else None
        )
    return tests


@dataclass
class Work:
    """Lines executed and elements scanned in tap's code."""

    lines: int = 0
    scanned: int = 0
    unresolved: int = 0
    """Membership tests whose sequence could not be found again (not counted in `scanned`)."""

    def growth(self, larger: Work, floor: int) -> dict[str, float]:
        """How many times each count grew from this run to `larger`. Each is judged on its own:
        a few long scans are quadratic even where lines outnumber them. A count below `floor`
        here counts as `floor` (less than a step per resource is not a base to grow from)."""
        return {
            "lines": larger.lines / max(self.lines, floor),
            "scanned": larger.scanned / max(self.scanned, floor),
        }


class _Counter:
    def __init__(self, work: Work, root: str) -> None:
        self.work = work
        self.root = root
        self.plans: dict[CodeType, dict[int, Operand | None] | None] = {}

    def on_call(self, frame: FrameType, event: str, _arg: Any) -> Tracer | None:
        if event != "call":
            return None
        code = frame.f_code
        if code not in self.plans:
            ours = code.co_filename.startswith(self.root)
            self.plans[code] = membership_operands(code) if ours else None
        tests = self.plans[code]
        if tests is None:
            return None
        if not tests:
            return self.on_line
        frame.f_trace_opcodes = True
        return self._with_tests(tests)

    def on_line(self, _frame: FrameType, event: str, _arg: Any) -> Tracer:
        if event == "line":
            self.work.lines += 1
        return self.on_line

    def _with_tests(self, tests: dict[int, Operand | None]) -> Tracer:
        work = self.work

        def trace(frame: FrameType, event: str, _arg: Any) -> Tracer:
            if event == "line":
                work.lines += 1
            elif event == "opcode" and frame.f_lasti in tests:
                operand = tests[frame.f_lasti]
                try:
                    if operand is None:
                        raise LookupError
                    sequence = operand.value(frame)
                except (LookupError, StopIteration, AttributeError):
                    work.unresolved += 1
                else:
                    if isinstance(sequence, list | tuple):
                        work.scanned += len(sequence)
            return trace

        return trace


def counted_work(action: Callable[[], object], root: str = TAP_SOURCES) -> Work:
    """The work `action()` does in code under `root` (tap's sources), counted as above."""
    work = Work()
    counter = _Counter(work, root)
    previous = sys.gettrace()
    sys.settrace(counter.on_call)
    try:
        action()
    finally:
        sys.settrace(previous)
    return work
