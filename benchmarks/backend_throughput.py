"""Tokens/s of each backend for N conversations x M new tokens (greedy, ignore nothing: real stops).

    .venv/bin/python benchmarks/backend_throughput.py --conversations 32 --new-tokens 64
    .venv/bin/python benchmarks/backend_throughput.py --compare-dtype --conversations 8 --new-tokens 32

``--compare-dtype`` starts the in-process vLLM engine once in bfloat16 and once in float32 (engine start-up and
tokens/s each) and writes backend_throughput_dtype.json: the measurement behind ``dtype: auto``
(src/inftool_hf/precision.py).

Prints a table and writes benchmarks/results/backend_throughput.json. The openai backend is measured
against vLLM's OpenAI-compatible server started here on 127.0.0.1 with the same model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import start_server, write_result  # noqa: E402

from inftool_hf.backends import make_backend  # noqa: E402
from inftool_hf.configs import BackendConfig, SamplingConfig  # noqa: E402
from inftool_hf.default_model import prepare_default_model  # noqa: E402

TOOLS = json.loads((Path(__file__).parent.parent / "examples" / "weather_tools.json").read_text())


def conversations(n: int) -> list[list[dict]]:
    cities = ["Paris", "Lisbon", "Osaka", "Denver", "Oslo", "Hanoi", "Porto", "Austin"]
    return [[{"role": "user", "content": f"What's the weather like in {cities[i % len(cities)]} today? ({i})"}]
            for i in range(n)]


def measure(backend, n: int, new_tokens: int) -> dict:
    sampling = SamplingConfig(max_new_tokens=new_tokens)
    backend.generate(conversations(2), [TOOLS] * 2, sampling)  # warm-up
    started = time.monotonic()
    out = backend.generate(conversations(n), [TOOLS] * n, sampling)
    seconds = time.monotonic() - started
    tokens = sum(g.completion_tokens for g in out)
    return {"seconds": round(seconds, 2), "completion_tokens": tokens, "tokens_per_s": round(tokens / seconds, 1)}


def compare_dtype(conversations_wanted: int, new_tokens: int) -> None:
    results = {}
    for dtype in ("bfloat16", "float32"):
        started = time.monotonic()
        backend = make_backend(BackendConfig(backend="vllm", max_model_len=2048, dtype=dtype))
        startup = round(time.monotonic() - started, 1)
        results[dtype] = {"engine_start_seconds": startup, **measure(backend, conversations_wanted, new_tokens)}
        backend.close()
        print(dtype, results[dtype], flush=True)
    write_result("backend_throughput_dtype", {
        "backend": "vllm", "conversations": conversations_wanted, "new_tokens": new_tokens, "results": results,
        "float32_vs_bfloat16_tokens_per_s": round(results["float32"]["tokens_per_s"]
                                                  / results["bfloat16"]["tokens_per_s"], 2)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=32)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="8 conversations x 16 tokens")
    parser.add_argument("--compare-dtype", action="store_true", help="vLLM in bfloat16 against float32 only")
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.new_tokens = 8, 16
    if args.compare_dtype:
        compare_dtype(args.conversations, args.new_tokens)
        return
    model = str(prepare_default_model())
    results = {}
    for name, config in (("transformers", BackendConfig(backend="transformers", batch_size=32)),
                         ("vllm", BackendConfig(backend="vllm", max_model_len=2048))):
        backend = make_backend(config)
        results[name] = measure(backend, args.conversations, args.new_tokens)
        backend.close()
        print(name, results[name], flush=True)
    process, url = start_server(model)
    try:
        backend = make_backend(BackendConfig(backend="openai", model="smollm2", base_urls=[url], max_concurrency=32))
        results["openai (vLLM server)"] = measure(backend, args.conversations, args.new_tokens)
        print("openai", results["openai (vLLM server)"], flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    write_result("backend_throughput", {"conversations": args.conversations, "new_tokens": args.new_tokens,
                                        "results": results})
    print("| backend | seconds | tokens | tokens/s |\n| --- | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']} | {r['completion_tokens']} | {r['tokens_per_s']} |")


if __name__ == "__main__":
    main()
