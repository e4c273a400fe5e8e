"""Which float type a recipe's ``dtype: auto`` becomes on this machine.

bfloat16 is fast only where the hardware computes it: a CUDA device that supports it, or a CPU whose oneDNN has
bf16 kernels (AVX-512 BF16 / AMX, or AVX-512 emulation). On an AVX2-only CPU such as AMD EPYC Zen 3, torch's bf16
matmul ran at 0.3-1.3 GFLOP/s against 154-176 in float32 (benchmarks/results/hardware_roof_avx2.json), so there
``auto`` is float32; on the AVX-512 BF16 EPYC of benchmarks/results/hardware_roof.json bf16 was 2.5x float32.
"""

from __future__ import annotations

from functools import cache

DTYPES = ("auto", "bfloat16", "float16", "float32")


@cache  # every backend and train config asks; the hardware does not change within a process
def bfloat16_is_fast() -> bool:
    """Whether this machine has bf16 kernels: the CUDA device when there is one, else the CPU."""
    import torch

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def resolve_dtype(dtype: str) -> str:
    """``dtype`` itself, or for ``auto`` bfloat16 where it is fast and float32 elsewhere (the configs check
    that ``dtype`` is one of :data:`DTYPES` before they call this)."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if bfloat16_is_fast() else "float32"
