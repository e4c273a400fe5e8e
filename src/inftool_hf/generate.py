"""The data half in one stage: specs → tool pool → scenarios → role-play → verify → published folder.

``generate(config)`` is what the CLI (``inftool-hf generate --recipe ...``), the notebooks and the loop
call. Work is written as it goes under ``<output_dir>/<name>/work/`` (tool pool, scenarios, role-play
shards), so running the same command again after an interruption resumes where it stopped, without
duplicates; the published folder is ``<output_dir>/<name>/``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .configs import BackendConfig, ConfigError, config_from_dict, load_yaml
from .roleplay import RolePlayConfig, role_play
from .scenarios import ScenarioConfig, sample_scenarios
from .specs import load_specs, spec_pack_dir
from .tool_pool import ToolPool, build_tool_pool

logger = logging.getLogger(__name__)


@dataclass
class GenerateConfig:
    """One synthesis run. YAML recipes use the same keys (see ``recipes/``)."""

    name: str = "inftool-data"
    output_dir: str = "outputs"
    iteration: int = 0
    # Spec files or folders; "pack" is the embedded spec pack; "python:<module>" is a module of functions
    # whose tools the MCP Server runs for real (inftool_hf.python_tools); "mcp:<url or stdio:command>" is a
    # live MCP server whose listed tools are ingested (inftool_hf.mcp_client).
    specs: list[str] = field(default_factory=lambda: ["pack"])
    near_duplicate_threshold: float = 0.9
    # Rewrite merged near-duplicates' descriptions with the user backend (for capable models).
    merge_with_llm: bool = False
    scenarios: ScenarioConfig = field(default_factory=ScenarioConfig)
    roleplay: RolePlayConfig = field(default_factory=RolePlayConfig)
    # The assistant's backend (the model being trained, or a teacher).
    backend: BackendConfig = field(default_factory=BackendConfig)
    # Optional separate backends for the User Simulator / MCP Server / judge (null: the assistant's).
    user_backend: BackendConfig | None = None
    judge: bool = False
    # Fail when the verified data shares a function name or a question 12-gram with BFCL (needs the BFCL
    # environment made by `make install`). Turn off only where BFCL is not installed at all.
    decontaminate: bool = True
    hub_repo_id: str | None = None
    hub_private: bool = False
    license: str = "apache-2.0"

    @property
    def folder(self) -> Path:
        return Path(self.output_dir) / self.name


def load_generate_config(path: str) -> GenerateConfig:
    data = load_yaml(path)
    return config_from_dict(GenerateConfig, data.get("generate", data), f"{path} [generate]")


def python_specs(specs: list[str]):
    """Tools and implementations of the ``python:<module>`` entries."""
    from .python_tools import load_python_tools
    from .specs import SpecLoad

    load, implementations = SpecLoad(), {}
    for entry in specs:
        if entry.startswith("python:"):
            part, functions = load_python_tools(entry.removeprefix("python:"))
            load.tools += part.tools
            load.warnings += part.warnings
            implementations.update(functions)
    return load, implementations


def spec_paths(specs: list[str]) -> list[Path]:
    paths = []
    for entry in specs:
        if entry.startswith(("python:", "mcp:")):
            continue
        path = spec_pack_dir() if entry == "pack" else Path(entry)
        if not path.exists():
            raise ConfigError(f"specs: {entry!r} does not exist")
        paths.append(path)
    return paths


def build_pool(config: GenerateConfig, work: Path | None = None, merger_backend: Any = None) -> ToolPool:
    """Load specs and build the pool, or reuse the one saved by an earlier (interrupted) run."""
    from datasets import Dataset

    saved = work / "tool_pool.parquet" if work is not None else None
    if saved is not None and saved.exists():
        return ToolPool.from_dataset(Dataset.from_parquet(str(saved)))
    load = load_specs(spec_paths(config.specs))
    python_load, _ = python_specs(config.specs)
    load.tools += python_load.tools
    load.warnings += python_load.warnings
    for entry in config.specs:
        if entry.startswith("mcp:"):
            from .mcp_client import load_mcp_tools

            load.tools += load_mcp_tools(entry.removeprefix("mcp:")).tools
    for warning in load.warnings:
        logger.warning(warning)
    from .tool_pool import llm_merge

    merger = llm_merge(merger_backend) if config.merge_with_llm and merger_backend is not None else None
    pool = build_tool_pool(load.tools, config.near_duplicate_threshold, merger)
    if saved is not None:
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_name(".tool_pool.tmp.parquet")
        pool.to_dataset().to_parquet(str(tmp))
        tmp.replace(saved)
    return pool


def generate(config: GenerateConfig, backend: Any = None, progress: bool = True):
    """Run the data half; returns the verified ``DatasetDict`` (``train`` and ``rejected``)."""
    from datasets import Dataset

    from .backends import make_backend
    from .publish import push_to_hub, save_hub_folder
    from .verify import llm_judge, verify_trajectories

    timings: dict[str, float] = {}
    work = config.folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    owned = backend is None
    backend = backend or make_backend(config.backend)
    user_backend = make_backend(config.user_backend) if config.user_backend else backend
    try:  # engines are closed whatever fails below (a broken spec, an interrupted role-play...)
        started = time.monotonic()
        pool = build_pool(config, work, merger_backend=user_backend)
        timings["tool_pool"] = time.monotonic() - started

        started = time.monotonic()
        scenario_file = work / "scenarios.parquet"
        if scenario_file.exists():
            scenarios = Dataset.from_parquet(str(scenario_file))
        else:
            scenarios = sample_scenarios(pool, config.scenarios)
            tmp = scenario_file.with_name(".scenarios.tmp.parquet")
            scenarios.to_parquet(str(tmp))
            tmp.replace(scenario_file)
        timings["scenarios"] = time.monotonic() - started

        started = time.monotonic()
        trajectories = role_play(scenarios, pool, config.roleplay, backend,
                                 user_backend=user_backend if config.roleplay.user == "llm" else None,
                                 server_backend=user_backend if config.roleplay.server == "llm" else None,
                                 iteration=config.iteration, shard_dir=work / "shards", progress=progress,
                                 implementations=python_specs(config.specs)[1])
        timings["role_play"] = time.monotonic() - started
        started = time.monotonic()
        verified = verify_trajectories(trajectories, judge=llm_judge(user_backend) if config.judge else None)
        timings["verify"] = time.monotonic() - started
    finally:
        if owned:
            backend.close()
        if user_backend is not backend:
            user_backend.close()
    if config.decontaminate:
        from .evaluate import check_dataset_decontamination

        started = time.monotonic()
        check_dataset_decontamination(verified["train"])
        timings["decontaminate"] = time.monotonic() - started
    started = time.monotonic()
    sources = [str(p.name) for p in spec_paths(config.specs)]
    sources += [e for e in config.specs if e.startswith(("python:", "mcp:"))]
    save_hub_folder(verified, config.folder, title=config.name, iteration=config.iteration, sources=sources,
                    license=config.license, judged=config.judge)
    if config.hub_repo_id:
        push_to_hub(config.folder, config.hub_repo_id, private=config.hub_private)
    timings["publish"] = time.monotonic() - started
    (config.folder / "run.json").write_text(json.dumps({"config": asdict(config), "seconds": timings}, indent=2,
                                                       default=str))
    return verified


def summary_table(verified, seconds: float):
    """The closing table: per category attempted, verified, yield and the top rejection reasons."""
    from collections import Counter

    from rich.table import Table

    from .publish import dataset_stats

    stats = dataset_stats(verified)
    reasons: dict[str, Counter] = {}
    for row in verified["rejected"]:
        reasons.setdefault(row["category"], Counter())[row["verification"]["failed_gate"]] += 1
    table = Table(title=f"generated in {seconds:.0f}s: {stats['verified']}/{stats['attempted']} verified "
                        f"({100 * stats['yield_rate']:.0f}%)")
    for column in ("category", "attempted", "verified", "yield", "top rejections"):
        table.add_column(column, justify="right" if column in ("attempted", "verified", "yield") else "left")
    for row in stats["categories"]:
        top = ", ".join(f"{gate} {count}" for gate, count in reasons.get(row["name"], Counter()).most_common(2))
        table.add_row(row["name"], str(row["attempted"]), str(row["verified"]), f"{100 * row['yield_rate']:.0f}%", top)
    return table


def main(args) -> int:
    from rich.console import Console

    config = load_generate_config(args.recipe) if args.recipe else GenerateConfig()
    if args.num_scenarios is not None:
        config.scenarios.num_scenarios = args.num_scenarios
    if args.output_dir is not None:
        config.output_dir = args.output_dir
    if args.backend is not None:
        config.backend.backend = args.backend
    started = time.monotonic()
    verified = generate(config)
    console = Console()
    console.print(summary_table(verified, time.monotonic() - started))
    console.print(f"dataset folder: {config.folder}  (inftool_hf.publish.load_hub_folder({str(config.folder)!r}))")
    return 0
