"""Configuration dataclasses, loadable from YAML recipes.

Every stage takes one of these. A recipe is a YAML file whose top-level sections map to the fields of
a config dataclass; an unknown key is an error that names the key, the section and the file, so a
typo never silently falls back to a default.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from inftool_hf.precision import DTYPES, resolve_dtype

_ABSENT = object()

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

    temperature: float = field(default=0.0, metadata={"help": "0 = greedy"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling mass (temperature > 0)"})
    max_new_tokens: int = field(default=256, metadata={"help": "generated tokens per reply, at most"})
    seed: int = field(default=0, metadata={"help": "sampling seed (temperature > 0)"})
    stop: list[str] = field(
        default_factory=list,
        metadata={"help": "Extra stop strings on top of the tokenizer's end-of-turn token."},
    )

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ConfigError(f"sampling.temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"sampling.top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"sampling.max_new_tokens must be >= 1, got {self.max_new_tokens}")


def checked_dtype(dtype: str, key: str) -> str:
    """``dtype`` as it will run (``auto`` resolved, so the run records what ran), or a ConfigError naming ``key``."""
    if dtype not in DTYPES:
        raise ConfigError(f"{key} must be one of {', '.join(DTYPES)}; got {dtype!r}")
    return resolve_dtype(dtype)


@dataclass
class BackendConfig:
    """Which engine generates, with which model.

    ``model`` is ``"default"`` (the embedded SmolLM2-135M-Instruct, prepared offline on first use), a
    local transformers folder, or a Hub id (needs Hub access).
    """

    backend: str = field(
        default="auto",
        metadata={"help": "auto | vllm | transformers | openai (auto: vllm when installed)"},
    )
    model: str = field(
        default="default",
        metadata={"help": "'default' (embedded SmolLM2-135M-Instruct), a local folder or a Hub id"},
    )
    chat_template: str = field(
        default="model",
        metadata={"help": "Chat template that renders tools: 'model' (the checkpoint's own; the prepared default model"
                          " carries TRL's Qwen2.5 tool template), 'trl:<name>' (a template shipped by TRL), or a "
                          ".jinja path."},
    )
    system_prompt: str = field(
        default=SYSTEM_PROMPT,
        metadata={"help": "System prompt added to conversations that have none (the one training uses)."},
    )
    dtype: str = field(
        default="auto",
        metadata={"help": "weights and compute dtype: auto (bfloat16 where the GPU or CPU has bf16 kernels, else "
                          "float32: an AVX2-only CPU computes bf16 ~100x slower), bfloat16, float16 or float32"},
    )
    max_model_len: int = field(
        default=4096,
        metadata={"help": "context length: longer prompts are answered with a recorded error"},
    )
    seed: int = field(default=0, metadata={"help": "engine seed"})
    batch_size: int = field(default=16, metadata={"help": "transformers backend: conversations per generate() call."})
    tensor_parallel_size: int = field(
        default=1,
        metadata={"help": "vllm backend: passed through to vllm.LLM for multi-GPU users."},
    )
    data_parallel_size: int = field(
        default=1,
        metadata={"help": "vllm: engines on separate GPUs (offline vLLM refuses > 1)"},
    )
    pipeline_parallel_size: int = field(default=1, metadata={"help": "vllm: pipeline stages across GPUs"})
    gpu_memory_utilization: float = field(default=0.85, metadata={"help": "vllm on GPU: share of memory it may take"})
    enforce_eager: bool = field(default=False, metadata={"help": "vllm: no CUDA graphs (less memory, slower)"})
    cpu_kv_cache_gb: int = field(
        default=2,
        metadata={"help": "vllm-cpu only: KV cache size in GiB (VLLM_CPU_KVCACHE_SPACE)."},
    )
    base_urls: list[str] = field(
        default_factory=list,
        metadata={"help": "openai backend: one or more OpenAI-compatible base URLs, used round-robin."},
    )
    api_key_env: str = field(
        default="OPENAI_API_KEY",
        metadata={"help": "Name of the environment variable holding the API key (the key itself is never stored)."},
    )
    served_model_name: str | None = field(
        default=None,
        metadata={"help": "Model name the server knows; defaults to ``model``."},
    )
    max_concurrency: int = field(default=16, metadata={"help": "openai: requests in flight at once"})
    request_timeout: float = field(default=120.0, metadata={"help": "openai: seconds per request"})
    max_retries: int = field(default=4, metadata={"help": "openai: retries with backoff per request"})

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}; got {self.backend!r}")
        if self.backend == "openai" and not self.base_urls:
            raise ConfigError("backend 'openai' needs at least one entry in base_urls")
        self.dtype = checked_dtype(self.dtype, "backend.dtype")
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
    # keys a config sets itself on its nested sections (the loop, every round): a value given there would be
    # silently replaced, so it is refused and the message names what to set instead
    for key, owner in getattr(cls, "set_each_round", {}).items():
        section: Any = data
        for part in key.split("."):
            section = section.get(part, _ABSENT) if isinstance(section, dict) else _ABSENT
        if section is not _ABSENT:
            raise ConfigError(f"{where}: {key} is set by the loop every round ({owner}), so this value would be "
                              "ignored; remove it")
    kwargs: dict[str, Any] = {}
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


# --- one loader for recipes and command-line overrides; field help for --help ---------------------------------

def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """``data["a"]["b"] = value`` for ``key`` ``"a.b"``, making the sections on the way."""
    parts = key.split(".")
    if not all(parts):
        raise ConfigError(f"--set {key!r}: expected a dotted key such as roleplay.shard_size")
    for part in parts[:-1]:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    data[parts[-1]] = value


def load_recipe(cls: type[T], recipe: str | os.PathLike[str] | None, section: str,
                overrides: dict[str, Any] | None = None, sets: typing.Sequence[str] = ()) -> T:
    """Every stage's config, one way: the recipe's ``section`` (the whole file when it has no such section), then
    the command's own flags (``overrides``: dotted key → value; None means not given), then ``--set key=value``
    items (the value read as YAML), all checked by the same :func:`config_from_dict` — so a flag and a recipe key
    fail with the same message, naming the key and where it came from."""
    data: dict[str, Any] = {}
    if recipe:
        whole = load_yaml(recipe)
        data = copy.deepcopy(whole.get(section, whole) or {})
        if not isinstance(data, dict):
            raise ConfigError(f"{recipe} [{section}]: expected a mapping of keys to values, got {type(data).__name__}")
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    for key, value in given.items():
        set_dotted(data, key, value)
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected key=value (e.g. --set roleplay.shard_size=32)")
        try:
            value = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            value = raw
        set_dotted(data, key.strip(), value)
    source = " + ".join([str(recipe)] * bool(recipe) + ["command line"] * bool(given or sets)) or "defaults"
    where = f"{source} [{section}]"
    return config_from_dict(cls, data, where)


def config_fields(cls: type, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """``(dotted key, type, default, help)`` for every field of ``cls``, nested sections included."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        target = _resolve_type(hints[f.name])
        key = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(target) and isinstance(target, type):
            rows += config_fields(target, key + ".")
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
            default = f.default_factory()  # type: ignore[misc]
        else:
            default = "required"
        kind = str(hints[f.name]).replace("typing.", "") if typing.get_args(hints[f.name]) else \
            getattr(hints[f.name], "__name__", str(hints[f.name]))
        help_text = f.metadata.get("help", "")
        rows.append((key, kind, repr(default) if not isinstance(default, str) else default, help_text))
    return rows


def config_help(cls: type, section: str) -> str:
    """The recipe keys of ``section`` with type, default and help, for a command's ``--help``."""
    lines = [f"recipe keys (the `{section}:` section of a recipe; any of them on the command line with "
             "--set key=value):"]
    for key, kind, default, help_text in config_fields(cls):
        shown = default if len(default) <= 60 else default[:57] + "..."
        lines.append(f"  {key} ({kind}, default {shown})" + (f"\n      {help_text}" if help_text else ""))
    return "\n".join(lines)


def config_reference(sections: list[tuple[str, type]], skip: tuple[str, ...] = ()) -> str:
    """Markdown tables of every recipe key per section, one row per field, from the fields' own help (the
    configuration reference in the docs is this, written by ``tests/test_configuration_reference.py``).
    Keys starting with a prefix in ``skip`` are left out (the loop's own ``generate:``/``train:``/``eval:``)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = []
    for section, cls in sections:
        rows = [r for r in config_fields(cls) if not r[0].startswith(skip)]
        out += [f"## `{section}:`", "", f"{len(rows)} keys of `{cls.__module__}.{cls.__qualname__}`.", "",
                "| key | type | default | what it does |", "| --- | --- | --- | --- |"]
        for key, kind, default, help_text in rows:
            shown = default if len(default) <= 40 else default[:37] + "..."
            out.append(f"| `{key}` | {cell(kind)} | `{cell(shown)}` | {cell(help_text)} |")
        out.append("")
    return "\n".join(out)
