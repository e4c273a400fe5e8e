"""One decision of a model graded against the gold plan: the gates a completion climbs, in order.

A decision point (:func:`inftool_hf.verify.trajectories.decision_points`) is a conversation up to one assistant turn
and the calls that turn must make. ``DECISION_LADDER`` is the ordered list of rungs, ``Gate`` objects like the row
gates; :func:`failed_rung` says where and why a completion stops, :func:`last_gate` how far it gets:

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
from functools import cached_property
from typing import Any

from inftool_hf.configs import SamplingConfig
from inftool_hf.sources.specs import ToolSpec
from inftool_hf.synth.simulator import ToolSimulator, schema_errors
from inftool_hf.tool_calls import parse_tool_calls
from inftool_hf.verify.gates import Gate, arguments_match
from inftool_hf.verify.trajectories import decision_points


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


class DecisionView:
    """One completion at one decision point as the rungs read it: each part worked out once, and only once the
    rungs below it passed (the calls exist only when ``format`` passed)."""

    def __init__(self, completion: Any, expected: Any, tools: Any, known_ids: Any = None) -> None:
        self.expected = json_or(expected, {})
        self.tools = json_or(tools, [])
        self.known_ids = json_or(known_ids, [])
        self.parsed = parse_tool_calls(completion_text(completion), self.tools)
        self.schemas = {t["function"]["name"]: t["function"].get("parameters") or {} for t in self.tools
                        if isinstance(t, dict) and isinstance(t.get("function"), dict)}
        self.gold = [(c[0], c[1]) for c in self.expected.get("calls", [])]

    @cached_property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in self.parsed.tool_calls]


def check_format(view: DecisionView) -> list[str]:
    if view.parsed.parse_error:
        return [view.parsed.parse_error]
    return [] if view.parsed.tool_calls else ["no tool call"]


def check_call_schema(view: DecisionView) -> list[str]:
    for name, args in view.calls:
        if name not in view.schemas:
            return [f"{name} is not one of the tools"]
        if errors := schema_errors(view.schemas[name], args, limit=1):
            return [f"{name}: {errors[0]}"]
    return []


def check_names(view: DecisionView) -> list[str]:
    called, gold = sorted(n for n, _ in view.calls), sorted(n for n, _ in view.gold)
    return [] if called == gold else [f"called {called}, expected {gold}"]


def check_arguments(view: DecisionView) -> list[str]:
    remaining = list(view.calls)
    for name, args in view.gold:
        match = next((i for i, (n, a) in enumerate(remaining)
                      if n == name and not arguments_match(a, args, view.schemas[n])), None)
        if match is None:
            return [f"no call of {name} with the expected arguments"]
        remaining.pop(match)
    return []


def check_call_state(view: DecisionView) -> list[str]:
    responses = json_or(view.expected.get("responses", {}), {})
    specs = {name: ToolSpec(name=name, description="", parameters=schema, domain="", source="reward",
                            response_schema=responses.get(name))
             for name, schema in view.schemas.items()}
    server = ToolSimulator(specs, user_ids=[tuple(pair) for pair in view.known_ids])
    for name, args in view.calls:
        if "error" in (result := server.execute(name, args)):
            return [f"{name}: {result['error']}"]
    return []


DECISION_LADDER: tuple[Gate, ...] = (
    Gate("format", "the completion parses (Hermes blocks, JSON or Python call syntax) into at least one call",
         check_format),
    Gate("schema", "every called function is one of the row's tools, with arguments valid against its schema",
         check_call_schema),
    Gate("names", "the called function names match the expected step's, as a multiset", check_names),
    Gate("arguments", "the arguments match the expected ones, with the blueprint gate's tolerance", check_arguments),
    Gate("state", "the calls run on the MCP Server simulator with the row's context without an error",
         check_call_state),
)
GATE_NAMES = tuple(gate.name for gate in DECISION_LADDER)


def failed_rung(completion: Any, expected: Any, tools: Any, known_ids: Any = None) -> tuple[str | None, list[str]]:
    """The first rung a completion fails with its reasons; (None, []) when it climbs them all."""
    view = DecisionView(completion, expected, tools, known_ids)
    for gate in DECISION_LADDER:
        if gate.check is not None and (reasons := gate.check(view)):
            return gate.name, reasons
    return None, []


def last_gate(completion: Any, expected: Any, tools: Any, known_ids: Any = None) -> str | None:
    """The last rung a completion passes for a row that expects calls (None: not even ``format``)."""
    failed, _ = failed_rung(completion, expected, tools, known_ids)
    if failed is None:
        return GATE_NAMES[-1]
    index = GATE_NAMES.index(failed)
    return GATE_NAMES[index - 1] if index else None


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
