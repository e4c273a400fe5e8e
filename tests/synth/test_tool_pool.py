import pytest

from inftool_hf.sources.specs import ToolSpec, load_specs, spec_pack_dir
from inftool_hf.synth.tool_pool import Dependency, ToolPool, build_tool_pool, llm_merge
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


def _brute_force_clusters(tools, threshold):
    """The definition, pair by pair over the dense cosine matrix (what the vectorised grouping must equal)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    from inftool_hf.synth.tool_pool import _tool_text

    similarity = cosine_similarity(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(
        [_tool_text(t) for t in tools]))
    parent = list(range(len(tools)))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(tools)):
        for j in range(i + 1, len(tools)):
            if similarity[i, j] >= threshold and set(tools[i].parameters.get("required", [])) == set(
                    tools[j].parameters.get("required", [])):
                parent[root(j)] = root(i)
    groups = {}
    for i, t in enumerate(tools):
        groups.setdefault(root(i), []).append(t.name)
    return sorted(sorted(g) for g in groups.values())


def test_vectorised_near_duplicate_grouping_equals_the_pairwise_definition():
    """Chunked sparse similarity (so ~20k real tools fit) finds exactly the groups the pair-by-pair definition
    does, on the pack plus reworded copies (some with other required parameters, which must not merge)."""
    import random

    from inftool_hf.synth.tool_pool import _near_duplicate_clusters

    pack = load_specs([spec_pack_dir()]).tools
    rng = random.Random(0)
    copies = []
    for index, original in enumerate(rng.sample(pack, 40)):
        words = original.description.split()
        rng.shuffle(words)
        parameters = dict(original.parameters)
        if index % 3 == 0:
            parameters["required"] = [*parameters.get("required", []), "extra"]
        copies.append(ToolSpec(name=f"{original.name}_v2", description=" ".join(words[: max(3, len(words) - 1)]),
                               parameters=parameters, domain=original.domain, source="copy"))
    tools = pack + copies
    for threshold in (0.5, 0.7, 0.9):
        found = sorted(sorted(t.name for t in group) for group in _near_duplicate_clusters(tools, threshold, chunk=37))
        assert found == _brute_force_clusters(tools, threshold)
    merged = [g for g in _near_duplicate_clusters(tools, 0.7, chunk=37) if len(g) > 1]
    assert merged and all(len({frozenset(t.parameters.get("required", [])) for t in g}) == 1 for g in merged)


def test_pool_report_counts_raw_distinct_kept_merges_and_edges_per_domain(tmp_path):
    import json

    from inftool_hf.generate import GenerateConfig, build_pool
    from inftool_hf.synth.tool_pool import pool_report

    tools = [
        tool("get_weather", "Get the current weather for a city"),
        tool("get_weather", "Get the current weather for a city"),
        tool("get_weather_now", "Get the current weather for a city now"),
        tool("book_table", "Book a restaurant table", params=("city", "time"), domain="food"),
    ]
    pool = build_tool_pool(tools, near_duplicate_threshold=0.6)
    report = pool_report(tools, pool)
    assert (report["raw"], report["distinct"], report["kept"], report["merged"]) == (4, 3, 2, 1)
    assert report["domains"]["d"] == {"raw": 3, "distinct": 2, "kept": 1, "dependency_edges": 0}
    assert report["domains"]["food"] == {"raw": 1, "distinct": 1, "kept": 1, "dependency_edges": 0}
    assert report["merges"] == pool.merged
    # a group of same-named versions (an API's v1 and beta) counts every member it absorbed
    versions = [tool("get_weather", "Get the current weather for a city"),
                tool("get_weather", "Get the current weather for a city, beta"), tool("book", "Book a table")]
    report = pool_report(versions, build_tool_pool(versions, near_duplicate_threshold=0.6))
    assert report["distinct"] - report["kept"] == report["merged"] == 1

    build_pool(GenerateConfig(specs=["pack"]), tmp_path)
    tree = json.loads((tmp_path / "tool_tree.json").read_text())
    pack = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    assert tree["raw"] == tree["kept"] == len(pack.tools) and tree["dependency_edges"] == len(pack.dependencies) > 0
    assert sum(d["dependency_edges"] for d in tree["domains"].values()) == tree["dependency_edges"]


def test_two_different_tools_with_one_name_are_both_kept():
    """Names are cut at 64 characters, so real APIs give different tools one name; neither may silently vanish."""
    tools = [tool("compute_instances_list", "List the virtual machine instances of a project", params=("project",)),
             tool("compute_instances_list", "Count the rows of a spreadsheet", params=("sheet",), domain="sheets")]
    pool = build_tool_pool(tools)
    assert set(pool.tools) == {"compute_instances_list", "compute_instances_list_2"} and not pool.merged
    assert pool.tools["compute_instances_list_2"].description == "Count the rows of a spreadsheet"


def test_llm_split_keeps_only_what_the_model_calls_redundant_and_ignores_bad_answers():
    from inftool_hf.synth.tool_pool import llm_split

    cluster = [tool("list_project_instances", "List the instances of a project", params=("parent",)),
               tool("list_folder_instances", "List the instances of a folder", params=("parent",)),
               tool("list_org_instances", "List the instances of an organization", params=("parent",))]
    assert [[t.name for t in g] for g in llm_split(ScriptedBackend("[[1, 3], [2]]"))(cluster)] == \
        [["list_project_instances", "list_org_instances"], ["list_folder_instances"]]
    for answer in ("They are all the same.", "[[1, 2]]", "[[1, 2, 2], [3]]", "[[1], [2], [3], [4]]"):
        assert llm_split(ScriptedBackend(answer))(cluster) == [cluster]  # not every tool exactly once: unused
    pool = build_tool_pool(cluster, near_duplicate_threshold=0.3, splitter=llm_split(ScriptedBackend("[[1, 3], [2]]")))
    # the redundant pair merges (into the longer description); the tool the model set apart stays
    assert set(pool.tools) == {"list_org_instances", "list_folder_instances"}
    assert pool.merged == {"list_org_instances": ["list_project_instances"]}


def _api(name, params, response, domain="cal", required=None):
    """A tool with typed parameters ``{name: (type, description)}`` and a response schema."""
    properties = {p: {"type": kind, "description": text} for p, (kind, text) in params.items()}
    return ToolSpec(name=name, description=name.replace("_", " "), domain=domain, source="test",
                    response_schema=response, parameters={"type": "object", "properties": properties,
                                "required": list(params) if required is None else required})


def _object(**fields):
    return {"type": "object", "properties": {k: ({"type": v} if isinstance(v, str) else v) for k, v in fields.items()}}


def test_dependencies_link_ids_across_naming_styles():
    """The links real APIs need (issue: 0 links on ably/docker/azure, ``key`` → ``feed_key`` missed): a resource's
    own ``id`` fills the parameter naming that resource, by its name or its description; camelCase meets
    snake_case; a channel's id is no event id; what a delete reports feeds nothing; types must agree."""
    from inftool_hf.synth.tool_pool import find_dependencies, linked_parameters

    event = _object(id={"type": "string", "description": "Opaque identifier of the event."}, summary="string",
                    creator=_object(id="string", email="string"))
    channel = _object(id={"type": "string", "description": "A UUID that identifies this channel."},
                      resourceId="string")
    tools = [
        _api("calendar_events_insert", {"calendarId": ("string", "Calendar identifier.")}, event),
        _api("calendar_events_get", {"calendarId": ("string", "Calendar identifier."),
                                     "eventId": ("string", "Event identifier.")}, event),
        _api("calendar_events_watch", {"calendarId": ("string", "Calendar identifier.")}, channel),
        _api("calendar_events_delete", {"eventId": ("string", "Event identifier.")}, event),
        _api("calendar_calendars_insert", {"summary": ("string", "Title.")}, _object(id="string", summary="string")),
        _api("calendar_events_move", {"eventId": ("string", "Event identifier."),
                                      "destination": ("string", "Calendar identifier of the target calendar.")},
             event),
        _api("tasks_tasklists_insert", {"title": ("string", "Title.")},
             _object(id={"type": "string", "description": "Task list identifier."}), domain="tasks"),
        _api("tasks_tasks_insert", {"tasklist": ("string", "Task list identifier."), "title": ("string", "Title.")},
             _object(id={"type": "string", "description": "Task identifier."}), domain="tasks"),
        _api("tasks_tasks_get", {"tasklist": ("string", "Task list identifier."),
                                 "task": ("string", "Task identifier.")},
             _object(id="string", title="string"), domain="tasks"),
        _api("chat_open_channel", {"name": ("string", "Name.")}, _object(channelId="string"), domain="chat"),
        _api("chat_post", {"channel_id": ("string", "Where."), "count": ("integer", "How many.")},
             _object(ok="boolean"), domain="chat"),
        _api("io_create_feed", {"name": ("string", "Name.")}, _object(key="string", name="string"), domain="io"),
        _api("io_get_feed", {"feed_key": ("string", "The feed.")}, _object(key="string"), domain="io"),
        _api("io_get_group", {"group_key": ("string", "The group.")}, _object(key="string"), domain="io"),
    ]
    edges = {(d.producer, d.consumer, d.field, d.parameter) for d in find_dependencies(tools)}
    assert ("calendar_events_insert", "calendar_events_get", "id", "eventId") in edges
    assert ("calendar_calendars_insert", "calendar_events_get", "id", "calendarId") in edges
    assert ("calendar_calendars_insert", "calendar_events_move", "id", "destination") in edges  # by description
    assert ("tasks_tasklists_insert", "tasks_tasks_insert", "id", "tasklist") in edges
    assert ("tasks_tasks_insert", "tasks_tasks_get", "id", "task") in edges
    assert ("chat_open_channel", "chat_post", "channelId", "channel_id") in edges
    assert ("io_create_feed", "io_get_feed", "key", "feed_key") in edges
    # what is not the same thing stays apart
    assert not {e for e in edges if e[0] == "calendar_events_watch"}  # a channel's id, not an event's
    assert not {e for e in edges if e[0] == "calendar_events_delete"}  # the deleted event feeds nothing
    assert ("calendar_events_insert", "calendar_events_get", "id", "calendarId") not in edges  # an event's id
    assert ("tasks_tasks_insert", "tasks_tasks_get", "id", "tasklist") not in edges  # a task is no task list
    assert ("io_create_feed", "io_get_group", "key", "group_key") not in edges  # a feed is no group
    assert not {e for e in edges if e[3] == "count"}  # types agree
    aliases = linked_parameters(find_dependencies(tools))
    assert aliases["eventId"] == {"id"} and aliases["channel_id"] == {"channelId"} and aliases["feed_key"] == {"key"}


def test_renamed_links_survive_the_pool_round_trip_and_feed_multi_step():
    from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenario

    tools = [
        _api("tasks_tasklists_insert", {"title": ("string", "Title.")},
             _object(id={"type": "string", "description": "Task list identifier."}, title="string"), domain="tasks"),
        _api("tasks_tasks_insert", {"tasklist": ("string", "Task list identifier."), "title": ("string", "Title.")},
             _object(id={"type": "string", "description": "Task identifier."}, title="string"), domain="tasks"),
    ]
    pool = ToolPool.from_dataset(build_tool_pool(tools).to_dataset())
    [dep] = pool.dependencies
    assert (dep.field, dep.parameter) == ("id", "tasklist")
    scenario = sample_scenario(pool, ScenarioConfig(), seed=3, category="multi_step")
    first, second = scenario.calls
    assert (first.name, second.name) == ("tasks_tasklists_insert", "tasks_tasks_insert")
    assert second.arguments["tasklist"] == first.outputs["id"]
    assert second.sources == {"tasklist": {"step": 0, "field": "id", "name": "tasks_tasklists_insert"}}
    assert "tasklist" in scenario.unknown and "tasklist" not in scenario.knows


def test_near_duplicates_by_embeddings_where_a_model_is_configured(tmp_path):
    """``embed`` decides similarity instead of TF-IDF: same-vector tools merge whatever their words, same-word
    tools with far-apart vectors stay; ``text_embedder`` gives unit vectors from a local checkpoint (a tiny one)."""
    import sys
    from pathlib import Path

    import numpy as np

    from inftool_hf.configs import ConfigError
    from inftool_hf.generate import GenerateConfig
    from inftool_hf.synth.tool_pool import text_embedder

    tools = [tool("get_weather", "Get the current weather for a city"),
             tool("fetch_forecast_now", "Today's conditions in a town"),
             tool("get_weather_now", "Get the current weather for a city now")]
    vectors = {"get_weather": [1.0, 0.0], "fetch_forecast_now": [1.0, 0.0], "get_weather_now": [0.0, 1.0]}

    def embed(texts):
        names = sorted(vectors, key=len, reverse=True)  # "get weather now ..." before "get weather ..."
        return np.array([vectors[next(n for n in names if text.startswith(n.replace("_", " ") + " "))]
                         for text in texts])

    pool = build_tool_pool(tools, near_duplicate_threshold=0.95, embed=embed)
    assert {frozenset([k, *v]) for k, v in pool.merged.items()} == {frozenset({"get_weather", "fetch_forecast_now"})}
    assert "get_weather_now" in pool.tools  # TF-IDF alone would have merged it with get_weather

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from gpu_smoke import tiny_model

    embedded = text_embedder(tiny_model(tmp_path / "tiny"))(["book a flight", "book a flight", "weather in Oslo"])
    assert embedded.shape == (3, 64) and np.allclose(np.linalg.norm(embedded, axis=1), 1.0, atol=1e-5)
    assert embedded[0] @ embedded[1] > 0.9999 and embedded[0] @ embedded[2] < 0.9999
    with pytest.raises(ConfigError, match="cluster_model: no checkpoint folder"):
        GenerateConfig(cluster_model=str(tmp_path / "missing"))
