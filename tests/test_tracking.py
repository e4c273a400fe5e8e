"""Experiment tracking goes through the trainers' own ``report_to`` integrations: a recipe's ``train.report_to:
trackio`` logs every optimizer step to Trackio (local-first: a SQLite file under ``TRACKIO_DIR``, no Hub)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from inftool_hf.generate import GenerateConfig, generate
from inftool_hf.synth.roleplay import RolePlayConfig
from inftool_hf.synth.scenarios import ScenarioConfig
from tests.fakes import ScriptedBackend

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from gpu_smoke import tiny_model  # noqa: E402  (the 2-layer random model of the default's shape)


def _trackio_logs(trackio_dir: Path) -> dict[str, list[dict]]:
    """What Trackio stored, read back through Trackio's own storage API (it reads TRACKIO_DIR on import)."""
    code = ("import json; from trackio import SQLiteStorage as S; "
            "print(json.dumps({run: S.get_logs('inftool-hf', run) for run in S.get_runs('inftool-hf')}))")
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TRACKIO_DIR": str(trackio_dir)},
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_report_to_trackio_logs_each_training_step(tmp_path):
    data = GenerateConfig(name="tracked", output_dir=str(tmp_path / "data"), decontaminate=False,
                          scenarios=ScenarioConfig(num_scenarios=6, seed=2, category_mix={"simple": 1}),
                          roleplay=RolePlayConfig(shard_size=6))
    generate(data, backend=ScriptedBackend(), progress=False)
    out = tmp_path / "run" / "train"
    recipe = tmp_path / "tracked.yaml"
    recipe.write_text(yaml.safe_dump({"train": {
        "model": tiny_model(tmp_path / "tiny"), "output_dir": str(out), "stages": ["sft"], "report_to": "trackio",
        "heldout_fraction": 0.0,
        "sft": {"max_steps": 3, "batch_size": 1, "gradient_accumulation_steps": 1, "save_steps": 10,
                "max_length": 1024}}}))
    trackio_dir = tmp_path / "trackio"
    result = subprocess.run([sys.executable, "-m", "inftool_hf.cli", "train", "--recipe", str(recipe), "--dataset",
                             str(data.folder)], env={**os.environ, "TRACKIO_DIR": str(trackio_dir)}, cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    logs = _trackio_logs(trackio_dir)
    assert list(logs) == ["run-train-sft"]  # one run per stage, named after where the stage was written
    tracked = [entry["train/loss"] for entry in logs["run-train-sft"] if "train/loss" in entry]
    history = json.loads((out / "sft" / "log_history.json").read_text())
    assert tracked == [entry["loss"] for entry in history if "loss" in entry] and len(tracked) == 3
