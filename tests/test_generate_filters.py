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
    from inftool_hf.scenarios import CATEGORIES, ScenarioConfig, sample_scenarios

    pool = build_pool(GenerateConfig(specs=["pack"], only_domains=["weather"]))
    rows = sample_scenarios(pool, ScenarioConfig(num_scenarios=45, seed=2))
    made = {r["category"] for r in rows}
    assert len(rows) == 45 and "irrelevance" not in made and "miss_func" in made  # the nearest no-call category
    assert made <= set(CATEGORIES)
