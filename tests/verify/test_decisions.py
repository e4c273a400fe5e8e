"""The decision ladder is a registry of Gate objects like the row gates: ``failed_rung`` names where a completion
stops and why; ``last_gate`` (what rewards and the held-out yardstick read) is the rung below it."""

import json

from inftool_hf.verify.decisions import DECISION_LADDER, GATE_NAMES, failed_rung, last_gate
from inftool_hf.verify.gates import Gate

TOOLS = json.dumps([
    {"type": "function", "function": {"name": "weather_daily_forecast", "parameters": {
        "type": "object", "required": ["location", "days"],
        "properties": {"location": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 14}}}}},
    {"type": "function", "function": {"name": "weather_air_quality", "parameters": {
        "type": "object", "required": ["station_id"], "properties": {"station_id": {"type": "string"}}}}},
])
EXPECTED = json.dumps({"calls": [["weather_daily_forecast", {"location": "Oslo", "days": 3}]]})


def call(name: str, args: dict) -> str:
    return f'<tool_call>{{"name": "{name}", "arguments": {json.dumps(args)}}}</tool_call>'


def test_the_ladder_lists_every_rung_in_order_with_what_it_checks():
    assert GATE_NAMES == ("format", "schema", "names", "arguments", "state")
    assert all(isinstance(g, Gate) and g.checks and g.check is not None for g in DECISION_LADDER)


def test_each_rung_says_why_a_completion_stops_there():
    cases = [
        ("The weather will be nice.", "format", "no tool call"),
        (call("weather_radar", {"location": "Oslo"}), "schema", "weather_radar is not one of the tools"),
        (call("weather_daily_forecast", {"location": "Oslo", "days": 99}), "schema", "weather_daily_forecast: "),
        (call("weather_air_quality", {"station_id": "ST-1"}), "names",
         "called ['weather_air_quality'], expected ['weather_daily_forecast']"),
        (call("weather_daily_forecast", {"location": "Bergen", "days": 3}), "arguments",
         "no call of weather_daily_forecast with the expected arguments"),
    ]
    for completion, rung, why in cases:
        failed, reasons = failed_rung(completion, EXPECTED, TOOLS)
        assert failed == rung and len(reasons) == 1 and reasons[0].startswith(why), (completion, failed, reasons)
        assert last_gate(completion, EXPECTED, TOOLS) == (None if rung == "format"
                                                          else GATE_NAMES[GATE_NAMES.index(rung) - 1])
    assert failed_rung(call("weather_daily_forecast", {"location": "oslo", "days": 3}), EXPECTED, TOOLS) == (None, [])


def test_the_state_rung_runs_the_calls_on_the_simulator():
    expected = json.dumps({"calls": [["weather_air_quality", {"station_id": "ST-1"}]]})
    completion = call("weather_air_quality", {"station_id": "ST-1"})
    failed, reasons = failed_rung(completion, expected, TOOLS, json.dumps([]))  # an id nobody was given
    assert failed == "state" and reasons[0].startswith("weather_air_quality: ")
    assert failed_rung(completion, expected, TOOLS, json.dumps([["station_id", "ST-1"]])) == (None, [])
