import json

import pytest

from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.simulator import ToolSimulator, schema_errors


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


def test_simulated_ranges_come_out_in_order():
    """Found reading model-mode rows: 'the high is 16.29 and the low is 75.35'. Every object of a simulated result has
    its low under its high (a day of history, each day of a forecast): values.order_ranges knows low/high."""
    weather = {t.name: t for t in load_specs([spec_pack_dir() / "weather.tools.yaml"]).tools}
    for seed in range(40):
        server = ToolSimulator(weather, seed=seed)
        station = server.execute("weather_current_conditions", {"location": "Lisbon"})["station_id"]
        day = server.execute("weather_historical_day", {"station_id": station, "date": "2026-11-09"})
        assert day["low"] <= day["high"], (seed, day)
        forecast = server.execute("weather_daily_forecast", {"location": "Lisbon", "days": 3})
        for entry in [v for value in forecast.values() if isinstance(value, list) for v in value]:
            if isinstance(entry, dict) and {"low", "high"} <= set(entry):
                assert entry["low"] <= entry["high"], (seed, entry)


def test_forecasts_are_as_long_as_asked_in_the_asked_units_and_hour_by_hour():
    """Found reading pack rows: a 5-day forecast of 3 days, a metric high of 80.3, hours out of order, a UV index
    of 44 (the audit's range and echo checks now count such rows)."""
    from inftool_hf.tool_calls import make_tool_call
    from inftool_hf.verify.audit import echo_mismatches, range_absurdities

    weather = {t.name: t for t in load_specs([spec_pack_dir() / "weather.tools.yaml"]).tools}
    for seed in range(30):
        server = ToolSimulator(weather, seed=seed)
        for days in (1, 4, 7):
            forecast = server.execute("weather_daily_forecast", {"location": "Lisbon", "days": days})
            assert len(forecast["days"]) == days, (seed, forecast)
            dates = [d["date"] for d in forecast["days"]]
            assert dates == sorted(set(dates)), (seed, dates)
            assert all(-10 <= d["low"] <= d["high"] <= 40 for d in forecast["days"]), (seed, forecast)  # metric
        imperial = server.execute("weather_daily_forecast", {"location": "Boston", "days": 2, "units": "imperial"})
        assert all(15 <= d["low"] <= d["high"] <= 100 for d in imperial["days"]), (seed, imperial)
        hours = server.execute("weather_hourly_forecast", {"location": "Oslo", "hours": 6})["hours"]
        times = [h["time"] for h in hours]
        assert len(hours) == 6 and times == sorted(set(times)), (seed, times)
        assert 0 <= server.execute("weather_uv_index", {"location": "Oslo"})["uv_index"] <= 11
        call = make_tool_call("weather_daily_forecast", {"location": "Lisbon", "days": 7}, "c0")
        row = {"tools": "[]", "messages": [{"role": "assistant", "content": "", "tool_calls": [call]}, {
            "role": "tool", "tool_call_id": "c0", "content": json.dumps(forecast)}]}
        assert echo_mismatches(row) == [] and range_absurdities(row) == []


def test_a_result_that_repeats_one_end_of_a_range_keeps_the_other_after_it():
    """Google Calendar's freebusy answer repeats the asked timeMin; its timeMax was drawn apart, before it."""
    from inftool_hf.synth.simulator import _ends_in_order

    result = {"timeMin": "2026-12-30T09:30:00Z", "timeMax": "2026-12-01T13:30:00Z", "calendars": {}}
    _ends_in_order(result, {"timeMin": "2026-12-30T09:30:00Z"})
    assert result["timeMax"] == "2026-12-31T09:30:00Z"
    result = {"start": "2026-12-10", "end": "2026-12-02"}
    _ends_in_order(result, {"end": "2026-12-02"})
    assert result == {"start": "2026-12-01", "end": "2026-12-02"}


def test_an_id_named_another_way_resolves_and_keeps_its_record():
    """Google's style: ``insert`` returns ``id``, later calls name it ``eventId``. The server knows it under both
    names, a read by ``eventId`` reports what was written (and its own ``id``, not the calendar's), an id
    nobody handed out is not found, and after a delete the event is gone under either name."""
    from inftool_hf.verify.consistency import state_inconsistencies
    from tests.synth.test_tool_pool import _api, _object

    event = _object(id={"type": "string", "description": "Opaque identifier of the event."}, summary="string",
                    location="string")
    calendar = _object(id={"type": "string", "description": "Calendar identifier."}, summary="string")
    tools = {t.name: t for t in [
        _api("calendar_calendars_insert", {"summary": ("string", "Title.")}, calendar),
        _api("calendar_events_insert", {"calendarId": ("string", "Calendar identifier."),
                                        "summary": ("string", "Title."), "location": ("string", "Where.")}, event),
        _api("calendar_events_get", {"calendarId": ("string", "Calendar identifier."),
                                     "eventId": ("string", "Event identifier.")}, event),
        _api("calendar_events_delete", {"calendarId": ("string", "Calendar identifier."),
                                        "eventId": ("string", "Event identifier.")}, None),
    ]}
    server = ToolSimulator(tools, seed=5)
    cal = server.execute("calendar_calendars_insert", {"summary": "Team"})
    made = server.execute("calendar_events_insert", {"calendarId": cal["id"], "summary": "Standup",
                                                     "location": "Room 4"})
    assert "error" not in made and made["id"] != cal["id"]
    read = server.execute("calendar_events_get", {"calendarId": cal["id"], "eventId": made["id"]})
    assert (read["id"], read["summary"], read["location"]) == (made["id"], "Standup", "Room 4")
    unknown = server.execute("calendar_events_get", {"calendarId": cal["id"], "eventId": "EV-00000"})
    assert "not found" in unknown["error"]
    assert "error" not in server.execute("calendar_events_delete", {"calendarId": cal["id"], "eventId": made["id"]})
    gone = server.execute("calendar_events_get", {"calendarId": cal["id"], "eventId": made["id"]})
    assert "not found" in gone["error"]

    # the verifier's consistency check follows the id by its value: a read that forgets the write is caught
    def call(i, name, args, result):
        return [{"role": "assistant", "tool_calls": [{"id": f"c{i}", "function": {"name": name,
                                                                                   "arguments": json.dumps(args)}}]},
                {"role": "tool", "tool_call_id": f"c{i}", "content": json.dumps(result)}]

    messages = call(0, "calendar_events_insert", {"calendarId": "C1", "summary": "Standup"},
                    {"id": "E1", "summary": "Standup"})
    assert state_inconsistencies(messages + call(1, "calendar_events_get", {"calendarId": "C1", "eventId": "E1"},
                                                 {"id": "E1", "summary": "Standup"})) == []
    forgot = state_inconsistencies(messages + call(1, "calendar_events_get", {"calendarId": "C1", "eventId": "E1"},
                                                   {"id": "E1", "summary": "Retro"}))
    assert forgot and "Retro" in forgot[0]


def test_a_plain_text_answer_says_what_the_tool_returns():
    from inftool_hf.synth.simulator import plain_text_answer
    from inftool_hf.synth.values import ValueFactory

    factory = ValueFactory(seed=0)
    suggestions = plain_text_answer("Suggest search terms based on a partial query.", {"q": "sea ice"}, factory)
    assert suggestions is not None and [s.startswith("sea ice ") for s in suggestions.split(", ")] == [True] * 3
    page = plain_text_answer("Search documents using OpenSearch.", {"searchTerms": "snow", "count": 1,
                                                                     "startIndex": 81}, factory)
    assert page is not None and page.endswith("results for 'snow'; showing 81-81.") and int(page.split()[0]) >= 81
    assert plain_text_answer("Describes the web interface of NSIDC's data search engine", {}, factory) == \
        "The web interface of NSIDC's data search engine."
    assert plain_text_answer("Reboot the router.", {}, factory) is None
