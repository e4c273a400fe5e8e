"""Wall time of BFCL's non-live set on the default model through each backend (generation + BFCL's checkers).

    .venv/bin/python benchmarks/eval_wall_time.py                       # all entries, vllm + transformers + openai
    .venv/bin/python benchmarks/eval_wall_time.py --limit 20 --backends vllm

Each backend's entry records its own limit and date; rerunning some backends keeps the others' entries when the
categories and max new tokens are the same.

Writes benchmarks/results/eval_wall_time.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import RESULTS, start_server, write_result  # noqa: E402

from inftool_hf.configs import BackendConfig, SamplingConfig  # noqa: E402
from inftool_hf.default_model import prepare_default_model  # noqa: E402
from inftool_hf.evaluate.bfcl import EvalConfig, evaluate_bfcl  # noqa: E402

NON_LIVE = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=["vllm", "transformers", "openai"])
    parser.add_argument("--limit", type=int, default=None, help="entries per category (default: all)")
    parser.add_argument("--max-new-tokens", type=int, default=128, help="as recipes/eval_bfcl_cpu.yaml")
    parser.add_argument("--quick", action="store_true", help="--limit 8")
    args = parser.parse_args()
    limit = 8 if args.quick else args.limit
    model = str(prepare_default_model())
    # backends measured earlier with the same settings stay in the results file; the ones run now replace theirs
    previous = RESULTS / "eval_wall_time.json"
    record = json.loads(previous.read_text()) if previous.exists() else {}
    same = record.get("categories") == NON_LIVE and record.get("max_new_tokens") == args.max_new_tokens
    results = {name: r for name, r in record.get("results", {}).items() if same and name not in args.backends}
    for name in args.backends:
        server = None
        if name == "openai":
            server, url = start_server(model)
            backend = BackendConfig(backend="openai", model="smollm2", base_urls=[url], max_concurrency=64)
        else:
            backend = BackendConfig(backend=name, max_model_len=8192, batch_size=16)
        try:
            with tempfile.TemporaryDirectory() as out:
                report = evaluate_bfcl(EvalConfig(backend=backend, categories=NON_LIVE, limit=limit, output_dir=out,
                                                  sampling=SamplingConfig(max_new_tokens=args.max_new_tokens)),
                                       progress=False)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
        entries = sum(c["total"] for c in report["categories"].values())
        seconds = report["seconds"]
        results[name] = {"entries": entries, "limit": limit, "date": time.strftime("%Y-%m-%d %H:%M"),
                         "generate_seconds": seconds["generate"],
                         "score_seconds": seconds["score"],
                         "entries_per_s": round(entries / seconds["generate"], 2),
                         "non_live_ast_mean": report["summary"].get("non_live_ast_mean"),
                         "irrelevance": report["summary"].get("irrelevance")}
        print(name, results[name], flush=True)
        # written after every backend: a failure in a later one keeps the measured ones
        write_result("eval_wall_time", {"categories": NON_LIVE, "max_new_tokens": args.max_new_tokens,
                                        "results": results})


if __name__ == "__main__":
    main()
