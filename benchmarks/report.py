"""The README table from benchmarks/results/*.json (run after the benchmarks; `make bench` does)."""

from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = Path(os.environ.get("INFTOOL_BENCH_RESULTS", Path(__file__).parent / "results"))


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def decode_bound(roof: dict, sft: dict, batch: int) -> tuple[float, str]:
    """Decode tokens/s these cores allow at ``batch`` conversations: each step reads every bf16 weight once
    (bandwidth) and costs 2 FLOP per parameter per token (compute); the lower of the two applies."""
    parameters = sft["parameters"]
    by_bandwidth = roof["copy_gbytes_per_s"] * 1e9 / (2 * parameters) * batch
    by_compute = roof["roof_gflops"]["bf16"] * 1e9 / (2 * parameters)
    return (by_compute, "bf16 compute") if by_compute < by_bandwidth else (by_bandwidth, "memory bandwidth")


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    machine, dates = None, set()
    h, t = load("hardware_roof"), load("sft_step")
    if h:
        dates.add(h["date"])
        rows.append(("roof: dense matmul GFLOP/s (best size; PyTorch, all threads)",
                     f"fp32 {h['roof_gflops']['fp32']}, bf16 {h['roof_gflops']['bf16']}; memory copy "
                     f"{h['copy_gbytes_per_s']} GB/s (read + write)", "benchmarks/hardware_roof.py"))
    if t:
        dates.add(t["date"])
        fractions = ", ".join(f"{t['fraction_of_roof'][k]:.0%} of {k}" for k in t["fraction_of_roof"])
        method = "full fine-tuning" if t.get("method") == "full" else f"LoRA r={t['lora_r']}"
        others = "; ".join(f"{name.split('=')[1]}: {v['seconds_per_row']} s/row, {v['trained_tokens_per_s']} "
                           f"tokens/s" for name, v in t.get("same_rows_with", {}).items() if name.startswith("method="))
        rows.append((f"SFT on the demo recipe's rows ({method}, {t['rows_per_step']} rows a step, "
                     f"{t['dtype']})", f"{t['seconds_per_row']} s/row, {t['trained_tokens_per_s']} trained tokens/s"
                     f" ({t['tokens_per_row']} tokens a row, {t['tool_schema_share']:.0%} of them tool schemas); "
                     f"~{t.get('achieved_gflops', t.get('achieved_gflops_lora'))} GFLOP/s = "
                     f"{fractions or 'no roof measured'}" + (f" (same rows, {others})" if others else ""),
                     "benchmarks/sft_step.py"))
    if s := load("synthesis"):
        machine = s["machine"]
        dates.add(s["date"])
        summary = s["summary"]
        rows.append(("synthesis: verified trajectories/s (best concurrency "
                     f"{summary['best_concurrency']}, {s['backend']})", f"{summary['best_verified_per_s']}",
                     "benchmarks/synthesis.py"))
        batch = f" (engine batches of {s['raw']['batch']})" if "batch" in s["raw"] else ""
        rows.append((f"synthesis: generated tokens/s vs raw batched decode{batch}",
                     f"{summary['best_tokens_per_s']} vs {summary['raw_tokens_per_s']} = "
                     f"**{summary['saturation_ratio']:.2f}** of raw (target ≥ 0.8)",
                     "benchmarks/synthesis.py"))
        curve = ", ".join(f"{p['concurrency']}: {p['verified_per_s']}" for p in s["curve"])
        ceiling = summary.get("batching_gain_ceiling")
        ceiling = (f"; ceiling here if decoding cost nothing: {ceiling}x, since {s['raw']['prompt_tokens']:,} "
                   f"prompt tokens are prefilled for {s['raw']['tokens']:,} generated, and prefill alone took "
                   f"{s['raw']['prefill_only_seconds']} of the raw run's {s['raw']['seconds']} s") if ceiling else ""
        rows.append(("batching gain: best vs one conversation at a time", f"**{summary['batching_gain']}x** "
                     f"(verified/s by concurrency: {curve}; target ≥ 5x{ceiling})", "benchmarks/synthesis.py"))
    if b := load("backend_throughput"):
        dates.add(b["date"])
        bound = decode_bound(h, t, b["conversations"]) if h and t else None
        for name, r in b["results"].items():
            versus = "" if bound is None else (f" = {r['tokens_per_s'] / bound[0]:.0%} of the {bound[1]} bound "
                                               f"({bound[0]:,.0f} tokens/s)")
            rows.append((f"backend {name}: decode tokens/s ({b['conversations']} conversations × {b['new_tokens']} "
                         "new tokens)", f"{r['tokens_per_s']}{versus}", "benchmarks/backend_throughput.py"))
    if v := load("verify_rewards"):
        dates.add(v["date"])
        rows.append(("trajectories verified / s / core", f"{v['trajectories_verified_per_s_per_core']}",
                     "benchmarks/verify_rewards.py"))
        rows.append(("gated reward calls / s / core", f"{v['gated_reward_calls_per_s_per_core']}",
                     "benchmarks/verify_rewards.py"))
    if before := load("verify_rewards_before_quality_gates"):
        rows.append(("trajectories verified / s / core before the faithfulness and state gates (same script)",
                     f"{before['trajectories_verified_per_s_per_core']} ({before['date']})",
                     "benchmarks/verify_rewards.py"))
    if src := load("spec_sources"):
        dates.add(src["date"])
        aws, google, pool = src["aws"], src["google"], src["pool"]
        rows.append(("real-world spec sources: tools loaded (AWS services / Google discovery documents)",
                     f"{aws['tools']:,} from {aws['services']} botocore models in {aws['seconds']} s; "
                     f"{google['tools']:,} from {google['documents']} Google documents in {google['seconds']} s; "
                     f"peak RSS {src['peak_rss_mib']} MiB", "benchmarks/spec_sources.py"))
        rows.append((f"tool pool on {pool['tools_in']:,} of those tools", f"{pool['tools_kept']:,} kept, "
                     f"{pool['merged']} merged, {pool['dependency_edges']} dependency edges, {pool['seconds']} s",
                     "benchmarks/spec_sources.py"))
    if e := load("eval_wall_time"):
        dates.add(e["date"])
        for name, r in e["results"].items():
            subset = f", the first {r['limit']} of each category" if r.get("limit") else ""
            rows.append((f"BFCL non-live set ({r['entries']} entries{subset}) via {name}: wall time",
                         f"{r['generate_seconds'] + r['score_seconds']:.0f} s ({r['generate_seconds']:.0f} s "
                         f"generation, {r['score_seconds']:.0f} s BFCL checkers; {r['entries_per_s']} entries/s)",
                         "benchmarks/eval_wall_time.py"))
    if d := load("datatrove_runner"):
        dates.add(d["date"])
        summary = d["summary"]
        for runner, label in (("in_process", "in-process batched runner"), ("datatrove", "datatrove runner")):
            rows.append((f"role-play through the {label} ({d['scenarios']} scenarios, model assistant, "
                         f"{d['concurrency']} episodes at once, one vLLM server)",
                         f"{summary[runner]['episodes_per_s']} episodes/s, {summary[runner]['tokens_per_s']} "
                         "generated tokens/s", "benchmarks/datatrove_runner.py"))
    for name in ("decision_points", "environment", "decision_points_full"):
        if g := load(f"grpo_step_{name}"):
            dates.add(g["date"])
            rollouts = g["rollouts"] + (" rollouts, full fine-tuning" if g.get("method") == "full" else " rollouts")
            rows.append((f"GRPO step on the CPU recipe ({rollouts}, {g['batch_size']} completions × "
                         f"≤ {g['max_completion_length']} tokens)", f"{g['seconds_per_step']} s/step, peak RSS "
                         f"{g['peak_rss_gib']} GiB", "benchmarks/grpo_step.py"))
    records = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    machine = machine or next((r["machine"] for r in records if "machine" in r), "unknown")
    print(f"Machine: {machine}; runs of {', '.join(sorted(dates))}; command: `make bench`.\n")
    print("| measure | result | code |\n| --- | --- | --- |")
    for measure, result, code in rows:
        print(f"| {measure} | {result} | `{code}` |")


if __name__ == "__main__":
    main()
