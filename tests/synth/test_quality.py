"""What a careful reader rejects, the verifier rejects: unfaithful answers, servers that forget writes,
word-salad values, template requests. And what it keeps reads well (audit numbers on generated rows)."""

import copy
import json
import random
import re
from pathlib import Path

import pytest

from inftool_hf.generate import GenerateConfig, build_pool
from inftool_hf.sources.specs import load_openapi, load_specs
from inftool_hf.synth.roleplay import RolePlayConfig, role_play
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.synth.simulator import ToolSimulator
from inftool_hf.synth.tool_pool import build_tool_pool, is_minted
from inftool_hf.synth.values import ValueFactory
from inftool_hf.tool_calls import make_tool_call
from inftool_hf.verify.audit import artefacts, audit_dataset
from inftool_hf.verify.consistency import state_inconsistencies
from inftool_hf.verify.faithfulness import Context, unsupported_claims
from inftool_hf.verify.gates import check_trajectory, verify_trajectories
from tests.fakes import ScriptedBackend

PETSTORE = Path(__file__).resolve().parents[1] / "data" / "real_world" / "petstore.yaml"


@pytest.fixture(scope="module")
def pool():
    return build_pool(GenerateConfig(specs=["pack"]))


@pytest.fixture(scope="module")
def rows(pool):
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=90, seed=11))
    # the "model" answers with filler: every final answer must be replaced by one realized from the results
    backend = ScriptedBackend("The results above provide a clear and concise answer to your question.")
    return role_play(scenarios, pool, RolePlayConfig(), backend, progress=False)


def _row(rows, category):
    return copy.deepcopy(next(r for r in rows if r["category"] == category))


def test_filler_answers_are_never_kept(rows):
    for row in rows:
        finals = [m["content"] for m in row["messages"] if m["role"] == "assistant" and not m["tool_calls"]]
        assert not any("clear and concise" in text for text in finals)
        assert check_trajectory(row) == (None, []), (row["id"], check_trajectory(row))
    sources = [json.loads(r["episode"])["answer_sources"] for r in rows]
    assert all(s == "realized" for group in sources for s in group)


@pytest.mark.parametrize("answer, reason", [
    ("Your total is 69.92 kWh, which is 1.4 kWh per kWh.", "number"),
    ("Done, the reference is BO-11111.", "id BO-11111"),
    ("The webhook feed is not supported, sorry.", "claims a failure"),
    ("The results above provide a clear and concise answer to your question.", "reports nothing"),
    ("All set for David Salas.", "name 'David Salas'"),
    ("Your booking was cancelled.", "cancelled"),
    ("It is booked for 2031-05-05.", "date 2031-05-05"),
])
def test_answer_that_the_results_do_not_support_is_rejected(rows, answer, reason):
    row = copy.deepcopy(next(r for r in rows if r["category"] == "simple"
                             and "cancel" not in json.dumps(r["messages"])))
    row["messages"][-1]["content"] = answer
    gate, reasons = check_trajectory(row)
    assert gate == "faithful" and any(reason in r for r in reasons), reasons


def test_faithful_paraphrase_passes():
    messages = [{"role": "user", "content": "Weather in Oslo please"},
                {"role": "assistant", "content": "", "tool_calls": [make_tool_call("w", {"city": "Oslo"}, "c1")]},
                {"role": "tool", "tool_call_id": "c1", "name": "w",
                 "content": json.dumps({"temperature": 3.46, "sky": "light rain",
                                        "updated_at": "2026-12-03T10:00:00Z"})}]
    ok = "It's about 3.5 degrees in Oslo with light rain (as of December 3)."
    assert unsupported_claims(ok, Context(messages), after_calls=True) == []
    assert unsupported_claims("It's 12 degrees in Oslo.", Context(messages), after_calls=True)


def _conversation(steps):
    """messages from (name, arguments, result) steps"""
    messages = [{"role": "user", "content": "hi"}]
    for i, (name, arguments, result) in enumerate(steps):
        messages.append({"role": "assistant", "content": "", "tool_calls": [make_tool_call(name, arguments, f"c{i}")]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "name": name, "content": json.dumps(result)})
    return messages


def test_a_server_that_forgets_its_write_is_rejected(rows):
    forgetful = _conversation([
        ("flights_book", {"flight_id": "FL-29690", "passenger_names": ["Chad Rodriguez"]},
         {"booking_id": "BO-24034", "flight_id": "FL-29690", "passenger_names": ["Chad Rodriguez"]}),
        ("flights_get_booking", {"booking_id": "BO-24034"},
         {"booking_id": "BO-24034", "flight_id": "FL-25722", "passenger_names": ["David Salas"]}),
    ])
    problems = state_inconsistencies(forgetful)
    assert any("flight_id" in p and "FL-29690" in p for p in problems), problems
    deleted = _conversation([("calendar_delete_event", {"event_id": "EV-1"}, {"deleted": True}),
                             ("calendar_update_event", {"event_id": "EV-1", "title": "x"}, {"event_id": "EV-1"})])
    assert any("deleted" in p for p in state_inconsistencies(deleted))
    # in a full row: the multi_step read returns other values than the earlier call reported
    row = _row(rows, "multi_step")
    tools = [i for i, m in enumerate(row["messages"]) if m["role"] == "tool"]
    first = json.loads(row["messages"][tools[0]]["content"])
    if isinstance(first, dict):
        ids = [k for k, v in first.items() if is_minted(k) and isinstance(v, str)]
        others = [k for k, v in first.items() if k not in ids and isinstance(v, (str, int, float))]
        if ids and others:
            # the same id read back later with another value for one of its fields
            call = make_tool_call("x_get", {ids[0]: first[ids[0]]}, "c_extra")
            lied = {ids[0]: first[ids[0]], others[0]: "something else"}
            row["messages"][-1:-1] = [{"role": "assistant", "content": "", "tool_calls": [call],
                                       "tool_call_id": None, "name": None},
                                      {"role": "tool", "content": json.dumps(lied), "tool_call_id": "c_extra",
                                       "name": "x_get", "tool_calls": None}]
            assert check_trajectory(row)[0] in ("state", "schema")


def _arguments(tool, factory, fixed):
    schema = tool.parameters
    args = {}
    for name, sub in (schema.get("properties") or {}).items():
        if name in fixed:
            args[name] = fixed[name]
        elif name in schema.get("required", []):
            args[name] = factory.for_schema(sub, name)
    return args


def _find(node, field):
    if isinstance(node, dict):
        if isinstance(node.get(field), str):
            return node[field]
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found = _find(item, field)
            if found is not None:
                return found
    return None


def _walk_edges(pool):
    checked = 0
    for edge in pool.dependencies:
        producer, consumer = pool.tools[edge.producer], pool.tools[edge.consumer]
        factory = ValueFactory(checked)
        user_ids = []
        produce_args = _arguments(producer, factory, {})
        sim = ToolSimulator(pool.tools, seed=checked, dependencies=pool.dependencies)
        user_ids += [(k, v) for k, v in produce_args.items() if sim.is_reference(k)]
        for k, v in user_ids:
            sim.state.remember(k, v)
        steps = [(producer.name, produce_args, sim.execute(producer.name, produce_args))]
        produced = steps[0][2]
        value = _find(produced, edge.field)  # the field may sit in a nested object or a listed one
        assert isinstance(value, str), (edge, produced)
        consume_args = _arguments(consumer, factory, {edge.parameter: value})
        for k, v in consume_args.items():
            if sim.is_reference(k) and k != edge.parameter:
                sim.state.remember(k, v)  # the user's own reference
        steps.append((consumer.name, consume_args, sim.execute(consumer.name, consume_args)))
        # read the resource back where a read tool takes this id
        readers = [t for t in pool.tools.values() if t.domain == producer.domain and edge.parameter in
                   (t.parameters.get("required") or []) and t.name.split("_", 1)[-1].startswith(("get", "read"))]
        for reader in readers[:1]:
            read_args = _arguments(reader, factory, {edge.parameter: value})
            for k, v in read_args.items():
                if sim.is_reference(k) and k != edge.parameter:
                    sim.state.remember(k, v)
            steps.append((reader.name, read_args, sim.execute(reader.name, read_args)))
        errors = [s for s in steps if "error" in s[2]]
        assert not errors or all("not found" not in s[2]["error"] or s[0] == consumer.name and
                                 "delete" in steps[-1][0] for s in errors), (edge, errors)
        assert state_inconsistencies(_conversation(steps)) == [], (edge, steps)
        checked += 1
    return checked


def test_state_kept_on_every_dependency_edge_of_the_pack(pool):
    assert _walk_edges(pool) == len(pool.dependencies) > 100


def test_state_kept_on_a_real_world_spec():
    pool = build_tool_pool(load_openapi(PETSTORE).tools)
    simulator = ToolSimulator(pool.tools, seed=3)
    names = set(pool.tools)
    create = next(n for n in names if "add" in n.lower() or "create" in n.lower() or "post" in n.lower())
    tool = pool.tools[create]
    args = _arguments(tool, ValueFactory(1), {})
    result = simulator.execute(create, args)
    assert "error" not in result
    ids = [k for k, v in result.items() if is_minted(k) and isinstance(v, str)]
    steps = [(create, args, result)]
    for reader in [t for t in pool.tools.values() if set(t.parameters.get("required") or []) & set(ids)]:
        read_args = _arguments(reader, ValueFactory(2), {k: result[k] for k in ids})
        steps.append((reader.name, read_args, simulator.execute(reader.name, read_args)))
    assert state_inconsistencies(_conversation(steps)) == []


def test_simulator_reads_after_writes_deletes_and_lists(pool):
    sim = ToolSimulator(pool.tools, user_ids=[("flight_id", "FL-29690")], seed=1)
    booked = sim.execute("flights_book", {"flight_id": "FL-29690", "passenger_names": ["Chad Rodriguez"]})
    read = sim.execute("flights_get_booking", {"booking_id": booked["booking_id"]})
    assert read["flight_id"] == "FL-29690" and read["passenger_names"] == ["Chad Rodriguez"]
    sim.execute("flights_cancel_booking", {"booking_id": booked["booking_id"]})
    assert sim.execute("flights_get_booking", {"booking_id": booked["booking_id"]})["status"] == "cancelled"
    calendar = ToolSimulator(pool.tools, seed=2)
    event = calendar.execute("calendar_create_event", {"title": "Team retro", "start": "2026-12-03T10:00:00Z",
                                                       "end": "2026-12-03T11:00:00Z"})
    listed = calendar.execute("calendar_list_events", {"from_date": "2026-12-01", "to_date": "2026-12-05"})
    assert event["event_id"] in [e["event_id"] for e in listed["events"]]
    assert all("2026-12-01" <= e["start"][:10] <= "2026-12-05" for e in listed["events"])  # inside the range asked
    assert calendar.execute("calendar_update_event", {"event_id": event["event_id"], "title": "Retro"})["updated"]
    assert calendar.execute("calendar_delete_event", {"event_id": event["event_id"]}) == {"deleted": True}
    assert "not found" in calendar.execute("calendar_update_event", {"event_id": event["event_id"]})["error"]


def test_values_are_realistic(pool):
    factory = ValueFactory(7)
    text_fields = ("note", "message", "comment", "reason", "text", "body", "special_requests")
    for tool in pool.tools.values():
        for name, schema in (tool.parameters.get("properties") or {}).items():
            for _ in range(5):
                value = factory.for_schema(schema, name)
                if name in text_fields and isinstance(value, str) and "enum" not in schema:
                    assert value[0].isupper() and value[-1] in ".!?", (name, value)  # a sentence, not word salad
                if "celsius" in name or "temperature" in name:
                    assert -10 <= value <= 35
    examples = {"type": "string", "examples": ["eu-west-1", "us-east-2"]}
    picked = [ValueFactory(i).for_schema(examples, "region") for i in range(50)]
    assert sum(p in examples["examples"] for p in picked) >= 30  # the spec's own examples first
    assert ValueFactory(1).for_schema({"type": "string"}, "sky") in (
        "clear", "partly cloudy", "overcast", "light rain", "sunny", "snow showers")


def test_requests_read_as_a_person_writes(pool):
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=300, seed=5))
    played = role_play(scenarios, pool, RolePlayConfig(), ScriptedBackend(), progress=False)
    bad = [(r["id"], artefacts(r)) for r in played if artefacts(r)]
    assert len(bad) <= 0.02 * len(played), bad[:5]
    for row in played:
        first = row["messages"][1]["content"]
        assert "(" not in first or ")" not in first.split("(", 1)[1].split(" ")[0], first  # no "(key: value)" dump
        assert "{" not in first and "](" not in first


def test_audit_numbers_and_a_planted_bad_row(rows):
    from datasets import Dataset, DatasetDict

    verified = verify_trajectories(rows)
    report = audit_dataset(verified, sample=5)
    assert report["faithfulness_rate"] == 1.0 and report["state_consistency_rate"] == 1.0
    assert report["rows"] == len(verified["train"]) and len(report["sample"]) == 5
    assert 0 < report["value_sources"]["generated"] < 1 and report["value_sources"]["spec"] > 0
    assert report["distinct_4grams_per_1000_words"] > 100
    bad = [dict(r) for r in verified["train"]][:10]
    bad[0]["messages"][-1]["content"] = "The results above provide a clear and concise answer to your question."
    bad[1]["messages"][1]["content"] = "Can you tell me the weather (city: Oslo; units: metric)?"
    planted = audit_dataset(DatasetDict({"train": Dataset.from_list(bad)}), sample=0)
    assert planted["faithfulness_rate"] == pytest.approx(0.9)
    assert planted["artefact_rate"] == pytest.approx(0.1) and "key: value list" in planted["artefacts"]
    # the pack's fields were given values by meaning, one by one; one of them still is not (investing's sector)
    assert report["placeholder_value_rate"] <= 0.02
    assert all("sector: sector-" in e for e in report["examples"]["placeholder values"])


def test_the_audit_counts_values_built_from_the_field_name(rows):
    from datasets import Dataset, DatasetDict

    from inftool_hf.verify.audit import audit_markdown, placeholder_values

    call = make_tool_call("feeds_get", {"created_at": "created-at-59", "scope": "scope-value-92", "city": "Oslo",
                                        "feedKey": "feed-key-35", "code": "AB-12"}, "call_0")
    result = {"role": "tool", "name": "feeds_get", "tool_call_id": "call_0",
              "content": json.dumps({"items": [{"completed_at": "completed-at-17", "title": "Q3 review"}]})}
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "", "tool_calls": [call]},
                        result]}
    assert placeholder_values(row) == ["created_at: created-at-59", "scope: scope-value-92",
                                       "feedKey: feed-key-35", "completed_at: completed-at-17"]
    clean = [dict(r) for r in verify_trajectories(rows)["train"]][:4]
    planted = [dict(r) for r in clean]
    planted[0] = {**planted[0], "messages": [*planted[0]["messages"][:1], row["messages"][1], result,
                                             *planted[0]["messages"][1:]]}
    report = audit_dataset(DatasetDict({"train": Dataset.from_list(planted)}), sample=0)
    assert report["placeholder_value_rate"] == pytest.approx(0.25)
    assert report["examples"]["placeholder values"][0].endswith("created_at: created-at-59, scope: scope-value-92, "
                                                                "feedKey: feed-key-35")
    assert "| rows with a placeholder value (its field's name and a number: `created-at-59`) | 25.0% |" in \
        audit_markdown(report)


def _one_call(name, arguments, result, tools=None):
    call = make_tool_call(name, arguments, "call_0")
    return {"tools": json.dumps(tools or []),
            "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "", "tool_calls": [call]},
                         {"role": "tool", "name": name, "tool_call_id": "call_0", "content": json.dumps(result)}]}


def test_the_audit_sees_absurd_numbers_and_results_that_contradict_their_call(rows):
    from datasets import Dataset, DatasetDict

    from inftool_hf.verify.audit import audit_markdown, echo_mismatches, range_absurdities

    forecast_tool = [{"type": "function", "function": {"name": "weather_daily_forecast", "parameters": {
        "type": "object", "properties": {"location": {"type": "string"},
                                         "units": {"type": "string", "enum": ["metric", "imperial"],
                                                   "default": "metric"}}}}}]
    # metric by the schema's default: a high of 80.3 is no temperature in Celsius; the same in imperial is
    metric = _one_call("weather_daily_forecast", {"location": "Cape Town"},
                           {"days": [{"date": "2026-12-21", "high": 80.3, "low": 49.2}]}, forecast_tool)
    assert range_absurdities(metric) == ["weather_daily_forecast: high 80.3 (impossible as a temperature in the "
                                         "asked units)"]
    imperial = _one_call("weather_daily_forecast", {"location": "Cape Town", "units": "imperial"},
                             {"days": [{"date": "2026-12-21", "high": 80.3, "low": 49.2}]}, forecast_tool)
    assert range_absurdities(imperial) == []
    assert range_absurdities(_one_call("maps_reverse", {"lat": 120.5, "lon": 10.0}, {"ok": True})) == [
        "maps_reverse: lat 120.5 (outside -90..90)"]
    assert range_absurdities(_one_call("backups_describe", {"table": "t"}, {
        "EarliestRestorableDateTime": "2026-12-18T13:00:00Z", "LatestRestorableDateTime": "2026-11-28T16:30:00Z"}
    )) == ["backups_describe: EarliestRestorableDateTime 2026-12-18T13:00:00Z > LatestRestorableDateTime "
           "2026-11-28T16:30:00Z"]
    assert range_absurdities(_one_call("weather_now", {"units": "metric"},
                                           {"current": 7.5, "low": 24.1, "high": 29.5})) == [
        "weather_now: current 7.5 outside low 24.1 .. high 29.5"]
    assert echo_mismatches(_one_call("chat_post_message", {"channel": "CH-40892", "text": "hi"},
                                         {"channel": "#design", "ts": "1764755300.8"})) == [
        "chat_post_message: channel 'CH-40892' answered as channel '#design'"]
    assert echo_mismatches(_one_call("mail_get_message", {"message_id": "MS-11111"},
                                         {"message": {"message_id": "MS-22222", "subject": "x"}})) == [
        "mail_get_message: message_id 'MS-11111' answered as message_id 'MS-22222'"]
    assert echo_mismatches(_one_call("invest_open_portfolio", {"starting_cash": 850.33},
                                         {"portfolio_id": "PO-1", "cash": 37.55})) == [
        "invest_open_portfolio: starting_cash 850.33 answered as cash 37.55"]
    assert echo_mismatches(_one_call("weather_daily_forecast", {"days": 5}, {"days": [{}, {}, {}]})) == [
        "weather_daily_forecast: days 5 answered with 3 days"]
    assert range_absurdities(_one_call("fx_convert", {"from_amount": 100.0}, {"from_amount": 100.0,
                                                                              "to_amount": 85.2})) == []
    # what agrees is not flagged: the same value, a date and its timestamp, a search's hits (a list) by any status
    assert echo_mismatches(_one_call("tasks_find", {"status": "open", "due": "2026-12-01", "limit": 5},
                                         {"due": "2026-12-01T00:00:00Z", "items": [{"status": "done"}],
                                          "limit": 5})) == []
    clean = [dict(r) for r in verify_trajectories(rows)["train"]][:4]
    planted = [*clean[:3], {**clean[3], "messages": [*clean[3]["messages"], *_one_call(
        "chat_post_message", {"channel": "CH-40892"}, {"channel": "#design"})["messages"][1:]]}]
    report = audit_dataset(DatasetDict({"train": Dataset.from_list(planted)}), sample=0)
    assert report["echo_mismatch_rate"] == pytest.approx(0.25) and report["plausible_value_rate"] == pytest.approx(0.75)
    assert report["examples"]["echo"][0].endswith("channel 'CH-40892' answered as channel '#design'")
    markdown = audit_markdown(report)
    assert "| results contradicting their own call (channel CH-40892 answered as #design, 5 days as 3) | 25.0% |" in \
        markdown
    assert "contradicted call, misplaced name, wrong kind, read against a write) | 75.0% |" in markdown


def test_the_audit_sees_a_persons_name_where_no_person_belongs():
    from inftool_hf.verify.audit import misplaced_person_names

    assert misplaced_person_names(_one_call("getSliceMetadataHmda", {"slice": "Jason Daniel"}, {"owner": "Lisa Ray",
                                                                                                 "title": "Q3"})) == [
        "getSliceMetadataHmda: slice 'Jason Daniel'"]  # an owner is a person: not flagged
    assert misplaced_person_names(_one_call("mail_send", {"recipient": "Jason Daniel", "payerName": "Lisa Ray"},
                                            {"ok": True})) == []


def test_batched_judge_is_one_call_per_batch(rows):
    from inftool_hf.verify.gates import llm_judge

    backend = ScriptedBackend("yes")
    verified = verify_trajectories(rows.select(range(40)), judge=llm_judge(backend), judge_batch_size=16)
    assert backend.calls == 3 and len(verified["train"]) + len(verified["rejected"]) == 40
    backend = ScriptedBackend("no")
    rejected = verify_trajectories(rows.select(range(8)), judge=llm_judge(backend))
    assert backend.calls == 1 and {r["verification"]["failed_gate"] for r in rejected["rejected"]} == {"judge"}


def test_openapi_success_response_and_examples(tmp_path):
    spec = tmp_path / "api.yaml"
    spec.write_text("""openapi: 3.0.0
info: {title: t, version: '1'}
paths:
  /channels/{channel_id}:
    get:
      operationId: get_channel
      summary: Get a channel.
      description: Returns one channel
      parameters:
        - {name: channel_id, in: path, required: true, schema: {type: string}, example: ch-42}
      responses:
        2XX:
          description: ok
          content: {application/json: {schema: {type: object, properties: {name: {type: string, example: news}}}}}
        default:
          description: Error
          content:
            application/json: {schema: {type: object, properties: {code: {type: integer}, message: {type: string}}}}
  /ping:
    get:
      operationId: ping
      responses:
        default:
          description: Unexpected error
          content: {application/json: {schema: {type: object, properties: {code: {type: integer}}}}}
""")
    tools = {t.name: t for t in load_specs([spec]).tools}
    channel = tools["get_channel"]
    assert channel.response_schema["properties"] == {"name": {"type": "string", "examples": ["news"]}}
    assert channel.parameters["properties"]["channel_id"]["examples"] == ["ch-42"]
    assert channel.description == "Get a channel. Returns one channel"  # no doubled period
    assert tools["ping"].response_schema is None  # the default Error body is not the success response


def test_rng_is_not_global():
    state = random.getstate()
    ValueFactory(3).for_schema({"type": "string"}, "note")
    assert random.getstate() == state


def test_an_answer_that_merges_parallel_results_is_rejected():
    messages = [{"role": "user", "content": "Air quality in Nairobi and Krakow?"},
                {"role": "assistant", "content": "", "tool_calls": [
                    make_tool_call("weather_air_quality", {"location": "Nairobi"}, "c1"),
                    make_tool_call("weather_air_quality", {"location": "Krakow"}, "c2")]},
                {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"aqi": 63, "main_pollutant": "pm10"})},
                {"role": "tool", "tool_call_id": "c2", "content": json.dumps({"aqi": 77, "main_pollutant": "pm10"})}]
    merged = "The AQI in Nairobi and Krakow is 63."
    assert any("result 2 of 2" in p for p in unsupported_claims(merged, Context(messages), after_calls=True))
    both = "The AQI is 63 in Nairobi and 77 in Krakow."
    assert unsupported_claims(both, Context(messages), after_calls=True) == []


def test_a_new_booking_is_not_born_cancelled(pool):
    for seed in range(20):
        sim = ToolSimulator(pool.tools, user_ids=[("flight_id", "FL-1")], seed=seed)
        assert sim.execute("flights_book", {"flight_id": "FL-1", "passenger_names": ["Ann Lee"]})["status"] == \
            "confirmed"
        card = ToolSimulator(pool.tools, user_ids=[("session_id", "SE-1"), ("card_id", "CA-1")], seed=seed)
        assert card.execute("banking_freeze_card", {"session_id": "SE-1", "card_id": "CA-1"})["frozen"] is True


def test_a_result_field_named_like_a_listed_parameter_reports_one_of_its_values(pool):
    """Read: a thermostat set without a mode answered ``"mode": "mode-38"``; the parameter lists heat, cool, auto
    and off, with auto the default."""
    for seed in range(10):
        home = ToolSimulator(pool.tools, user_ids=[("device_id", "DE-1")], seed=seed)
        assert home.execute("home_set_thermostat", {"device_id": "DE-1", "target_celsius": 21.0})["mode"] == "auto"
        assert home.execute("home_set_thermostat", {"device_id": "DE-1", "target_celsius": 19.5,
                                                    "mode": "heat"})["mode"] == "heat"


def test_no_doubled_full_stops_and_message_timestamps_are_timestamps():
    """Read from rows of the 2026-12-02 loop: 'The text should say "Heads up: the meeting moved to 9:00.".' (a
    quoted sentence closed twice) and 'The message ts are "Reminder that rent is due on Thursday."' (a chat
    message's timestamp filled with message text, then read as a plural)."""
    import random

    from inftool_hf.synth.realize import _fact, request_sentence, tidy
    from inftool_hf.synth.values import ValueFactory

    assert tidy('The text should say "Heads up: the meeting moved to 9:00.".') == \
        'The text should say "Heads up: the meeting moved to 9:00."'
    assert tidy("Wait... what?") == "Wait... what?" and tidy("Done.") == "Done."
    for seed in range(30):
        sentence = request_sentence("Comment on a task", "tracker_comment", {
            "task_id": "TA-1", "text": "Heads up: the meeting moved to 9:00."}, random.Random(seed))
        assert '.".' not in sentence and ".." not in sentence.replace("...", ""), sentence
    stamp = ValueFactory(3).for_schema({"type": "string"}, "message_ts")
    assert re.fullmatch(r"\d{10}\.\d{6}", stamp), stamp
    assert _fact("message_ts", stamp) == f"the message timestamp is {stamp}"


def test_real_api_rows_read_like_a_person_wrote_them():
    """Found reading rows from the Google/AWS sources: a role of "Joshua Harris" where the description lists the
    roles, answers reading out etags, kinds and page tokens, and a user stating a 300-character paging token."""
    from inftool_hf.sources.specs import ToolSpec
    from inftool_hf.synth.realize import result_sentences
    from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenario
    from inftool_hf.synth.tool_pool import build_tool_pool
    from inftool_hf.synth.values import described_values

    role = {"type": "string", "description": 'The role. Possible values are:  - "none" - No access. - '
                                             '"freeBusyReader" - Free/busy only. - "reader" - Read access.'}
    assert described_values(role) == ["none", "freeBusyReader", "reader"]
    assert {ValueFactory(seed).for_schema(role, "accessRole") for seed in range(20)} <= {"none", "freeBusyReader",
                                                                                         "reader"}
    assert described_values({"type": "string", "description": "The role of the user."}) == []

    said = " ".join(result_sentences({"etag": "etag-34", "kind": "calendar#acl", "nextPageToken": "tok_x",
                                      "selfLink": "https://x.example/", "summary": "Team calendar"}))
    assert "Team calendar" in said and not any(w in said for w in ("etag", "kind", "tok_x", "x.example"))

    lists = ToolSpec(name="tasks_tasklists_list", description="Returns all task lists.", domain="tasks",
                     source="test", response_schema={"type": "object"},
                     parameters={"type": "object", "properties": {
                         "pageToken": {"type": "string"}, "maxResults": {"type": "integer"}}, "required": []})
    pool = build_tool_pool([lists])
    config = ScenarioConfig(optional_rate=1.0)
    args = [sample_scenario(pool, config, seed, "simple").calls[0].arguments for seed in range(10)]
    assert all("pageToken" not in a for a in args) and any("maxResults" in a for a in args)


def test_aws_and_google_rows_read_like_requests_and_answers():
    """Read in realworld rows: "What's the this operation allows you to ...", "I found 3 items: etag-94, ...",
    "the attributes are .", a condition expression of "overcast", a progress of "confirmed", a TaskHandle that
    is a username. An API reference's preamble or note is not the action (the tool's name says it then),
    plumbing names no item, and a value fits what its field holds."""
    from inftool_hf.synth.realize import label, result_sentences, value_text, verb_phrase

    assert verb_phrase("This operation allows you to perform reads and singleton writes on data stored in DynamoDB.",
                       "dynamodb_execute_statement") == (
        "perform reads and singleton writes on data stored in DynamoDB", True)
    assert verb_phrase("The GetItem operation returns a set of attributes for the item.", "dynamodb_get_item")[0] \
        == "return a set of attributes for the item"
    assert verb_phrase("This operation is not supported for directory buckets.", "s3_put_bucket_tagging") == (
        "put bucket tagging", True)
    assert verb_phrase("This action is deprecated.", "ec2_import_instance") == ("import instance", True)
    assert verb_phrase("Exports table data to an S3 bucket.", "dynamodb_export_table_to_point_in_time") == (
        "export table data to an S3 bucket", True)
    assert verb_phrase("TransactGetItems is a synchronous operation that atomically retrieves items.",
                       "dynamodb_transact_get_items")[0] == "transact get items"
    assert verb_phrase("[IPv6 only] Creates an egress-only internet gateway.", "ec2_create_gateway")[0] \
        == "create an egress-only internet gateway"
    # the pack's noun descriptions stay nouns
    assert verb_phrase("Current temperature, wind and sky conditions at a place.", "weather_current_conditions") \
        == ("current temperature, wind and sky conditions at a place", False)

    said = " ".join(result_sentences({"items": [{"etag": "etag-94", "kind": "tasks#taskList", "title": "Groceries"},
                                                {"etag": "etag-96", "kind": "tasks#taskList", "title": "Work"}]}))
    assert "Groceries" in said and "Work" in said and "etag" not in said and "tasks#" not in said
    assert value_text({}) == "empty"

    values = ValueFactory(3)
    assert values.for_schema({"type": "string"}, "ConditionExpression") not in ("overcast", "clear", "sunny")
    assert values.for_schema({"type": "string"}, "ReplicaStatusPercentProgress").endswith("%")
    handle = values.for_schema({"type": "string"}, "ReceiptHandle")
    assert handle.startswith("RH-"), handle
    assert values.for_schema({"type": "string", "description": "Expiration of the notification channel."},
                             "expiration").endswith("Z")
    assert values.for_schema({"type": "string"}, "time_difference").endswith("h")
    # a thing's name is no person's ("AttributeName": "Michael Castaneda" was read); a guest's still is
    assert values.for_schema({"type": "string"}, "AttributeName") in ("order_id", "customer_id", "created_at",
                                                                      "status", "email", "sku")
    assert values.for_schema({"type": "string"}, "ExceptionName").endswith(("Exception", "Error"))
    assert len(values.for_schema({"type": "string"}, "guest_name").split()) == 2
    assert label("QueueOwnerAWSAccountId") == "queue owner aws account id"
    # an ARN names the tool's own service (an SQS tool was handed DynamoDB table ARNs), in that service's format
    for context, start, resource in (("sqs_tag_queue aws_sqs", "arn:aws:sqs:", ":"),
                                     ("dynamodb_describe_table aws_dynamodb", "arn:aws:dynamodb:", ":table/"),
                                     ("s3_get_bucket_policy aws_s3", "arn:aws:s3:::", ":::")):
        values.context = context
        arns = {values.for_schema({"type": "string"}, field) for field in ("QueueArn", "ResourceArn") * 5}
        assert all(a.startswith(start) and resource in a and a.count(":") == 5 for a in arns), arns
    # an optional field inside an object is left out rather than sent empty ({"MessageAttributes": {}})
    entry = {"type": "object", "required": ["Id"], "properties": {
        "Id": {"type": "string"}, "MessageAttributes": {"type": "object", "description": "(nested structure omitted)"}}}
    sent = [ValueFactory(seed).for_schema(entry, "entry") for seed in range(10)]
    assert all(set(s) == {"Id"} for s in sent), sent


def test_values_a_description_lists_in_parentheses_and_a_duration_reads_as_one():
    """Read: git_branch(branch_type="branch-type-34") where the description says "local branches ('local'),
    remote branches ('remote') or all branches('all')"; "the location is Lisbon and the total is 3 hours"."""
    from inftool_hf.synth.realize import _unit

    branch_type = {"type": "string", "description": "Whether to list local branches ('local'), remote branches "
                                                    "('remote') or all branches('all')."}
    assert {ValueFactory(seed).for_schema(branch_type, "branch_type") for seed in range(20)} == {"local", "remote",
                                                                                                  "all"}
    one = {"type": "string", "description": "The name ('main') of the branch."}  # one quoted word lists nothing
    assert ValueFactory(1).for_schema(one, "branch_name") != "main"
    assert _unit("hours") == ("duration", "hours") and _unit("kwh") == ("total", "kWh")


def test_an_aws_account_id_is_twelve_digits():
    """Read: "the aws account ids are AW-15914 and AW-20866" in an SQS AddPermission request."""
    values = ValueFactory(2)
    values.context = "sqs_add_permission aws_sqs"
    ids = values.for_schema({"type": "array", "items": {"type": "string"}, "minItems": 2}, "AWSAccountIds")
    assert len(ids) >= 2 and all(i.isdigit() and len(i) == 12 for i in ids), ids
    assert values.for_schema({"type": "string"}, "QueueOwnerAWSAccountId").isdigit()
    values.context = "banking_list_accounts banking"
    assert values.for_schema({"type": "string"}, "account_id").startswith("AC-")  # a bank's account is no AWS one


def test_batch_results_and_wrapped_answers_read_right():
    """Read in DynamoDB and SQS rows: "I found 1 export summarie", "I found 3 import summary list", a batch send
    that "found 2 failed" though it went through, an MD5 of "I'm outside the main entrance.", and "Sure, here you
    go." with nothing after it when the result is wrapped twice."""
    from inftool_hf.synth.realize import count_noun, result_sentences
    from inftool_hf.synth.simulator import _report_success

    assert [count_noun(key, n) for key, n in (("ExportSummaries", 1), ("ImportSummaryList", 3),
                                              ("ImportSummaryList", 1), ("addresses", 1), ("results", 2))] == [
        "export summary", "import summaries", "import summary", "address", "results"]
    said = result_sentences({"BackupDescription": {"BackupDetails": {"BackupName": "orders-2026",
                                                                     "BackupStatus": "CREATING"}}})
    assert said == ["For backup details, the backup name is orders-2026 and the backup status is CREATING."]
    batch = {"Successful": [{"Id": "a"}], "Failed": [{"Id": "b", "Code": "x"}], "UnprocessedItems": {"t": [1]}}
    _report_success(batch)
    assert batch == {"Successful": [{"Id": "a"}], "Failed": [], "UnprocessedItems": {}}
    assert "fail" not in " ".join(result_sentences(batch)).lower()
    digest = ValueFactory(4).for_schema({"type": "string"}, "MD5OfMessageBody")
    assert len(digest) == 32 and set(digest) <= set("0123456789abcdef")
    assert ValueFactory(4).for_schema({"type": "string"}, "hashtag") != digest  # a word, not a checksum


def test_google_and_sqs_rows_read_right():
    """Read in rows of the realworld recipe: a task just inserted came back ``deleted: true``; ``kind: "kind-74"``
    where Google says "This is always "tasks#taskList""; ``previous: "previous-4"`` for "Previous sibling task
    identifier" and an address for "Destination task list identifier"; "the updated is 2026-12-11T11:00:00Z";
    and ``GetQueueAttributes(AttributeNames=[...])`` answered ``{"Attributes": {}}``."""
    from inftool_hf.sources.registry import load_entries
    from inftool_hf.synth.realize import result_sentences
    from inftool_hf.synth.simulator import ToolSimulator, _report_success

    inserted = {"deleted": True, "hidden": False}
    _report_success(inserted, "tasks_tasks_insert")
    assert inserted == {"deleted": False, "hidden": False}
    for tool, field in (("calendar_delete_event", "deleted"), ("hotels_cancel_reservation", "cancelled"),
                        ("home_lock_door", "locked"), ("mail_move_to_folder", "moved"), ("mail_send", "sent")):
        outcome = {field: False}
        _report_success(outcome, tool)
        assert outcome == {field: True}, tool

    values = ValueFactory(1)
    assert values.for_schema({"type": "string", "description": 'Type of the resource. This is always '
                                                               '"tasks#taskList".'}, "kind") == "tasks#taskList"
    for name, description in (("previous", "Previous sibling task identifier. If the task is created first, "
                                           "this parameter is omitted."),
                              ("destinationTasklist", "Optional. Destination task list identifier. If set, the task "
                                                      "is moved."),
                              ("channel", "Identifier of the channel")):
        assert re.fullmatch(r"[A-Z]{2,3}-\d{5}", values.for_schema({"type": "string", "description": description},
                                                                   name)), name
    assert result_sentences({"title": "Fix login bug", "updated": "2026-12-11T11:00:00Z"}) == [
        "The title is Fix login bug and it was updated on 2026-12-11T11:00:00Z."]

    sqs = ToolSimulator({t.name: t for t in load_entries(["botocore:sqs"]).tools},
                        user_ids=[("QueueUrl", "https://q.example/")], seed=1)
    asked = sqs.execute("sqs_get_queue_attributes", {"QueueUrl": "https://q.example/",
                                                     "AttributeNames": ["MaximumMessageSize", "QueueArn"]})
    assert set(asked["Attributes"]) == {"MaximumMessageSize", "QueueArn"}
    assert asked["Attributes"]["MaximumMessageSize"].isdigit() and asked["Attributes"]["QueueArn"].startswith(
        "arn:aws:sqs:")
    everything = sqs.execute("sqs_get_queue_attributes", {"QueueUrl": "https://q.example/", "AttributeNames": ["All"]})
    assert len(everything["Attributes"]) == 4 and "All" not in everything["Attributes"]


def test_real_api_rows_read_right_after_a_third_reading():
    """Read in rows of the realworld recipe (2026-12-02, third reading): "change 4 of a specified message" (a
    number put where the description says "the visibility timeout"); "create a new task list and adds it";
    ``status: "confirmed"`` where Google says 'This is either "needsAction" or "completed"'; ``hidden`` (said
    read-only in words) sent in a patch; ``dueMin`` after ``dueMax``; "the attributes are empty" (a required SQS
    map sent as ``{}``); a conversion from Asia/Tokyo to Asia/Tokyo at "2026-12-09T11:00:00Z" for a field that
    asks for HH:MM, answered with another zone and ``day_of_week: "2026-12-20"``; "I found 3 devices: garden and
    more"; "the subject contains are Meeting on Monday"."""
    from inftool_hf.sources.registry import load_entries
    from inftool_hf.synth.realize import clause, result_sentences, substitute, verb_phrase
    from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenario
    from inftool_hf.synth.values import described_values, order_ranges

    assert substitute("change the visibility timeout of a specified message", {"VisibilityTimeout": 4}, set()) == (
        "change the visibility timeout of a specified message", set())
    assert substitute("add a quantity of a product", {"quantity": 4}, set())[0] == "add 4 of a product"
    assert verb_phrase("Creates a new task list and adds it to the authenticated user's task lists.",
                       "tasks_tasklists_insert")[0] == "create a new task list and add it to the authenticated " \
                                                       "user's task lists"
    assert clause("subject_contains", "Monday", random.Random(0)) == 'the subject contains "Monday"'
    devices = [{"device_id": f"DE-{n}", "kind": kind, "room": "garden"} for n, kind in ((1, "lock"), (2, "camera"))]
    assert result_sentences({"devices": devices}) == ["I found 2 devices: DE-1 and DE-2."]

    tasks = {t.name: t for t in load_entries(["googleapis:tasks"]).tools}
    assert "hidden" not in tasks["tasks_tasks_patch"].parameters["properties"]  # "This field is read-only."
    assert "deleted" in tasks["tasks_tasks_patch"].parameters["properties"]  # read-only only for assigned tasks
    status = tasks["tasks_tasks_insert"].parameters["properties"]["status"]
    assert described_values(status) == ["needsAction", "completed"]
    assert order_ranges({"dueMin": "2026-12-21T11:00:00Z", "dueMax": "2026-12-06T09:00:00Z"}) == {
        "dueMin": "2026-12-06T09:00:00Z", "dueMax": "2026-12-21T11:00:00Z"}

    sqs = {t.name: t for t in load_entries(["botocore:sqs"]).tools}
    attributes = sqs["sqs_set_queue_attributes"].parameters["properties"]["Attributes"]
    assert "VisibilityTimeout" in attributes["propertyNames"]["enum"]
    values = ValueFactory(5)
    for seed in range(10):
        values = ValueFactory(seed)
        sent = values.for_schema(attributes, "Attributes")
        assert sent and set(sent) <= set(attributes["propertyNames"]["enum"]) - {"All"}, sent
        assert not any(k.endswith("Policy") for k in sent)  # no JSON document pasted into a request
        tags = values.for_schema(sqs["sqs_tag_queue"].parameters["properties"]["Tags"], "Tags")
        assert tags and set(tags) <= {"env", "team", "project", "cost_center"}, tags
    assert values.map_entry("VisibilityTimeout", {"type": "string"}).isdigit()
    assert values.map_entry("FifoQueue", {"type": "string"}) in ("true", "false")
    assert json.loads(values.map_entry("RedrivePolicy", {"type": "string"}))["deadLetterTargetArn"].startswith("arn:")

    time_tools = {t.name: t for t in load_entries(["mcp:stdio:python -m mcp_server_time"]).tools}
    pool = build_tool_pool([time_tools["convert_time"]])
    calls = [c for seed in range(30) for c in sample_scenario(pool, ScenarioConfig(), seed, "simple").calls]
    assert calls and all(c.arguments["source_timezone"] != c.arguments["target_timezone"] for c in calls)
    assert all(re.fullmatch(r"\d\d:\d\d", c.arguments["time"]) for c in calls)
    result = ToolSimulator(time_tools, seed=2).execute("convert_time", {
        "source_timezone": "Europe/Paris", "time": "16:30", "target_timezone": "Asia/Tokyo"})
    assert result["source"]["timezone"] == "Europe/Paris" and result["target"]["timezone"] == "Asia/Tokyo"
    assert result["source"]["day_of_week"] in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                               "Sunday")


def test_pack_rows_name_listed_things_apart_and_keep_the_field_a_request_changes():
    """Read in pack rows after the third reading: "change blocked, assignee or due date of task TA-1" (a value put
    for the field a request changes); weather alerts headed "Your order is ready" with severity "severity-50";
    "I found 3 messages: ... and more" where two had one subject; tracker tasks titled like songs ("a tracker"
    matched "track")."""
    from inftool_hf.synth.realize import substitute

    assert substitute("change the status, assignee or due date of a task", {"status": "blocked"}, set())[0] == \
        "change the status, assignee or due date of a task"
    assert substitute("get the forecast for the city", {"city": "Lisbon"}, set())[0] == "get the forecast for Lisbon"
    pool = build_pool(GenerateConfig(specs=["pack"]))
    simulator = ToolSimulator(pool.tools, seed=3)
    for seed in range(8):
        simulator = ToolSimulator(pool.tools, seed=seed)
        alerts = simulator.execute("weather_severe_alerts", {"region": "Porto"})["alerts"]
        assert all(a["severity"] in ("minor", "moderate", "severe", "extreme") for a in alerts), alerts
        assert all("order" not in a["headline"] for a in alerts), alerts
        messages = simulator.execute("mail_search_inbox", {"since": "2026-11-19"})["messages"]
        assert len({m["subject"] for m in messages}) == len(messages), messages
    values = ValueFactory(2)
    values.context = "tracker_list_tasks project_management"
    assert values.for_schema({"type": "string"}, "title") in ("Fix login bug", "Update onboarding docs",
                                                              "Prepare Q3 report", "Review pricing page",
                                                              "Migrate the test database")


def test_unset_flags_among_many_fields_and_aws_actions_read_right():
    """Read in Google and SQS rows: "... and it was not deleted" in every answer about a task (its default, not
    news); ``AddPermission(Actions=["action-67", "action-20"])``; a list naming one thing twice."""
    from inftool_hf.synth.realize import result_sentences

    assert result_sentences({"id": "TA-1", "title": "Fix login bug", "deleted": False, "hidden": False,
                             "status": "completed"}) == ["The id is TA-1, the title is Fix login bug and the status "
                                                         "is completed."]
    assert result_sentences({"locked": False}) == ["It was not locked."]  # alone, the flag is the answer
    for seed in range(10):
        values = ValueFactory(seed)
        values.context = "sqs_add_permission aws_sqs"
        actions = values.for_schema({"type": "array", "items": {"type": "string"}}, "Actions")
        assert actions and len(set(actions)) == len(actions), actions
        assert set(actions) <= {"SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                                "GetQueueAttributes", "GetQueueUrl"}, actions


def test_a_time_zone_conversion_reports_the_asked_time_in_each_zone():
    """Read in rows: ``convert_time(Asia/Tokyo, "13:15", Europe/Paris)`` answered with random date-times, a
    Friday in one zone and a Monday in the other, and a "-9.0h" difference; ``SetQueueAttributes`` setting
    ``ApproximateNumberOfMessages`` (a count only the server reports)."""
    from inftool_hf.sources.registry import load_entries

    tools = {t.name: t for t in load_entries(["mcp:stdio:python -m mcp_server_time"]).tools}
    result = ToolSimulator(tools, seed=1).execute("convert_time", {
        "source_timezone": "Asia/Tokyo", "time": "13:15", "target_timezone": "Europe/Paris"})
    assert result["source"]["datetime"] == "2026-11-24T13:15:00+09:00"
    assert result["target"]["datetime"] == "2026-11-24T05:15:00+01:00"
    assert result["target"]["day_of_week"] == "Tuesday" and result["target"]["is_dst"] is False
    assert result["time_difference"] == "-8.0h"
    summer = ToolSimulator(tools, seed=1).execute("convert_time", {
        "source_timezone": "Europe/London", "time": "23:30", "target_timezone": "Australia/Sydney"})
    assert summer["target"]["datetime"] == "2026-11-25T10:30:00+11:00" and summer["target"]["is_dst"] is True
    assert summer["target"]["day_of_week"] == "Wednesday"
    attributes = {t.name: t for t in load_entries(["botocore:sqs"]).tools}[
        "sqs_set_queue_attributes"].parameters["properties"]["Attributes"]
    for seed in range(20):
        sent = ValueFactory(seed).for_schema(attributes, "Attributes")
        assert not any(k.startswith(("Approximate", "Created", "LastModified")) or k.endswith("Arn") for k in sent)


def test_rows_the_verifier_rejected_for_its_own_words_and_values_a_reader_rejects():
    """Rows the generator made and the verifier threw away for the wrong reason: "The message timestamp is
    1764472302.315889" (from ``message_ts``) and "it is out of stock" (from ``in_stock: false``); and what a
    reader rejects that passed: "in stock" said of ``in_stock: false``, a JSON policy read out as prose, an SQS
    move task that failed because "My plans changed and I can't travel.", ``StartedTimestamp: 78``."""
    from inftool_hf.synth.realize import result_sentences

    def claims(answer: str, result: dict) -> list[str]:
        messages = [{"role": "user", "content": "Send it."},
                    {"role": "assistant", "content": "", "tool_calls": [
                        {"type": "function", "function": {"name": "chat_send", "arguments": "{}"}}]},
                    {"role": "tool", "content": json.dumps(result)}]
        return unsupported_claims(answer, Context(messages), after_calls=True)

    assert claims("Done. The message timestamp is 1764472302.315889.", {"message_ts": "1764472302.315889"}) == []
    assert claims("The name is Desk lamp and it is out of stock.", {"name": "Desk lamp", "in_stock": False}) == []
    assert claims("The name is Desk lamp and it is in stock.", {"name": "Desk lamp", "in_stock": False}) == [
        "says 'in stock', which no result or user message says"]
    assert claims("The name is Desk lamp and it is out of stock.", {"name": "Desk lamp", "in_stock": True}) == [
        "says 'out of stock', which no result or user message says"]
    assert result_sentences({"RedriveAllowPolicy": '{"redrivePermission": "allowAll"}', "DelaySeconds": "5"}) == [
        "The delay is 5 seconds."]
    values = ValueFactory(3)
    values.context = "sqs_list_message_move_tasks aws_sqs"
    assert values.for_schema({"type": "string"}, "FailureReason") in (
        "Access denied to the destination.", "The destination does not exist.", "The request timed out.",
        "The service quota was exceeded.", "The source was deleted while the task ran.")
    assert values.for_schema({"type": "integer"}, "StartedTimestamp") > 1_700_000_000


def test_a_comment_reads_like_one_and_what_happened_happened_before_today():
    """Read in pack rows: a task comment "I'm outside the main entrance." (a chat line) and a comment just added
    ``created_at`` a month ahead."""
    from inftool_hf.synth.values import _FREE_TEXT

    templates = [t.split("{")[0] for t in _FREE_TEXT["comment"]]
    for seed in range(10):
        values = ValueFactory(seed)
        values.context = "tracker_add_comment project_management"
        text = values.for_schema({"type": "string"}, "text")
        assert any(text.startswith(t) for t in templates), text
        created = values.for_schema({"type": "string", "format": "date-time"}, "created_at")
        assert created[:10] <= values.today.isoformat(), created
        assert values.for_schema({"type": "string", "format": "date-time"}, "start")[:10] >= values.today.isoformat()
