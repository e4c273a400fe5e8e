"""The benchmark scripts that need no engine run at their quick size and write what the README table reads."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_verify_rewards_benchmark_quick_run_and_report(tmp_path):
    env = {**os.environ, "INFTOOL_BENCH_RESULTS": str(tmp_path)}  # the committed results stay as they are
    result = subprocess.run([sys.executable, "benchmarks/verify_rewards.py", "--quick"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "verify_rewards.json").read_text())
    assert record["rows"] == 90 and record["trajectories_verified_per_s_per_core"] > 0
    assert record["gold_completions_full_credit"] == record["reward_calls"]  # gold answers earn full credit
    table = subprocess.run([sys.executable, "benchmarks/report.py"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60)
    assert table.returncode == 0 and "trajectories verified / s / core" in table.stdout
