import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from inftool_hf.loop import gap_analysis, load_loop_config, next_mix, next_tool_weights

ROOT = Path(__file__).parent.parent


def test_recipe_loads():
    config = load_loop_config(str(ROOT / "recipes" / "loop_cpu.yaml"))
    assert config.iterations == 2 and config.generate.backend.backend == "vllm"


def test_gap_rule_leans_toward_failures():
    bfcl = {"categories": {"simple_python": {"accuracy": 0.2}, "live_simple": {"accuracy": 0.4},
                           "irrelevance": {"accuracy": 1.0}}}
    heldout = {"categories": {"multi_step": {"accuracy": 0.0, "failed_gate": {"names": 3}},
                              "simple": {"accuracy": 0.5, "failed_gate": {"arguments": 1}}}}
    gaps = gap_analysis(heldout, {"flights_book": 1.0, "weather_uv_index": 0.0})
    assert gaps["category_failure"]["simple"] == pytest.approx(0.5)
    assert "irrelevance" not in gaps["category_failure"] and bfcl  # BFCL is not an input at all
    assert gaps["failed_gates"] == {"names": 3, "arguments": 1}
    mix = next_mix({c: 1.0 for c in ("simple", "irrelevance", "multi_step", "parallel")}, gaps, shift=1.0)
    assert gap_analysis(None) == {"category_failure": {}, "tool_failure": {}, "failed_gates": {}}
    assert mix["multi_step"] > mix["simple"] > mix["parallel"] == mix["irrelevance"] > 0
    assert sum(mix.values()) == pytest.approx(1.0, abs=1e-3)
    assert next_tool_weights(gaps, 1.0) == {"flights_book": 2.0, "weather_uv_index": 1.0}


def test_bfcl_results_cannot_reach_the_mix(monkeypatch, tmp_path):
    """The loop's decisions read only our data: two runs whose BFCL results are opposite decide the same mix."""
    import inftool_hf.loop as loop

    decided = []
    for accuracy in (0.0, 1.0):
        bfcl = {"categories": {c: {"accuracy": accuracy} for c in loop.BFCL_TO_CATEGORY}}
        monkeypatch.setattr(loop, "_run_bfcl", lambda config, model, out, bfcl=bfcl: bfcl)
        config = loop.LoopConfig(run_dir=str(tmp_path / f"run{accuracy}"), iterations=1)
        state = loop.LoopState(Path(config.run_dir) / "state.json")
        loop.decide_base_mix(config, state)
        decided.append(state.stage(0, "gaps")["next_mix"])
    assert decided[0] == decided[1]


TINY = {
    "loop": {
        "name": "tiny", "iterations": 1, "first_stages": ["sft"], "heldout_eval": True,
        "dev_domains": ["weather"], "dev_scenarios": 6,
        "generate": {"scenarios": {"num_scenarios": 12, "seed": 3}, "roleplay": {"shard_size": 4,
                     "sampling": {"max_new_tokens": 24}}, "backend": {"backend": "transformers", "batch_size": 12}},
        "train": {"heldout_fraction": 0.25, "sft": {"max_steps": 3, "batch_size": 2, "save_steps": 1,
                                                     "max_length": 1024}},
        "eval": {"backend": {"backend": "transformers", "batch_size": 8}, "sampling": {"max_new_tokens": 32},
                 "categories": ["simple_python", "irrelevance"], "limit": 2},
    }
}


@pytest.mark.slow
def test_loop_killed_mid_stage_resumes_without_loss(tmp_path):
    recipe = tmp_path / "tiny.yaml"
    config = json.loads(json.dumps(TINY))
    config["loop"]["run_dir"] = str(tmp_path / "run")
    recipe.write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "inftool_hf.cli", "loop", "--recipe", str(recipe)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                               start_new_session=True)
    train_dir = tmp_path / "run" / "iter1" / "train" / "sft"
    deadline = time.time() + 900
    try:
        while not (train_dir / "checkpoint-1" / "trainer_state.json").exists():  # mid-training, checkpoint saved
            assert process.poll() is None, "loop ended before it could be interrupted"
            assert time.time() < deadline
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert "generate" in state["iterations"]["1"] and "train" not in state["iterations"]["1"]
    shards_before = sorted(p.name for p in (tmp_path / "run" / "datasets" / "tiny-iter1" / "work" / "shards").iterdir())

    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert set(state["iterations"]["1"]) == {"generate", "train", "evaluate", "gaps"}
    assert {"evaluate", "gaps"} <= set(state["iterations"]["0"])
    shards_after = sorted(p.name for p in (tmp_path / "run" / "datasets" / "tiny-iter1" / "work" / "shards").iterdir())
    assert shards_after == shards_before  # generation was not repeated

    from tests.fakes import ids_from_files

    ids = ids_from_files(tmp_path / "run" / "datasets" / "tiny-iter1")
    assert len(ids) == len(set(ids)) == 12  # no duplicated and no lost rows
    history = json.loads((train_dir / "log_history.json").read_text())
    assert [e["step"] for e in history if "loss" in e] == [1, 2, 3]  # resumed from checkpoint-1
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| iteration |" in report and (tmp_path / "run" / "report.png").exists()
    # the dev set: made once from the dev domain alone, never in training data, and what the mix reads
    import pyarrow.parquet as pq

    def domains(folder):
        files = (Path(folder) / "data").glob("*.parquet")
        return {d for f in files for d in pq.read_table(f).column("domain").to_pylist()}

    assert domains(state["iterations"]["0"]["dev"]["dataset"]) == {"weather"}
    assert "weather" not in domains(tmp_path / "run" / "datasets" / "tiny-iter1")
    assert state["iterations"]["1"]["gaps"]["source"] == "dev" and state["iterations"]["1"]["evaluate"]["dev"]
    assert state["iterations"]["0"]["evaluate"]["dev"]["categories"]  # the base model measured on it too
    assert "Dev set per category" in report
    assert Path(state["iterations"]["1"]["train"]["model"]).is_dir()  # merged checkpoint for the next round
