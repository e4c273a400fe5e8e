"""Environment rollouts: spec tools as TRL environment methods, reset from the row, final-state reward."""

import json

import pytest
from transformers.utils import get_json_schema

from inftool_hf.sources.specs import ToolSpec, load_specs, spec_pack_dir
from inftool_hf.synth.roleplay import RolePlayConfig, role_play
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.synth.tool_pool import build_tool_pool
from inftool_hf.train.environments import (
    SimulatorEnvironment,
    domain_tools,
    environment_class,
    environment_dataset,
    state_reward,
    tool_method,
)
from inftool_hf.train.rewards import make_gated_reward
from tests.fakes import ScriptedBackend


@pytest.fixture(scope="module")
def rows():
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    mix = {"multi_step": 2, "simple": 1, "irrelevance": 1, "miss_param": 1}
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=20, seed=4, category_mix=mix))
    return list(role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False))


def test_methods_carry_the_spec_schema():
    tool = ToolSpec(name="book_room", description="Book a hotel room", domain="hotel", source="t", parameters={
        "type": "object", "required": ["hotel_id", "nights"], "properties": {
            "hotel_id": {"type": "string", "description": "Hotel to book"},
            "nights": {"type": "integer", "description": "How many nights"},
            "view": {"type": "string", "enum": ["sea", "garden"], "description": "Room view"},
            "extras": {"type": "array", "items": {"type": "string"}}}})
    schema = get_json_schema(tool_method(tool))["function"]
    assert schema["name"] == "book_room" and schema["description"] == "Book a hotel room"
    properties = schema["parameters"]["properties"]
    assert sorted(schema["parameters"]["required"]) == ["hotel_id", "nights"]
    assert properties["nights"]["type"] == "integer" and properties["view"]["enum"] == ["sea", "garden"]
    assert properties["extras"]["type"] == "array" and properties["hotel_id"]["description"] == "Hotel to book"


def _play(env, row):
    """Make the row's first-turn planned calls through the environment methods, as TRL would."""
    blueprint = json.loads(row["blueprint"])
    for call in blueprint["calls"]:
        if call.get("turn", 0) == 0:
            result = json.loads(getattr(env, call["name"])(**call["arguments"]))
            assert "error" not in result, result


def test_reset_calls_and_final_state_reward(rows):
    classes = {d: environment_class(d, t) for d, t in domain_tools(rows).items()}
    multi = next(r for r in rows if r["category"] == "multi_step")
    env = classes[multi["domain"]]()
    env.reset(**multi)
    _play(env, multi)
    assert env._final_state_score() == 1.0
    env.reset(**multi)  # a fresh server: nothing called yet
    assert env._final_state_score() == 0.0
    first = json.loads(multi["blueprint"])["calls"][0]
    wrong = {k: (v + "x" if isinstance(v, str) else v) for k, v in first["arguments"].items()}
    getattr(env, first["name"])(**wrong)
    assert env._final_state_score() < 1.0
    refusal = next(r for r in rows if r["category"] == "irrelevance")
    env = classes[refusal["domain"]]()
    env.reset(**refusal)
    assert env._final_state_score() == 1.0  # no call where none fits
    name = next(iter(env.specs))
    getattr(env, name)()
    assert env._final_state_score() == 0.0
    assert state_reward(["x", "y"], environments=[env, object()]) == [0.0, None]
    assert state_reward(["x"]) == [None]


def test_environment_dataset_and_rewards_on_episodes(rows):
    dataset, factories = environment_dataset(rows, "You call tools.")
    assert len(dataset) == len(rows) and set(dataset["environment"]) <= set(factories)
    example = dataset[0]
    assert example["prompt"][0]["role"] == "system" and example["prompt"][1]["role"] == "user"
    env = factories[example["environment"]]()
    assert isinstance(env, SimulatorEnvironment) and env.reset(**example) is None
    # a TRL episode: the first assistant turn with parsed calls, a tool result, a closing reply
    multi = next(r for r in dataset if r["category"] == "multi_step")
    name, arguments = json.loads(multi["expected"])["calls"][0]
    episode = [{"role": "assistant", "content": "", "tool_calls": [
                   {"type": "function", "function": {"name": name, "arguments": arguments}}]},
               {"role": "tool", "name": name, "content": "{}"},
               {"role": "assistant", "content": "Done."}]
    reward = make_gated_reward()
    [value] = reward([episode], [multi["expected"]], [multi["tools"]], known_ids=[multi["known_ids"]])
    assert value == 1.0
    [prose] = reward([[{"role": "assistant", "content": "no idea"}]], [multi["expected"]], [multi["tools"]])
    assert prose == 0.0
