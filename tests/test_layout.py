"""The shape of the code: no import cycles in ``pumap_core`` or ``app``, small modules,
no module named like one of the standard library's.

Imports are read with ``ast`` from the source (nothing is imported): module-level
and function-level imports, absolute and relative. ``from package import name``
counts as an import of ``package.name`` when that is a module, else of ``package``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def modules(package: str) -> dict[str, Path]:
    """Dotted name → file of every module of ``package`` (a folder under the root)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` inside ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules among ``known`` that ``module`` imports anywhere in its file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import a.b.c` of a non-module: its package
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    found = modules(package)
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_are_resolved_like_python_does(tmp_path):
    known = {"p", "p.x", "p.sub", "p.sub.y"}
    assert _resolve("p.sub.y", False, 2, "x") == "p.x"
    assert _resolve("p.sub", True, 1, "y") == "p.sub.y"
    assert _resolve("p.sub.y", False, 1, None) == "p.sub"
    source = tmp_path / "y.py"
    source.write_text("from .. import x\nfrom . import y\ndef f():\n    import p.sub.attr\n")
    assert imports("p.sub.y", source, known) == {"p.x", "p.sub"}


@pytest.mark.parametrize("package", ["pumap_core", "app"])
def test_no_import_cycles(package):
    graph = import_graph(package)
    assert len(graph) > 5
    assert cycles(graph) == [], f"import cycles in {package}"


def test_no_module_over_400_lines():
    long = {name: n for name, path in modules("pumap_core").items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: split them by idea"


@pytest.mark.parametrize("package", ["pumap_core", "app"])
def test_no_module_named_like_the_standard_library(package):
    shadowing = sorted(name for name in modules(package)
                       if set(name.split(".")[1:]) & sys.stdlib_module_names)
    assert shadowing == []
