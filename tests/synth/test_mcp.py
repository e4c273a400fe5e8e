import asyncio
import json
import socket
import subprocess
import sys
import time

import pytest

from inftool_hf.mcp_server import build_server
from inftool_hf.sources.mcp import load_mcp_tools
from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.synth.mcp_client import MCPToolServer

FLIGHTS = str(spec_pack_dir() / "flights.openapi.yaml")
STDIO = f"stdio:{sys.executable} -m inftool_hf.cli serve-mcp {FLIGHTS}"


@pytest.fixture(scope="module")
def flights():
    return load_specs([spec_pack_dir() / "flights.openapi.yaml"]).tools


def test_in_process_list_call_state_and_errors(flights):
    from mcp import Client

    server = build_server(flights, max_argument_bytes=2000)

    async def session():
        async with Client(server, mode="legacy") as client:
            listed = await client.list_tools()
            search = await client.call_tool("flights_search", {"origin": "LHR", "destination": "JFK",
                                                               "date": "2026-12-01"})
            flight_id = json.loads(search.content[0].text)["offers"][0]["flight_id"]
            booked = await client.call_tool("flights_book", {"flight_id": flight_id, "passenger_names": ["Ada"]})
            unknown = await client.call_tool("flights_check_in", {"booking_id": "BK-00000"})
            invalid = await client.call_tool("flights_search", {"origin": "london"})
            huge = await client.call_tool("flights_get_details", {"flight_id": "x" * 5000})
            return listed, search, booked, unknown, invalid, huge

    listed, search, booked, unknown, invalid, huge = asyncio.run(session())
    by_name = {t.name: t for t in listed.tools}
    assert set(by_name) == {t.name for t in flights}
    assert by_name["flights_search"].input_schema == next(t.parameters for t in flights if t.name == "flights_search")
    assert not search.is_error and search.structured_content["offers"]
    assert not booked.is_error  # the id from the first call is known in the same session
    assert unknown.is_error and "not found" in unknown.content[0].text
    assert invalid.is_error and "invalid arguments" in invalid.content[0].text
    assert huge.is_error and "limit" in huge.content[0].text


def test_state_is_per_session(flights):
    from mcp import Client

    server = build_server(flights)

    async def run():
        async with Client(server, mode="legacy") as first:
            search = await first.call_tool("flights_search",
                                           {"origin": "LHR", "destination": "JFK", "date": "2026-12-01"})
            flight_id = json.loads(search.content[0].text)["offers"][0]["flight_id"]
        async with Client(server, mode="legacy") as second:
            return await second.call_tool("flights_get_status", {"flight_id": flight_id})

    assert asyncio.run(run()).is_error  # another session never saw that id


def test_stdio_server_as_spec_source_and_executor(flights):
    load = load_mcp_tools(STDIO, domain="flights")
    assert {t.name for t in load.tools} == {t.name for t in flights}
    server = MCPToolServer(STDIO)
    try:
        offers = server.execute("flights_search", {"origin": "CDG", "destination": "NRT", "date": "2026-12-05"})
        flight_id = offers["offers"][0]["flight_id"]
        booking = server.execute("flights_book", json.dumps({"flight_id": flight_id, "passenger_names": ["Kim"]}))
        assert booking["flight_id"] == flight_id
        assert "error" in server.execute("flights_select_seat", {"booking_id": booking["booking_id"], "seat": "ZZ"})
    finally:
        server.close()
    assert [c["ok"] for c in server.state.calls] == [True, True, False]


def test_http_server(flights):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "inftool_hf.cli", "serve-mcp", FLIGHTS, "--transport", "http",
                                "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.time() < deadline, process.stderr.read().decode()[-2000:]
                time.sleep(0.3)
        url = f"http://127.0.0.1:{port}/mcp"
        assert len(load_mcp_tools(url).tools) == len(flights)
        server = MCPToolServer(url)
        try:
            offers = server.execute("flights_search", {"origin": "LHR", "destination": "JFK", "date": "2026-12-01"})
            flight_id = offers["offers"][0]["flight_id"]
            assert "error" not in server.execute("flights_get_status", {"flight_id": flight_id})
            assert "error" in server.execute("flights_get_status", {"flight_id": 7})
        finally:
            server.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_role_play_against_a_real_mcp_server_process(tmp_path):
    from inftool_hf.generate import GenerateConfig, generate
    from inftool_hf.synth.roleplay import RolePlayConfig
    from inftool_hf.synth.scenarios import ScenarioConfig
    from tests.fakes import ScriptedBackend

    weather = str(spec_pack_dir() / "weather.tools.yaml")
    target = f"stdio:{sys.executable} -m inftool_hf.cli serve-mcp {weather}"
    config = GenerateConfig(name="mcp", output_dir=str(tmp_path), specs=[f"mcp:{target}"], decontaminate=False,
                            scenarios=ScenarioConfig(num_scenarios=4, seed=5,
                                                     category_mix={"simple": 1, "parallel": 1}),
                            roleplay=RolePlayConfig(server="mcp", mcp_target=target, shard_size=4))
    verified = generate(config, backend=ScriptedBackend(), progress=False)
    rows = list(verified["train"]) + list(verified["rejected"])
    assert len(rows) == 4
    results = [json.loads(m["content"]) for r in rows for m in r["messages"] if m["role"] == "tool"]
    assert results and all(isinstance(r, dict) for r in results)
    ok = [r for r in verified["train"]]
    assert ok, [r["verification"] for r in verified["rejected"]]
    assert all(json.loads(r["episode"])["server_state"]["calls"] for r in ok)  # calls went through the server
