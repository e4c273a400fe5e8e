"""Tools that fit a prompt: a per-tool token budget, met by compaction with a record of what was cut.

Real specs have tools larger than a small model's context (a container-create call of a container API renders to
~6k tokens; a 4k-token prompt then gets an empty reply). Each tool over ``max_tokens`` is compacted in steps, each
only as far as needed, in the order that loses least: long descriptions cut to their first sentence, examples and
defaults dropped, optional nested objects below two levels replaced by a one-line stub, then optional parameters
dropped, largest first. What a call cannot leave out is never stubbed: a tool whose required parameters alone
exceed the budget is left out, and so is one whose required fields reach a stub the spec's loader wrote
(a recursive or too deep shape): nobody can call it right from what is left (DynamoDB's ``TransactGetItems``
requires ``TransactItems[].Get``, and every row said ``{"Get": {}}``). Every step taken is recorded
(``Compaction``), so the run's summary says which tool lost what.

Token counts are estimated from the rendered JSON (``len // CHARS_PER_TOKEN``): the default model's tokenizer puts
2.9-3.9 characters in a token of tool JSON (median 3.3, the 113 tools of the spec pack), so 3 errs toward
compacting a little early, and the stage needs no tokenizer (the pool is built before any engine starts).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from inftool_hf.sources.specs import ToolSpec

CHARS_PER_TOKEN = 3
DESCRIPTION_CHARS = 200  # a description cut to its first sentence stays within this
NESTED_STUB = {"type": "object", "description": "(nested structure omitted)"}


@dataclass
class Compaction:
    """What compacting one tool did: its estimated tokens before and after, and each cut."""

    tool: str
    tokens_before: int
    tokens_after: int
    cuts: list[str] = field(default_factory=list)
    dropped: bool = False  # the tool was left out (its required parameters alone exceed the budget)

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "tokens_before": self.tokens_before, "tokens_after": self.tokens_after,
                "cuts": self.cuts, "dropped": self.dropped}


def estimated_tokens(tool: ToolSpec) -> int:
    return len(json.dumps(tool.to_openai(), ensure_ascii=False)) // CHARS_PER_TOKEN + 1


def _first_sentence(text: str) -> str:
    text = " ".join(str(text).split())
    if len(text) <= DESCRIPTION_CHARS:
        return text
    match = re.match(r"(.{20,}?[.!?])(\s|$)", text)
    short = match.group(1) if match and len(match.group(1)) <= DESCRIPTION_CHARS else text[:DESCRIPTION_CHARS - 3]
    return short if short.endswith((".", "!", "?")) else short.rstrip(" ,;:") + "..."


def _walk(schema: Any, visit: Any, path: str = "") -> None:
    """Call ``visit(node, path)`` on every schema node below ``schema`` (properties, items, anyOf/oneOf)."""
    if not isinstance(schema, dict):
        return
    visit(schema, path)
    for name, sub in (schema.get("properties") or {}).items():
        _walk(sub, visit, f"{path}.{name}" if path else name)
    if isinstance(schema.get("items"), dict):
        _walk(schema["items"], visit, f"{path}[]")
    for key in ("anyOf", "oneOf"):
        for index, sub in enumerate(schema.get(key) or []):
            _walk(sub, visit, f"{path}|{index}")


def _trim_descriptions(tool: ToolSpec, cuts: list[str]) -> ToolSpec:
    trimmed = []
    parameters = copy.deepcopy(tool.parameters)

    def visit(node: dict[str, Any], path: str) -> None:
        if isinstance(node.get("description"), str) and len(node["description"]) > DESCRIPTION_CHARS:
            node["description"] = _first_sentence(node["description"])
            trimmed.append(path or "(parameters)")

    _walk(parameters, visit)
    description = _first_sentence(tool.description)
    if description != tool.description:
        trimmed.insert(0, "(tool)")
    if trimmed:
        cuts.append("descriptions cut to their first sentence: " + ", ".join(trimmed))
    return replace(tool, description=description, parameters=parameters)


def _drop_examples(tool: ToolSpec, cuts: list[str]) -> ToolSpec:
    dropped = []
    parameters = copy.deepcopy(tool.parameters)

    def visit(node: dict[str, Any], path: str) -> None:
        for key in ("examples", "default"):
            if key in node and path:
                del node[key]
                dropped.append(f"{path}.{key}")

    _walk(parameters, visit)
    if dropped:
        cuts.append("examples and defaults dropped: " + ", ".join(dropped))
    return replace(tool, parameters=parameters)


def _prune_depth(tool: ToolSpec, cuts: list[str], max_depth: int = 2) -> ToolSpec:
    pruned = []

    def prune(schema: Any, depth: int, path: str, needed: bool) -> Any:
        if not isinstance(schema, dict):
            return schema
        if depth > max_depth and not needed and ("properties" in schema or schema.get("type") == "object"):
            pruned.append(path)
            return {**NESTED_STUB, **({"description": f"{schema['description'][:80]} (nested structure omitted)"}
                                      if isinstance(schema.get("description"), str) else {})}
        out = dict(schema)
        required = set(schema.get("required") or [])
        if isinstance(schema.get("properties"), dict):
            out["properties"] = {k: prune(v, depth + 1, f"{path}.{k}" if path else k, needed and k in required)
                                 for k, v in schema["properties"].items()}
        if isinstance(schema.get("items"), dict):
            out["items"] = prune(schema["items"], depth + 1, f"{path}[]", needed)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                out[key] = [prune(v, depth + 1, f"{path}|{i}", needed) for i, v in enumerate(schema[key])]
        return out

    parameters = prune(tool.parameters, 0, "", True)
    if pruned:
        cuts.append(f"optional nested objects below {max_depth} levels replaced by a stub: " + ", ".join(pruned))
    return replace(tool, parameters=parameters)


def _required_stubs(schema: Any, path: str = "") -> list[str]:
    """Paths to a stub (``(nested structure omitted)``) that a call cannot leave out: required properties all the
    way down, through the items of an array that needs one, and through a union whose every option is a stub."""
    if not isinstance(schema, dict):
        return []
    if str(schema.get("description", "")).endswith("(nested structure omitted)") and "properties" not in schema:
        return [path or "(arguments)"]
    found: list[str] = []
    properties: dict[str, Any] = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
    for name in schema.get("required") or []:
        if name in properties:
            found += _required_stubs(properties[name], f"{path}.{name}" if path else name)
    if isinstance(schema.get("items"), dict) and schema.get("minItems", 1) > 0:
        found += _required_stubs(schema["items"], f"{path}[]")
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            stubbed = [_required_stubs(option, path) for option in options]
            if all(stubbed):
                found += stubbed[0]
    return found


def _drop_optional(tool: ToolSpec, budget: int, cuts: list[str]) -> ToolSpec:
    properties = dict(tool.parameters.get("properties") or {})
    required = set(tool.parameters.get("required") or [])
    optional = sorted((name for name in properties if name not in required),
                      key=lambda name: (-len(json.dumps(properties[name])), name))
    dropped = []
    current = tool
    for name in optional:
        if estimated_tokens(current) <= budget:
            break
        del properties[name]
        dropped.append(name)
        current = replace(tool, parameters={**tool.parameters, "properties": dict(properties)})
    if dropped:
        cuts.append("optional parameters dropped: " + ", ".join(dropped))
    return current


def compact_tool(tool: ToolSpec, max_tokens: int) -> tuple[ToolSpec | None, Compaction | None]:
    """``tool`` within ``max_tokens`` (estimated), and what was cut; ``(tool, None)`` when it already fits,
    ``(None, record)`` when even its required parameters do not fit, or a stub replaced one of them."""
    before = estimated_tokens(tool)
    unreachable = _required_stubs(tool.parameters)
    if unreachable:
        return None, Compaction(tool.name, before, before, dropped=True, cuts=[
            "left out: a required field's structure was omitted when the spec was read: " + ", ".join(unreachable)])
    if max_tokens <= 0 or before <= max_tokens:
        return tool, None
    cuts: list[str] = []
    current = tool
    for step in (_trim_descriptions, _drop_examples, _prune_depth):
        current = step(current, cuts)
        if estimated_tokens(current) <= max_tokens:
            break
    if estimated_tokens(current) > max_tokens:
        current = _drop_optional(current, max_tokens, cuts)
    after = estimated_tokens(current)
    record = Compaction(tool.name, before, after, cuts, dropped=after > max_tokens)
    return (None if record.dropped else current), record


def compact_tools(tools: list[ToolSpec], max_tokens: int) -> tuple[list[ToolSpec], list[Compaction]]:
    """Every tool within the budget (see :func:`compact_tool`); the records of the ones that were cut or left out."""
    kept, records = [], []
    for tool in tools:
        compacted, record = compact_tool(tool, max_tokens)
        if record is not None:
            records.append(record)
        if compacted is not None:
            kept.append(compacted)
    return kept, records
