"""One lever's effect at iteration 1, on the same dev points: the demo's iteration 1 against an ablation's, per
category with 95% Wilson intervals and the paired comparison (bootstrap interval, McNemar). Run from the repo root:

    .venv/bin/python docs/results/ablations_2026-12-07/compare.py BASELINE_STATE ABLATION_STATE "label" > out.md
"""
import json
import sys
from pathlib import Path

from inftool_hf.significance import compare_reports, wilson_interval


def cell(category: dict) -> str:
    low, high = wilson_interval(category["correct"], category["total"])
    return f"{category['correct']}/{category['total']} ({category['correct'] / category['total']:.1%} " \
           f"[{low:.1%}, {high:.1%}])"


baseline, ablation = (json.loads(Path(p).read_text())["iterations"]["1"] for p in sys.argv[1:3])
label = sys.argv[3] if len(sys.argv) > 3 else "ablation"
before, after = baseline["evaluate"]["dev"], ablation["evaluate"]["dev"]
paired = compare_reports(before, after)
print(f"# Iteration 1: the demo against {label}\n")
print(f"Rows trained on: demo {baseline['train']['data']}; {label} {ablation['train']['data']}\n")
print(f"| category | demo | {label} | Δ pp [95%] | McNemar p | verdict |")
print("| --- | --- | --- | --- | ---: | --- |")
for name in sorted(before["categories"]):
    p = paired[name]
    print(f"| {name} | {cell(before['categories'][name])} | {cell(after['categories'][name])} | "
          f"{p['delta'] * 100:+.1f} [{p['interval'][0] * 100:+.1f}, {p['interval'][1] * 100:+.1f}] | "
          f"{p['p_value']:.2g} | {p['verdict']} |")
total = {"correct": sum(c["correct"] for c in before["categories"].values()),
         "total": sum(c["total"] for c in before["categories"].values())}
total_after = {"correct": sum(c["correct"] for c in after["categories"].values()), "total": total["total"]}
p = paired["all"]
print(f"| **all points** | {cell(total)} | {cell(total_after)} | {p['delta'] * 100:+.1f} "
      f"[{p['interval'][0] * 100:+.1f}, {p['interval'][1] * 100:+.1f}] | {p['p_value']:.2g} | {p['verdict']} |")
