"""Verification and reward throughput on one core: trajectories verified per second, reward calls per second.

    .venv/bin/python benchmarks/verify_rewards.py --rows 600
    .venv/bin/python benchmarks/verify_rewards.py --quick

Rows come from blueprint role-play with a canned final answer (no model: this measures our code only).
Writes benchmarks/results/verify_rewards.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from common import write_result  # noqa: E402

from inftool_hf.generate import GenerateConfig, build_pool  # noqa: E402
from inftool_hf.synth.roleplay import RolePlayConfig, role_play  # noqa: E402
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios  # noqa: E402
from inftool_hf.train.rewards import gate_indicators, irrelevance_reward, make_gated_reward  # noqa: E402
from inftool_hf.verify.gates import verify_trajectories  # noqa: E402
from inftool_hf.verify.trajectories import decision_points  # noqa: E402
from tests.fakes import ScriptedBackend  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--quick", action="store_true", help="90 rows")
    args = parser.parse_args()
    rows_wanted = 90 if args.quick else args.rows
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core: "per core" numbers
    pool = build_pool(GenerateConfig(specs=["pack"]))
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=rows_wanted, seed=1))
    rows = role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False)
    started = time.monotonic()
    verified = verify_trajectories(rows)
    verify_seconds = time.monotonic() - started

    points = [(row, p) for row in verified["train"] for p in decision_points(row)]
    completions, expected, tools, known = [], [], [], []
    for row, point in points:
        calls = point["expected"]["calls"]
        text = "".join(f'<tool_call>\n{json.dumps({"name": n, "arguments": a})}\n</tool_call>' for n, a in calls)
        completions.append(text or "I can't do that with the tools I have.")
        expected.append(json.dumps(point["expected"]))
        tools.append(row["tools"])
        known.append(json.dumps(point["known_ids"]))
    rewards = {"gated_reward": make_gated_reward(), "irrelevance_reward": irrelevance_reward}
    rewards.update({f.__name__: f for f in gate_indicators()})
    per_reward = {}
    for name, function in rewards.items():
        started = time.monotonic()
        function(completions, expected, tools, known_ids=known)
        per_reward[name] = round(len(completions) / (time.monotonic() - started), 1)
    started = time.monotonic()
    values = make_gated_reward()(completions, expected, tools, known_ids=known)
    gated_seconds = time.monotonic() - started
    result = {"rows": len(rows), "verified": len(verified["train"]), "cores": 1,
              "verify_seconds": round(verify_seconds, 2),
              "trajectories_verified_per_s_per_core": round(len(rows) / verify_seconds, 1),
              "reward_calls": len(completions), "gold_completions_full_credit": sum(v == 1.0 for v in values),
              "gated_reward_calls_per_s_per_core": round(len(completions) / gated_seconds, 1),
              "calls_per_s_by_reward": per_reward}
    print(json.dumps(result, indent=2))
    write_result("verify_rewards", result)


if __name__ == "__main__":
    main()
