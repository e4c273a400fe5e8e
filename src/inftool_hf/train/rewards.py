"""Gated reward functions for GRPO: plain callables with TRL's reward signature.

A completion climbs the decision gates of :mod:`inftool_hf.verify.decisions` (``format``, ``schema``, ``names``,
``arguments``, ``state``); its reward is the partial credit of the last gate it passed, so a weak model still gets a
gradient for, say, well-formed calls to the wrong function.

Rows whose right action is *not* to call (irrelevance, a missing function, a missing parameter to ask
for) are scored by :func:`irrelevance_reward` instead: 1 for a plain reply, 0 for any call.

Each function takes ``completions`` plus dataset columns as keyword arguments (TRL passes every extra
column), returns one float per completion (``None`` where it does not apply), and never raises: any
unexpected input scores 0. The ``gate_*`` indicator functions (weight 0 in training) exist so TRL logs
the pass rate of every gate separately.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inftool_hf.tool_calls import parse_tool_calls
from inftool_hf.verify.decisions import GATE_NAMES, completion_text, json_or, last_gate
from inftool_hf.verify.faithfulness import decline_problems

logger = logging.getLogger(__name__)


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
        wanted = json_or(expected, {})
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
    parsed = parse_tool_calls(completion_text(completion), json_or(tools, []))
    if parsed.tool_calls or "<tool_call>" in completion_text(completion):
        return 0.0
    text = parsed.content.strip()
    if not text:
        return 0.0
    return 1.0 if "?" in text or not decline_problems(text) else 0.5


def make_irrelevance_reward() -> Callable[..., list[float | None]]:
    """1 for a plain reply where no call is right, 0 for any call; None on rows that expect calls."""
    failures: Counter = Counter()

    def one(completion: Any, wanted: Any, row_tools: Any) -> float | None:
        return None if json_or(wanted, {}).get("calls") else _no_call_score(completion, row_tools)

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
        if not json_or(expected, {}).get("calls"):
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
