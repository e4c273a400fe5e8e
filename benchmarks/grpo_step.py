"""Seconds per GRPO step and peak memory on the CPU recipe (recipes/train_cpu.yaml's GRPO settings).

    .venv/bin/python benchmarks/grpo_step.py --steps 10
    .venv/bin/python benchmarks/grpo_step.py --quick

Peak memory is this process's maximum resident set (model, LoRA, generation and backward included).
Writes benchmarks/results/grpo_step.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from common import write_result  # noqa: E402

from inftool_hf.chat_format import load_tokenizer  # noqa: E402
from inftool_hf.default_model import resolve_model  # noqa: E402
from inftool_hf.generate import GenerateConfig, build_pool  # noqa: E402
from inftool_hf.synth.roleplay import RolePlayConfig, role_play  # noqa: E402
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios  # noqa: E402
from inftool_hf.train.trainer import load_train_config, run_grpo  # noqa: E402
from tests.fakes import ScriptedBackend  # noqa: E402

ROOT = Path(__file__).parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rollouts", default="decision_points", choices=("decision_points", "environment"))
    parser.add_argument("--gradient-checkpointing", choices=("recipe", "on", "off"), default="recipe")
    parser.add_argument("--method", choices=("lora", "full"), default="lora",
                        help="train.method: LoRA adapters (the recipe) or full fine-tuning")
    parser.add_argument("--quick", action="store_true", help="3 steps")
    args = parser.parse_args()
    steps = 3 if args.quick else args.steps
    config = load_train_config(str(ROOT / "recipes" / "train_cpu.yaml"))
    pool = build_pool(GenerateConfig(specs=["pack"]))
    rows = role_play(sample_scenarios(pool, ScenarioConfig(num_scenarios=40, seed=2)), pool, RolePlayConfig(),
                     ScriptedBackend(), progress=False)
    tokenizer = load_tokenizer(resolve_model(config.model))
    with tempfile.TemporaryDirectory() as out:
        if args.gradient_checkpointing != "recipe":
            config = replace(config, gradient_checkpointing=args.gradient_checkpointing == "on")
        grpo = replace(config.grpo, max_steps=steps, save_steps=10_000, rollouts=args.rollouts)
        config = replace(config, method=args.method, output_dir=out, grpo=grpo)
        started = time.monotonic()
        run_grpo(config, rows, tokenizer, Path(out) / "grpo", None)
        seconds = time.monotonic() - started
        history = json.loads((Path(out) / "grpo" / "log_history.json").read_text())
    runtime = next((e["train_runtime"] for e in history if "train_runtime" in e), seconds)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    result = {"recipe": "recipes/train_cpu.yaml", "rollouts": args.rollouts, "method": args.method, "steps": steps,
              "gradient_checkpointing": config.gradient_checkpointing,
              "num_generations": config.grpo.num_generations, "batch_size": config.grpo.batch_size,
              "max_completion_length": config.grpo.max_completion_length,
              "seconds_per_step": round(runtime / steps, 1), "train_runtime_s": round(runtime, 1),
              "wall_s_including_setup": round(seconds, 1), "peak_rss_gib": round(peak_gib, 2)}
    print(json.dumps(result, indent=2))
    write_result(f"grpo_step_{args.rollouts}" + ("_full" if args.method == "full" else ""), result)


if __name__ == "__main__":
    main()
