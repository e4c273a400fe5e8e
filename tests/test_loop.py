import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from inftool_hf.loop import (
    failure_seeds,
    gap_analysis,
    load_loop_config,
    mix_reasons,
    next_mix,
    next_tool_weights,
)

ROOT = Path(__file__).parent.parent


def test_recipes_load_and_the_model_plays_the_assistant_after_its_first_training():
    config = load_loop_config(str(ROOT / "recipes" / "loop_cpu.yaml"))
    assert config.iterations >= 3 and config.generate.backend.backend == "vllm"
    assert config.model_assistant_after == 1 and config.full_bfcl_last and config.seed_fraction > 0
    gpu = load_loop_config(str(ROOT / "recipes" / "loop_gpu_qwen7b.yaml"))
    assert gpu.train.quantization == "nf4" and gpu.train.model == gpu.generate.backend.model == gpu.eval.backend.model
    assert gpu.model_assistant_after == 1 and gpu.iterations >= 3


def _rejected_row(row_id, category, gate, calls, assistant="default (model)", missing=None):
    return {"id": row_id, "category": category, "verification": {"passed": False, "failed_gate": gate},
            "generator": {"assistant": assistant},
            "blueprint": json.dumps({"calls": [{"name": n, "arguments": {}} for n in calls], "missing_tool": missing})}


def test_failures_seed_the_next_round():
    rejected = [_rejected_row("a", "parallel", "blueprint", ["weather_daily_forecast"] * 2),
                _rejected_row("b", "irrelevance", "parse", [], missing="flights_search"),
                _rejected_row("c", "simple", "faithful", ["maps_route"]),  # the prose, not a decision
                _rejected_row("d", "simple", "schema", ["maps_route"], assistant="default (blueprint)")]  # scripted
    heldout = {"failures": [{"row_id": "h1", "category": "multi_step", "tools": ["shop_checkout"], "gate": "names"}]}
    seeds = failure_seeds(rejected, heldout, limit=10)
    assert sorted((s["category"], tuple(s["tools"]), s["gate"]) for s in seeds) == [
        ("irrelevance", ("flights_search",), "parse"), ("multi_step", ("shop_checkout",), "names"),
        ("parallel", ("weather_daily_forecast",), "blueprint")]
    assert {s["from"] for s in seeds} == {"generate:a", "generate:b", "heldout:h1"}
    assert len(failure_seeds(rejected, heldout, limit=2)) == 2
    assert {s["from"].split(":")[0] for s in failure_seeds(rejected, heldout, limit=2)} == {"generate", "heldout"}
    assert failure_seeds(rejected, heldout, limit=10) == seeds  # the same on a resumed run


def test_every_weight_says_why_it_moved():
    base = {"simple": 1.0, "parallel": 1.0}
    gaps = {"category_failure": {"parallel": 0.5}, "source": "dev"}
    mix = next_mix(base, gaps, shift=1.0)
    reasons = mix_reasons(base, gaps, 1.0, mix)
    assert reasons["parallel"] == "50.0% → 60.0%: failed 50% on the dev → ×1.50"
    assert reasons["simple"] == "50.0% → 40.0%: not measured on the dev → ×1.00"


def test_the_last_iteration_is_scored_on_the_whole_set_with_the_subset_beside_it(monkeypatch, tmp_path):
    import inftool_hf.evaluate.bfcl as evaluate
    import inftool_hf.evaluate.bfcl_env as bfcl_env
    import inftool_hf.loop as loop

    files = {"simple_python": [{"id": f"simple_python_{i}"} for i in range(10)]}
    monkeypatch.setattr(bfcl_env, "bfcl_data_dir", lambda: tmp_path)
    monkeypatch.setattr(bfcl_env, "load_bfcl", lambda c, limit=None, d=None: bfcl_env.evenly_spread(files[c], limit))
    seen = {}

    def fake_evaluate(config, backend=None, progress=False):
        seen["limit"] = config.limit
        entries = bfcl_env.evenly_spread(files["simple_python"], config.limit)
        verdicts = [{"id": e["id"], "category": "simple_python", "valid": int(e["id"].split("_")[-1]) % 2 == 0}
                    for e in entries]
        Path(config.output_dir).mkdir(parents=True, exist_ok=True)
        (Path(config.output_dir) / "verdicts.jsonl").write_text("".join(json.dumps(v) + "\n" for v in verdicts))
        return {**evaluate.summarize(verdicts), "limit": config.limit}

    monkeypatch.setattr(evaluate, "evaluate_bfcl", fake_evaluate)
    config = loop.LoopConfig()
    config.eval.categories, config.eval.limit = ["simple_python"], 5
    subset = loop._run_bfcl(config, "m", tmp_path / "a")
    assert seen["limit"] == 5 and subset["categories"]["simple_python"]["total"] == 5
    full = loop._run_bfcl(config, "m", tmp_path / "b", full=True)
    assert seen["limit"] is None and full["categories"]["simple_python"]["total"] == 10
    assert full["subset"]["categories"] == subset["categories"] and full["subset"]["limit"] == 5
    assert bfcl_env.evenly_spread(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert bfcl_env.evenly_spread(list(range(3)), 5) == [0, 1, 2]


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
        monkeypatch.setattr(loop, "_run_bfcl", lambda config, model, out, bfcl=bfcl, **kwargs: bfcl)
        config = loop.LoopConfig(run_dir=str(tmp_path / f"run{accuracy}"), iterations=1)
        state = loop.LoopState(Path(config.run_dir) / "state.json")
        loop.decide_base_mix(config, state)
        decided.append(state.stage(0, "gaps")["next_mix"])
    assert decided[0] == decided[1]


TINY = {
    "loop": {
        "name": "tiny", "iterations": 2, "first_stages": ["sft"], "later_stages": ["sft", "grpo"],
        "model_assistant_after": 1, "seed_fraction": 0.5, "full_bfcl_last": False, "heldout_eval": True,
        "dev_domains": ["weather"], "dev_scenarios": 6,
        "generate": {"scenarios": {"num_scenarios": 12, "seed": 3}, "roleplay": {"shard_size": 4,
                     "sampling": {"max_new_tokens": 24}}, "backend": {"backend": "transformers", "batch_size": 12}},
        "train": {"heldout_fraction": 0.25, "sft": {"max_steps": 3, "batch_size": 2, "save_steps": 1,
                                                     "gradient_accumulation_steps": 1, "max_length": 1024},
                  "grpo": {"max_steps": 1, "batch_size": 2, "num_generations": 2, "max_completion_length": 16,
                           "save_steps": 1}},
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

    def mid_training() -> bool:  # a checkpoint before the last step; save_total_limit soon deletes checkpoint-1
        return any((train_dir / f"checkpoint-{step}" / "trainer_state.json").exists() for step in (1, 2))

    try:
        while not mid_training():
            assert process.poll() is None, "loop ended before it could be interrupted"
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert "generate" in state["iterations"]["1"] and "train" not in state["iterations"]["1"]
    shards_before = sorted(p.name for p in (tmp_path / "run" / "datasets" / "tiny-iter1" / "work" / "shards").iterdir())

    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert set(state["iterations"]["1"]) == set(state["iterations"]["2"]) == {"generate", "train", "evaluate", "gaps"}
    assert {"evaluate", "gaps"} <= set(state["iterations"]["0"])
    shards_after = sorted(p.name for p in (tmp_path / "run" / "datasets" / "tiny-iter1" / "work" / "shards").iterdir())
    assert shards_after == shards_before  # generation was not repeated

    from tests.fakes import ids_from_files

    ids = ids_from_files(tmp_path / "run" / "datasets" / "tiny-iter1")
    assert len(ids) == len(set(ids)) == 12  # no duplicated and no lost rows
    assert json.loads((train_dir / "resumed_from.json").read_text()) in (["checkpoint-1"], ["checkpoint-2"])
    history = json.loads((train_dir / "log_history.json").read_text())
    assert [e["step"] for e in history if "loss" in e] == [1, 2, 3]  # resumed from the checkpoint, once each
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
    _check_the_model_played_the_assistant(state, tmp_path)


def _check_the_model_played_the_assistant(state, tmp_path):
    """The second iteration: the checkpoint played the assistant, the blueprint replayed what it got wrong, its
    rejected decisions became GRPO prompts, the first round's failures seeded scenarios, and the report says so."""
    first, second = state["iterations"]["1"], state["iterations"]["2"]
    assert first["generate"]["assistant"] == "blueprint" and second["generate"]["assistant"] == "model"
    # the best checkpoint so far on the dev set (keep_best), never the base model by accident
    assert second["generate"]["model"] == first["gaps"]["next_checkpoint"]["model"]
    assert first["gaps"]["next_checkpoint"]["iteration"] == 1 and second["generate"]["assistant"] == "model"
    assert second["generate"]["model"] == first["train"]["model"]  # the trained checkpoint, not the base model
    seeds = first["gaps"]["next_seeds"]
    assert seeds and len(seeds) <= 6 and second["generate"]["seeded"] == len(seeds)
    scenarios = pq_rows(tmp_path / "run" / "datasets" / "tiny-iter2" / "work" / "scenarios.parquet")
    assert [r["category"] for r in scenarios[: len(seeds)]] == [s["category"] for s in seeds]
    assert second["train"]["stages"] == ["sft", "grpo"] and set(second["train"]["data"]) == {"sft", "grpo"}
    # the model's own rows and the blueprint replays of the ones it got wrong: every failure has its correction
    rows = rows_of(tmp_path / "run" / "datasets" / "tiny-iter2")
    model_rows = [r for r in rows if r["generator"]["assistant"].endswith("(model)")]
    replays = {r["id"] for r in rows if r["id"].endswith("-replay")}
    wrong = {r["id"] for r in model_rows if r["verification"]["failed_gate"] in ("parse", "schema", "blueprint")}
    assert len(model_rows) == 12 and replays == {f"{i}-replay" for i in wrong}
    written = second["generate"]["model_yield"]
    assert sum(c["attempted"] for c in written.values()) == 12
    assert sum(c["verified"] for c in written.values()) == 12 - len(wrong)
    prompts = second["train"]["data"]["grpo"]["prompts"]
    assert prompts.get("failure", 0) == len(wrong)  # each wrong decision is a GRPO prompt
    assert second["train"]["data"]["sft"]["rows"] > 0
    reasons = first["gaps"]["mix_reasons"]
    assert set(reasons) == set(first["gaps"]["next_mix"]) and all("→" in why for why in reasons.values())
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| 2 | model |" in report and "why each weight moved" in report and "seeded by failures" in report


def pq_rows(path):
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def rows_of(folder):
    from inftool_hf.verify.trajectories import load_hub_folder

    data = load_hub_folder(str(folder))
    return [row for split in data for row in data[split]]


def test_the_dev_set_keeps_its_own_mix_when_the_training_mix_changes(monkeypatch, tmp_path):
    """A recipe that tunes the training mix pins the dev mix, so iterations and runs are scored on the same rows."""
    import inftool_hf.generate as generate_module
    import inftool_hf.loop as loop
    import inftool_hf.publish as publish
    from inftool_hf.configs import ConfigError

    made = []
    monkeypatch.setattr(generate_module, "generate", lambda gen, progress=True: made.append(gen) or [])
    monkeypatch.setattr(publish, "dataset_stats", lambda rows: {})
    pinned = {"simple": 1.0, "irrelevance": 1.0}
    config = loop.LoopConfig(run_dir=str(tmp_path / "run"), dev_domains=["hotels"], dev_category_mix=pinned)
    config.generate.scenarios.category_mix = {"simple": 1.0, "irrelevance": 3.0}
    loop.make_dev_set(config, loop.LoopState(tmp_path / "state.json"), progress=False)
    assert made[-1].scenarios.category_mix == pinned and made[-1].only_domains == ["hotels"]
    assert config.generate.scenarios.category_mix == {"simple": 1.0, "irrelevance": 3.0}  # training mix untouched

    unpinned = loop.LoopConfig(run_dir=str(tmp_path / "run2"), dev_domains=["hotels"])
    loop.make_dev_set(unpinned, loop.LoopState(tmp_path / "state2.json"), progress=False)
    assert made[-1].scenarios.category_mix == unpinned.generate.scenarios.category_mix

    with pytest.raises(ConfigError, match=r"loop.dev_category_mix: unknown categories \['irrelevant'\]"):
        loop.LoopConfig(dev_domains=["hotels"], dev_category_mix={"irrelevant": 1.0})
    with pytest.raises(ConfigError, match="loop.dev_category_mix: every weight must be a number"):
        loop.LoopConfig(dev_domains=["hotels"], dev_category_mix={"simple": "high"})


def _state_with_dev(tmp_path, accuracies):
    from inftool_hf.loop import LoopState

    state = LoopState(tmp_path / "state.json")
    for k, accuracy in enumerate(accuracies):
        state.finish(k, "evaluate", {"model": f"ckpt{k}", "dev": {"accuracy": accuracy} if accuracy is not None
                                     else {}})
    return state


def test_the_best_checkpoint_so_far_is_kept_and_a_tie_keeps_the_earlier(tmp_path):
    from inftool_hf.loop import LoopConfig, next_checkpoint

    config = LoopConfig(run_dir=str(tmp_path))
    state = _state_with_dev(tmp_path, [0.16, 0.25, 0.25, 0.21, 0.30])
    assert next_checkpoint(config, state, 1) == {"iteration": 1, "model": "ckpt1", "dev_accuracy": 0.25,
                                                 "rule": "best dev"}
    tie = next_checkpoint(config, state, 2)
    assert (tie["iteration"], tie["model"]) == (1, "ckpt1")
    assert tie["note"] == ("iteration 2 (dev 25.0%) did not beat iteration 1 (25.0%): the next round starts from "
                           "iteration 1's checkpoint")
    assert next_checkpoint(config, state, 3)["model"] == "ckpt1"
    assert next_checkpoint(config, state, 4)["model"] == "ckpt4" and "note" not in next_checkpoint(config, state, 4)
    # the base model declines everything, right on every no-call point: a reference, never the next assistant
    worse_than_base = _state_with_dev(tmp_path / "b", [0.30, 0.10, 0.05])
    assert next_checkpoint(config, worse_than_base, 1)["model"] == "ckpt1"
    assert next_checkpoint(config, worse_than_base, 2)["model"] == "ckpt1"
    assert next_checkpoint(config, worse_than_base, 0)["model"] == "ckpt0"
    config.keep_best = False
    assert next_checkpoint(config, state, 3) == {"iteration": 3, "model": "ckpt3", "dev_accuracy": 0.21,
                                                 "rule": "latest"}
    no_dev = _state_with_dev(tmp_path / "c", [None, None])
    assert next_checkpoint(LoopConfig(run_dir=str(tmp_path)), no_dev, 1)["model"] == "ckpt1"


def test_the_loop_starts_each_round_from_the_best_checkpoint_and_the_report_says_so(monkeypatch, tmp_path):
    """Iteration 2 scores below iteration 1 on the dev set: round 3 generates with and trains from iteration 1's
    checkpoint, and the report shows the intervals, the paired comparison and the checkpoint kept."""
    import inftool_hf.generate as generate_module
    import inftool_hf.loop as loop
    import inftool_hf.publish as publish
    import inftool_hf.verify.trajectories as trajectories

    points = [f"dev-{i}#0" for i in range(40)]
    # dev points each checkpoint gets right, per iteration: the base model above iteration 1 (it declines
    # everything), which is still where round 2 starts
    right = {0: 25, 1: 20, 2: 12, 3: 30}

    def dev_report(k):
        outcomes = {p: int(i < right[k]) for i, p in enumerate(points)}
        correct = sum(outcomes.values())
        return {"categories": {"simple": {"total": 40, "correct": correct, "accuracy": correct / 40,
                                          "failed_gate": {}}},
                "points": 40, "accuracy": correct / 40, "outcomes": outcomes,
                "point_categories": dict.fromkeys(points, "simple"), "failures": []}

    generated, trained = [], []
    monkeypatch.setattr(loop, "make_dev_set", lambda config, state, progress=True: "dev-folder")
    monkeypatch.setattr(generate_module, "generate", lambda gen, progress=True: generated.append(gen) or {})
    monkeypatch.setattr(publish, "dataset_stats", lambda rows: {})
    monkeypatch.setattr(trajectories, "rejected_rows", lambda dataset: [])

    def fake_train(config, dataset, dataset_name, measure):
        trained.append(config.model)
        return {"merged": f"ckpt-{dataset_name}", "adapter": None, "metrics": {}}

    monkeypatch.setattr(loop, "train_in_child", fake_train)
    scored_bfcl = []
    monkeypatch.setattr(loop, "_run_bfcl", lambda config, model, out, full=False, engine=None:
                        scored_bfcl.append((model, full)) or {})
    models = []

    def fake_dev(config, engine, folder):
        models.append(engine.backend_config.model)
        return dev_report(len(models) - 1)

    monkeypatch.setattr(loop, "_run_dev", fake_dev)
    config = loop.LoopConfig(name="t", run_dir=str(tmp_path / "run"), iterations=3, heldout_eval=False,
                             dev_domains=["hotels"], model_assistant_after=1, bfcl_between=False)
    state = loop.run_loop(config, progress=False)
    assert scored_bfcl == [("default", False), ("ckpt-t-iter3", True)]  # reported only: the base and the last
    assert models == ["default", "ckpt-t-iter1", "ckpt-t-iter2", "ckpt-t-iter3"]
    # round 2 from iteration 1 (the best: 50%), round 3 again from iteration 1 (iteration 2 fell to 30%)
    assert [g.backend.model for g in generated] == ["default", "ckpt-t-iter1", "ckpt-t-iter1"]
    assert trained == ["default", "ckpt-t-iter1", "ckpt-t-iter1"]
    second = state["iterations"]["2"]["gaps"]
    assert second["next_checkpoint"]["iteration"] == 1 and "did not beat iteration 1" in second["next_checkpoint"][
        "note"]
    assert second["dev_vs_previous"]["all"]["lost"] == 8 and second["dev_vs_previous"]["all"]["verdict"] == "worse"
    assert state["iterations"]["3"]["gaps"]["next_checkpoint"]["model"] == "ckpt-t-iter3"
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| 1 | 50.0 [35.2, 64.8] | 50.0 [35.2, 64.8] |" in report  # Wilson 20/40
    assert "Iteration 2 against iteration 1:" in report and "| **all points** | 40 | 0 | 8 | -20.0 |" in report
    assert ("- after iteration 2: iteration 2 (dev 30.0%) did not beat iteration 1 (50.0%): the next round starts "
            "from iteration 1's checkpoint") in report
    assert "- after iteration 3: iteration 3's checkpoint is the best so far (dev 75.0%)" in report
    assert "- after iteration 1: iteration 1's checkpoint is the best so far (dev 50.0%)" in report


@pytest.mark.parametrize("recipe", ["loop_cpu_realworld.yaml", "loop_cpu.yaml"])
def test_the_cpu_dev_set_has_400_points_and_30_in_every_category(recipe):
    """The recipe's dev set as the loop makes it (its domains alone, its pinned mix, blueprint mode), role-played
    with a scripted final reply instead of the engine: the decision points it holds are the blueprint's."""
    from collections import Counter
    from dataclasses import replace

    from inftool_hf.generate import build_pool
    from inftool_hf.synth.roleplay import role_play
    from inftool_hf.synth.scenarios import sample_scenarios
    from inftool_hf.verify.trajectories import decision_points
    from tests.fakes import ScriptedBackend

    config = load_loop_config(str(ROOT / "recipes" / recipe))
    gen = replace(config.generate, only_domains=list(config.dev_domains), exclude_domains=[],
                  specs=["pack"])  # the dev domains are the pack's
    scenarios = replace(gen.scenarios, num_scenarios=config.dev_scenarios, seed=config.generate.scenarios.seed + 10_007,
                        id_prefix="dev-", tool_weights={}, category_mix=dict(config.dev_category_mix))
    pool = build_pool(gen)
    rows = role_play(sample_scenarios(pool, scenarios), pool, replace(gen.roleplay, assistant="blueprint"),
                     ScriptedBackend(), progress=False)
    points = Counter()
    for row in rows:
        points[row["category"]] += len(decision_points(row))
    assert sum(points.values()) >= 400, points
    assert set(points) == set(config.dev_category_mix) and min(points.values()) >= 30, points
