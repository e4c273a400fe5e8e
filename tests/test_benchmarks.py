"""The benchmark scripts that need no engine run at their quick size and write what the README table reads."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def test_hardware_roof_benchmark_quick_run(tmp_path):
    env = {**os.environ, "INFTOOL_BENCH_RESULTS": str(tmp_path)}
    result = subprocess.run([sys.executable, "benchmarks/hardware_roof.py", "--quick"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "hardware_roof.json").read_text())
    assert set(record["matmul_gflops"]) == {"fp32", "bf16"} and set(record["matmul_gflops"]["fp32"]) == {"256", "512"}
    assert record["roof_gflops"]["fp32"] == max(record["matmul_gflops"]["fp32"].values()) > 0
    assert record["copy_gbytes_per_s"] > 0 and record["settings"]["threads"] >= 1


@pytest.mark.slow
def test_sft_step_benchmark_quick_run(tmp_path):
    env = {**os.environ, "INFTOOL_BENCH_RESULTS": str(tmp_path)}
    result = subprocess.run([sys.executable, "benchmarks/sft_step.py", "--quick"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "sft_step.json").read_text())
    assert record["steps"] == 2 and record["trained_tokens"] > 0 and record["trained_tokens_per_s"] > 0
    assert record["tokens_per_row"] > record["tokens_per_row_without_tools"] > 0  # the rows carry their tools
    assert 0 < record["tool_schema_share"] < 1 and record["fraction_of_roof"] == {}  # no roof in tmp_path


def test_spec_sources_benchmark_quick_run(tmp_path):
    env = {**os.environ, "INFTOOL_BENCH_RESULTS": str(tmp_path)}
    result = subprocess.run([sys.executable, "benchmarks/spec_sources.py", "--quick", "--pool-sample", "200"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "spec_sources.json").read_text())
    assert record["aws"]["services"] == 20 and record["aws"]["tools"] > 100 and record["google"]["tools"] > 100
    assert record["pool"]["tools_in"] == 200 and 0 < record["pool"]["tools_kept"] <= 200


def test_counting_backend_empties_the_prefix_cache_between_phases():
    """The synthesis benchmark's raw reference re-sends the prompts role-play cached; each measured phase must
    start with vLLM's prefix cache emptied, or the reference skips their prefill and looks faster."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from common import CountingBackend

    from inftool_hf.backends import Generation

    class FakeLLM:
        resets = 0

        def reset_prefix_cache(self):
            self.resets += 1
            return True

    class FakeEngine:
        model_name = "fake"
        llm = FakeLLM()

        def generate(self, conversations, tools=None, sampling=None):
            time.sleep(0.01)  # a real engine takes time; a coarse clock must still see it
            return [Generation(message={"role": "assistant", "content": "ok"}, raw_text="ok", prompt_tokens=7,
                               completion_tokens=3) for _ in conversations]

    engine = FakeEngine()
    backend = CountingBackend(engine, record=True)
    backend.generate([[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]])
    assert (backend.calls, backend.prompts, backend.tokens, backend.prompt_tokens) == (1, 2, 6, 14)
    assert backend.engine_seconds > 0 and len(backend.recorded) == 2
    backend.reset()
    assert engine.llm.resets == 1
    assert (backend.calls, backend.prompts, backend.tokens, backend.prompt_tokens, backend.engine_seconds) == \
        (0, 0, 0, 0, 0.0)


@pytest.mark.slow
def test_gpu_smoke_script_runs_every_step_where_there_is_no_gpu(tmp_path):
    """The GPU smoke check (`make gpu-smoke`) on CPU with its tiny model: role-play, SFT, GRPO, held-out measurement,
    adapter reloaded; the record says which device ran it."""
    env = {**os.environ, "INFTOOL_BENCH_RESULTS": str(tmp_path)}
    result = subprocess.run([sys.executable, "benchmarks/gpu_smoke.py", "--tiny"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "gpu_smoke.json").read_text())
    assert record["device"] == "cpu" and record["adapter_device"] == "cpu" and record["peak_gpu_memory_gib"] is None
    assert record["trained"]["sft"]["steps"] == 4 and record["trained"]["grpo"]["steps"] == 2
    assert set(record["call_validity"]) == {"base", "after sft", "after grpo"}
    assert record["rows"]["verified"] > 0 and set(record["seconds"]) == {"role_play", "train", "reload_and_generate"}
