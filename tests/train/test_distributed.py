"""The distributed training path, as far as a CPU runs it: two processes under ``torchrun`` (gloo; on CPU
``accelerate launch`` starts one process unless mpirun is configured, so torchrun is the launcher that runs two),
through SFT and GRPO on the default model. Only the main process writes; a rerun resumes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from inftool_hf.generate import GenerateConfig, generate
from inftool_hf.synth.roleplay import RolePlayConfig
from inftool_hf.synth.scenarios import ScenarioConfig
from tests.fakes import ScriptedBackend

pytestmark = pytest.mark.slow


def _torchrun(recipe: Path, dataset: Path, stages: str, log: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("torchrun")), "--nproc_per_node", "2", "-m", "inftool_hf.cli",
               "train", "--recipe", str(recipe), "--dataset", str(dataset), "--stages", stages]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1500)
    log.write_text(result.stdout + result.stderr)
    return result


def test_two_processes_train_sft_and_grpo_with_rank_zero_writes_and_resume(tmp_path):
    config = GenerateConfig(name="ddp", output_dir=str(tmp_path), decontaminate=False,
                            scenarios=ScenarioConfig(num_scenarios=12, seed=2, category_mix={"simple": 1}),
                            roleplay=RolePlayConfig(shard_size=12))
    generate(config, backend=ScriptedBackend(), progress=False)
    out = tmp_path / "train"
    recipe = tmp_path / "ddp.yaml"
    recipe.write_text(yaml.safe_dump({"train": {
        "output_dir": str(out), "heldout_fraction": 0.0,
        "sft": {"max_steps": 2, "batch_size": 1, "gradient_accumulation_steps": 1, "save_steps": 1,
                "max_length": 1024},
        "grpo": {"max_steps": 1, "batch_size": 2, "num_generations": 2, "max_completion_length": 8,
                 "save_steps": 1}}}))

    result = _torchrun(recipe, config.folder, "sft", tmp_path / "sft.log")
    assert result.returncode == 0, result.stderr[-3000:]
    sft = out / "sft"
    # two ranks trained (one RNG state per process in the checkpoint), one adapter written, no leftovers
    assert {p.name for p in (sft / "checkpoint-2").glob("rng_state_*.pth")} == {"rng_state_0.pth", "rng_state_1.pth"}
    assert (sft / "adapter" / "adapter_model.safetensors").is_file() and not (sft / ".adapter-tmp").exists()
    history = json.loads((sft / "log_history.json").read_text())
    assert [e["step"] for e in history if "loss" in e] == [1, 2]

    # interrupted after step 2 of 3: the adapter is gone, the checkpoints are there; the rerun resumes
    shutil.rmtree(sft / "adapter")
    recipe.write_text(recipe.read_text().replace("max_steps: 2", "max_steps: 3"))
    result = _torchrun(recipe, config.folder, "sft,grpo", tmp_path / "resume.log")
    assert result.returncode == 0, result.stderr[-3000:]
    history = json.loads((sft / "log_history.json").read_text())
    assert [e["step"] for e in history if "loss" in e] == [1, 2, 3]  # only step 3 trained again
    assert (out / "grpo" / "adapter" / "adapter_model.safetensors").is_file()
    grpo_history = json.loads((out / "grpo" / "log_history.json").read_text())
    assert [e["step"] for e in grpo_history if "reward" in e] == [1]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["data"]) == {"sft", "grpo"} and metrics["data"]["sft"]["steps"] == 3
    assert (out / "README.md").is_file()  # the model card, written once by the main process
