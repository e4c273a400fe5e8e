"""What these cores can do at best: dense matmul GFLOP/s (fp32 and bf16, PyTorch) and memory bandwidth (GB/s).

    .venv/bin/python benchmarks/hardware_roof.py
    .venv/bin/python benchmarks/hardware_roof.py --quick

The roof every stage's speed is compared with (benchmarks/README.md): a 135M model costs ~2 FLOP per parameter
per token forward and ~6 per trained token, so matmul GFLOP/s bounds prefill and training, and bytes/s of
memory bounds decode at small batches (each token reads every weight). Best of several repeats, all threads
PyTorch uses here (``torch.get_num_threads()``). Writes benchmarks/results/hardware_roof.json
(``--label avx2``: hardware_roof_avx2.json, for another kind of machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import write_result  # noqa: E402

from inftool_hf.precision import resolve_dtype  # noqa: E402


def best_seconds(run, repeats: int) -> float:
    run()  # warm-up: page faults, oneDNN kernel selection
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def matmul_gflops(size: int, dtype, repeats: int) -> float:
    import torch

    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    out = torch.empty(size, size, dtype=dtype)
    seconds = best_seconds(lambda: torch.matmul(a, b, out=out), repeats)
    return 2 * size**3 / seconds / 1e9


def copy_gbytes(megabytes: int, repeats: int) -> float:
    """Read + write bandwidth of a copy far larger than the caches."""
    import torch

    n = megabytes * 2**20 // 4
    source, target = torch.ones(n), torch.empty(n)
    seconds = best_seconds(lambda: target.copy_(source), repeats)
    return 2 * n * 4 / seconds / 1e9


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="512,1024,2048")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="sizes 256,512; 2 repeats")
    parser.add_argument("--label", default="", help="writes hardware_roof_<label>.json (another kind of machine)")
    args = parser.parse_args()
    sizes = [256, 512] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeats = 2 if args.quick else args.repeats
    matmul = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        matmul[name] = {str(size): round(matmul_gflops(size, dtype, repeats), 1) for size in sizes}
        print(f"matmul {name}: " + ", ".join(f"{s}: {g} GFLOP/s" for s, g in matmul[name].items()))
    bandwidth = round(copy_gbytes(64 if args.quick else 512, repeats), 2)
    print(f"memory bandwidth (copy, read + write): {bandwidth} GB/s")
    roof = {name: max(values.values()) for name, values in matmul.items()}
    write_result(f"hardware_roof_{args.label}" if args.label else "hardware_roof", {
        "settings": {"sizes": sizes, "repeats": repeats, "threads": torch.get_num_threads(),
                     "torch": torch.__version__, "quick": args.quick},
        "matmul_gflops": matmul, "roof_gflops": roof, "copy_gbytes_per_s": bandwidth,
        "bf16_vs_fp32": round(roof["bf16"] / roof["fp32"], 2),
        # what a recipe's dtype: auto becomes here (src/inftool_hf/precision.py)
        "auto_dtype": resolve_dtype("auto"),
    })


if __name__ == "__main__":
    main()
