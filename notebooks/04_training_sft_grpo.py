# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Training: cold-start SFT, then GRPO with gated rewards
#
# **What the paper does.** Verified trajectories first teach the format (supervised fine-tuning), then GRPO
# improves the model with rewards computed against the verified plan. Rewards are *gated*: a completion earns
# partial credit for each check it passes in order, so the model is pushed first to produce parseable calls, then
# valid ones, then the right ones.
#
# **What we do.** `inftool_hf.train.trainer` runs TRL's `SFTTrainer` (loss on assistant turns only, through the chat
# template's assistant mask) and TRL's `GRPOTrainer`, with LoRA (bf16 on CPU, QLoRA nf4 on GPU). GRPO prompts are
# the conversation up to each verified assistant decision; the expected calls reach the reward functions through
# dataset columns. `inftool_hf.train.rewards.make_gated_reward` gives the credit of the last gate passed:
# `format → schema → names → arguments → state`, plus a no-call reward where no tool fits; one indicator per gate is
# logged so the curves show which gate improves.

# %% tags=["parameters"]
# CPU defaults: LoRA on SmolLM2-135M, a few optimizer steps of each stage (~3 min).
# Full CPU run: RECIPE = "recipes/train_cpu.yaml", SFT_MAX_STEPS = -1, GRPO_MAX_STEPS = 50.
# One GPU: RECIPE = "recipes/train_gpu_qwen7b.yaml" (Qwen2.5-7B-Instruct, QLoRA nf4, vLLM colocate generation).
RECIPE = "recipes/train_cpu.yaml"
DATASET = "outputs/notebooks/inftool-notebooks"  # notebook 03's folder, or a Hub id ("you/inftool-cpu-iter1")
SFT_MAX_STEPS = 4
GRPO_MAX_STEPS = 3
HELDOUT_FRACTION = 0.25
OUTPUT_DIR = "outputs/notebooks"

# %%
import json
import os
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Image, display

from inftool_hf.chat_format import load_tokenizer
from inftool_hf.default_model import resolve_model
from inftool_hf.train.rewards import gate_indicators, make_gated_reward
from inftool_hf.train.trainer import grpo_dataset, load_train_config, sft_dataset, train
from inftool_hf.verify.trajectories import load_trajectories

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
OUT = Path(os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS", ROOT / OUTPUT_DIR))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The dataset (notebook 03's folder, a Hub id, or a fresh small batch)

# %%
local = OUT / Path(DATASET).name if os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS") else ROOT / DATASET
if local.exists() or "/" in DATASET and not DATASET.startswith("outputs/"):
    rows = load_trajectories(str(local) if local.exists() else DATASET)
else:  # start here: a small blueprint batch from the embedded model
    from inftool_hf.configs import config_from_dict
    from inftool_hf.generate import GenerateConfig, generate

    rows = generate(config_from_dict(GenerateConfig, {
        "name": Path(DATASET).name, "output_dir": str(OUT), "scenarios": {"num_scenarios": 18},
        "backend": {"backend": "transformers"}}), progress=False)["train"]
print(rows)

# %% [markdown]
# ## What SFT sees: loss on assistant turns only
# The tokens the loss is computed on (assistant mask = 1) of one multi-step row:

# %%
config = load_train_config(str(ROOT / RECIPE))
tokenizer = load_tokenizer(resolve_model(config.model))
example = rows.filter(lambda r: any(m["tool_calls"] for m in r["messages"])).select([0])
encoded = sft_dataset(example, tokenizer, config.sft.max_length)[0]
trained = [t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m]
print(f"{len(encoded['input_ids'])} tokens, {len(trained)} trained on:\n")
print(tokenizer.decode(trained)[:800])

# %% [markdown]
# ## What GRPO sees: a prompt per decision point, the plan in the columns

# %%
prompts = grpo_dataset(rows, tokenizer, config.system_prompt)
print(prompts)
print(prompts[0]["prompt"][-400:])
print("expected:", prompts[0]["expected"])

# %% [markdown]
# ## The gated reward on hand-written completions
# Each completion earns the credit of the last gate it passes (weights: `train.grpo.reward_weights` in the recipe).

# %%
point = next(p for p in prompts if json.loads(p["expected"])["calls"])
name, arguments = json.loads(point["expected"])["calls"][0]
right = f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'
wrong_value = json.dumps({"name": name, "arguments": {k: "something else" for k in arguments}})
candidates = {
    "prose, no call": "I think you should check the website.",
    "broken JSON": "<tool_call>\n{\"name\": \"" + name + "\", \"arguments\": {\n</tool_call>",
    "unknown function": '<tool_call>\n{"name": "does_not_exist", "arguments": {}}\n</tool_call>',
    "right function, wrong values": f"<tool_call>\n{wrong_value}\n</tool_call>",
    "right call": right,
}
reward = make_gated_reward(config.grpo.reward_weights)
columns = {"expected": [point["expected"]] * len(candidates), "tools": [point["tools"]] * len(candidates),
           "known_ids": [point["known_ids"]] * len(candidates)}
table = pd.DataFrame({"gated_reward": reward(list(candidates.values()), **columns)}, index=list(candidates))
for indicator in gate_indicators():
    table[indicator.__name__] = indicator(list(candidates.values()), **columns)
table

# %% [markdown]
# ## Train: SFT, then GRPO (resumes from the last checkpoint if interrupted)
# `train()` measures the held-out rows before training and after each stage: the share of decision points where
# the model's completion parses, is schema-valid, and matches exactly.

# %%
# one row per optimizer step (the recipe accumulates four): a few steps are enough to see the curves move
config = replace(config, output_dir=str(OUT / "train"), heldout_fraction=HELDOUT_FRACTION,
                 sft=replace(config.sft, max_steps=SFT_MAX_STEPS, save_steps=2, gradient_accumulation_steps=1),
                 grpo=replace(config.grpo, max_steps=GRPO_MAX_STEPS, save_steps=2))
result = train(config, rows, dataset_name=str(DATASET))
pd.DataFrame(result["metrics"]["call_validity"]).T

# %% [markdown]
# ## Curves: SFT loss and GRPO reward per gate

# %%
if result["plot"]:
    display(Image(result["plot"]))
history = json.loads((Path(config.output_dir) / "grpo" / "log_history.json").read_text())
gate_columns = [k for k in history[0] if k.startswith("rewards/") and k.endswith("/mean")]
curves = pd.DataFrame([{k: e.get(k) for k in ["step", *gate_columns]} for e in history if "step" in e])
curves = curves.set_index("step").rename(columns=lambda k: k.split("/")[1]).dropna(axis=1, how="all")
curves.plot(marker="o", figsize=(8, 3.5), title="GRPO: gated reward and per-gate pass rates")
plt.show()
curves

# %% [markdown]
# The adapter, its model card and the curves are in the output folder; `train.push_to_hub` uploads them.

# %%
print(result["adapter"])
print((Path(config.output_dir) / "README.md").read_text()[:1200])
