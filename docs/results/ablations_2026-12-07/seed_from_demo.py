"""Start a one-lever ablation from a finished loop run: the new run directory gets the run's iteration 0 (the base
model's evaluation and the dev set, which no training lever touches) and, with ``--reuse-data``, iteration 1's
generated rows, so that only what the lever changes runs again. Run from the demo clone's root:

    python docs/results/ablations_2026-12-07/seed_from_demo.py runs/ablate-dw1 --reuse-data \
        train.sft.decision_weight=1.0 full_bfcl_last=false
    inftool-hf loop --recipe recipes/loop_cpu_realworld.yaml --run-dir runs/ablate-dw1 --iterations 1 \
        --set train.sft.decision_weight=1.0 --set full_bfcl_last=false

The state's recipe is the changed one, so the loop's resume check accepts it and the rest of iteration 1 runs.
On a machine without the demo's run folder, seed from the committed state with ``--regenerate-dev``: iteration 0's
records are kept but the dev set is generated again (the same recipe and seed give the same points, which
``compare.py`` pairs by id):

    python docs/results/ablations_2026-12-07/seed_from_demo.py runs/ablate-full train.method=full ... \
        --source docs/results/demo_2026-12-07/state.json --regenerate-dev
"""
import argparse
import json
from dataclasses import asdict
from pathlib import Path

from inftool_hf.configs import load_recipe
from inftool_hf.loop import LoopConfig

parser = argparse.ArgumentParser()
parser.add_argument("run_dir")
parser.add_argument("sets", nargs="*", help="the same key=value overrides the loop command gets with --set")
parser.add_argument("--source", default="runs/inftool-cpu-realworld/state.json")
parser.add_argument("--recipe", default="recipes/loop_cpu_realworld.yaml")
parser.add_argument("--reuse-data", action="store_true", help="keep iteration 1's generated rows")
parser.add_argument("--regenerate-dev", action="store_true",
                    help="leave out iteration 0's dev record, so the loop generates the dev set again")
args = parser.parse_intermixed_args()  # overrides before or after the options
config = load_recipe(LoopConfig, args.recipe, "loop", {"run_dir": args.run_dir}, args.sets)
source = json.loads(Path(args.source).read_text())
iterations = {"0": dict(source["iterations"]["0"])}
if args.regenerate_dev:
    iterations["0"].pop("dev", None)
if args.reuse_data:
    iterations["1"] = {"generate": source["iterations"]["1"]["generate"]}
state = {"iterations": iterations, "config": json.loads(json.dumps(asdict(config), default=str)),
         "rule": source["rule"], "seeded_from": f"{args.source}: iterations {sorted(iterations)}"}
Path(args.run_dir).mkdir(parents=True, exist_ok=True)
(Path(args.run_dir) / "state.json").write_text(json.dumps(state, indent=1))
print("seeded", args.run_dir, "with", state["seeded_from"], "and", args.sets)
