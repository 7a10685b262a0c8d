"""The package's shape: imports run one way (no cycle, counting imports inside functions), only
the optional heavy dependency is imported lazily, and no module or function grows unreadable."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

from helpers import ROOT

SRC = ROOT / "src" / "belarus_timeline"
# Imports inside a function, allowed because what they import is optional and heavy
# (matplotlib, through the chart module); every other import is at module level.
LAZY_ALLOWED = {"belarus_timeline.outputs.chart"}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One import cycle among the package's modules, or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.find_modules_directly_imported_by(m)):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph.modules):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_counting_imports_inside_functions() -> None:
    graph = grimp.build_graph("belarus_timeline")
    # The package root re-exports the public API; it is imported by nothing inside.
    graph.remove_module("belarus_timeline")
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_a_cycle_is_detected() -> None:
    """The cycle finder itself works (so the test above can fail)."""
    graph = grimp.ImportGraph()
    for m in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(m)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.z")
    assert _cycle(graph) is None
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycle(graph) == ["a.x", "a.y", "a.z", "a.x"]


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_are_at_module_level(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lazy = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and node.module not in LAZY_ALLOWED:
                lazy.append(f"line {node.lineno}: from {node.module}")
            elif isinstance(node, ast.Import):
                lazy.append(f"line {node.lineno}: import {node.names[0].name}")
    assert not lazy, lazy


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_modules_and_functions_stay_short(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long


@pytest.mark.parametrize("script", sorted((ROOT / "scripts").glob("*.py")), ids=lambda p: p.name)
def test_scripts_are_thin_entry_points(script: Path) -> None:
    """A script only calls into the library: imports from belarus_timeline (and the standard
    library's sys/pathlib), and no function or class of its own."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        assert not isinstance(node, ast.FunctionDef | ast.ClassDef), node.name
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").startswith("belarus_timeline") or node.module == "pathlib"
        if isinstance(node, ast.Import):
            assert all(a.name == "sys" for a in node.names)
