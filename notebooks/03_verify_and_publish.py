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
# # 03 · Verification and publishing a Hub dataset
#
# **What the paper does.** Only verified trajectories become training data: InfTool checks that calls parse, match
# the tools' schemas and do what the user asked, and drops the rest.
#
# **What we do.** `inftool_hf.verify.gates.verify_trajectories` runs every conversation through ordered gates and
# records the first one it fails:
#
# | gate | checks |
# | --- | --- |
# | `parse` | every assistant turn's tool calls parsed |
# | `schema` | functions exist among the shown tools, arguments validate against their JSON schema |
# | `blueprint` | calls match the gold plan (names, step order, arguments up to `1` = `1.0` and ISO dates) |
# | | no call where no tool fits; a question first when a value was withheld |
# | `grounded` | every argument value was said by the user or returned by an earlier tool call (no invented ids) |
# | `state` | no tool returned an error; the conversation ends with an assistant reply |
# | `judge` | (optional) an LLM judge says the final answer is faithful to the tool results |
# | `dedup` | no earlier row has the same requests and calls |
#
# Then the data is checked for **contamination** with BFCL (our held-out yardstick) and written as a Hub-layout
# folder (`data/*.parquet` + a dataset card) that `load_hub_folder` reads and `push_to_hub` uploads.

# %% tags=["parameters"]
# CPU defaults: verification is pure Python, this notebook runs in seconds.
# GPU: same code; the loop (recipes/loop_cpu.yaml, gpu_teacher.yaml) publishes every iteration this way.
TRAJECTORIES = "outputs/notebooks/trajectories.parquet"  # notebook 02's output (regenerated when missing)
DATASET_NAME = "inftool-notebooks"
HUB_REPO_ID = None  # e.g. "your-name/inftool-notebooks": pushed when set (token from HF_TOKEN, never printed)
OUTPUT_DIR = "outputs/notebooks"

# %%
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from datasets import Dataset

from inftool_hf.chat_format import conversation_text
from inftool_hf.evaluate.decontaminate import ContaminationError, check_dataset_decontamination
from inftool_hf.publish import dataset_stats, push_to_hub, save_hub_folder
from inftool_hf.verify.gates import verify_trajectories
from inftool_hf.verify.trajectories import load_hub_folder

ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
OUT = Path(os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS", ROOT / OUTPUT_DIR))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Trajectories from notebook 02 (or a fresh small batch)

# %%
source = OUT / Path(TRAJECTORIES).name if os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS") else ROOT / TRAJECTORIES
if source.exists():
    trajectories = Dataset.from_parquet(str(source))
else:  # start here: play a small blueprint batch with the embedded model
    from inftool_hf.configs import config_from_dict
    from inftool_hf.generate import GenerateConfig, generate

    fresh = generate(config_from_dict(GenerateConfig, {
        "name": "nb03-fresh", "output_dir": str(OUT), "scenarios": {"num_scenarios": 9},
        "backend": {"backend": "transformers"}}), progress=False)
    trajectories = Dataset.from_list([{k: v for k, v in r.items() if k != "verification"}
                                      for split in fresh.values() for r in split])
print(trajectories)

# %% [markdown]
# ## Run the gates

# %%
verified = verify_trajectories(trajectories)
stats = dataset_stats(verified)
print(f"{stats['verified']} of {stats['attempted']} verified ({stats['yield_rate']:.0%})")
gates = pd.crosstab(pd.Series([r["category"] for r in verified["rejected"]], name="category"),
                    pd.Series([r["verification"]["failed_gate"] for r in verified["rejected"]], name="failed gate"))
gates

# %%
figure, axes = plt.subplots(1, 2, figsize=(12, 4))
yields = pd.DataFrame(stats["categories"]).set_index("name")
yields[["verified", "attempted"]].plot.bar(ax=axes[0], title="verified / attempted per category")
if len(gates):
    gates.sum().sort_values().plot.barh(ax=axes[1], title="rejections per failed gate")
else:  # every row passed (the small input this notebook rebuilds when run alone can): nothing to chart
    axes[1].set_title("rejections per failed gate: none")
figure.tight_layout()

# %% [markdown]
# ## Rejected rows and why
# Most rejections come from the untrained model playing the assistant: it answers in prose, calls a tool that is
# not shown, or invents an id. The reasons name the call and argument.

# %%
for row in list(verified["rejected"])[:4]:
    print(f"=== {row['id']} ({row['category']}): failed {row['verification']['failed_gate']}")
    print("reasons:", "; ".join(row["verification"]["reasons"])[:300])
    print(conversation_text(row["messages"][1:], width=200), "\n")

# %% [markdown]
# And a verified one, with its blueprint:

# %%
good = next(r for r in verified["train"] if r["category"] in ("multi_step", "parallel_multiple", "simple"))
print(conversation_text(good["messages"][1:], width=200))
print("\nblueprint calls:", json.dumps(json.loads(good["blueprint"])["calls"])[:600])

# %% [markdown]
# ## Decontamination against BFCL
# Training data must never contain BFCL's functions or questions: the check compares function names and 12-word
# n-grams with every BFCL v4 entry and fails loudly. A planted BFCL question shows what failing looks like.

# %%
print("clean:", check_dataset_decontamination(verified["train"]))
planted = verified["train"].select([0]).map(lambda r: {"messages": [
    *r["messages"][:1], {**r["messages"][1], "content": "Find the area of a triangle with a base of 10 units and "
                                                         "height of 5 units."}, *r["messages"][2:]]})
try:
    check_dataset_decontamination(planted)
except ContaminationError as error:
    print("planted BFCL question caught:", str(error)[:300])

# %% [markdown]
# ## Publish: a Hub-layout folder with a dataset card (and the Hub when configured)

# %%
folder = save_hub_folder(verified, OUT / DATASET_NAME, title=DATASET_NAME, iteration=0, sources=["spec_pack"])
print((folder / "README.md").read_text()[:1500])
if HUB_REPO_ID:
    print("pushed:", push_to_hub(folder, HUB_REPO_ID))

# %%
reloaded = load_hub_folder(folder)
print(reloaded)
