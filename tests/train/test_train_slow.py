"""Integration: tiny SFT and GRPO runs on the default model (CPU, LoRA bf16)."""

import json

import pytest
import torch

from inftool_hf.chat_format import load_tokenizer
from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.roleplay import RolePlayConfig, role_play
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.synth.tool_pool import build_tool_pool
from inftool_hf.train.trainer import GRPOSection, SFTSection, TrainConfig, run_grpo, run_sft
from tests.fakes import ScriptedBackend

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows():
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    mix = {"simple": 1, "irrelevance": 1}
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=8, seed=1, category_mix=mix))
    return role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False)


def _lora_state(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


def test_sft_resumes_from_checkpoint_after_interruption(rows, tmp_path, default_model_path):
    tokenizer = load_tokenizer(default_model_path)
    config = TrainConfig(sft=SFTSection(max_steps=2, batch_size=2, save_steps=1, max_length=1024))
    out = tmp_path / "sft"
    run_sft(config, rows, tokenizer, out)
    assert (out / "checkpoint-2").is_dir()
    # as if the run had been killed after step 2 of 3: the adapter is not saved yet, checkpoints are
    import shutil

    shutil.rmtree(out / "adapter")
    config.sft.max_steps = 3
    run_sft(config, rows, tokenizer, out)
    history = json.loads((out / "log_history.json").read_text())
    steps = [entry["step"] for entry in history if "loss" in entry]
    assert steps == [1, 2, 3]  # 1-2 restored from checkpoint-2's state, only step 3 trained again
    assert (out / "checkpoint-3").is_dir()


def test_grpo_rewards_reach_trainer_and_gradients_flow(rows, tmp_path, default_model_path):
    tokenizer = load_tokenizer(default_model_path)
    config = TrainConfig(grpo=GRPOSection(max_steps=2, batch_size=4, num_generations=4, max_completion_length=24,
                                          learning_rate=1e-3, save_steps=1))
    seen = []

    def length_reward(completions, **kwargs):
        """Varies within every group, so advantages (and gradients) are non-zero whatever the model says."""
        seen.append(kwargs.get("expected"))
        return [len(c) / 100 for c in completions]

    out = tmp_path / "grpo"
    adapter = run_grpo(config, rows, tokenizer, out, None, extra_rewards=[(length_reward, 1.0)])
    history = json.loads((out / "log_history.json").read_text())
    logged = [e for e in history if "rewards/gated_reward/mean" in e]
    assert len(logged) == 2
    assert all(f"rewards/gate_{g}/mean" in logged[0] for g in ("format", "schema", "names", "arguments", "state"))
    assert seen and all(s is not None for s in seen)  # dataset columns reach reward functions
    assert any(float(e["grad_norm"]) > 0 for e in logged)
    weights = _lora_state(adapter)
    lora_b = [v for k, v in weights.items() if "lora_B" in k]
    assert lora_b and any(torch.count_nonzero(v) > 0 for v in lora_b)  # B starts at zero: it moved


def test_grpo_environment_rollouts_reset_environments_and_reward_final_state(tmp_path, default_model_path):
    """rollouts: environment — TRL's environment_factory with the simulator: every rollout gets a reset
    environment of its row's domain, the final-state reward is logged, gradients flow."""
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=6, seed=3, category_mix={"multi_step": 1}))
    rows = role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False)
    tokenizer = load_tokenizer(default_model_path)
    config = TrainConfig(grpo=GRPOSection(max_steps=2, batch_size=2, num_generations=2, max_completion_length=32,
                                          learning_rate=1e-3, save_steps=1, rollouts="environment",
                                          max_tool_calls=2))
    seen = []

    def inspect_environments(completions, environments=None, **kwargs):
        seen.append([(type(e).__name__, e.server is not None, e.planned) for e in environments or []])
        return [len(str(c)) / 100 for c in completions]

    out = tmp_path / "grpo-env"
    run_grpo(config, rows, tokenizer, out, None, extra_rewards=[(inspect_environments, 1.0)])
    history = json.loads((out / "log_history.json").read_text())
    logged = [e for e in history if "rewards/state_reward/mean" in e or "rewards/state_reward/std" in e]
    assert logged, history[:1]
    assert seen and all(len(batch) == 2 for batch in seen)
    assert all(name.endswith("Environment") and reset and planned for batch in seen for name, reset, planned in batch)
    assert any(float(e.get("grad_norm", 0)) > 0 for e in history)


def test_qlora_trains_on_cpu_as_far_as_bitsandbytes_goes(rows, tmp_path, default_model_path):
    """The GPU recipe's QLoRA path on CPU: the default model loads in nf4 (bf16 storage), LoRA trains two SFT steps
    (its B matrices leave zero: gradients reached them), and the adapter is saved through the trainer."""
    from bitsandbytes.nn import Linear4bit

    from inftool_hf.train.trainer import load_base_model

    config = TrainConfig(quantization="nf4", sft=SFTSection(max_steps=2, batch_size=1, gradient_accumulation_steps=1,
                                                             save_steps=2, max_length=512))
    model = load_base_model(config)
    layers = [m for m in model.modules() if isinstance(m, Linear4bit)]
    assert layers and all(m.support_avx512bf16_for_cpu is False for m in layers)
    assert layers[0].weight.dtype == torch.bfloat16  # nf4 packed in bf16 storage (shardable by ZeRO-3)
    del model
    adapter = run_sft(config, rows, load_tokenizer(default_model_path), tmp_path / "sft")
    weights = _lora_state(adapter)
    b_matrices = [v for k, v in weights.items() if "lora_B" in k]
    assert b_matrices and any(v.abs().sum() > 0 for v in b_matrices)
