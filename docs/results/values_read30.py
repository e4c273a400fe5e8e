"""Renders 30 random held-out rows for a reading row by row in docs/values.md (run from the repo root:
``PYTHONPATH=. .venv/bin/python docs/results/values_read30.py [SCENARIO_SEED PICK_SEED]``, 21 30 by default: the
first reading; 22 31: the second; writes /tmp/rel/read30.md)."""
import json, random, sys
from pathlib import Path
from inftool_hf.generate import GenerateConfig, build_pool
from inftool_hf.synth.roleplay import RolePlayConfig, role_play
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.verify.gates import verify_trajectories
from inftool_hf.verify.audit import (echo_mismatches, misplaced_person_names, placeholder_values, range_absurdities,
                                     wrong_kind_values)
from inftool_hf.verify.consistency import state_inconsistencies
from tests.fakes import ScriptedBackend
pool = build_pool(GenerateConfig(specs=["tests/data/public_specs"], decontaminate=False))
scenario_seed, pick_seed = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (21, 30)
plans = sample_scenarios(pool, ScenarioConfig(num_scenarios=60, seed=scenario_seed))
verified = verify_trajectories(role_play(plans, pool, RolePlayConfig(), ScriptedBackend("ok"), progress=False))
rows = list(verified["train"])
picked = random.Random(pick_seed).sample(rows, 30)
out = []
for n, row in enumerate(picked, 1):
    flags = (placeholder_values(row) + range_absurdities(row) + echo_mismatches(row) + misplaced_person_names(row)
             + wrong_kind_values(row) + state_inconsistencies(row["messages"]))
    lines = [f"### {n}. {row['id']} ({row['category']}, {row['domain']}) audit flags: {flags or 'none'}"]
    for m in row["messages"]:
        if m["role"] == "user": lines.append(f"USER: {m['content'][:400]}")
        for c in m.get("tool_calls") or []:
            lines.append(f"CALL {c['function']['name']}({c['function']['arguments'][:400]})")
        if m["role"] == "tool": lines.append(f"RESULT: {m['content'][:400]}")
        if m["role"] == "assistant" and m.get("content"): lines.append(f"ASSISTANT: {m['content'][:300]}")
    out.append("\n".join(lines))
Path("/tmp/rel").mkdir(parents=True, exist_ok=True)
Path("/tmp/rel/read30.md").write_text("\n\n".join(out))
print(len(rows), "verified")
