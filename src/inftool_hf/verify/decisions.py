"""One decision of a model graded against the gold plan: the gates a completion climbs, in order.

A decision point (:func:`inftool_hf.verify.trajectories.decision_points`) is a conversation up to one assistant turn
and the calls that turn must make. :func:`last_gate` says how far a completion gets:

1. ``format``: it parses (Hermes blocks, JSON or Python call syntax);
2. ``schema``: every called function exists among the row's tools and its arguments validate;
3. ``names``: the called function names match the expected step (as a multiset);
4. ``arguments``: the arguments match, with the verifier's tolerance (:func:`inftool_hf.verify.gates.arguments_match`);
5. ``state``: executed on the MCP Server simulator with the row's context, no call errors.

The GRPO rewards (:mod:`inftool_hf.train.rewards`), training's before/after call validity and the held-out yardstick
(:mod:`inftool_hf.evaluate.heldout`) all grade with this one function, so training and evaluation never import
each other.
"""

from __future__ import annotations

import json
from typing import Any

from inftool_hf.configs import SamplingConfig
from inftool_hf.sources.specs import ToolSpec
from inftool_hf.synth.simulator import ToolSimulator, schema_errors
from inftool_hf.tool_calls import parse_tool_calls
from inftool_hf.verify.gates import arguments_match
from inftool_hf.verify.trajectories import decision_points

GATE_NAMES = ("format", "schema", "names", "arguments", "state")


def completion_text(completion: Any) -> str:
    """TRL passes strings (standard format) or message lists (conversational). In environment rollouts the
    list is the whole episode (assistant, tool results, assistant, ...): the first assistant turn is the
    decision these rewards score, its parsed ``tool_calls`` written back as Hermes blocks."""
    if isinstance(completion, str):
        return completion
    if not isinstance(completion, list):
        return ""
    first = next((m for m in completion if isinstance(m, dict) and m.get("role", "assistant") == "assistant"), None)
    if first is None:
        return ""
    text = str(first.get("content") or "")
    for call in first.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            continue
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            arguments = json_or(arguments, arguments)
        try:
            payload = json.dumps({"name": function.get("name"), "arguments": arguments}, ensure_ascii=False)
        except (TypeError, ValueError):
            continue
        text += f"\n<tool_call>\n{payload}\n</tool_call>"
    return text


def json_or(value: Any, default: Any) -> Any:
    """``value`` decoded from JSON; ``default`` when it is not JSON or, for a dict/list default, not that shape
    (an ``expected`` of ``7`` is no plan)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return default
    if value is None:
        return default
    if isinstance(default, (dict, list)) and not isinstance(value, type(default)):
        return default
    return value


def last_gate(completion: Any, expected: Any, tools: Any, known_ids: Any = None) -> str | None:
    """The last gate a completion passes for a row that expects calls (None: not even ``format``)."""
    expected = json_or(expected, {})
    tool_list = json_or(tools, [])
    text = completion_text(completion)
    parsed = parse_tool_calls(text, tool_list)
    if parsed.parse_error or not parsed.tool_calls:
        return None
    schemas = {t["function"]["name"]: t["function"].get("parameters") or {} for t in tool_list
               if isinstance(t, dict) and isinstance(t.get("function"), dict)}
    calls = []
    for call in parsed.tool_calls:
        name = call["function"]["name"]
        args = json.loads(call["function"]["arguments"])
        if name not in schemas or schema_errors(schemas[name], args, limit=1):
            return "format"
        calls.append((name, args))
    gold = [(c[0], c[1]) for c in expected.get("calls", [])]
    if sorted(n for n, _ in calls) != sorted(n for n, _ in gold):
        return "schema"
    remaining = list(calls)
    for name, args in gold:
        match = next((i for i, (n, a) in enumerate(remaining)
                      if n == name and not arguments_match(a, args, schemas[n])), None)
        if match is None:
            return "names"
        remaining.pop(match)
    specs = {name: ToolSpec(name=name, description="", parameters=schema, domain="", source="reward",
                            response_schema=json_or(expected.get("responses", {}), {}).get(name))
             for name, schema in schemas.items()}
    server = ToolSimulator(specs, user_ids=[tuple(pair) for pair in json_or(known_ids, [])])
    if any("error" in server.execute(name, args) for name, args in calls):
        return "arguments"
    return "state"


def score_decision_points(rows, backend: Any, sampling: SamplingConfig,
                          calls_only: bool = False) -> list[tuple[dict, dict, Any, str | None]]:
    """Generate at every decision point of ``rows``; returns (row, point, generation, last gate passed).

    The gate is None for points where no call is expected (and for completions that do not even parse)."""
    points = [(row, p) for row in rows for p in decision_points(row) if p["expected"]["calls"] or not calls_only]
    if not points:
        return []
    generations = backend.generate([p["prefix"] for _, p in points], [json.loads(r["tools"]) for r, _ in points],
                                   sampling)
    return [(row, point, generation,
             last_gate(generation.raw_text, point["expected"], row["tools"], json.dumps(point["known_ids"]))
             if point["expected"]["calls"] else None)
            for (row, point), generation in zip(points, generations, strict=True)]
