"""The async episode driver (what a distributed runner schedules, one episode per document) plays the same
conversations as the batched driver, in every mode."""

import asyncio
import json

import pytest

from inftool_hf.configs import SamplingConfig
from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.roleplay import RolePlayConfig, play_episodes, run_episode_async
from inftool_hf.synth.scenarios import Scenario, ScenarioConfig, sample_scenarios
from inftool_hf.synth.tool_pool import build_tool_pool
from tests.fakes import ScriptedBackend, calling_script


@pytest.fixture(scope="module")
def pool():
    return build_tool_pool(load_specs([spec_pack_dir()]).tools)


def _user(messages, tools):
    return "Hi, please help me with this: " + messages[-1]["content"][-120:]


def _server(messages, tools):
    return json.dumps({"status": "ok", "note": "simulated by a model"})


CASES = {
    "blueprint": (RolePlayConfig(), False, False),
    "model": (RolePlayConfig(assistant="model"), False, False),
    "user_llm": (RolePlayConfig(assistant="model", user="llm"), True, False),
    "free": (RolePlayConfig(assistant="model", mode="free", user="llm"), True, False),
    "server_llm": (RolePlayConfig(assistant="model", server="llm"), False, True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_async_episodes_play_the_same_rows_as_the_batched_driver(pool, case):
    config, with_user, with_server = CASES[case]
    scenarios = [Scenario.from_row(row) for row in sample_scenarios(pool, ScenarioConfig(num_scenarios=18, seed=5))]

    def backends():
        return (ScriptedBackend(script=calling_script), ScriptedBackend(script=_user) if with_user else None,
                ScriptedBackend(script=_server) if with_server else None)

    assistant, user, server = backends()
    batched = play_episodes(scenarios, pool, config, assistant, user, server)
    assistant, user, server = backends()

    async def run_all():
        return await asyncio.gather(*(run_episode_async(s, pool, config, assistant, user, server)
                                      for s in scenarios))

    alone = asyncio.run(run_all())
    generator = {"user": "u", "assistant": "a", "server": "s"}
    assert [e.to_row(1, generator) for e in alone] == [e.to_row(1, generator) for e in batched]
    assert all(e.done for e in alone)
    if with_user:  # the user model wrote the openings both times (not the template)
        assert all(e.messages[1]["content"].startswith("Hi, please help me") for e in alone if
                   config.mode == "free")
    if config.assistant == "model":
        assert any(m.get("tool_calls") for e in alone for m in e.messages)


def test_async_free_mode_without_a_user_model_is_a_config_error(pool):
    from inftool_hf.configs import ConfigError

    [scenario] = [Scenario.from_row(r) for r in sample_scenarios(pool, ScenarioConfig(num_scenarios=1, seed=1))]
    with pytest.raises(ConfigError, match="free"):
        asyncio.run(run_episode_async(scenario, pool, RolePlayConfig(assistant="model", mode="free", user="llm"),
                                      ScriptedBackend(), None))


def test_sampling_reaches_the_async_backend(pool):
    seen = []

    class Recording(ScriptedBackend):
        async def agenerate(self, conversations, tools=None, sampling=None):
            seen.append(sampling)
            return self.generate(conversations, tools, sampling)

    [scenario] = [Scenario.from_row(r) for r in sample_scenarios(pool, ScenarioConfig(num_scenarios=1, seed=2))]
    sampling = SamplingConfig(temperature=0.3, max_new_tokens=17)
    asyncio.run(run_episode_async(scenario, pool, RolePlayConfig(assistant="model", sampling=sampling),
                                  Recording(script=calling_script)))
    assert seen and all(s == sampling for s in seen)


def test_async_episodes_run_python_tools_like_the_batched_driver():
    """``server: python``: the tool functions run for real (each in its own process) in both drivers."""
    from inftool_hf.sources.python_tools import load_python_tools

    load, implementations = load_python_tools("tests.toy_tools")
    tools = build_tool_pool([t for t in load.tools if t.name in ("toy_convert_length", "toy_fail")])
    scenarios = [Scenario.from_row(row) for row in sample_scenarios(
        tools, ScenarioConfig(num_scenarios=4, seed=3, category_mix={"simple": 1}))]
    config = RolePlayConfig()
    batched = play_episodes(scenarios, tools, config, ScriptedBackend(), implementations=implementations)

    async def run_all():
        return await asyncio.gather(*(run_episode_async(s, tools, config, ScriptedBackend(),
                                                        implementations=implementations) for s in scenarios))

    alone = asyncio.run(run_all())
    generator = {"user": "u", "assistant": "a", "server": "s"}
    assert [e.to_row(1, generator) for e in alone] == [e.to_row(1, generator) for e in batched]
    results = [json.loads(m["content"]) for e in alone for m in e.messages if m["role"] == "tool"]
    assert results and all("converted" in r or "error" in r for r in results), results
