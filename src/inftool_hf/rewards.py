"""Gated reward functions for GRPO: plain callables with TRL's reward signature.

A completion climbs gates in order; its reward is the partial credit of the last gate it passed, so a
weak model still gets a gradient for, say, well-formed calls to the wrong function:

1. ``format``: the completion parses (Hermes blocks, JSON or Python call syntax);
2. ``schema``: every called function exists among the row's tools and its arguments validate;
3. ``names``: the called function names match the expected step (as a multiset);
4. ``arguments``: the arguments match, with the verifier's tolerance (:mod:`inftool_hf.verify`);
5. ``state``: executed on the MCP Server simulator with the row's context, no call errors.

Rows whose right action is *not* to call (irrelevance, a missing function, a missing parameter to ask
for) are scored by :func:`irrelevance_reward` instead: 1 for a plain reply, 0 for any call.

Each function takes ``completions`` plus dataset columns as keyword arguments (TRL passes every extra
column), returns one float per completion (``None`` where it does not apply), and never raises: any
unexpected input scores 0. The ``gate_*`` indicator functions (weight 0 in training) exist so TRL logs
the pass rate of every gate separately.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .faithfulness import decline_problems
from .simulator import ToolSimulator, schema_errors
from .specs import ToolSpec
from .tool_calls import parse_tool_calls
from .verify import arguments_match

logger = logging.getLogger(__name__)

GATE_NAMES = ("format", "schema", "names", "arguments", "state")


@dataclass
class RewardWeights:
    """Partial credit for reaching each gate (the reward is the value of the last gate passed)."""

    format: float = field(default=0.1, metadata={"help": "credit for parseable calls"})
    schema: float = field(default=0.3, metadata={"help": "credit for existing tools with valid arguments"})
    names: float = field(default=0.5, metadata={"help": "credit for the expected function names"})
    arguments: float = field(default=0.8, metadata={"help": "credit for the expected arguments"})
    state: float = field(default=1.0, metadata={"help": "credit for calls that run cleanly on the simulated server"})
    no_call: float = field(default=1.0, metadata={"help": "A plain reply where no call is right."})

    def credit(self, gate: str | None) -> float:
        return 0.0 if gate is None else float(getattr(self, gate))


def _text(completion: Any) -> str:
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
            arguments = _loads(arguments, arguments)
        try:
            payload = json.dumps({"name": function.get("name"), "arguments": arguments}, ensure_ascii=False)
        except (TypeError, ValueError):
            continue
        text += f"\n<tool_call>\n{payload}\n</tool_call>"
    return text


def _loads(value: Any, default: Any) -> Any:
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
    expected = _loads(expected, {})
    tool_list = _loads(tools, [])
    text = _text(completion)
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
                            response_schema=_loads(expected.get("responses", {}), {}).get(name))
             for name, schema in schemas.items()}
    server = ToolSimulator(specs, user_ids=[tuple(pair) for pair in _loads(known_ids, [])])
    if any("error" in server.execute(name, args) for name, args in calls):
        return "arguments"
    return "state"


def _safe(function: Callable[..., float | None], failures: Counter) -> Callable[..., float | None]:
    """``function`` that never raises: a failure scores 0, is counted in ``failures`` (by exception type; the
    reward callable exposes it as ``.failures``, and training logs and saves the counts) and is logged once
    per exception type as a warning."""
    def wrapped(*args: Any, **kwargs: Any) -> float | None:
        try:
            return function(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - a reward must never stop training
            name = type(err).__name__
            if not failures[name]:
                logger.warning("a reward function failed (%s: %s); it scores 0 and is counted in reward_failures",
                               name, str(err)[:200])
            failures[name] += 1
            return 0.0

    return wrapped


def make_gated_reward(weights: RewardWeights | None = None) -> Callable[..., list[float | None]]:
    """The main reward: partial credit of the last gate passed (calls rows), or the no-call reward."""
    weights = weights or RewardWeights()
    failures: Counter = Counter()

    def one(completion: Any, expected: Any, tools: Any, known_ids: Any) -> float:
        wanted = _loads(expected, {})
        if not wanted.get("calls"):
            return weights.no_call * _no_call_score(completion, tools)
        return weights.credit(last_gate(completion, wanted, tools, known_ids))

    safe = _safe(one, failures)

    def gated_reward(completions: list[Any], expected: list[Any], tools: list[Any],
                     known_ids: list[Any] | None = None, **kwargs: Any) -> list[float | None]:
        known = known_ids or [None] * len(completions)
        return [safe(c, e, t, k) for c, e, t, k in zip(completions, expected, tools, known, strict=False)]

    gated_reward.failures = failures  # type: ignore[attr-defined]
    return gated_reward


def _no_call_score(completion: Any, tools: Any) -> float:
    """0 for a call; 1 for a reply that declines (or asks); 0.5 for one that does neither, e.g. pretends the thing
    was done, so the group's best completions are the declines."""
    parsed = parse_tool_calls(_text(completion), _loads(tools, []))
    if parsed.tool_calls or "<tool_call>" in _text(completion):
        return 0.0
    text = parsed.content.strip()
    if not text:
        return 0.0
    return 1.0 if "?" in text or not decline_problems(text) else 0.5


def make_irrelevance_reward() -> Callable[..., list[float | None]]:
    """1 for a plain reply where no call is right, 0 for any call; None on rows that expect calls."""
    failures: Counter = Counter()

    def one(completion: Any, wanted: Any, row_tools: Any) -> float | None:
        return None if _loads(wanted, {}).get("calls") else _no_call_score(completion, row_tools)

    safe = _safe(one, failures)

    def irrelevance_reward(completions: list[Any], expected: list[Any], tools: list[Any] | None = None,
                           **kwargs: Any) -> list[float | None]:
        tools = tools or [None] * len(completions)
        return [safe(c, w, t) for c, w, t in zip(completions, expected, tools, strict=False)]

    irrelevance_reward.failures = failures  # type: ignore[attr-defined]
    return irrelevance_reward


irrelevance_reward = make_irrelevance_reward()


def _gate_indicator(gate: str) -> Callable[..., list[float | None]]:
    order = GATE_NAMES.index(gate)
    failures: Counter = Counter()

    def one(completion: Any, expected: Any, tools: Any, known_ids: Any) -> float | None:
        if not _loads(expected, {}).get("calls"):
            return None
        reached = last_gate(completion, expected, tools, known_ids)
        return 1.0 if reached is not None and GATE_NAMES.index(reached) >= order else 0.0

    safe = _safe(one, failures)

    def indicator(completions: list[Any], expected: list[Any], tools: list[Any],
                  known_ids: list[Any] | None = None, **kwargs: Any) -> list[float | None]:
        known = known_ids or [None] * len(completions)
        return [safe(c, e, t, k) for c, e, t, k in zip(completions, expected, tools, known, strict=False)]

    indicator.__name__ = f"gate_{gate}"
    indicator.failures = failures  # type: ignore[attr-defined]
    return indicator


def gate_indicators() -> list[Callable[..., list[float | None]]]:
    """One pass/fail function per gate, for logging (give them weight 0)."""
    return [_gate_indicator(gate) for gate in GATE_NAMES]
