"""Data flows one way: sources → synth → verify → train / evaluate, over a small core, with the commands (generate,
loop, release, the CLI, the Space) on top. Imports hidden inside functions count: they hide a circle from Python but
not from a reader."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "inftool_hf"

CORE = {"aio", "atomic", "backends", "chat_format", "configs", "default_model", "hub", "precision", "significance",
        "tool_calls", "vllm_launcher"}
APPS = {"cli", "exporters", "generate", "loop", "mcp_server", "publish", "release", "scaleout", "space"}
# a package may import its own modules and those of lower ranks; train and evaluate share a rank and never meet
RANKS = {"core": 0, "sources": 1, "synth": 2, "verify": 3, "train": 4, "evaluate": 4, "apps": 5}
# role-play keeps a model reply only if the faithfulness check (a leaf: it imports nothing) would pass it, so an
# episode retries instead of being rejected later; the one import against the flow, named here so it stays one
ALLOWED_UPWARD = {("synth.roleplay", "verify.faithfulness")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if module_name(p)}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package else []
                    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    module = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").startswith("inftool_hf"):
                    module = node.module.removeprefix("inftool_hf").lstrip(".")
                else:
                    continue
                targets = [f"{module}.{a.name}".lstrip(".") for a in node.names] + [module]
            elif isinstance(node, ast.Import):
                targets = [a.name.removeprefix("inftool_hf").lstrip(".") for a in node.names
                           if a.name.startswith("inftool_hf.")]
            for target in targets:
                if target in known and target != name:
                    edges.add(target)
                    break
        graph[name] = edges
    return graph


def layer(module: str) -> str:
    top = module.split(".")[0]
    if top in CORE:
        return "core"
    if top in APPS:
        return "apps"
    return top


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


def test_every_module_has_a_layer():
    assert {layer(m) for m in modules()} <= set(RANKS), sorted(m for m in modules() if layer(m) not in RANKS)


def test_the_package_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_hidden_circle():
    assert find_cycle({"train": {"heldout"}, "heldout": {"train"}}) == ["heldout", "train", "heldout"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def upward_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    found = set()
    for module, targets in graph.items():
        for target in targets:
            low, high = layer(module), layer(target)
            if RANKS[high] > RANKS[low] or (RANKS[high] == RANKS[low] and high != low):
                found.add((module, target))
    return found


def test_stages_import_only_downstream_of_the_flow():
    assert upward_imports(import_graph()) == ALLOWED_UPWARD


def test_the_layer_rule_sees_an_upward_and_a_sideways_import():
    graph = {"synth.values": {"train.rewards"}, "train.rewards": {"evaluate.heldout"}, "evaluate.heldout": set(),
             "generate": {"synth.values"}}
    assert upward_imports(graph) == {("synth.values", "train.rewards"), ("train.rewards", "evaluate.heldout")}


def test_the_bfcl_environment_files_import_nothing_of_ours():
    """They run with .venv-bfcl's interpreter, where inftool_hf is not installed."""
    graph = import_graph()
    for path in (PACKAGE / "evaluate" / "bfcl_venv").glob("*.py"):
        assert not graph[module_name(path)], path.name
        assert "inftool_hf" not in " ".join(a.name for n in ast.walk(ast.parse(path.read_text()))
                                            if isinstance(n, ast.Import | ast.ImportFrom)
                                            for a in getattr(n, "names", [])), path.name
