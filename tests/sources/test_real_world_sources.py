"""Specs none of us wrote, that pip installs: AWS service models (botocore) and Google discovery documents
(google-api-python-client). They load into tools, and the rows made from them hold to the same standard as the
pack's: faithful answers, a server that keeps its state, requests without template artefacts."""

import pytest
from datasets import Dataset

from inftool_hf.sources.registry import load_entries
from inftool_hf.sources.specs import SpecError
from inftool_hf.synth.roleplay import RolePlayConfig, role_play
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.synth.tool_pool import build_tool_pool
from inftool_hf.verify.audit import audit_dataset
from inftool_hf.verify.gates import verify_trajectories
from tests.fakes import ScriptedBackend


@pytest.fixture(scope="module")
def pool():
    tools = [*load_entries(["botocore:dynamodb"]).tools, *load_entries(["botocore:sqs"]).tools,
             *load_entries(["googleapis:calendar"]).tools, *load_entries(["googleapis:tasks"]).tools]
    return build_tool_pool(tools)


def test_sources_load_real_operations(pool):
    dynamodb = {t.name: t for t in load_entries(["botocore:dynamodb"]).tools}
    put = dynamodb["dynamodb_put_item"]
    assert put.parameters["required"] == ["TableName", "Item"] and put.response_schema["type"] == "object"
    assert put.description.startswith("Creates a new item") and "<p>" not in put.description
    calendar = {t.name: t for t in load_entries(["googleapis:calendar"]).tools}
    insert = calendar["calendar_events_insert"]
    assert insert.parameters["required"] == ["calendarId"] and "summary" in insert.parameters["properties"]
    assert "key" not in insert.parameters["properties"] and "oauth_token" not in insert.parameters["properties"]
    assert all(not v.get("readOnly") for v in insert.parameters["properties"].values())  # server-set fields out
    assert len(pool.domains) == 4 and len(pool.tools) > 100
    with pytest.raises(SpecError, match="no such AWS service"):
        load_entries(["botocore:not-a-service"])
    with pytest.raises(SpecError, match="no such Google API"):
        load_entries(["googleapis:not-an-api"])


def test_rows_from_real_specs_are_faithful_consistent_and_readable(pool):
    scenarios = sample_scenarios(pool, ScenarioConfig(num_scenarios=72, seed=4))
    backend = ScriptedBackend("The results above provide a clear and concise answer to your question.")
    rows = role_play(scenarios, pool, RolePlayConfig(), backend, progress=False)
    verified = verify_trajectories(rows)
    report = audit_dataset(verified, sample=0)
    assert len(verified["train"]) >= 0.9 * len(rows), [r["verification"] for r in verified["rejected"]][:3]
    assert report["faithfulness_rate"] == 1.0 and report["state_consistency_rate"] == 1.0
    assert report["artefact_rate"] <= 0.02, report["artefacts"]
    assert len({r["category"] for r in verified["train"]}) >= 6


def test_state_kept_on_real_dependency_edges(pool):
    """Every producer → consumer edge the pool found in the real specs: the id handed out resolves later."""
    from tests.synth.test_quality import _walk_edges

    if not pool.dependencies:
        pytest.fail("no dependency edge found in the real specs")
    assert _walk_edges(pool) == len(pool.dependencies)


def test_mcp_servers_published_on_pypi_are_spec_sources(tmp_path):
    """The reference MCP servers on PyPI (time, git, fetch), started over stdio through our MCP client: their
    tools, each server in its own domain (the name it reports), turn into verified rows like any spec's."""
    import sys
    from collections import Counter

    from inftool_hf.generate import GenerateConfig, generate
    from inftool_hf.sources.registry import load_entries

    specs = [f"mcp:stdio:{sys.executable} -m mcp_server_{name}" for name in ("time", "git", "fetch")]
    load = load_entries(specs)
    domains = Counter(t.domain for t in load.tools)
    assert domains["time"] == 2 and domains["git"] >= 10 and domains["fetch"] == 1 and not load.warnings
    convert = next(t for t in load.tools if t.name == "convert_time")
    assert set(convert.parameters["required"]) == {"source_timezone", "time", "target_timezone"}

    config = GenerateConfig(name="pypi-mcp", output_dir=str(tmp_path), specs=specs, decontaminate=False,
                            scenarios=ScenarioConfig(num_scenarios=12, seed=4, category_mix={
                                "simple": 1, "multiple": 1, "parallel": 1, "irrelevance": 1}),
                            roleplay=RolePlayConfig(shard_size=12))
    verified = generate(config, backend=ScriptedBackend(), progress=False)
    made = Counter(verified["train"]["category"])
    assert set(made) == {"simple", "multiple", "parallel", "irrelevance"}, verified["rejected"]["verification"]
    assert {row["domain"] for row in verified["train"]} <= {"time", "git", "fetch"}
    # reads whose spec says nothing of the answer ("show the git log" → "the status is ok") are named, and no
    # scenario calls them; writes still are ("ok" is their answer)
    import json

    tree = json.loads((tmp_path / "pypi-mcp" / "work" / "tool_tree.json").read_text())
    unanswerable = set(tree["reads_without_response_schema"])
    assert {"git_status", "git_log", "git_show", "fetch"} <= unanswerable and "get_current_time" not in unanswerable
    assert not unanswerable & {"git_commit", "git_add", "git_create_branch"}
    scenarios = Dataset.from_parquet(str(tmp_path / "pypi-mcp" / "work" / "scenarios.parquet"))
    called = {c["name"] for s in scenarios for c in json.loads(s["blueprint"])["calls"]}
    assert called and not called & unanswerable, called


@pytest.mark.slow  # loads the AWS and Google sources twice (~1 min)
def test_the_realworld_recipe_yields_verified_rows_in_every_category(tmp_path):
    """recipes/generate_realworld_cpu.yaml (AWS, Google and PyPI-MCP sources together), played in blueprint mode:
    verified rows in every category — multi_step included, whose chains run along ids linked across naming styles
    (an event's ``id`` → ``eventId``, a task list's ``id`` → ``tasklist``) — no category short, and every tool
    within the token budget."""
    import json
    from collections import Counter

    from inftool_hf.configs import load_recipe
    from inftool_hf.generate import GenerateConfig, build_pool, generate
    from inftool_hf.sources.compaction import estimated_tokens
    from inftool_hf.synth.scenarios import CATEGORIES

    config = load_recipe(GenerateConfig, "recipes/generate_realworld_cpu.yaml", "generate",
                         {"output_dir": str(tmp_path), "scenarios.num_scenarios": 72, "decontaminate": False})
    verified = generate(config, backend=ScriptedBackend(), progress=False)
    made = Counter(verified["train"]["category"])
    assert set(made) == set(CATEGORIES), (made, Counter(verified["rejected"]["category"]))
    assert not json.loads((config.folder / "stats.json").read_text())["category_shortfall"]
    chains = [json.loads(r["blueprint"]) for r in verified["train"] if r["category"] == "multi_step"]
    renamed = [s for c in chains for call in c["calls"] for p, s in (call.get("sources") or {}).items()
               if s["field"] != p]
    assert renamed, chains  # at least one chain passes an id on under another name
    domains = {row["domain"] for row in verified["train"]}
    assert {"time", "git"} & domains and any(d.startswith("aws_") or d.startswith("google_") for d in domains)
    pool = build_pool(config)
    assert all(estimated_tokens(t) <= config.max_tool_tokens for t in pool.tools.values())


def test_the_cpu_loop_on_real_world_apis_is_decontaminated():
    """recipes/loop_cpu_realworld.yaml trains on the pack and on real APIs nobody here wrote; the MCP time server's
    ``get_current_time`` shares a BFCL function's name and is left out of the pool."""
    from pathlib import Path

    from inftool_hf.generate import build_pool
    from inftool_hf.loop import load_loop_config
    from inftool_hf.sources.compaction import estimated_tokens

    config = load_loop_config(str(Path(__file__).resolve().parents[2] / "recipes" / "loop_cpu_realworld.yaml"))
    assert config.generate.decontaminate
    pool = build_pool(config.generate)
    assert {"google_tasks", "aws_sqs", "time", "git", "fetch"} <= set(pool.domains)
    assert len(pool.domains) >= 20 and "get_current_time" not in pool.tools and "convert_time" in pool.tools
    assert all(estimated_tokens(t) <= config.generate.max_tool_tokens for t in pool.tools.values())
    assert any(d.field != d.parameter for d in pool.dependencies)  # a task list's id → tasklist


def test_mcp_sources_load_inside_a_running_event_loop(monkeypatch):
    """A notebook cell runs inside Jupyter's event loop, where ``asyncio.run`` refuses to start, and its
    ``sys.stderr`` has no file descriptor for the server process (both found by notebook 06 once the CPU loop drew
    on the MCP servers): listing a server's tools still works there."""
    import asyncio
    import io
    import sys

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    from inftool_hf.sources.registry import load_entries

    async def cell():
        return load_entries([f"mcp:stdio:{sys.executable} -m mcp_server_time"])

    load = asyncio.run(cell())
    assert {t.name for t in load.tools} == {"get_current_time", "convert_time"} and not load.warnings


def test_mcp_schemas_have_their_local_references_written_out():
    """``mcp-server-time``'s ``convert_time`` publishes ``source: {"$ref": "#/$defs/TimeResult"}``: left as it was,
    the simulated server answered ``"source": "source-46"``. Loaded, the fields are there and results carry them."""
    from inftool_hf.sources.registry import load_entries
    from inftool_hf.sources.specs import inline_local_refs
    from inftool_hf.synth.simulator import ToolSimulator

    tools = {t.name: t for t in load_entries(["mcp:stdio:python -m mcp_server_time"]).tools}
    source = tools["convert_time"].response_schema["properties"]["source"]
    assert source["properties"]["timezone"]["type"] == "string" and "$defs" not in tools["convert_time"].response_schema
    result = ToolSimulator(tools, seed=4).execute("convert_time", {"source_timezone": "Europe/Paris",
                                                                   "time": "16:30", "target_timezone": "Asia/Tokyo"})
    assert isinstance(result["source"], dict) and isinstance(result["source"]["is_dst"], bool), result
    assert result["time_difference"].endswith("h")
    # a recursive definition stops instead of looping
    tree = {"$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
            "$ref": "#/$defs/Node"}
    node = inline_local_refs(tree, depth=2)
    assert node["properties"]["child"]["properties"]["child"] == {"type": "object",
                                                                  "description": "(recursive structure)"}


def test_a_caller_never_sets_a_new_resources_id():
    """Read in Google rows: ``tasks_tasklists_insert(id="ID-90035")`` and an update that sets another ``id`` than
    the one it names. A resource's own ``id`` is the server's to give: never an optional argument stated."""
    from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenario
    from inftool_hf.synth.tool_pool import build_tool_pool

    tools = [t for t in load_entries(["googleapis:tasks"]).tools if t.name in ("tasks_tasklists_insert",
                                                                           "tasks_tasklists_update")]
    assert "id" in tools[0].parameters["properties"]
    pool = build_tool_pool(tools)
    config = ScenarioConfig(optional_rate=1.0, max_optional=10)
    calls = [c for seed in range(20) for c in sample_scenario(pool, config, seed, "simple").calls]
    assert calls and all("id" not in c.arguments for c in calls)
    assert any("title" in c.arguments for c in calls)
