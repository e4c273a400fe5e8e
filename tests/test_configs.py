import pytest

from inftool_hf.configs import BackendConfig, ConfigError, SamplingConfig, config_from_dict, load_recipe


def test_recipe_sections_load(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("backend:\n  backend: transformers\n  batch_size: 4\nsampling:\n  max_new_tokens: 8\n")
    backend = load_recipe(BackendConfig, recipe, "backend")
    assert backend.backend == "transformers" and backend.batch_size == 4
    assert load_recipe(SamplingConfig, recipe, "sampling").max_new_tokens == 8


def test_unknown_key_names_key_section_and_file(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("backend:\n  bakend: vllm\n")
    with pytest.raises(ConfigError) as err:
        load_recipe(BackendConfig, recipe, "backend")
    message = str(err.value)
    assert "'bakend'" in message and "r.yaml" in message and "[backend]" in message and "batch_size" in message


def test_bad_values_are_clear():
    with pytest.raises(ConfigError, match="backend must be one of"):
        config_from_dict(BackendConfig, {"backend": "tgi"})
    with pytest.raises(ConfigError, match="base_urls"):
        config_from_dict(BackendConfig, {"backend": "openai"})
    with pytest.raises(ConfigError, match="temperature"):
        config_from_dict(SamplingConfig, {"temperature": -1})
    with pytest.raises(ConfigError, match="expected a mapping"):
        config_from_dict(SamplingConfig, [1, 2])


def test_missing_and_invalid_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_recipe(BackendConfig, tmp_path / "nope.yaml", "backend")
    bad = tmp_path / "bad.yaml"
    bad.write_text("backend: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_recipe(BackendConfig, bad, "backend")


def test_every_shipped_recipe_loads_with_its_stage_loader():
    from pathlib import Path

    from inftool_hf.configs import load_yaml
    from inftool_hf.evaluate.bfcl import load_eval_config
    from inftool_hf.generate import load_generate_config
    from inftool_hf.loop import load_loop_config
    from inftool_hf.train.trainer import load_train_config

    loaders = {"generate": load_generate_config, "train": load_train_config, "eval": load_eval_config,
               "loop": load_loop_config}
    recipes = sorted(Path(__file__).parents[1].joinpath("recipes").glob("*.yaml"))
    assert len(recipes) >= 7
    for recipe in recipes:
        sections = [name for name in load_yaml(recipe) if name in loaders]
        assert sections, f"{recipe.name}: no stage section"
        for name in sections:
            assert loaders[name](str(recipe)) is not None, recipe.name


def test_one_system_prompt_for_training_and_every_evaluation():
    """BFCL and the held-out split are scored under the prompt every training row was played with."""
    from inftool_hf.configs import SYSTEM_PROMPT, BackendConfig
    from inftool_hf.evaluate.bfcl import EvalConfig
    from inftool_hf.synth.roleplay import RolePlayConfig
    from inftool_hf.train.trainer import TrainConfig

    assert EvalConfig().backend.system_prompt == RolePlayConfig().system_prompt == TrainConfig().system_prompt
    assert BackendConfig().system_prompt == SYSTEM_PROMPT and "ask the user for missing values" in SYSTEM_PROMPT


def test_one_loader_for_recipes_flags_and_set_with_the_same_checks(tmp_path):
    """--set reaches any recipe key, after the recipe and the command's flags; errors name the key and the source."""
    from inftool_hf.configs import ConfigError, load_recipe
    from inftool_hf.generate import GenerateConfig

    recipe = tmp_path / "r.yaml"
    recipe.write_text("generate:\n  scenarios: {num_scenarios: 10}\n  roleplay: {shard_size: 8}\n")
    config = load_recipe(GenerateConfig, recipe, "generate", {"scenarios.num_scenarios": 20, "output_dir": None},
                         ["roleplay.shard_size=4", "roleplay.sampling.temperature=0.5", "specs=[pack, pack]"])
    assert (config.scenarios.num_scenarios, config.roleplay.shard_size) == (20, 4)
    assert config.roleplay.sampling.temperature == 0.5 and config.specs == ["pack", "pack"]
    assert config.output_dir == "outputs"  # a flag not given leaves the recipe's value
    with pytest.raises(ConfigError, match=r"r.yaml \+ command line \[generate\].roleplay: shard_size: expected int, "
                                          r"got str 'many'"):
        load_recipe(GenerateConfig, recipe, "generate", sets=["roleplay.shard_size=many"])
    with pytest.raises(ConfigError, match=r"unknown key\(s\) 'shard_sise'"):
        load_recipe(GenerateConfig, recipe, "generate", sets=["roleplay.shard_sise=4"])
    with pytest.raises(ConfigError, match="expected key=value"):
        load_recipe(GenerateConfig, None, "generate", sets=["roleplay.shard_size"])


def test_help_lists_every_recipe_key_with_its_help(capsys):
    from inftool_hf.cli import build_parser
    from inftool_hf.configs import config_fields
    from inftool_hf.loop import LoopConfig

    with pytest.raises(SystemExit):
        build_parser().parse_args(["loop", "--help"])
    shown = capsys.readouterr().out
    keys = [key for key, *_ in config_fields(LoopConfig)]
    assert len(keys) > 100 and all(f"  {key} (" in shown for key in keys)
    assert "  seed_fraction (float, default 0.25)\n      Share of each round's scenarios seeded" in shown
    assert "  train.grpo.trl (dict[str, Any], default {})\n      Any other trl.GRPOConfig field" in shown
    undocumented = [key for key, _, _, text in config_fields(LoopConfig) if not text]
    assert not undocumented, undocumented


def test_loop_refuses_keys_it_sets_every_round(tmp_path):
    """A value the loop would replace every round is an error naming the key and what to set instead (a loop
    recipe once set generate.replay_failures: the loop's own key silently overrode it)."""
    from inftool_hf.loop import LoopConfig

    recipe = tmp_path / "loop.yaml"
    recipe.write_text("loop:\n  replay_failures: false\n  generate:\n    replay_failures: true\n")
    with pytest.raises(ConfigError) as err:
        load_recipe(LoopConfig, recipe, "loop")
    assert str(err.value).startswith(f"{recipe} [loop]: generate.replay_failures is set by the loop every round")
    assert "loop.replay_failures" in str(err.value)
    for key in ("train.output_dir=x", "train.stages=[sft]", "generate.scenarios.seeds=[]", "eval.output_dir=x"):
        with pytest.raises(ConfigError, match=rf"{key.split('=')[0]} is set by the loop"):
            load_recipe(LoopConfig, None, "loop", sets=[key])
    # the same keys stay free where the loop does not set them: a generate recipe, the loop's own keys
    assert load_recipe(LoopConfig, None, "loop", sets=["replay_failures=false"]).replay_failures is False
    from inftool_hf.generate import GenerateConfig

    assert config_from_dict(GenerateConfig, {"replay_failures": True}).replay_failures is True


def test_dtype_auto_is_bfloat16_only_where_the_machine_has_bf16_kernels(monkeypatch):
    """An AVX2-only CPU computed bf16 matmul ~100x slower than float32 (benchmarks/results/hardware_roof_avx2.json):
    ``auto`` is float32 there, bfloat16 where the GPU or CPU has the kernels; the config records what ran."""
    from inftool_hf import precision
    from inftool_hf.train.trainer import TrainConfig

    monkeypatch.setattr(precision, "bfloat16_is_fast", lambda: False)
    assert BackendConfig().dtype == TrainConfig().dtype == "float32"
    assert BackendConfig(dtype="bfloat16").dtype == TrainConfig(dtype="bfloat16").dtype == "bfloat16"
    monkeypatch.setattr(precision, "bfloat16_is_fast", lambda: True)
    assert BackendConfig().dtype == TrainConfig().dtype == "bfloat16"
    assert TrainConfig(dtype="float32").dtype == "float32"
    with pytest.raises(ConfigError, match="train.dtype must be one of auto, bfloat16, float16, float32; got 'fp32'"):
        TrainConfig(dtype="fp32")

