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
# # 01 · Raw API specs → the tool pool
#
# **What the paper does.** InfTool starts from raw API specifications and turns them into a pool of callable
# tools; everything after (scenarios, role-play, verification) is grounded in these schemas.
#
# **What we do.** `inftool_hf.sources.specs` reads OpenAPI 2/3 files (with `$ref`s resolved by prance), plain JSON/YAML
# function lists, Python modules of typed functions and live MCP servers, and normalizes every operation into a
# `ToolSpec` (name, description, JSON-schema parameters, response schema, domain). `inftool_hf.synth.tool_pool` then
# removes exact duplicates, merges near duplicates (TF-IDF cosine over name + description + parameters) and finds
# **dependencies**: a tool whose response mints a value (an id, a token) that another tool's parameter needs.
# Those edges are what let the scenario sampler build multi-step, dependent calls in notebook 02.
#
# **Why.** A pool that is deduplicated and whose edges are known gives scenarios that are diverse (not the same
# tool twice under two names) and solvable (a `booking_id` only appears after the call that returns it).

# %% tags=["parameters"]
# CPU defaults: no model is needed in this notebook, it runs in seconds anywhere.
# GPU users: nothing to change here (recipes/gpu_teacher.yaml uses the same specs).
SPECS = ["pack"]  # "pack" = the embedded spec pack; also spec files/folders, "python:<module>", "mcp:<url>"
EXTRA_OPENAPI = "tests/data/real_world/petstore.yaml"  # a real-world OpenAPI file, ingested next to the pack
NEAR_DUPLICATE_THRESHOLD = 0.9
OUTPUT_DIR = "outputs/notebooks"  # where this notebook writes the pool for notebook 02

# %%
import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from inftool_hf.generate import spec_paths
from inftool_hf.sources.specs import load_spec, load_specs
from inftool_hf.synth.tool_pool import build_tool_pool

# Notebooks run from notebooks/ (Jupyter, nbmake) or from the repository root: paths are taken from the root.
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
OUT = Path(os.environ.get("INFTOOL_NOTEBOOK_OUTPUTS", ROOT / OUTPUT_DIR))
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Load the specs
# Broken parts of a spec are skipped with a warning that names the file and the place; a spec that cannot be read
# at all raises `SpecError` with the same information.

# %%
load = load_specs(spec_paths(SPECS))
print(f"{len(load.tools)} tools, {len(load.warnings)} warnings")
for warning in load.warnings[:5]:
    print("warning:", warning)
tools = pd.DataFrame([{"name": t.name, "domain": t.domain, "parameters": len(t.parameters.get("properties", {})),
                       "required": len(t.parameters.get("required", [])), "source": Path(t.source).name}
                      for t in load.tools])
tools.groupby("domain").agg(tools=("name", "count"), mean_parameters=("parameters", "mean")).round(1)

# %% [markdown]
# One tool as the model will see it (the OpenAI tool format, rendered by the model's chat template later):

# %%
print(json.dumps(load.tools[0].to_openai(), indent=2)[:1500])

# %% [markdown]
# ## A real-world OpenAPI file
# The Swagger Petstore, as published: `$ref`s, path-level parameters, `requestBody`, response schemas.

# %%
petstore = load_spec(ROOT / EXTRA_OPENAPI)
print(f"{len(petstore.tools)} operations; skipped: {petstore.warnings or 'none'}")
pd.DataFrame([{"name": t.name, "endpoint": t.endpoint, "description": t.description[:60]} for t in petstore.tools])

# %% [markdown]
# ## The tool pool: deduplicate, merge, find dependencies

# %%
pool = build_tool_pool(load.tools + petstore.tools, NEAR_DUPLICATE_THRESHOLD)
print(f"pool: {len(pool.tools)} tools in {len(pool.domains)} domains; merged near duplicates: {pool.merged or 'none'}")
edges = pd.DataFrame([d.__dict__ for d in pool.dependencies])
print(f"{len(edges)} dependency edges (producer's response field → consumer's parameter)")
edges.head(12)

# %%
figure, axes = plt.subplots(1, 2, figsize=(12, 4))
per_domain = pd.Series({d: len(names) for d, names in pool.domains.items()}).sort_values()
per_domain.plot.barh(ax=axes[0], title="tools per domain")
producers = edges.groupby("producer").size().sort_values().tail(15)
producers.plot.barh(ax=axes[1], title="tools whose results other tools need (top 15)")
figure.tight_layout()

# %% [markdown]
# ## Save the pool for the next notebook
# The pool is a `datasets.Dataset` (one row per tool, schemas and edges as JSON strings); notebook 02 reads it
# back with `ToolPool.from_dataset`.

# %%
pool_dataset = pool.to_dataset()
pool_dataset.to_parquet(str(OUT / "tool_pool.parquet"))
print(pool_dataset)
print("written:", OUT / "tool_pool.parquet")
