"""The house holds its shape: no import cycle (function-level imports included), dependencies
pointing one way between the packages, and one vocabulary that no other module redefines."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("criteria", "scoring", "reports", "batch", "service", "tiering")
# a package may import the ones before it in this order, never one after it
LAYERS = {"criteria": 0, "scoring": 1, "reports": 2, "batch": 3, "service": 4, "tiering": 5}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                out[_module_name(path)] = path
    return out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        # a module importing its own package's __init__ (for a submodule) is no edge
        graph[name] = {
            t for t in _imports(path, modules) if t != name and not name.startswith(t + ".")
        }
    return graph


def test_no_import_cycle_anywhere():
    try:
        order = list(graphlib.TopologicalSorter(_graph()).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")
    assert "scoring.api" in order and "scoring.readiness.features" in order


def test_packages_depend_one_way():
    back = [
        (a, b)
        for a, targets in _graph().items()
        for b in targets
        if LAYERS[a.split(".")[0]] < LAYERS[b.split(".")[0]]
    ]
    assert back == []


def test_readiness_imports_without_the_public_api():
    code = (
        "import sys, scoring.readiness.bundle, scoring.readiness.explain, "
        "scoring.readiness.features, scoring.readiness.predict, scoring.readiness.drift; "
        "print('scoring.api' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    "name",
    [
        "LADDERS =",
        "LADDER_NAMES =",
        "STATUS_ZH =",
        "ROUTE_ZH =",
        "OUTCOME_ZH =",
        "PATH =",
        "HELD_FIELD =",
    ],
)
def test_the_vocabulary_is_defined_once(name):
    defined = [
        path.relative_to(ROOT).as_posix()
        for path in _modules().values()
        if any(line.startswith(name) for line in path.read_text(encoding="utf-8").splitlines())
    ]
    assert defined == ["scoring/vocabulary.py"]
