"""The package's layout: every module imports, no import circle, and no stage imports a stage
above it (front ends → service → answering → index → reading → language → types)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"

#: A stage's height: a module may import modules of its own stage or of a lower one.
STAGES = {
    "types": 0, "settings": 0, "language": 1, "reading": 2, "index": 3, "answering": 4,
    "service": 5, "evaluation": 6, "cli": 6, "api": 6, "slack": 6,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports anywhere in its file (functions and
    ``TYPE_CHECKING`` blocks too: a circle through them is a circle of the design)."""
    package = _package_of(name, path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("assistant"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("assistant"):
                continue
            # ``from . import questions`` imports a module; ``from .x import name`` module x.
            subs = {f"{target}.{a.name}" for a in node.names}
            found.update(s for s in subs if s in known) if subs & known else found.add(target)
    return {m for m in found if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1]] if len(parts) > 1 else max(STAGES.values())


def find_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import circle of ``graph`` once, as the path that closes it."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return circles


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """The imports of a module from a stage above its own."""
    return [f"{a} → {b}" for a, targets in graph.items() for b in sorted(targets) if _stage(b) > _stage(a)]


def test_every_module_imports():
    for name in _modules():
        importlib.import_module(name)


def test_every_module_belongs_to_a_stage():
    unplaced = [m for m in _modules() if len(m.split(".")) > 1 and m.split(".")[1] not in STAGES]
    assert not unplaced, f"modules outside every stage: {unplaced}"


def test_no_stage_imports_a_stage_above_it():
    upward = upward_imports(_graph())
    assert not upward, "imports that run up the stages:\n" + "\n".join(upward)


def test_no_import_circles():
    circles = find_circles(_graph())
    assert not circles, "import circles:\n" + "\n".join(" → ".join(c) for c in circles)


def test_the_graph_holds_imports_inside_functions_and_type_checking_blocks():
    # The circles this test must catch were made of function-level imports.
    graph = _graph()
    assert "assistant.answering.llm" in graph["assistant.service"]  # imported inside a method
    assert "assistant.index.indexview" in graph["assistant.answering.details"]  # TYPE_CHECKING


def test_the_checks_catch_a_circle_and_an_upward_import():
    graph = {"assistant.answering.a": {"assistant.answering.b"},
             "assistant.answering.b": {"assistant.answering.a"},
             "assistant.reading.c": {"assistant.index.d"}, "assistant.index.d": set()}
    assert find_circles(graph) == [["assistant.answering.a", "assistant.answering.b", "assistant.answering.a"]]
    assert upward_imports(graph) == ["assistant.reading.c → assistant.index.d"]
