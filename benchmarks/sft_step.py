"""Where SFT's seconds go on the CPU default: tokens per row (and how many of them are tool schemas), trained
tokens/s, and that speed as a fraction of this machine's matmul roof (benchmarks/hardware_roof.py).

    .venv/bin/python benchmarks/sft_step.py --steps 8
    .venv/bin/python benchmarks/sft_step.py --quick

Rows: the make-demo recipe's blueprint rows (its specs, distractors and tool compaction; the scripted assistant
writes the final replies, so no engine starts), SFT settings from the same recipe (LoRA, batch 1 x accumulation
4, max_length). FLOP per token: 2 x parameters forward; backward 2 x more for the activations' gradients (LoRA
needs no gradient of the frozen weights), so ~4 x parameters per trained token with LoRA and ~6 x with full
fine-tuning; attention's own FLOP are left out (small at these lengths). Writes benchmarks/results/sft_step.json
(``--label avx2``: sft_step_avx2.json, against hardware_roof_avx2.json).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from common import RESULTS, write_result  # noqa: E402

from inftool_hf.chat_format import load_tokenizer, to_template_messages  # noqa: E402
from inftool_hf.default_model import resolve_model  # noqa: E402
from inftool_hf.generate import build_pool  # noqa: E402
from inftool_hf.loop import load_loop_config  # noqa: E402
from inftool_hf.synth.roleplay import role_play  # noqa: E402
from inftool_hf.synth.scenarios import sample_scenarios  # noqa: E402
from inftool_hf.train.trainer import run_sft, sft_dataset  # noqa: E402
from tests.fakes import ScriptedBackend  # noqa: E402

ROOT = Path(__file__).parent.parent
RECIPE = ROOT / "recipes" / "loop_cpu_realworld.yaml"


def token_counts(rows, tokenizer) -> dict[str, float]:
    """Mean tokens per row as trained (chat template with the row's tools), without the tools, and assistant
    (loss-bearing) tokens, plus the share of tools the row's calls never use."""
    with_tools, without_tools, unused = [], [], []
    for row in rows:
        messages = to_template_messages(row["messages"])
        tools = json.loads(row["tools"]) or None
        with_tools.append(len(tokenizer.apply_chat_template(messages, tools=tools, tokenize=True,
                                                            return_dict=True)["input_ids"]))
        without_tools.append(len(tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]))
        called = {c["function"]["name"] for m in row["messages"] for c in (m.get("tool_calls") or [])}
        offered = [t["function"]["name"] if "function" in t else t.get("name") for t in tools or []]
        unused.append(sum(name not in called for name in offered) / max(1, len(offered)))
    return {"tokens_per_row": round(statistics.mean(with_tools), 1),
            "tokens_per_row_without_tools": round(statistics.mean(without_tools), 1),
            "tool_schema_share": round(1 - sum(without_tools) / sum(with_tools), 3),
            "unused_tool_share": round(statistics.mean(unused), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps (each: batch x accumulation rows)")
    parser.add_argument("--rows", type=int, default=96)
    parser.add_argument("--quick", action="store_true", help="2 steps on 24 rows")
    parser.add_argument("--compare-dropout", type=float, nargs="*", default=[],
                        help="also time these LoRA dropouts on the same rows (the recipe's own is timed last)")
    parser.add_argument("--compare-method", action="store_true",
                        help="also time the other train.method on the same rows (lora, or full: float32 weights "
                             "under bf16 autocast)")
    parser.add_argument("--label", default="",
                        help="another kind of machine: writes sft_step_<label>.json against hardware_roof_<label>.json")
    args = parser.parse_args()
    steps, num_rows = (2, 24) if args.quick else (args.steps, args.rows)
    loop = load_loop_config(str(RECIPE))
    scenarios_config = replace(loop.generate.scenarios, num_scenarios=num_rows, seed=5, tool_weights={}, seeds=[])
    pool = build_pool(loop.generate)
    roleplay = replace(loop.generate.roleplay, assistant="blueprint")
    rows = role_play(sample_scenarios(pool, scenarios_config), pool, roleplay, ScriptedBackend(), progress=False)
    config = loop.train
    tokenizer = load_tokenizer(resolve_model(config.model))
    counts = token_counts(rows, tokenizer)
    print(json.dumps(counts))
    per_step = config.sft.batch_size * config.sft.gradient_accumulation_steps
    from datasets import Dataset

    dataset = Dataset.from_list(list(rows))
    encoded = sft_dataset(dataset, tokenizer, config.sft.max_length)
    trained = [len(ids) for ids in encoded["input_ids"]][: steps * per_step]
    def timed_run(run_config) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as out:
            run_config = replace(run_config, output_dir=out,
                                 sft=replace(run_config.sft, max_steps=steps, save_steps=10_000))
            started = time.monotonic()
            run_sft(run_config, dataset, tokenizer, Path(out) / "sft")
            seconds = time.monotonic() - started
            history = json.loads((Path(out) / "sft" / "log_history.json").read_text())
        return next((e["train_runtime"] for e in history if "train_runtime" in e), seconds), seconds

    # the levers, each measured in this run on the same rows: the recipe's settings last, so the figures above
    # compare with what the loop trains with
    baselines = {}
    for dropout in args.compare_dropout:
        lever_config = replace(config, lora=replace(config.lora, dropout=dropout))
        lever_runtime, _ = timed_run(lever_config)
        baselines[f"lora_dropout={dropout}"] = {"seconds_per_row": round(lever_runtime / len(trained), 2),
                                                "trained_tokens_per_s": round(sum(trained) / lever_runtime, 1)}
    from transformers import AutoConfig, AutoModelForCausalLM

    model_config = AutoConfig.from_pretrained(resolve_model(config.model))
    parameters = sum(p.numel() for p in AutoModelForCausalLM.from_config(model_config).parameters())
    roof_file = RESULTS / (f"hardware_roof_{args.label}.json" if args.label else "hardware_roof.json")
    roof = json.loads(roof_file.read_text())["roof_gflops"] if roof_file.exists() else {}
    def gflops(method: str, tokens_per_s: float) -> float:
        # LoRA: forward + activation gradients (~4 x parameters a token); full: also the weight gradients (~6 x)
        return (6 if method == "full" else 4) * parameters * tokens_per_s / 1e9

    if args.compare_method:
        other = "lora" if config.method == "full" else "full"
        other_runtime, _ = timed_run(replace(config, method=other))
        other_tokens_per_s = sum(trained) / other_runtime
        other_gflops = gflops(other, other_tokens_per_s)
        baselines[f"method={other}"] = {
            "seconds_per_row": round(other_runtime / len(trained), 2),
            "trained_tokens_per_s": round(other_tokens_per_s, 1), "achieved_gflops": round(other_gflops, 1),
            "fraction_of_roof": {name: round(other_gflops / value, 3) for name, value in roof.items()}}
    runtime, seconds = timed_run(config)
    tokens_per_s = sum(trained) / runtime
    achieved = gflops(config.method, tokens_per_s)
    result = {
        "recipe": str(RECIPE.relative_to(ROOT)), "steps": steps, "rows_per_step": per_step,
        "max_length": config.sft.max_length, "method": config.method, "lora_r": config.lora.r,
        "lora_dropout": config.lora.dropout,
        "dtype": config.dtype, "decision_weight": config.sft.decision_weight,
        **counts, "trained_tokens": sum(trained), "seconds_per_row": round(runtime / len(trained), 2),
        "trained_tokens_per_s": round(tokens_per_s, 1), "parameters": parameters,
        "achieved_gflops": round(achieved, 1),
        "fraction_of_roof": {name: round(achieved / value, 3) for name, value in roof.items()},
        "same_rows_with": baselines, "train_runtime_s": round(runtime, 1), "wall_s_including_setup": round(seconds, 1),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    print(json.dumps(result, indent=2))
    write_result(f"sft_step_{args.label}" if args.label else "sft_step", result)


if __name__ == "__main__":
    main()
