from inftool_hf.specs import ToolSpec, load_specs, spec_pack_dir
from inftool_hf.tool_pool import Dependency, ToolPool, build_tool_pool, llm_merge
from tests.fakes import ScriptedBackend


def tool(name, description, params=("city",), domain="d", response=None):
    return ToolSpec(name=name, description=description, domain=domain, source="test",
                    parameters={"type": "object", "properties": {p: {"type": "string"} for p in params},
                                "required": list(params)}, response_schema=response)


def test_exact_and_near_duplicates_merge_but_distinct_tools_stay():
    tools = [
        tool("get_weather", "Get the current weather for a city"),
        tool("get_weather", "Get the current weather for a city"),  # exact duplicate
        tool("get_weather_now", "Get the current weather for a city now"),  # near duplicate
        tool("book_table", "Book a restaurant table for a city", params=("city", "time")),
    ]
    pool = build_tool_pool(tools, near_duplicate_threshold=0.6)
    assert set(pool.tools) == {"get_weather_now", "book_table"} or set(pool.tools) == {"get_weather", "book_table"}
    [(kept, merged)] = pool.merged.items()
    assert {kept, *merged} == {"get_weather", "get_weather_now"}


def test_llm_merge_rewrites_description_only_when_plausible():
    cluster = [tool("a", "Get weather"), tool("b", "Fetch the weather")]
    merged = llm_merge(ScriptedBackend("Get the current weather for any city."))(cluster)
    assert merged.name == "b" and merged.description == "Get the current weather for any city."
    kept = llm_merge(ScriptedBackend("?"))(cluster)
    assert kept.description == "Fetch the weather"


def test_pack_pool_has_dependencies_and_gates():
    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    assert len(pool.tools) >= 100 and not pool.merged  # the pack has no redundant tools
    assert Dependency("flights_book", "flights_select_seat", "booking_id") in pool.dependencies
    assert Dependency("banking_login", "banking_get_balance", "session_id", gate=True) in pool.dependencies
    assert {d.producer for d in pool.gates_for("clinic_book_appointment")} == {"clinic_verify_patient"}
    assert not pool.gates_for("weather_daily_forecast")
    assert all(pool.tools[d.producer].domain == pool.tools[d.consumer].domain for d in pool.dependencies)


def test_pool_dataset_round_trip():
    pool = build_tool_pool(load_specs([spec_pack_dir() / "flights.openapi.yaml"]).tools)
    again = ToolPool.from_dataset(pool.to_dataset())
    assert again.tools == pool.tools
    assert set(again.dependencies) == set(pool.dependencies)
