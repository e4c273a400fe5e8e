import copy
import json

import pytest

from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.roleplay import RolePlayConfig, play_episodes, role_play
from inftool_hf.synth.scenarios import CATEGORIES, ScenarioConfig, sample_scenario, sample_scenarios
from inftool_hf.synth.tool_pool import build_tool_pool
from inftool_hf.verify.gates import (
    arguments_match,
    calls_match,
    check_trajectory,
    values_equivalent,
    verify_trajectories,
)
from tests.fakes import ScriptedBackend, reporting_answer


@pytest.fixture(scope="module")
def pool():
    return build_tool_pool(load_specs([spec_pack_dir()]).tools)


@pytest.fixture(scope="module")
def rows(pool):
    """Blueprint-mode trajectories for every category (a scripted model writes the final answers)."""
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=45, seed=7))
    return role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False)


def row_of(rows, category):
    return copy.deepcopy(next(r for r in rows if r["category"] == category))


def first_call(row):
    message = next(m for m in row["messages"] if m.get("tool_calls"))
    return message["tool_calls"][0]["function"]


def test_blueprint_trajectories_pass_every_gate(rows):
    for row in rows:
        assert check_trajectory(row) == (None, []), (row["category"], check_trajectory(row))
    assert {r["category"] for r in rows} == set(CATEGORIES)


def test_parse_gate(rows):
    row = row_of(rows, "simple")
    row["episode"] = json.dumps({**json.loads(row["episode"]), "parse_errors": ["unparseable <tool_call> block"]})
    assert check_trajectory(row)[0] == "parse"


def test_schema_gate_unknown_tool_and_bad_type(rows):
    row = row_of(rows, "simple")
    first_call(row)["name"] = "not_a_tool"
    assert check_trajectory(row)[0] == "schema"
    row = row_of(rows, "simple")
    function = first_call(row)
    args = json.loads(function["arguments"])
    key = next(iter(args))
    args[key] = {"nested": True}
    function["arguments"] = json.dumps(args)
    gate, reasons = check_trajectory(row)
    assert gate == "schema" and key in reasons[0]


def test_blueprint_gate_wrong_value_missing_call_and_call_when_none_fits(rows):
    row = row_of(rows, "multi_step")
    assistant = [m for m in row["messages"] if m.get("tool_calls")]
    assistant[-1]["tool_calls"] = []
    assert check_trajectory(row)[0] == "blueprint"
    row = row_of(rows, "irrelevance")
    row["messages"][-1]["tool_calls"] = [{"id": "x", "type": "function", "function": {
        "name": json.loads(row["tools"])[0]["function"]["name"], "arguments": "{}"}}]
    gate, reasons = check_trajectory(row)
    assert gate in ("schema", "blueprint")
    row = row_of(rows, "parallel")
    calls = next(m for m in row["messages"] if m.get("tool_calls"))["tool_calls"]
    calls[0]["function"]["arguments"], calls[1]["function"]["arguments"] = (
        calls[1]["function"]["arguments"], calls[1]["function"]["arguments"])
    assert check_trajectory(row)[0] == "blueprint"


def test_blueprint_gate_miss_param_must_ask_first(rows):
    row = row_of(rows, "miss_param")
    row["messages"][2]["content"] = "Okay."  # no question
    assert check_trajectory(row) == ("blueprint", ["did not ask for the missing value before calling"])


def test_grounded_gate_catches_invented_values(rows):
    row = row_of(rows, "simple")
    function = first_call(row)
    args = json.loads(function["arguments"])
    string_key = next((k for k, v in args.items() if isinstance(v, str)), None)
    assert string_key is not None
    for message in row["messages"]:
        if message["role"] == "user":
            message["content"] = message["content"].replace(str(args[string_key]), "something")
    gate, reasons = check_trajectory(row)
    assert gate == "grounded" and string_key in reasons[0]


def test_state_gate_tool_error_and_unfinished(rows):
    row = row_of(rows, "simple")
    tool = next(m for m in row["messages"] if m["role"] == "tool")
    tool["content"] = json.dumps({"error": "booking_id 'X' not found"})
    assert check_trajectory(row)[0] == "state"
    row = row_of(rows, "simple")
    row["messages"] = row["messages"][:-1]
    assert check_trajectory(row)[0] == "state"


def test_judge_and_dedup_gates(rows):
    from datasets import Dataset

    subset = Dataset.from_list([rows[0], rows[0], rows[1]])
    result = verify_trajectories(subset)
    assert len(result["train"]) == 2 and result["rejected"][0]["verification"]["failed_gate"] == "dedup"
    judged = verify_trajectories(Dataset.from_list([rows[1]]),
                                 judge=lambda batch: [(False, "reply ignores the result")] * len(batch))
    assert judged["rejected"][0]["verification"] == {"passed": False, "failed_gate": "judge",
                                                     "reasons": ["reply ignores the result"]}


def test_tolerance_rules():
    assert values_equivalent("New  York", "new york")
    assert values_equivalent(5, 5.0) and not values_equivalent(5, 6)
    assert values_equivalent("2026-12-01T10:00:00Z", "2026-12-01T10:00:00+00:00")
    assert not values_equivalent("2026-12-01", "2026-12-02")
    assert values_equivalent(["b", "a"], ["a", "b"]) and not values_equivalent(["a"], ["a", "b"])
    assert not values_equivalent(True, 1) and not values_equivalent("5", 5)
    schema = {"properties": {"city": {}, "unit": {"default": "metric"}}, "required": ["city"]}
    assert arguments_match({"city": "Oslo"}, {"city": "Oslo", "unit": "metric"}, schema) == []  # default omitted
    assert arguments_match({"city": "Oslo", "unit": "metric"}, {"city": "Oslo"}, schema) == []  # default given
    assert arguments_match({"city": "Oslo", "unit": "imperial"}, {"city": "Oslo"}, schema)
    gold = [("f", {"x": 1}), ("f", {"x": 2})]
    assert calls_match([("f", {"x": 2}), ("f", {"x": 1})], gold, {}) == []  # order-free parallel
    assert calls_match([("f", {"x": 2})], gold, {})


def test_model_mode_calls_are_executed_and_verified(pool):
    """The assistant's own calls (here scripted: always the right call) go through the server and gates."""
    scenario = sample_scenario(pool, ScenarioConfig(), 3, "simple")
    gold = scenario.calls[0]

    def script(messages, tools):
        if messages[-1]["role"] == "tool":
            return reporting_answer(messages)
        return f'<tool_call>{{"name": "{gold.name}", "arguments": {json.dumps(gold.arguments)}}}</tool_call>'

    [episode] = play_episodes([scenario], pool, RolePlayConfig(assistant="model"), ScriptedBackend(script=script))
    row = episode.to_row(0, {})
    assert check_trajectory(row) == (None, [])
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant", "tool", "assistant"]


def test_model_mode_keeps_the_models_decisions_and_repairs_only_an_unfaithful_answer(pool):
    """With the checkpoint as the assistant, its calls are its own; a final answer that invents what the results do
    not say is replaced by one realized from them (recorded), unless repair_answers is off — then the row fails."""
    scenario = sample_scenario(pool, ScenarioConfig(), 3, "simple")
    gold = scenario.calls[0]

    def script(messages, tools):
        if messages[-1]["role"] == "tool":
            return "Done! Your reference is ZX-99812 and it cost 4,312 dollars."
        return f'<tool_call>{{"name": "{gold.name}", "arguments": {json.dumps(gold.arguments)}}}</tool_call>'

    [episode] = play_episodes([scenario], pool, RolePlayConfig(assistant="model"), ScriptedBackend(script=script))
    row = episode.to_row(0, {})
    assert json.loads(row["episode"])["answer_sources"] == ["realized"]
    assert "ZX-99812" not in row["messages"][-1]["content"] and check_trajectory(row) == (None, [])
    assert row["messages"][2]["tool_calls"][0]["function"]["name"] == gold.name
    [raw] = play_episodes([scenario], pool, RolePlayConfig(assistant="model", repair_answers=False),
                          ScriptedBackend(script=script))
    assert "ZX-99812" in raw.to_row(0, {})["messages"][-1]["content"]
    assert check_trajectory(raw.to_row(0, {}))[0] == "faithful"


def test_a_right_decline_in_words_no_reader_would_keep_is_repaired_not_rejected(pool):
    """Found in the loop test: the checkpoint declined a request no tool fits (the right decision: no call) but wrote
    'You can convert ... using the `to_int()` method'. The row is kept for the decision, with a plain decline in
    place of the prose (recorded); a call where none fits is still the model's own mistake."""
    scenario = sample_scenario(pool, ScenarioConfig(), 8, "miss_func")

    def declines(messages, tools):
        return "You can convert a kitchen quantity between units using the `to_int()` method. Here's an example:"

    [episode] = play_episodes([scenario], pool, RolePlayConfig(assistant="model"), ScriptedBackend(script=declines))
    row = episode.to_row(0, {})
    assert json.loads(row["episode"])["answer_sources"] == ["realized"]
    assert "to_int" not in row["messages"][-1]["content"] and check_trajectory(row) == (None, [])
    [raw] = play_episodes([scenario], pool, RolePlayConfig(assistant="model", repair_answers=False),
                          ScriptedBackend(script=declines))
    gate, reasons = check_trajectory(raw.to_row(0, {}))
    assert gate == "blueprint" and "does not say that no tool fits" in reasons[0]  # kept unrepaired: no decline
    shown = scenario.tools[0]  # a tool on show that does not fit: calling it is the model's own mistake

    def calls(messages, tools):
        return f'<tool_call>{{"name": "{shown}", "arguments": {{}}}}</tool_call>'

    [wrong] = play_episodes([scenario], pool, RolePlayConfig(assistant="model"), ScriptedBackend(script=calls))
    assert check_trajectory(wrong.to_row(0, {}))[0] not in (None, "faithful")


def test_a_replaced_answer_does_not_carry_the_parse_error_of_the_text_it_replaced(pool):
    """Found reading a loop run: the model's answer held a cut-off <tool_call> block, the realized answer replaced it,
    and the row was still rejected at the parse gate for text that is not in it."""
    scenario = sample_scenario(pool, ScenarioConfig(), 3, "simple")
    gold = scenario.calls[0]

    def script(messages, tools):
        if messages[-1]["role"] == "tool" or messages[-1]["content"].startswith("(Answer me now"):
            return '<tool_call>{"name": "x", "arguments": {"a": "cut off'
        return f'<tool_call>{{"name": "{gold.name}", "arguments": {json.dumps(gold.arguments)}}}</tool_call>'

    for assistant in ("model", "blueprint"):
        [episode] = play_episodes([scenario], pool, RolePlayConfig(assistant=assistant), ScriptedBackend(script=script))
        row = episode.to_row(0, {})
        assert json.loads(row["episode"])["answer_sources"] == ["realized"], assistant
        assert check_trajectory(row) == (None, []), assistant


def test_free_mode_open_role_play(pool):
    """Free mode: the user LLM writes the request, the assistant's own calls run, no gold plan is matched."""
    from inftool_hf.configs import ConfigError

    scenario = sample_scenario(pool, ScenarioConfig(), 5, "simple")
    gold = scenario.calls[0]
    said = "; ".join(f"{k} {v}" for k, v in gold.arguments.items())

    def script(messages, tools):
        if tools is None and messages[-1]["content"].startswith("You are"):
            return f"Hello, please help me: {said}."
        if messages[-1]["role"] == "tool":
            return reporting_answer(messages)
        return f'<tool_call>{{"name": "{gold.name}", "arguments": {json.dumps(gold.arguments)}}}</tool_call>'

    config = RolePlayConfig(mode="free", assistant="model", user="llm")
    backend = ScriptedBackend(script=script)
    [episode] = play_episodes([scenario], pool, config, backend, user_backend=backend)
    row = episode.to_row(0, {})
    assert row["messages"][1]["content"].startswith("Hello, please help me")
    assert check_trajectory(row) == (None, [])
    with pytest.raises(ConfigError, match="free"):
        RolePlayConfig(mode="free")


def test_shards_without_any_tool_call_concatenate_with_the_rest(pool, tmp_path):
    """A shard where the model never called a tool has all-null tool_calls; it must still join the others
    (and an earlier run's shards on resume) under one schema."""
    from datasets import concatenate_datasets

    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=6, seed=11))
    no_calls = role_play(scenarios, pool, RolePlayConfig(assistant="model", shard_size=2), ScriptedBackend(),
                         progress=False, shard_dir=tmp_path / "shards")
    assert not any(m["tool_calls"] for row in no_calls for m in row["messages"])
    with_calls = role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False)
    both = concatenate_datasets([no_calls, with_calls])
    assert len(both) == 12 and any(m["tool_calls"] for row in both for m in row["messages"])
    resumed = role_play(scenarios, pool, RolePlayConfig(assistant="model", shard_size=2), ScriptedBackend(),
                        progress=False, shard_dir=tmp_path / "shards")
    assert resumed.features == with_calls.features and resumed["id"] == no_calls["id"]
    assert len(verify_trajectories(both)["rejected"]) >= 6


def test_concurrency_refills_finished_slots_and_keeps_the_rows(pool):
    """Continuous batching: at most `concurrency` conversations per engine call, a finished conversation's slot
    goes to the next scenario at once (batches stay full while scenarios remain), rows identical."""
    from inftool_hf.configs import ConfigError

    class Recording(ScriptedBackend):
        def __init__(self):
            super().__init__()
            self.batches = []

        def generate(self, conversations, tools=None, sampling=None):
            # a conversation is known by its opening (system prompt with the tools, first user message)
            self.batches.append([json.dumps(c[:2]) for c in conversations])
            return super().generate(conversations, tools, sampling)

    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=30, seed=3))
    whole = role_play(scenarios, pool, RolePlayConfig(shard_size=30), ScriptedBackend(), progress=False)
    refilled, sharded = Recording(), Recording()
    rows = role_play(scenarios, pool, RolePlayConfig(shard_size=30, concurrency=4), refilled, progress=False)
    role_play(scenarios, pool, RolePlayConfig(shard_size=4), sharded, progress=False)
    assert rows.to_list() == whole.to_list()
    assert max(map(len, refilled.batches)) == 4
    first_seen = {}
    for index, batch in enumerate(refilled.batches):
        for conversation in batch:
            first_seen.setdefault(conversation, index)
    for index, batch in enumerate(refilled.batches):
        if any(seen > index for seen in first_seen.values()):
            assert len(batch) == 4, (index, [len(b) for b in refilled.batches])
    assert len(refilled.batches) < len(sharded.batches)  # shards of 4 shrink as their conversations end
    assert sum(map(len, refilled.batches)) == sum(map(len, sharded.batches))
    with pytest.raises(ConfigError, match="concurrency"):
        RolePlayConfig(concurrency=0)


@pytest.mark.parametrize("pretends", [
    "The task TA-73100 is done, please check the dashboard when you can.",
    "Sure, I can create a calendar event for you. The title is Quarterly planning.",
    "I'm ready to start a new shopping cart."])
def test_a_reply_that_pretends_to_do_what_no_tool_does_is_no_decline(pool, pretends):
    """Read in the model-written rows of a realworld loop (4 of 29 no-call rows in iteration 2, 5 of 35 in
    iteration 3, all verified): no call — the right decision — but a reply that pretends the thing was done. The
    verifier rejects it, the loop's repair puts a plain decline in its place, and GRPO scores it below a decline."""
    from inftool_hf.train.rewards import irrelevance_reward

    scenario = sample_scenario(pool, ScenarioConfig(), 8, "irrelevance")
    [raw] = play_episodes([scenario], pool, RolePlayConfig(assistant="model", repair_answers=False),
                          ScriptedBackend(script=lambda messages, tools: pretends))
    gate, reasons = check_trajectory(raw.to_row(0, {}))
    assert gate == "blueprint" and reasons[0].startswith("no call, but the reply does not say that no tool fits")
    [repaired] = play_episodes([scenario], pool, RolePlayConfig(assistant="model"),
                               ScriptedBackend(script=lambda messages, tools: pretends))
    row = repaired.to_row(0, {})
    assert json.loads(row["episode"])["answer_sources"] == ["realized"] and check_trajectory(row) == (None, [])
    [blueprint] = play_episodes([scenario], pool, RolePlayConfig(), ScriptedBackend())
    assert row["messages"][-1]["content"] == blueprint.messages[-1]["content"]  # the decline that names the action
    declined = "Sorry, none of the tools I have can do that."
    assert irrelevance_reward([pretends, declined, "Which date should I use?"], ["{}"] * 3) == [0.5, 1.0, 1.0]


def test_whole_word_search_matches_the_regex_it_replaces():
    import random
    import re

    from inftool_hf.verify.faithfulness import _whole

    rng = random.Random(0)
    alphabet = "ab_1 -.é"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        form = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3)))
        assert _whole(form, text) == bool(re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text)), (form, text)
