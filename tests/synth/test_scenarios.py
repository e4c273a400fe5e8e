import json
from collections import Counter

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from inftool_hf.configs import ConfigError
from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.scenarios import (
    CATEGORIES,
    Scenario,
    ScenarioConfig,
    allocate_categories,
    sample_scenario,
    sample_scenarios,
)
from inftool_hf.synth.simulator import ToolSimulator
from inftool_hf.synth.tool_pool import build_tool_pool


@pytest.fixture(scope="module")
def pool():
    return build_tool_pool(load_specs([spec_pack_dir()]).tools)


def test_every_category_with_valid_realistic_arguments(pool):
    config = ScenarioConfig(num_scenarios=180, seed=5)
    dataset = sample_scenarios(pool, config)
    assert Counter(dataset["category"]) == {c: 20 for c in CATEGORIES}
    for row in dataset:
        scenario = Scenario.from_row(row)
        assert set(scenario.tools) <= set(pool.tools)
        for call in scenario.calls:
            schema = pool.tools[call.name].parameters
            errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(call.arguments))
            assert not errors, (scenario.category, call.name, errors[0].message)
            assert call.name in scenario.tools
        if scenario.category in ("miss_func", "irrelevance"):
            assert not scenario.calls and scenario.missing_tool not in scenario.tools
        if scenario.category == "irrelevance":
            assert all(pool.tools[t].domain != pool.tools[scenario.missing_tool].domain for t in scenario.tools)
        if scenario.category == "parallel":
            assert len(scenario.calls) >= 2 and len({c.name for c in scenario.calls}) == 1
            assert len({json.dumps(c.arguments, sort_keys=True) for c in scenario.calls}) == len(scenario.calls)
        if scenario.category == "miss_param":
            [(param, value)] = scenario.withheld.items()
            assert scenario.calls[0].arguments[param] == value


def test_multi_step_chains_line_up(pool):
    config = ScenarioConfig(num_scenarios=1, seed=1)
    for seed in range(40):
        scenario = sample_scenario(pool, config, seed, "multi_step")
        assert len({c.step for c in scenario.calls}) >= 2
        for call in scenario.calls:
            for param, source in call.sources.items():
                producer = next(c for c in scenario.calls if c.name == source["name"])
                assert producer.step == source["step"] < call.step
                assert producer.outputs[source["field"]] == call.arguments[param]
                assert param in scenario.unknown


def test_gold_plan_executes_cleanly_on_the_simulator(pool):
    """The blueprint's own calls, in order, get no error from the server: plans are consistent."""
    config = ScenarioConfig(num_scenarios=1, seed=2)
    for category in ("multi_step", "multi_turn", "parallel", "parallel_multiple", "simple"):
        for seed in range(15):
            scenario = sample_scenario(pool, config, seed, category)
            user_ids = [(k, v) for c in scenario.calls for k, v in c.arguments.items() if k not in c.sources]
            server = ToolSimulator(pool.tools, [c.__dict__ for c in scenario.calls], user_ids, seed)
            for call in sorted(scenario.calls, key=lambda c: c.step):
                result = server.execute(call.name, call.arguments)
                assert "error" not in result, (category, seed, call.name, result)


def test_same_seed_same_scenario(pool):
    config = ScenarioConfig()
    assert sample_scenario(pool, config, 11, "multi_step") == sample_scenario(pool, config, 11, "multi_step")
    assert sample_scenario(pool, config, 11, "simple") != sample_scenario(pool, config, 12, "simple")


def test_mix_allocation_and_config_errors():
    order = allocate_categories({"simple": 3, "irrelevance": 1, "parallel": 0}, 8, seed=0)
    assert Counter(order) == {"simple": 6, "irrelevance": 2}
    with pytest.raises(ConfigError, match="unknown categories"):
        ScenarioConfig(category_mix={"simpel": 1})
    with pytest.raises(ConfigError, match="positive weight"):
        ScenarioConfig(category_mix={"simple": 0})


def test_range_ends_come_out_in_order():
    from inftool_hf.synth.values import ValueFactory, order_ranges

    assert order_ranges({"start": "2026-12-05T10:00:00Z", "end": "2026-12-01T09:00:00Z"}) == {
        "start": "2026-12-01T09:00:00Z", "end": "2026-12-05T10:00:00Z"}
    assert order_ranges({"check_in": "2026-12-03", "check_out": "2026-12-03"})["check_out"] == "2026-12-04"
    assert order_ranges({"min_price": 90, "max_price": 10}) == {"min_price": 10, "max_price": 90}
    kept = {"start": "2026-12-05", "end": "2026-12-01"}
    assert order_ranges(dict(kept), keep={"start"}) == kept  # planned values are not touched
    currencies = {"from_currency": "USD", "to_currency": "EUR"}
    assert order_ranges(dict(currencies)) == currencies  # not a range of instants
    schema = {"type": "object", "required": ["start", "end"],
              "properties": {"start": {"type": "string", "format": "date-time"},
                             "end": {"type": "string", "format": "date-time"}}}
    for seed in range(200):  # independent sampling reverses about half of these without the rule
        value = ValueFactory(seed).for_schema(schema)
        assert value["start"] <= value["end"], (seed, value)


def test_planned_calendar_and_hotel_arguments_are_ordered():
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=300, seed=5))
    checked = 0
    for row in scenarios:
        for call in json.loads(row["blueprint"])["calls"]:
            args = call["arguments"]
            for low, high in (("start", "end"), ("check_in", "check_out")):
                if isinstance(args.get(low), str) and isinstance(args.get(high), str):
                    assert args[low] < args[high], (call["name"], args)
                    checked += 1
    assert checked >= 10


def test_failure_seeds_give_scenarios_of_their_category_around_their_tools(pool):
    """Error-driven expansion: each seed is one scenario of the seed's category built on the seed's tool, with fresh
    values; the rest of the round follows the mix."""
    seeds = [{"category": "simple", "tools": ["flights_search"]},
             {"category": "parallel", "tools": ["weather_daily_forecast"]},
             {"category": "miss_func", "tools": ["weather_uv_index"]},
             {"category": "multiple", "tools": ["no_such_tool"]}]  # a tool the pool lacks: the mix decides
    config = ScenarioConfig(num_scenarios=12, seed=9, seeds=seeds)
    rows = list(sample_scenarios(pool, config))
    assert len(rows) == 12
    assert [r["category"] for r in rows[:4]] == ["simple", "parallel", "miss_func", "multiple"]
    calls = [[c["name"] for c in json.loads(r["blueprint"])["calls"]] for r in rows[:4]]
    assert calls[0] == [seeds[0]["tools"][0]]
    assert set(calls[1]) == {seeds[1]["tools"][0]} and len(calls[1]) >= 2
    assert json.loads(rows[2]["blueprint"])["missing_tool"] == seeds[2]["tools"][0]
    # the same tool again, with other values than an unseeded scenario of it would have
    again = list(sample_scenarios(pool, ScenarioConfig(num_scenarios=12, seed=10, seeds=seeds)))
    assert [c["name"] for c in json.loads(again[0]["blueprint"])["calls"]] == calls[0]
    assert json.loads(again[0]["blueprint"])["calls"][0]["arguments"] != \
        json.loads(rows[0]["blueprint"])["calls"][0]["arguments"]
    with pytest.raises(ConfigError, match=r"seeds\[0\]"):
        ScenarioConfig(seeds=[{"category": "nonsense", "tools": []}])


def test_a_flight_lands_hours_after_it_leaves_not_weeks():
    """Independently sampled departure and arrival instants can lie weeks apart; a reader would stop at a flight
    arriving a fortnight after take-off, or before it. Simulated flights land at most 16 h after departure."""
    import datetime as dt

    from inftool_hf.synth.simulator import ToolSimulator
    from inftool_hf.synth.values import as_instant, order_ranges

    far = order_ranges({"departure_time": "2026-12-01T09:00:00Z", "arrival_time": "2026-12-20T11:00:00Z"})
    assert far["departure_time"] == "2026-12-01T09:00:00Z" and far["arrival_time"].startswith("2026-12-01T")
    near = {"departure_time": "2026-12-01T09:00:00Z", "arrival_time": "2026-12-01T13:30:00Z"}
    assert order_ranges(dict(near)) == near  # a plausible flight is left as it is
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    search, details = pool.tools["flights_search"], pool.tools["flights_get_details"]
    for seed in range(30):
        simulator = ToolSimulator({t.name: t for t in (search, details)}, seed=seed,
                                  user_ids=[("flight_id", "FL-12345")])
        offers = simulator.execute(search.name, {"origin": "LIS", "destination": "LHR", "date": "2026-12-03"})["offers"]
        flights = [*offers, simulator.execute(details.name, {"flight_id": "FL-12345"})]
        for flight in flights:
            gap = as_instant(flight["arrival_time"]) - as_instant(flight["departure_time"])
            assert dt.timedelta(minutes=45) <= gap <= dt.timedelta(hours=16), (seed, flight)


def test_domain_weights_set_a_domains_share_of_the_round():
    """A recipe mixing the pack with real APIs sets each side's share: a domain weighted down is sampled less."""
    from collections import Counter

    from inftool_hf.configs import ConfigError
    from inftool_hf.sources.specs import load_specs, spec_pack_dir
    from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenario
    from inftool_hf.synth.tool_pool import build_tool_pool

    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)

    def weather_share(weights):
        config = ScenarioConfig(domain_weights=weights)
        domains = Counter(sample_scenario(pool, config, seed, "simple").domain for seed in range(300))
        return domains["weather"] / 300

    plain, down, up = weather_share({}), weather_share({"weather": 0.05}), weather_share({"weather": 5.0})
    assert down < plain / 3 and up > plain * 2, (down, plain, up)
    with pytest.raises(ConfigError, match="domain_weights"):
        ScenarioConfig(domain_weights={"weather": 0})


def test_a_producer_that_takes_the_id_under_another_name_returns_that_id():
    """Read in realworld rows: ``tasks_tasklists_patch(tasklist="TA-83368")`` returned ``id: "TA-11506"`` and the
    next turn worked on that new id. A tool that takes the id (by any name the pool links to its ``id``, or by a
    parameter naming its own resource) reports that same id — in the plan and on the server."""
    from inftool_hf.synth.tool_pool import Dependency, ToolPool, find_dependencies
    from tests.synth.test_tool_pool import _api, _object

    tasklist = _object(id={"type": "string", "description": "Task list identifier."}, title="string")
    setting = _object(id={"type": "string", "description": "The id of the user setting."}, value="string")
    tools = {t.name: t for t in [
        _api("tasks_tasklists_patch", {"tasklist": ("string", "Task list identifier."),
                                       "title": ("string", "Title of the task list.")}, tasklist,
             domain="tasks", required=["tasklist"]),
        _api("tasks_tasks_list", {"tasklist": ("string", "Task list identifier.")},
             _object(items={"type": "array", "items": _object(title="string")}), domain="tasks"),
        _api("calendar_settings_get", {"setting": ("string", "The id of the user setting.")}, setting),
    ]}
    pool = ToolPool(tools, find_dependencies(tools.values()))
    assert pool.own["tasks_tasklists_patch"] == {"id": {"tasklist"}}
    assert pool.own["calendar_settings_get"] == {"id": {"setting"}}  # its own resource, though nothing consumes it
    assert Dependency("tasks_tasklists_patch", "tasks_tasks_list", "id", parameter="tasklist") in pool.dependencies
    for seed in range(20):
        scenario = sample_scenario(pool, ScenarioConfig(), seed, "multi_turn")
        if scenario.category != "multi_turn":
            continue
        first, second = scenario.calls
        assert first.outputs["id"] == first.arguments["tasklist"] == second.arguments["tasklist"], scenario
        server = ToolSimulator(tools, planned=[c.__dict__ for c in scenario.calls], seed=seed,
                               user_ids=list(first.arguments.items()))
        assert server.execute(first.name, first.arguments)["id"] == first.arguments["tasklist"]
        break
    else:
        raise AssertionError("no multi_turn scenario on the task-list edge")
    server = ToolSimulator(tools, seed=1)
    assert server.execute("calendar_settings_get", {"setting": "timezone"})["id"] == "timezone"
