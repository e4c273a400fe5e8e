import asyncio
import json
import threading
import time

import pytest

from inftool_hf.backends import TransformersBackend, make_backend
from inftool_hf.configs import BackendConfig, SamplingConfig

PROMPTS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "user", "content": "Name three colors."}],
    [{"role": "user", "content": "What's the weather in Paris?"}],
    [{"role": "user", "content": "Say hello."}],
]


@pytest.fixture(scope="module")
def hf_backend(default_model_path):
    return TransformersBackend(BackendConfig(backend="transformers", batch_size=3))


def test_transformers_batch_shapes_and_counts(hf_backend, weather_tools):
    tools = [weather_tools, None, weather_tools, None]
    out = hf_backend.generate(PROMPTS, tools, SamplingConfig(max_new_tokens=12))
    assert len(out) == 4
    for generation in out:
        assert generation.message["role"] == "assistant"
        assert isinstance(generation.message["content"], str)
        assert 1 <= generation.completion_tokens <= 12
        assert generation.prompt_tokens > 0
        assert generation.finish_reason in {"stop", "length"}
    assert "Paris" in out[0].raw_text


def test_transformers_batching_does_not_change_greedy_output(hf_backend):
    sampling = SamplingConfig(max_new_tokens=10)
    alone = [hf_backend.generate([p], None, sampling)[0].raw_text for p in PROMPTS[:2]]
    together = [g.raw_text for g in hf_backend.generate(PROMPTS[:2], None, sampling)]
    assert alone == together


def test_tools_length_must_match(hf_backend):
    with pytest.raises(ValueError, match="2 conversations but 1 tool lists"):
        hf_backend.generate(PROMPTS[:2], [None])


def test_sampling_is_seeded(hf_backend):
    sampling = SamplingConfig(max_new_tokens=12, temperature=1.0, seed=7)
    first = hf_backend.generate(PROMPTS[:1], None, sampling)[0].raw_text
    assert hf_backend.generate(PROMPTS[:1], None, sampling)[0].raw_text == first


# --- openai backend against small fake OpenAI-compatible servers (no model, fast) ----------------

class FakeServer:
    """Counts requests and concurrency; fails the first request with HTTP 500 to exercise retries."""

    def __init__(self, port: int, delay: float = 0.05, shared: dict | None = None):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.port, self.delay = port, delay
        self.hits, self.failed_once = 0, False
        self.shared = shared if shared is not None else {"active": 0, "peak": 0}  # across endpoints
        self.requests = []

        async def completions(request):
            body = await request.json()
            self.requests.append(body)
            if not self.failed_once:
                self.failed_once = True
                return JSONResponse({"error": {"message": "boom"}}, status_code=500)
            self.hits += 1
            self.shared["active"] += 1
            self.shared["peak"] = max(self.shared["peak"], self.shared["active"])
            await asyncio.sleep(self.delay)
            self.shared["active"] -= 1
            text = '<tool_call>{"name": "get_current_weather", "arguments": {"city": "Paris"}}</tool_call>'
            return JSONResponse({
                "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
            })

        import uvicorn

        app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=5)


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_openai_backend_round_robin_concurrency_retries(weather_tools):
    shared = {"active": 0, "peak": 0}
    servers = [FakeServer(_free_port(), shared=shared), FakeServer(_free_port(), shared=shared)]
    try:
        config = BackendConfig(backend="openai", model="m", max_concurrency=3, max_retries=2,
                               base_urls=[f"http://127.0.0.1:{s.port}/v1" for s in servers])
        backend = make_backend(config)
        out = backend.generate([PROMPTS[2]] * 12, [weather_tools] * 12, SamplingConfig(max_new_tokens=8))
    finally:
        for server in servers:
            server.stop()
    assert len(out) == 12
    for generation in out:
        [call] = generation.message["tool_calls"]
        assert call["function"]["name"] == "get_current_weather"
        assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
        assert generation.completion_tokens == 7
    assert [s.hits for s in servers] == [6, 6]  # round-robin
    assert 2 <= shared["peak"] <= 3  # concurrent, but bounded across endpoints
    assert all(s.failed_once for s in servers)  # each 500 was retried
    request = servers[0].requests[-1]
    assert request["tools"] == weather_tools and request["messages"][0]["role"] == "system"
    assert request["max_tokens"] == 8


def test_openai_backend_dead_endpoint_fails_clearly():
    from openai import APIConnectionError

    backend = make_backend(BackendConfig(backend="openai", model="m", max_retries=0, request_timeout=2,
                                         base_urls=[f"http://127.0.0.1:{_free_port()}/v1"]))
    with pytest.raises(APIConnectionError):
        backend.generate(PROMPTS[:1])


def test_openai_backend_inside_running_loop():
    server = FakeServer(_free_port())
    try:
        backend = make_backend(BackendConfig(backend="openai", model="m", max_retries=1,
                                             base_urls=[f"http://127.0.0.1:{server.port}/v1"]))

        async def inside_loop():
            return backend.generate(PROMPTS[:2])  # as from a notebook cell

        out = asyncio.run(inside_loop())
    finally:
        server.stop()
    assert len(out) == 2 and out[0].message["tool_calls"]


def test_openai_backend_generates_again_after_its_loop_closed():
    """Each generate() runs its own event loop; the second call must not reuse the first loop's connections
    ("Event loop is closed" before the fix)."""
    server = FakeServer(_free_port(), delay=0.0)
    try:
        backend = make_backend(BackendConfig(backend="openai", model="m", max_retries=1,
                                             base_urls=[f"http://127.0.0.1:{server.port}/v1"]))
        first = backend.generate(PROMPTS[:2])
        second = backend.generate(PROMPTS[:3])
        third = asyncio.run(backend.agenerate(PROMPTS[:1]))
    finally:
        server.stop()
    assert [len(first), len(second), len(third)] == [2, 3, 1]
    assert all(g.message["tool_calls"] for g in first + second + third)


def test_transformers_records_a_prompt_over_the_context_instead_of_an_empty_reply(hf_backend, weather_tools):
    hf_backend.config.max_model_len, limit = 64, hf_backend.config.max_model_len
    try:
        long = [{"role": "user", "content": "Please help. " * 200}]
        short = [{"role": "user", "content": "Hi"}]
        over, fine = hf_backend.generate([long, short], [weather_tools, None], SamplingConfig(max_new_tokens=4))
    finally:
        hf_backend.config.max_model_len = limit
    assert over.parse_error and "exceeds max_model_len 64" in over.parse_error and over.raw_text == ""
    assert fine.parse_error is None or "exceeds" not in fine.parse_error


def test_openai_backend_limit_holds_across_concurrent_calls():
    """Episodes run side by side each await their own agenerate(); max_concurrency bounds them together (a
    semaphore per call let 12 one-conversation calls put 12 requests in flight at once)."""
    shared = {"active": 0, "peak": 0}
    server = FakeServer(_free_port(), delay=0.05, shared=shared)
    try:
        backend = make_backend(BackendConfig(backend="openai", model="m", max_concurrency=3, max_retries=2,
                                             base_urls=[f"http://127.0.0.1:{server.port}/v1"]))

        async def episodes():
            return await asyncio.gather(*(backend.agenerate(PROMPTS[:1]) for _ in range(12)))

        out = asyncio.run(episodes())
    finally:
        server.stop()
    assert len(out) == 12 and all(len(o) == 1 and o[0].message["tool_calls"] for o in out)
    assert 2 <= shared["peak"] <= 3, shared
