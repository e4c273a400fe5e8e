"""The data half in one stage: specs → tool pool → scenarios → role-play → verify → published folder.

``generate(config)`` is what the CLI (``inftool-hf generate --recipe ...``), the notebooks and the loop
call. Work is written as it goes under ``<output_dir>/<name>/work/`` (tool pool, scenarios, role-play
shards), so running the same command again after an interruption resumes where it stopped, without
duplicates; the published folder is ``<output_dir>/<name>/``.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from inftool_hf.atomic import atomic_to_parquet, atomic_write_text
from inftool_hf.configs import BackendConfig, ConfigError, load_recipe
from inftool_hf.scaleout import DatatroveConfig
from inftool_hf.sources.compaction import compact_tools
from inftool_hf.sources.registry import implementations_of, load_entries, named_sources, spec_paths
from inftool_hf.synth.roleplay import RolePlayConfig, role_play
from inftool_hf.synth.scenarios import ScenarioConfig, category_shortfall, sample_scenarios
from inftool_hf.synth.tool_pool import ToolPool, build_tool_pool, operation_kind, pool_report

logger = logging.getLogger(__name__)


@dataclass
class GenerateConfig:
    """One synthesis run. YAML recipes use the same keys (see ``recipes/``)."""

    name: str = field(default="inftool-data", metadata={"help": "dataset name: the folder <output_dir>/<name>"})
    output_dir: str = field(default="outputs", metadata={"help": "where dataset folders go"})
    iteration: int = field(default=0, metadata={"help": "loop iteration the rows belong to"})
    specs: list[str] = field(
        default_factory=lambda: ["pack"],
        metadata={"help": "Spec files or folders; 'pack' is the embedded spec pack; 'botocore:<service>' / "
                          "'googleapis:<api>' are the AWS service models and Google discovery documents that pip "
                          "installed (inftool_hf.sources.botocore, inftool_hf.sources.googleapis); "
                          "'python:<module>' is a module of functions "
                          "whose tools the MCP Server runs for real (inftool_hf.sources.python_tools); "
                          "'mcp:<url or stdio:command>' is a live MCP server whose listed tools are ingested "
                          "(inftool_hf.sources.mcp)."},
    )
    only_domains: list[str] = field(
        default_factory=list,
        metadata={"help": "Keep only tools of these domains ([]: all) / drop tools of these domains: the loop holds "
                          "dev domains out of training data this way, and generates its dev set from them alone."},
    )
    exclude_domains: list[str] = field(default_factory=list, metadata={"help": "tools of these domains are dropped"})
    max_tool_tokens: int = field(
        default=1024,
        metadata={"help": "Estimated tokens one tool may take in a prompt; a larger tool is compacted (descriptions "
                          "cut, examples dropped, deep objects stubbed, then optional parameters dropped) and the "
                          "cuts are recorded in the run's run.json and summary (inftool_hf.sources.compaction); "
                          "0 turns it off"},
    )
    near_duplicate_threshold: float = field(
        default=0.9,
        metadata={"help": "Cosine above which tools with the same required parameters merge (of TF-IDF rows, or of "
                          "cluster_model's embeddings where one is set: tune it for that model)"},
    )
    cluster_model: str = field(
        default="",
        metadata={"help": "A local checkpoint folder (or 'default', the embedded model) whose mean-pooled hidden "
                          "states embed the tools for near-duplicate clustering, InfTool's embed-and-cluster step "
                          "(tool_pool.text_embedder; GPU when there is one); empty: TF-IDF, no model"},
    )
    merge_with_llm: bool = field(
        default=False,
        metadata={"help": "With the user backend (a capable model): split each near-duplicate group into the tools "
                          "that really are redundant (tool_pool.llm_split), then write one description per merged "
                          "group (tool_pool.llm_merge)."},
    )
    scenarios: ScenarioConfig = field(default_factory=ScenarioConfig)
    roleplay: RolePlayConfig = field(default_factory=RolePlayConfig)
    runner: str = field(
        default="in_process",
        metadata={"help": "in_process: our batched driver on this machine's engine | datatrove: every episode as a "
                          "rollout of datatrove's inference pipeline (local, Slurm or Ray; see the datatrove "
                          "section and inftool_hf.scaleout), the same rows for the same seed"},
    )
    datatrove: DatatroveConfig = field(default_factory=DatatroveConfig)
    backend: BackendConfig = field(
        default_factory=BackendConfig,
        metadata={"help": "The assistant's backend (the model being trained, or a teacher)."},
    )
    user_backend: BackendConfig | None = field(
        default=None,
        metadata={"help": "Optional separate backends for the User Simulator / MCP Server / judge (null: the "
                          "assistant's)."},
    )
    replay_failures: bool = field(
        default=False,
        metadata={"help": "roleplay.assistant: model — every scenario the model got wrong at a decision gate (parse, "
                          "schema, blueprint) is played again with the blueprint's calls: a corrected demonstration of"
                          " the same request (id ``<id>-replay``), verified like every row and kept beside the model's"
                          " own (rows say which in ``generator``). In a loop recipe, set loop.replay_failures"
                          " instead."},
    )
    judge: bool = field(
        default=False,
        metadata={"help": "LLM judge on the natural-language turns (a capable user backend)"},
    )
    decontaminate: bool = field(
        default=True,
        metadata={"help": "Leave out tools named like a BFCL function before sampling (logged, and listed in "
                          "tool_tree.json), and fail when the verified data still shares a function name or a "
                          "question 12-gram with BFCL (needs the BFCL environment made by `make install`). Turn off "
                          "only where BFCL is not installed at all."},
    )
    hub_repo_id: str | None = field(default=None, metadata={"help": "push the folder to this Hub dataset repo"})
    hub_private: bool = field(default=False, metadata={"help": "create the Hub repo private"})
    license: str = field(default="apache-2.0", metadata={"help": "license in the dataset card"})

    def __post_init__(self) -> None:
        if not isinstance(self.specs, list) or not self.specs:
            raise ConfigError(f"specs: give at least one spec file, folder, 'pack', 'python:<module>' or "
                              f"'mcp:<target>' as a list (got {self.specs!r})")
        bad = [s for s in self.specs if not isinstance(s, str) or not s.strip()]
        if bad:
            raise ConfigError(f"specs: every entry must be a non-empty string, got {bad!r}")
        if self.runner not in ("in_process", "datatrove"):
            raise ConfigError(f"runner: in_process or datatrove, got {self.runner!r}")
        if not self.name or "/" in self.name or self.name in (".", ".."):
            raise ConfigError(f"name: must be a folder name (no '/'), got {self.name!r}")
        if not isinstance(self.cluster_model, str) or (self.cluster_model not in ("", "default") and
                                                       not (Path(self.cluster_model) / "config.json").is_file()):
            raise ConfigError(f"cluster_model: no checkpoint folder (with config.json) at {self.cluster_model!r}; "
                              "give a local folder, 'default' or '' (TF-IDF)")

    @property
    def folder(self) -> Path:
        return Path(self.output_dir) / self.name

    def fingerprint(self) -> str:
        """What decides the rows: a work folder made under another fingerprint is never reused."""
        data = asdict(self)
        for key in ("output_dir", "name", "hub_repo_id", "hub_private", "license", "decontaminate"):
            data.pop(key)
        for section in ("backend", "user_backend"):
            if data[section]:
                data[section] = {k: data[section][k] for k in ("backend", "model", "chat_template", "system_prompt",
                                                               "dtype", "seed")}
        return json.dumps(data, sort_keys=True, default=str)


def load_generate_config(path: str) -> GenerateConfig:
    return load_recipe(GenerateConfig, path, "generate")


def inspect_specs(specs: list[str], tokenizer: Any = None):
    """The tools ``specs`` become, one row each (name, domain, source, parameters, required, rendered size in
    tokens when a tokenizer is given, else characters), and the load's warnings."""
    from datasets import Dataset

    load = load_entries(specs)
    rows = []
    for tool in load.tools:
        rendered = json.dumps(tool.to_openai(), ensure_ascii=False)
        properties = tool.parameters.get("properties") or {}
        rows.append({"name": tool.name, "domain": tool.domain, "source": tool.source,
                     "parameters": len(properties), "required": len(tool.parameters.get("required") or []),
                     "has_response_schema": tool.response_schema is not None,
                     "chars": len(rendered),
                     "tokens": len(tokenizer(rendered)["input_ids"]) if tokenizer is not None else None})
    return Dataset.from_list(rows) if rows else Dataset.from_dict({}), load.warnings


def claim_work_dir(config: GenerateConfig) -> Path:
    """``<folder>/work`` for this config. A work folder left by a run with another recipe (other specs, counts,
    models...) is moved aside to ``work.replaced-<n>`` (kept, never reused), so a changed recipe never
    republishes old rows; an interrupted run of the same recipe resumes from it."""
    work = config.folder / "work"
    stamp = work / "config.json"
    if work.exists() and (not stamp.exists() or stamp.read_text(encoding="utf-8") != config.fingerprint()):
        n = 1
        while (config.folder / f"work.replaced-{n}").exists():
            n += 1
        work.rename(config.folder / f"work.replaced-{n}")
        logger.warning("%s was made with another recipe; moved to work.replaced-%d and starting afresh", work, n)
    work.mkdir(parents=True, exist_ok=True)
    if not stamp.exists():
        atomic_write_text(stamp, config.fingerprint())
    return work


def reads_without_response_schema(pool: ToolPool, server: str) -> list[str]:
    """Tools that read something and whose spec says nothing of the answer (MCP tools returning text, function
    lists): the schema server has nothing to answer them from but ``{"status": "ok"}``, and a row saying "the status
    is ok" to "show me the git log" teaches nothing. Scenarios never call them (they are still offered beside the
    tools called, and a missing one can still be asked for); the log and the tool tree name them."""
    if server != "schema":
        return []
    return sorted(name for name, tool in pool.tools.items()
                  if tool.response_schema is None and operation_kind(name) == "read")


def build_pool(config: GenerateConfig, work: Path | None = None, merger_backend: Any = None) -> ToolPool:
    """Load specs and build the pool, or reuse the one saved by an earlier (interrupted) run."""
    from datasets import Dataset

    saved = work / "tool_pool.parquet" if work is not None else None
    if saved is not None and saved.exists():
        pool = ToolPool.from_dataset(Dataset.from_parquet(str(saved)))
        if pool.tools:
            return pool
    load = load_entries(config.specs)
    for warning in load.warnings:
        logger.warning(warning)
    from inftool_hf.synth.tool_pool import llm_merge, llm_split

    with_llm = config.merge_with_llm and merger_backend is not None
    merger = llm_merge(merger_backend) if with_llm else None
    splitter = llm_split(merger_backend) if with_llm else None
    if not load.tools:
        raise ConfigError(f"specs: {config.specs!r} gave no usable tool" +
                          (f" ({load.warnings[0]})" if load.warnings else ""))
    domains = sorted({t.domain for t in load.tools})
    load.tools = [t for t in load.tools if (not config.only_domains or t.domain in config.only_domains)
                  and t.domain not in config.exclude_domains]
    if not load.tools:
        raise ConfigError(f"only_domains {config.only_domains} / exclude_domains {config.exclude_domains} leave no "
                          f"tool; the specs' domains are {domains}")
    bfcl_names: list[str] = []
    if config.decontaminate:  # a real API may share a function's name with BFCL (mcp-server-time: get_current_time)
        from inftool_hf.evaluate.decontaminate import bfcl_function_names

        bfcl_names = sorted({t.name for t in load.tools} & bfcl_function_names())
        if bfcl_names:
            logger.warning("left out %d tool(s) named like a BFCL function (decontamination): %s", len(bfcl_names),
                           ", ".join(bfcl_names))
            load.tools = [t for t in load.tools if t.name not in bfcl_names]
    load.tools, compacted = compact_tools(load.tools, config.max_tool_tokens)
    for record in compacted:
        logger.warning("%s: %s (~%d → ~%d tokens, budget %d): %s", record.tool,
                       "left out" if record.dropped else "compacted", record.tokens_before, record.tokens_after,
                       config.max_tool_tokens, "; ".join(record.cuts))
    if not load.tools:
        raise ConfigError(f"max_tool_tokens {config.max_tool_tokens}: no tool fits (even required parameters alone)")
    embed = None
    if config.cluster_model:
        from inftool_hf.default_model import resolve_model
        from inftool_hf.synth.tool_pool import text_embedder

        embed = text_embedder(resolve_model(config.cluster_model))
    pool = build_tool_pool(load.tools, config.near_duplicate_threshold, merger, splitter, embed=embed)
    tree = pool_report(load.tools, pool)
    tree["left_out_bfcl_names"] = bfcl_names
    tree["reads_without_response_schema"] = reads_without_response_schema(pool, config.roleplay.server)
    if tree["reads_without_response_schema"]:
        logger.warning("%d read tool(s) have no response schema, so the schema server could only answer them "
                       '{"status": "ok"}; no scenario calls them (server: llm, or server: mcp for an MCP source, '
                       "answers them): %s",
                       len(tree["reads_without_response_schema"]), ", ".join(tree["reads_without_response_schema"]))
    logger.info("tool pool: %d raw tools, %d distinct, %d kept (%d merged), %d dependency edges, %d domains",
                tree["raw"], tree["distinct"], tree["kept"], tree["merged"], tree["dependency_edges"],
                len(tree["domains"]))
    if saved is not None:
        atomic_write_text(saved.with_name("compaction.json"), json.dumps([r.to_dict() for r in compacted], indent=2))
        atomic_write_text(saved.with_name("tool_tree.json"), json.dumps(tree, indent=2))
        atomic_to_parquet(pool.to_dataset(), saved)
    return pool


def _pool_record(work: Path, name: str, empty: Any) -> Any:
    """What build_pool wrote beside the saved pool (``compaction.json``: what was cut to make tools fit;
    ``tool_tree.json``: raw → kept per domain), so a resumed run still reports it."""
    path = work / name
    return json.loads(path.read_text()) if path.exists() else empty


class Stopwatch:
    """Seconds per step of a run, in the order the steps ran (``run.json``'s ``seconds``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.seconds[name] = time.monotonic() - started


def scenarios_for(pool: ToolPool, config: GenerateConfig, work: Path):
    """The run's scenarios: the saved ones of an interrupted run, else sampled (reads the schema server cannot
    answer are never called, still offered beside others) and saved."""
    from datasets import Dataset

    scenario_file = work / "scenarios.parquet"
    if scenario_file.exists():
        return Dataset.from_parquet(str(scenario_file))
    unanswerable = dict.fromkeys(reads_without_response_schema(pool, config.roleplay.server), 0.0)
    scenarios = sample_scenarios(pool, replace(config.scenarios, tool_weights={
        **config.scenarios.tool_weights, **unanswerable}))
    atomic_to_parquet(scenarios, scenario_file)
    return scenarios


def generate(config: GenerateConfig, backend: Any = None, progress: bool = True):
    """Run the data half; returns the verified ``DatasetDict`` (``train`` and ``rejected``).

    One pass through the stages: sources → tool pool → scenarios → role-play (→ blueprint replay of the model's
    failed decisions) → verification → decontamination → the published folder. Cheap checks come first, so a
    missing spec or a broken one fails before any engine starts."""
    from inftool_hf.backends import make_backend
    from inftool_hf.publish import push_to_hub, save_hub_folder
    from inftool_hf.verify.gates import llm_judge, recorded_judge, verify_trajectories

    clock = Stopwatch()
    spec_paths(config.specs)
    on_datatrove = config.runner == "datatrove"
    if on_datatrove:
        from inftool_hf.scaleout import require_datatrove

        require_datatrove(config.datatrove)
    work = claim_work_dir(config)
    pool = None
    if not config.merge_with_llm:  # the pool needs no model
        with clock.step("tool_pool"):
            pool = build_pool(config, work)
    owned = backend is None
    # (on datatrove the episodes' model calls go to datatrove's engine: ours only for a judge or an LLM merge)
    needed = not on_datatrove or config.merge_with_llm
    backend = backend or (make_backend(config.backend) if needed else None)
    user_backend = make_backend(config.user_backend) if config.user_backend and needed else backend
    implementations = implementations_of(config.specs)
    try:  # engines are closed whatever fails below (a broken spec, an interrupted role-play...)
        if pool is None:
            with clock.step("tool_pool"):
                pool = build_pool(config, work, merger_backend=user_backend)
        with clock.step("scenarios"):
            scenarios = scenarios_for(pool, config, work)
        shortfall = category_shortfall(config.scenarios, scenarios)
        for category, gap in shortfall.items():
            logger.warning("category %s: %d asked, %d sampled: %s; the rest were built in a nearby category",
                           category, gap["asked"], gap["sampled"], gap["reason"])

        def play(scenarios, roleplay: RolePlayConfig, shards: str):
            if on_datatrove:
                from inftool_hf.scaleout import role_play_on_datatrove

                return role_play_on_datatrove(scenarios, pool, roleplay, config.datatrove, backend=config.backend,
                                              iteration=config.iteration, work=work / f"datatrove-{shards}",
                                              implementations=implementations, judge=config.judge)
            return role_play(scenarios, pool, roleplay, backend,
                             user_backend=user_backend if roleplay.user == "llm" else None,
                             server_backend=user_backend if roleplay.server == "llm" else None,
                             iteration=config.iteration, shard_dir=work / shards, progress=progress,
                             implementations=implementations)

        with clock.step("role_play"):
            trajectories = play(scenarios, config.roleplay, "shards")
        if config.replay_failures and config.roleplay.assistant == "model" and config.roleplay.mode == "blueprint":
            with clock.step("replay"):
                trajectories = with_replayed_failures(trajectories, scenarios, config.roleplay, play)
        with clock.step("verify"):
            judge = (recorded_judge if on_datatrove else llm_judge(user_backend)) if config.judge else None
            verified = verify_trajectories(trajectories, judge=judge)
    finally:
        if owned and backend is not None:
            backend.close()
        if user_backend is not backend and user_backend is not None:
            user_backend.close()
    if config.decontaminate:
        from inftool_hf.evaluate.decontaminate import check_dataset_decontamination

        with clock.step("decontaminate"):
            check_dataset_decontamination(verified["train"])
    with clock.step("publish"):
        save_hub_folder(verified, config.folder, title=config.name, iteration=config.iteration,
                        sources=named_sources(config.specs), license=config.license, judged=config.judge,
                        shortfall=shortfall)
        if config.hub_repo_id:
            push_to_hub(config.folder, config.hub_repo_id, private=config.hub_private)
    run = {"config": asdict(config), "seconds": clock.seconds, "category_shortfall": shortfall,
           "tools_compacted": _pool_record(work, "compaction.json", []),
           "tool_tree": _pool_record(work, "tool_tree.json", {})}
    atomic_write_text(config.folder / "run.json", json.dumps(run, indent=2, default=str))
    return verified


def with_replayed_failures(trajectories, scenarios, roleplay: RolePlayConfig, play: Any):
    """The model's rows, plus a blueprint replay (``play(scenarios, roleplay, shard_folder)``) of each scenario
    whose row fails a decision gate."""
    from datasets import concatenate_datasets

    from inftool_hf.verify.gates import check_trajectory
    from inftool_hf.verify.trajectories import DECISION_GATES

    failed = {row["id"] for row in trajectories if check_trajectory(row)[0] in DECISION_GATES}
    if not failed:
        return trajectories
    replay = scenarios.filter(lambda row: row["id"] in failed).map(lambda row: {"id": f"{row['id']}-replay"})
    roleplay = copy.deepcopy(roleplay)
    roleplay.assistant = "blueprint"
    replays = play(replay, roleplay, "replay_shards")
    return concatenate_datasets([trajectories, replays.cast(trajectories.features)])
