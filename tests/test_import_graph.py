"""Data flows one way: no module of the package imports another that (directly or not) imports it back, counting
imports hidden inside functions, which hide a circle from Python but not from a reader."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "inftool_hf"


def import_graph() -> dict[str, set[str]]:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    edges.add(node.module.split(".")[0])
                else:
                    edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inftool_hf."):
                edges.add(node.module.split(".")[1])
        graph[path.stem] = {e for e in edges if e in modules and e != path.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_hidden_circle():
    assert find_cycle({"train": {"heldout"}, "heldout": {"train"}}) == ["heldout", "train", "heldout"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_lower_stages_never_import_higher_ones():
    """The data model sits below training and evaluation; generation never reaches evaluation or training."""
    graph = import_graph()

    def reaches(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    for low in ("trajectories", "heldout", "decontaminate", "bfcl_env", "generate", "roleplay", "verify"):
        assert not reaches(low) & {"train", "evaluate", "loop", "cli", "space"}, low
    assert not reaches("train") & {"evaluate", "loop", "generate"}
    assert not reaches("evaluate") & {"train", "loop", "generate"}
