"""Layered verification of trajectories, recorded per row.

:data:`GATES` is the ordered list of gates; the first a row fails is its ``failed_gate`` and the reasons go with it.
Each gate is a :class:`Gate` (name, what it checks, ``check(row) -> reasons``): ``parse``, ``schema``, ``blueprint``
(skipped for ``free`` role-play), ``grounded``, ``state`` (:mod:`inftool_hf.verify.consistency`), ``faithful``
(:mod:`inftool_hf.verify.faithfulness`), then two that look at the whole dataset: the optional LLM ``judge`` (one
backend call per batch of rows) and ``dedup``. The blueprint gate matches calls with BFCL-like tolerance: step by
step, order-free within a parallel step, optional parameters left at their default may be omitted or given, and
equivalent values match (case and spacing of strings, ``5`` and ``5.0``, the same instant written two ways). Adding
a gate is one function and one line in :data:`GATES` (docs/gates.md). The dataset card, the audit and the scale-out
runner read this list; the decision gates a single completion climbs (rewards, held-out scoring) are another
ladder, in :mod:`inftool_hf.verify.decisions`.

Rows that fail go to the ``rejected`` split with their reasons: the best debugging tool and the raw
material of gap analysis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from inftool_hf.synth.scenarios import NO_CALL_CATEGORIES
from inftool_hf.synth.simulator import schema_errors
from inftool_hf.verify.consistency import state_inconsistencies
from inftool_hf.verify.faithfulness import decline_problems, faithfulness_problems

# --- value equivalence (shared with the reward functions) ------------------------------------------

def _as_instant(value: str) -> dt.datetime | dt.date | None:
    text = value.strip()
    if len(text) < 8 or not text[:4].isdigit():
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None


def values_equivalent(predicted: Any, gold: Any) -> bool:
    """Whether two argument values mean the same thing (lenient on form, strict on content)."""
    if isinstance(gold, bool) or isinstance(predicted, bool):
        return predicted is gold
    if isinstance(gold, (int, float)) and isinstance(predicted, (int, float)):
        return math.isclose(float(predicted), float(gold), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(gold, str) and isinstance(predicted, str):
        if " ".join(predicted.split()).casefold() == " ".join(gold.split()).casefold():
            return True
        left, right = _as_instant(predicted), _as_instant(gold)
        if left is not None and right is not None and type(left) is type(right):
            try:
                return left == right
            except TypeError:  # naive vs aware datetimes
                return left.replace(tzinfo=None) == right.replace(tzinfo=None)  # type: ignore[call-arg]  # datetimes
        return False
    if isinstance(gold, list) and isinstance(predicted, list):
        if len(gold) != len(predicted):
            return False
        remaining = list(predicted)
        for item in gold:
            match = next((i for i, p in enumerate(remaining) if values_equivalent(p, item)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True
    if isinstance(gold, dict) and isinstance(predicted, dict):
        return set(gold) == set(predicted) and all(values_equivalent(predicted[k], gold[k]) for k in gold)
    return False


def arguments_match(predicted: dict[str, Any], gold: dict[str, Any], schema: dict[str, Any] | None = None) -> list[str]:
    """Differences between predicted and gold arguments (empty when they match)."""
    properties = (schema or {}).get("properties", {})
    required = set((schema or {}).get("required", []))
    problems = []
    for name, value in gold.items():
        if name in predicted:
            if not values_equivalent(predicted[name], value):
                problems.append(f"{name}: got {json.dumps(predicted[name])[:80]}, expected {json.dumps(value)[:80]}")
        elif name in required or properties.get(name, {}).get("default", object()) != value:
            problems.append(f"{name}: missing (expected {json.dumps(value)[:80]})")
    for name, value in predicted.items():
        if name not in gold:
            default = properties.get(name, {}).get("default", object())
            if not values_equivalent(value, default):
                problems.append(f"{name}: not asked for (got {json.dumps(value)[:80]})")
    return problems


def calls_match(predicted: list[tuple[str, dict]], gold: list[tuple[str, dict]], schemas: dict[str, dict]) -> list[str]:
    """Order-free match of one step's calls; returns the problems."""
    if len(predicted) != len(gold):
        return [f"{len(predicted)} call(s), expected {len(gold)}: "
                f"{[n for n, _ in predicted]} vs {[n for n, _ in gold]}"]
    remaining = list(predicted)
    problems = []
    for name, args in gold:
        candidates = [i for i, (n, _) in enumerate(remaining) if n == name]
        if not candidates:
            problems.append(f"expected a call to {name}, got {[n for n, _ in remaining]}")
            continue
        scored = [(arguments_match(remaining[i][1], args, schemas.get(name)), i) for i in candidates]
        best, index = min(scored, key=lambda item: len(item[0]))
        if best:
            problems.append(f"{name}: " + "; ".join(best))
        remaining.pop(index)
    return problems


# --- per-row gates -----------------------------------------------------------------------------------

def _tool_schemas(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tools = json.loads(row["tools"]) if isinstance(row["tools"], str) else row["tools"]
    return {t["function"]["name"]: t["function"].get("parameters") or {} for t in tools}


def _assistant_calls(messages: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    groups = []
    for message in messages:
        if message["role"] == "assistant" and message.get("tool_calls"):
            groups.append([(c["function"]["name"], c["function"]["arguments"]) for c in message["tool_calls"]])
    return groups


def _flat_values(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [v for item in value for v in _flat_values(item)]
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flat_values(item)]
    return [value]


def _said(value: Any, text: str) -> bool:
    if isinstance(value, bool) or value is None:
        return True  # yes/no and nulls are phrased in words; the blueprint gate checks them
    if isinstance(value, (int, float)):
        forms = {str(value), f"{value:g}"}
        if float(value).is_integer():
            forms.add(str(int(value)))
        return any(form in text for form in forms)
    lowered = str(value).casefold()
    return lowered in text or lowered.replace("_", " ") in text


@dataclass(frozen=True)
class Gate:
    """One verification gate: its name (what a rejected row records as ``failed_gate``), what it checks in one line
    (the dataset card, the audit and the docs print it), and ``check(row) -> reasons`` ([] passes). A gate without
    ``check`` looks at the whole dataset (the judge, dedup) and runs in :func:`verify_trajectories`."""

    name: str
    checks: str
    check: Callable[[Any], list[str]] | None = None  # a RowView here; a decision's view in verify.decisions
    optional: bool = False


class RowView:
    """One row as the gates read it, each part parsed once however many gates look at it."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.messages: list[dict[str, Any]] = row["messages"]
        self.episode: dict[str, Any] = json.loads(row.get("episode") or "{}")
        self.schemas = _tool_schemas(row)
        self.groups = _assistant_calls(self.messages)

    @cached_property
    def call_problem(self) -> tuple[str, list[str]] | None:
        """The first gate a call fails (``parse`` or ``schema``) with its reasons, calls taken in order; None when
        every call parses and validates."""
        return next((found for group in self.groups for name, raw in group
                     if (found := _call_problem(self, name, raw))), None)

    @cached_property
    def inconsistencies(self) -> list[str]:
        """Reads that disagree with what the conversation wrote, deleted things used again (the state gate's core;
        the audit reports it on its own)."""
        return state_inconsistencies(self.messages)

    @cached_property
    def unfaithful(self) -> list[str]:
        """What the assistant's prose says that neither the user nor a tool result supports."""
        tools = self.row["tools"]
        return faithfulness_problems(self.messages, json.loads(tools) if isinstance(tools, str) else tools)

    @cached_property
    def parsed_groups(self) -> list[list[tuple[str, dict[str, Any]]]]:
        """Every calling turn's ``(name, arguments)``; read only once ``parse`` and ``schema`` passed."""
        return [[(name, json.loads(raw) if isinstance(raw, str) else raw) for name, raw in group]
                for group in self.groups]


def _call_problem(view: RowView, name: str, raw: Any) -> tuple[str, list[str]] | None:
    """The gate one call fails (``parse`` or ``schema``) with its reasons, in the order a reader checks."""
    try:
        args = json.loads(raw) if isinstance(raw, str) else raw
    except (ValueError, RecursionError):
        return "parse", [f"{name}: arguments are not JSON"]
    if name not in view.schemas:
        return "schema", [f"{name} is not one of the shown tools"]
    if not isinstance(args, dict):
        return "schema", [f"{name}: arguments are not an object"]
    problems = schema_errors(view.schemas[name], args)
    if problems:
        return "schema", [f"{name}: {p}" for p in problems]
    return None


def check_parse(view: RowView) -> list[str]:
    errors = [e for e in view.episode.get("parse_errors", []) if e]
    if errors:
        return errors[:3]
    found = view.call_problem
    return found[1] if found and found[0] == "parse" else []


def check_schema(view: RowView) -> list[str]:
    found = view.call_problem
    return found[1] if found and found[0] == "schema" else []


def check_blueprint(view: RowView) -> list[str]:
    row, messages, parsed_groups = view.row, view.messages, view.parsed_groups
    blueprint = json.loads(row["blueprint"])
    if view.episode.get("mode") == "free":
        return []  # open role-play: no gold plan to match; grounded, state and the judge decide
    if row["category"] in NO_CALL_CATEGORIES:
        if parsed_groups:
            return [f"called {[n for g in parsed_groups for n, _ in g]} though no tool fits"]
        said = next((m.get("content") or "" for m in reversed(messages) if m["role"] == "assistant"), "")
        problems = decline_problems(said)
        if problems:  # no call is right; a turn that pretends to do it is not a decline
            return [f"no call, but the reply {problems[0]}: {said[:80]!r}"]
        return []
    gold_steps: dict[int, list[tuple[str, dict]]] = {}
    for call in blueprint["calls"]:
        gold_steps.setdefault(call["step"], []).append((call["name"], call["arguments"]))
    ordered = [gold_steps[s] for s in sorted(gold_steps)]
    if len(parsed_groups) != len(ordered):
        return [f"{len(parsed_groups)} calling turn(s), the plan has {len(ordered)} step(s)"]
    for step, (predicted, gold) in enumerate(zip(parsed_groups, ordered, strict=True)):
        problems = calls_match(predicted, gold, view.schemas)
        if problems:
            return [f"step {step}: {p}" for p in problems]
    if blueprint.get("withheld"):
        first = next((m for m in messages if m["role"] == "assistant"), None)
        if first is None or first.get("tool_calls") or "?" not in (first.get("content") or ""):
            return ["did not ask for the missing value before calling"]
    return []


def check_grounded(view: RowView) -> list[str]:
    context = ""
    for message in view.messages:
        if message["role"] in ("user", "tool"):
            context += " " + (message.get("content") or "").casefold()
        elif message["role"] == "assistant" and message.get("tool_calls"):
            for call in message["tool_calls"]:
                name = call["function"]["name"]
                args = json.loads(call["function"]["arguments"])
                properties = view.schemas.get(name, {}).get("properties", {})
                for param, value in args.items():
                    spec = properties.get(param, {})
                    if "default" in spec and values_equivalent(value, spec["default"]):
                        continue
                    for item in _flat_values(value):
                        if not _said(item, context):
                            return [f"{name}.{param} = {json.dumps(item)[:80]} was never said or returned"]
    return []


def check_state(view: RowView) -> list[str]:
    messages = view.messages
    tool_errors = [m["content"][:160] for m in messages if m["role"] == "tool" and m["content"].startswith('{"error"')]
    if tool_errors:
        return [f"tool error: {e}" for e in tool_errors[:3]]
    inconsistent = view.inconsistencies
    if inconsistent:
        return inconsistent[:5]
    if messages[-1]["role"] != "assistant" or messages[-1].get("tool_calls") or not view.episode.get("finished", True):
        return ["conversation did not end with an assistant reply"]
    return []


def check_faithful(view: RowView) -> list[str]:
    return view.unfaithful[:5]


GATES: tuple[Gate, ...] = (
    Gate("parse", "every assistant turn parsed, every call's arguments are JSON", check_parse),
    Gate("schema", "every call names a shown tool, with arguments valid against its JSON schema", check_schema),
    Gate("blueprint", "the calls match the gold plan (BFCL-like tolerance); where no tool fits, no call and a reply "
                      "that says so", check_blueprint),
    Gate("grounded", "every argument value was said by the user or returned by an earlier tool", check_grounded),
    Gate("state", "no tool error, reads agree with what the conversation wrote, nothing deleted is used again, an "
                  "assistant reply ends it", check_state),
    Gate("faithful", "the assistant's prose says only what the user and the tool results support", check_faithful),
    Gate("judge", "an LLM judge accepts the final answer (when a judge is configured)", optional=True),
    Gate("dedup", "the same requests with the same calls were not already kept"),
)
GATE_NAMES = tuple(gate.name for gate in GATES)


def check_trajectory(row: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The row gates (every gate with a ``check``) in order; returns (the first that fails or None, its reasons)."""
    return first_failure(RowView(row))


def first_failure(view: RowView) -> tuple[str | None, list[str]]:
    """:func:`check_trajectory` on a row already viewed (the audit reads the same view's other parts)."""
    for gate in GATES:
        reasons = gate.check(view) if gate.check is not None else []
        if reasons:
            return gate.name, reasons
    return None, []


def _dedup_key(row: dict[str, Any]) -> str:
    users = [m.get("content") or "" for m in row["messages"] if m["role"] == "user"]
    calls = [[(n, json.loads(a)) for n, a in g] for g in _assistant_calls(row["messages"])]
    return hashlib.sha256(json.dumps([users, calls], sort_keys=True).encode()).hexdigest()


Judge = Callable[[list[dict[str, Any]]], list[tuple[bool, str]]]


def _batch_rows(batch: dict[str, list]) -> list[dict[str, Any]]:
    """The rows of a batched ``Dataset.map`` batch (column → values), in order."""
    return [dict(zip(batch, values, strict=True)) for values in zip(*batch.values(), strict=True)]


def verify_trajectories(dataset, judge: Judge | None = None, judge_batch_size: int = 64):
    """Trajectories → ``DatasetDict(train=verified, rejected=failed)``, each row with ``verification``.

    ``judge`` takes a list of rows and returns one ``(ok, why)`` per row; it sees only rows that passed the
    deterministic gates, ``judge_batch_size`` at a time (one backend call per batch, see :func:`llm_judge`)."""
    from datasets import DatasetDict, List, Value

    # declared, not inferred: a batch where every row passed would make ``failed_gate`` a null column
    features = dataset.features.copy()
    features["verification"] = {"passed": Value("bool"), "failed_gate": Value("string"),
                                "reasons": List(Value("string"))}

    def gate(batch: dict[str, list]) -> dict[str, list]:
        # batched: datasets turns a whole batch into Python objects at once, not row by row (one core, alternating
        # runs: 628-834 rows/s row by row, 832-1,131 batched; benchmarks/README.md)
        out = []
        for row in _batch_rows(batch):
            failed, reasons = check_trajectory(row)
            out.append({"passed": failed is None, "failed_gate": failed, "reasons": reasons})
        return {"verification": out}

    checked = dataset.map(gate, batched=True, batch_size=256, features=features, desc="verify")
    if judge is not None and len(checked):
        def judged(batch: dict[str, list]) -> dict[str, list]:
            rows = _batch_rows(batch)
            todo = [i for i, row in enumerate(rows) if row["verification"]["passed"]]
            verdicts = judge([rows[i] for i in todo]) if todo else []
            out = list(batch["verification"])
            for i, (ok, why) in zip(todo, verdicts, strict=True):
                if not ok:
                    out[i] = {"passed": False, "failed_gate": "judge", "reasons": [why]}
            return {"verification": out}

        checked = checked.map(judged, batched=True, batch_size=judge_batch_size, desc="judge")
    seen: dict[str, str] = {}

    def dedup(batch: dict[str, list]) -> dict[str, list]:
        out = []
        for row in _batch_rows(batch):
            verification = row["verification"]
            if verification["passed"]:
                key = _dedup_key(row)
                if key in seen:
                    verification = {"passed": False, "failed_gate": "dedup",
                                    "reasons": [f"same requests and calls as {seen[key]}"]}
                else:
                    seen[key] = row["id"]
            out.append(verification)
        return {"verification": out}

    # sequential, in order: the first of two identical rows is kept
    checked = checked.map(dedup, batched=True, batch_size=256, features=checked.features, desc="dedup")
    return DatasetDict({
        "train": checked.filter(lambda r: r["verification"]["passed"]),
        "rejected": checked.filter(lambda r: not r["verification"]["passed"]),
    })


def judge_prompt(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The judge's question about one row (its transcript, each turn cut to 400 characters)."""
    transcript = "\n".join(f"{m['role']}: {(m.get('content') or '')[:400]}" for m in row["messages"][1:])
    return [{"role": "user", "content": ("Does the assistant's last message answer the user correctly, using only "
                                         f"the tool results? Answer yes or no.\n\n{transcript}")}]


def judge_verdict(text: str) -> tuple[bool, str]:
    answer = (text or "").strip().lower()
    return answer.startswith("yes"), f"judge answered {answer[:20]!r}"


def llm_judge(backend: Any) -> Judge:
    """A judge that asks ``backend`` whether each row's final reply answers the user faithfully: all rows of a
    batch in one ``generate`` call."""
    from inftool_hf.configs import SamplingConfig

    def judge(rows: list[dict[str, Any]]) -> list[tuple[bool, str]]:
        generations = backend.generate([judge_prompt(row) for row in rows], None, SamplingConfig(max_new_tokens=4))
        return [judge_verdict(g.message.get("content") or "") for g in generations]

    return judge


def recorded_judge(rows: list[dict[str, Any]]) -> list[tuple[bool, str]]:
    """The verdicts the judge gave while the rows were played (``episode.judge``: datatrove's rollouts ask it
    through the same engine as every other role); a row without one is not accepted."""
    verdicts = []
    for row in rows:
        recorded = json.loads(row.get("episode") or "{}").get("judge")
        verdicts.append((bool(recorded[0]), str(recorded[1])) if recorded else (False, "no judge verdict recorded"))
    return verdicts
