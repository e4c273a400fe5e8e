"""Gates are a registry: check_trajectory, verify_trajectories and the dataset card read GATES, so a new gate is
its check and one line in GATES (docs/gates.md walks through this same example)."""

import json
from pathlib import Path

from inftool_hf.verify import gates
from inftool_hf.verify.gates import GATES, Gate, RowView, check_trajectory, verify_trajectories

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden_rows" / "pack.jsonl"


def _rows() -> list[dict]:
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines()]
    for row in rows:
        row.pop("split")
        row.pop("verification")
    return rows


def test_the_registry_lists_every_gate_in_order_with_what_it_checks():
    assert [g.name for g in GATES] == ["parse", "schema", "blueprint", "grounded", "state", "faithful", "judge",
                                       "dedup"]
    assert all(g.checks for g in GATES)
    assert [g.name for g in GATES if g.check is None] == ["judge", "dedup"]  # these look at the whole dataset
    assert [g.name for g in GATES if g.optional] == ["judge"]


def check_no_shouting(view: RowView) -> list[str]:
    """Rejects an assistant reply written in capitals."""
    return [f"shouted: {m['content'][:40]!r}" for m in view.messages
            if m["role"] == "assistant" and len(m.get("content") or "") > 8 and m["content"].isupper()][:1]


def test_adding_a_gate_is_a_check_and_one_registry_line(monkeypatch):
    from datasets import Dataset

    from inftool_hf.publish import render_card

    monkeypatch.setattr(gates, "GATES", (*GATES[:5], Gate("no_shouting", "no assistant reply in capitals",
                                                          check_no_shouting), *GATES[5:]))
    rows = _rows()
    quiet = rows[1:]
    assert all(check_trajectory(r) == (None, []) for r in quiet)
    shouting = dict(rows[0], messages=[*rows[0]["messages"][:-1], {**rows[0]["messages"][-1],
                                                                 "content": "DONE, ALL BOOKED FOR YOU."}])
    assert check_trajectory(shouting) == ("no_shouting", ["shouted: 'DONE, ALL BOOKED FOR YOU.'"])
    verified = verify_trajectories(Dataset.from_list([*quiet[:5], shouting]))
    assert [r["verification"]["failed_gate"] for r in verified["rejected"]] == ["no_shouting"]
    card = render_card(verified, "guard", 0, ["pack"])
    assert "`no_shouting`: no assistant reply in capitals" in card and "state → no_shouting → faithful → dedup" in card


def test_the_audit_rechecks_kept_rows_with_every_row_gate():
    from datasets import Dataset, DatasetDict

    from inftool_hf.verify.audit import audit_dataset, audit_markdown

    rows = _rows()[:6]
    call = next(c for row in rows for m in row["messages"] if m["role"] == "assistant"
                for c in (m.get("tool_calls") or []))
    call["function"]["name"] = "edited_after_verification"
    report = audit_dataset(DatasetDict(train=Dataset.from_list(rows)), sample=0)
    assert report["gate_failures_on_recheck"] == {"parse": 0, "schema": 1, "blueprint": 0, "grounded": 0,
                                                  "state": 0, "faithful": 0}
    chain = "parse → schema → blueprint → grounded → state → faithful"
    assert f"| kept rows failing a gate when re-checked ({chain}) | 1 |" in audit_markdown(report)
