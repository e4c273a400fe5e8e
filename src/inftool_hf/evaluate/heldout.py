"""Held-out scoring on our own data: generate at every decision point and grade it with the gated reward's gates.

The same measure serves the held-out split of each round's data, the loop's dev set (domains never trained on)
and the before/after measurement of training; BFCL is scored elsewhere (:mod:`inftool_hf.evaluate.bfcl`).
"""

from __future__ import annotations

import json
from typing import Any

from inftool_hf.configs import SamplingConfig
from inftool_hf.verify.decisions import GATE_NAMES, score_decision_points


def evaluate_heldout(rows, backend: Any, sampling: SamplingConfig | None = None) -> dict[str, Any]:
    """Per category: share of decision points answered right with its 95% Wilson interval, and where the rest
    failed (last gate). ``outcomes`` (point id ``<row id>#<n>``, the row's n-th decision point → right or not) and
    ``point_categories`` let two checkpoints be compared point by point (:mod:`inftool_hf.significance`)."""
    from inftool_hf.significance import wilson_interval

    scored = score_decision_points(rows, backend, sampling or SamplingConfig(max_new_tokens=192))
    if not scored:
        return {"categories": {}, "points": 0}
    per: dict[str, dict[str, Any]] = {}
    tools: dict[str, dict[str, int]] = {}
    failures: list[dict[str, Any]] = []
    outcomes: dict[str, int] = {}
    point_categories: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row, point, generation, gate in scored:
        point_id = f"{row['id']}#{seen.get(row['id'], 0)}"
        seen[row["id"]] = seen.get(row["id"], 0) + 1
        stats = per.setdefault(row["category"], {"total": 0, "correct": 0, "failed_gate": {}})
        stats["total"] += 1
        if point["expected"]["calls"]:
            ok = gate == GATE_NAMES[-1]
            # the gate the completion failed: the one after the last it passed
            failed = GATE_NAMES[0] if gate is None else None if ok else GATE_NAMES[GATE_NAMES.index(gate) + 1]
        else:
            ok = not generation.message.get("tool_calls") and bool((generation.message.get("content") or "").strip())
            failed = None if ok else "called_when_none_fits"
        stats["correct"] += int(ok)
        outcomes[point_id], point_categories[point_id] = int(ok), row["category"]
        for name, _ in point["expected"]["calls"]:
            tool = tools.setdefault(name, {"total": 0, "correct": 0})
            tool["total"] += 1
            tool["correct"] += int(ok)
        if not ok:
            stats["failed_gate"][failed] = stats["failed_gate"].get(failed, 0) + 1
            names = [name for name, _ in point["expected"]["calls"]]
            if not names:  # a no-call decision: the tool the user would have needed (see the blueprint)
                missing = json.loads(row["blueprint"]).get("missing_tool") if row.get("blueprint") else None
                names = [missing] if missing else []
            failures.append({"row_id": row["id"], "category": row["category"], "tools": names, "gate": failed})
    for stats in per.values():
        stats["accuracy"] = stats["correct"] / stats["total"]
        stats["interval"] = list(wilson_interval(stats["correct"], stats["total"]))
    correct = sum(s["correct"] for s in per.values())
    return {"categories": per, "points": len(scored), "tools": tools, "failures": failures,
            "accuracy": correct / len(scored), "interval": list(wilson_interval(correct, len(scored))),
            "outcomes": outcomes, "point_categories": point_categories}
