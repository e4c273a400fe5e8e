import json

import pytest

from inftool_hf.simulator import ToolSimulator, schema_errors
from inftool_hf.specs import load_specs, spec_pack_dir


@pytest.fixture(scope="module")
def flights():
    return {t.name: t for t in load_specs([spec_pack_dir() / "flights.openapi.yaml"]).tools}


def test_invalid_arguments_get_a_server_error(flights):
    server = ToolSimulator(flights)
    result = server.execute("flights_search", {"origin": "london", "destination": "JFK"})
    assert result["error"] == "invalid arguments"
    assert any("date" in d for d in result["details"]) and any("origin" in d for d in result["details"])
    assert server.execute("flights_search", "{not json")["error"] == "arguments are not valid JSON"
    assert "unknown tool" in server.execute("teleport", {})["error"]


def test_state_carries_ids_between_calls(flights):
    server = ToolSimulator(flights, seed=3)
    offers = server.execute("flights_search", {"origin": "LHR", "destination": "JFK", "date": "2026-12-01"})
    assert "error" not in offers and not schema_errors(flights["flights_search"].response_schema, offers)
    flight_id = offers["offers"][0]["flight_id"]
    booking = server.execute("flights_book", {"flight_id": flight_id, "passenger_names": ["Ada Lovelace"]})
    assert booking["flight_id"] == flight_id  # input echoed where the response has the same field
    seat = server.execute("flights_select_seat", {"booking_id": booking["booking_id"], "seat": "14C"})
    assert seat == {"seat": "14C", "booking_id": booking["booking_id"]}
    missing = server.execute("flights_check_in", {"booking_id": "BK-00000"})
    assert missing == {"error": "booking_id 'BK-00000' not found"}
    assert [c["ok"] for c in server.state.calls] == [True, True, True, False]


def test_planned_outputs_and_replay(flights):
    plan = [{"name": "flights_book", "arguments": {"passenger_names": ["Kim"]}, "outputs": {"booking_id": "BK-12345"},
             "sources": {"flight_id": {"step": 0, "field": "flight_id", "name": "flights_search"}}}]
    server = ToolSimulator(flights, planned=plan, user_ids=[("flight_id", "FL-1")], seed=9)
    result = server.execute("flights_book", {"flight_id": "FL-1", "passenger_names": ["Kim"]})
    assert result["booking_id"] == "BK-12345"
    again = ToolSimulator(flights, planned=plan, user_ids=[("flight_id", "FL-1")], seed=9)
    assert again.execute("flights_book", {"flight_id": "FL-1", "passenger_names": ["Kim"]}) == result


def test_llm_server_output_is_used_only_when_schema_valid(flights):
    from tests.fakes import ScriptedBackend

    good = json.dumps({"status": "delayed", "delay_minutes": 25})
    server = ToolSimulator(flights, user_ids=[("flight_id", "FL-9")], llm_backend=ScriptedBackend(good))
    assert server.execute("flights_get_status", {"flight_id": "FL-9"}) == {"status": "delayed", "delay_minutes": 25}
    invalid = ScriptedBackend('{"status": "teleported"}')
    bad = ToolSimulator(flights, user_ids=[("flight_id", "FL-9")], llm_backend=invalid)
    result = bad.execute("flights_get_status", {"flight_id": "FL-9"})
    assert result["status"] in {"scheduled", "boarding", "departed", "delayed", "landed", "cancelled"}
