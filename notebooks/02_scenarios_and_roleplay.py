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
# # 02 · Scenarios and three-agent role-play
#
# **What the paper does.** Three agents play each conversation: a **User Simulator** asks for something, a
# **Tool-Calling Assistant** answers with tool calls, and an **MCP Server** simulates each tool's execution from its
# spec. Conversations range from one call to parallel calls and multi-step chains where a later call needs a value
# an earlier call returned.
#
# **What we do.** `inftool_hf.synth.scenarios` samples a *scenario* per conversation: category, shown tools (with
# distractors), the user's persona and facts, and a gold **blueprint** (the calls that should happen, with their
# arguments and where each value comes from). `inftool_hf.synth.roleplay` plays it: the user's words come from the
# blueprint (or an LLM rewrites them, grounded), the assistant is either the blueprint (scripted calls; the model
# writes the prose) or the model itself, and the server is `ToolSimulator` (schema-valid, stateful results that
# return exactly the ids the plan needs next).
#
# **Why the blueprint.** A small model cannot yet make good calls; scripting its calls from a verified plan gives
# correct training data from day one (cold start). Once trained, the model plays the assistant itself and
# verification keeps only what it got right (notebook 06 closes that loop).

# %% tags=["parameters"]
# CPU defaults: the embedded SmolLM2-135M-Instruct through transformers, 18 conversations played twice (~1 min).
# GPU (recipes/gpu_teacher.yaml): BACKEND = "vllm", MODEL = "Qwen/Qwen2.5-7B-Instruct", NUM_SCENARIOS = 5000.
BACKEND = "transformers"  # transformers | vllm | openai
MODEL = "default"
NUM_SCENARIOS = 18  # two per category
SEED = 0
MAX_NEW_TOKENS = 48
TOOL_POOL = "outputs/notebooks/tool_pool.parquet"  # notebook 01's output; rebuilt from the pack when missing
OUTPUT_DIR = "outputs/notebooks"

# %%
import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
from datasets import Dataset, concatenate_datasets

from inftool_hf.backends import make_backend
from inftool_hf.chat_format import conversation_text
from inftool_hf.configs import BackendConfig, SamplingConfig
from inftool_hf.generate import GenerateConfig, build_pool
from inftool_hf.synth.roleplay import Episode, RolePlayConfig, UserSimulator, role_play
from inftool_hf.synth.scenarios import CATEGORIES, Scenario, ScenarioConfig, sample_scenarios
from inftool_hf.synth.tool_pool import ToolPool

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
OUT = Path(os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS", ROOT / OUTPUT_DIR))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The tool pool (from notebook 01, or rebuilt from the spec pack)

# %%
pool_file = Path(os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS", "")) / "tool_pool.parquet" \
    if os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS") else ROOT / TOOL_POOL
if pool_file.exists():
    pool = ToolPool.from_dataset(Dataset.from_parquet(str(pool_file)))
    print("tool pool from", pool_file)
else:
    pool = build_pool(GenerateConfig(specs=["pack"]))
    print("tool pool built from the embedded spec pack")
print(f"{len(pool.tools)} tools, {len(pool.dependencies)} dependency edges")

# %% [markdown]
# ## Scenarios: one per conversation, categories by the mix
# `category_mix` weights are what the closed loop shifts toward failures (notebook 06).

# %%
scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=NUM_SCENARIOS, seed=SEED, distractors=2))
print("categories:", ", ".join(CATEGORIES))
scenarios.to_pandas()[["id", "category", "domain", "difficulty", "need"]]

# %% [markdown]
# A multi-step blueprint: the second call's argument comes from the first call's response (`sources`).

# %%
multi = Scenario.from_row(next(row for row in scenarios if row["category"] == "multi_step"))
print(json.dumps(multi.blueprint()["calls"], indent=2)[:2000])

# %% [markdown]
# ## One conversation, built turn by turn
# `Episode` is the state machine: `next_request()` says what happens next (a scripted turn from the blueprint, or a
# generation from the model), `observe()` appends the assistant's turn, runs its calls through the MCP Server
# simulator and lets the User Simulator answer.

# %%
backend = make_backend(BackendConfig(backend=BACKEND, model=MODEL, batch_size=NUM_SCENARIOS))
sampling = SamplingConfig(max_new_tokens=MAX_NEW_TOKENS)
config = RolePlayConfig(assistant="blueprint", sampling=sampling)
episode = Episode(multi, pool, config, UserSimulator(pool).first_message(multi))
print(conversation_text(episode.messages[1:]))
shown = len(episode.messages)
while (request := episode.next_request()) is not None:
    if request.scripted is not None:
        print("\n--- assistant turn scripted from the blueprint; server executes its calls ---")
        episode.observe(request.scripted, scripted=True)
    else:
        print(f"\n--- assistant turn generated by {MODEL} ---")
        [generation] = backend.generate([request.messages], [request.tools], sampling)
        episode.observe(generation.message, generation.parse_error)
    print(conversation_text(episode.messages[shown:]))
    shown = len(episode.messages)
print("\nserver state at the end:", json.dumps(episode.server.state.snapshot())[:600])

# %% [markdown]
# ## The whole batch, twice
# Once with the blueprint playing the assistant (cold-start data), once with the model itself as the assistant
# (what the loop does after training). `role_play` batches every open conversation into one backend call per round
# and writes shards as it goes, so an interrupted run resumes without duplicates.

# %%
scripted = role_play(scenarios, pool, config, backend, progress=False)
model_played = role_play(scenarios, pool, RolePlayConfig(assistant="model", sampling=sampling), backend,
                         progress=False).map(lambda row: {"id": row["id"] + "-model"})
trajectories = concatenate_datasets([scripted, model_played])
backend.close()
print(trajectories)
pd.DataFrame(Counter((row["category"], json.loads(row["episode"])["scripted_turns"] > 0) for row in trajectories)
             .items(), columns=["(category, blueprint-scripted)", "conversations"])

# %%
row = next(r for r in model_played if r["category"] == "simple")
print("The untrained model as the assistant, on a simple request:\n")
print(conversation_text(row["messages"][1:]))

# %% [markdown]
# ## Save for notebook 03 (unverified trajectories)

# %%
trajectories.to_parquet(str(OUT / "trajectories.parquet"))
print("written:", OUT / "trajectories.parquet", f"({len(trajectories)} rows)")
