"""Domain filters: the loop holds its dev domains out of every training round and makes its dev set from them."""

import pytest

from inftool_hf.configs import ConfigError
from inftool_hf.generate import GenerateConfig, build_pool


def test_only_and_exclude_domains():
    everything = build_pool(GenerateConfig(specs=["pack"]))
    kept = build_pool(GenerateConfig(specs=["pack"], exclude_domains=["hotels", "weather"]))
    assert {"hotels", "weather"} <= set(everything.domains) and not {"hotels", "weather"} & set(kept.domains)
    assert len(kept.tools) == len(everything.tools) - len(everything.domains["hotels"]) - len(
        everything.domains["weather"])
    dev = build_pool(GenerateConfig(specs=["pack"], only_domains=["hotels", "weather"]))
    assert set(dev.domains) == {"hotels", "weather"} and not set(dev.tools) & set(kept.tools)
    with pytest.raises(ConfigError, match="leave no tool"):
        build_pool(GenerateConfig(specs=["pack"], only_domains=["nowhere"]))


def test_a_single_domain_pool_samples_every_category_without_crashing():
    from inftool_hf.synth.scenarios import CATEGORIES, ScenarioConfig, sample_scenarios

    pool = build_pool(GenerateConfig(specs=["pack"], only_domains=["weather"]))
    rows = sample_scenarios(pool, ScenarioConfig(num_scenarios=45, seed=2))
    made = {r["category"] for r in rows}
    assert len(rows) == 45 and "irrelevance" not in made and "miss_func" in made  # the nearest no-call category
    assert made <= set(CATEGORIES)


def test_a_category_the_pool_cannot_supply_is_reported_in_the_summary_and_card(tmp_path):
    """A single-domain pool cannot show unrelated tools: irrelevance scenarios become miss_func ones. The run
    says so (log, stats.json, run.json, the card) instead of letting the category vanish."""
    import json
    from collections import Counter

    from inftool_hf.generate import generate
    from inftool_hf.synth.roleplay import RolePlayConfig
    from inftool_hf.synth.scenarios import ScenarioConfig, allocate_categories, category_shortfall, sample_scenarios
    from tests.fakes import ScriptedBackend

    mix = {"simple": 1.0, "irrelevance": 1.0}
    scenarios = ScenarioConfig(num_scenarios=6, seed=3, category_mix=mix)
    everything = build_pool(GenerateConfig(specs=["pack"]))
    assert category_shortfall(scenarios, sample_scenarios(everything, scenarios)) == {}
    weather = build_pool(GenerateConfig(specs=["pack"], only_domains=["weather"]))
    asked = Counter(allocate_categories(mix, 6, 3))["irrelevance"]
    gap = category_shortfall(scenarios, sample_scenarios(weather, scenarios))
    assert gap == {"irrelevance": {"asked": asked, "sampled": 0,
                                   "reason": "the tool pool has a single domain (nothing unrelated to show)"}}

    config = GenerateConfig(name="one-domain", output_dir=str(tmp_path), only_domains=["weather"], decontaminate=False,
                            scenarios=scenarios, roleplay=RolePlayConfig(shard_size=6))
    generate(config, backend=ScriptedBackend(), progress=False)
    assert json.loads((config.folder / "stats.json").read_text())["category_shortfall"] == gap
    assert json.loads((config.folder / "run.json").read_text())["category_shortfall"] == gap
    card = (config.folder / "README.md").read_text()
    assert "could not supply in full" in card and f"| irrelevance | {asked} | 0 | the tool pool has a single" in card


def test_tools_named_like_a_bfcl_function_never_enter_the_pool(tmp_path, monkeypatch):
    """mcp-server-time's ``get_current_time`` is also a BFCL function: with decontamination on (the default) such
    a tool is left out before sampling — logged and listed in tool_tree.json — instead of failing the finished run
    at the final check; with it off the tool stays."""
    import json

    import inftool_hf.evaluate.decontaminate as decontaminate

    shared = frozenset({"weather_current_conditions", "unrelated"})
    monkeypatch.setattr(decontaminate, "bfcl_function_names", lambda: shared)
    config = GenerateConfig(specs=["pack"], output_dir=str(tmp_path), name="d")
    work = tmp_path / "work"
    work.mkdir()
    pool = build_pool(config, work)
    assert "weather_current_conditions" not in pool.tools and "weather_daily_forecast" in pool.tools
    assert json.loads((work / "tool_tree.json").read_text())["left_out_bfcl_names"] == ["weather_current_conditions"]
    assert "weather_current_conditions" in build_pool(GenerateConfig(specs=["pack"], decontaminate=False)).tools
