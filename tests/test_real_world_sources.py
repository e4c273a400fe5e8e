"""Specs none of us wrote, that pip installs: AWS service models (botocore) and Google discovery documents
(google-api-python-client). They load into tools, and the rows made from them hold to the same standard as the
pack's: faithful answers, a server that keeps its state, requests without template artefacts."""

import pytest

from inftool_hf.audit import audit_dataset
from inftool_hf.roleplay import RolePlayConfig, role_play
from inftool_hf.scenarios import ScenarioConfig, sample_scenarios
from inftool_hf.spec_sources import load_source
from inftool_hf.specs import SpecError
from inftool_hf.tool_pool import build_tool_pool
from inftool_hf.verify import verify_trajectories
from tests.fakes import ScriptedBackend


@pytest.fixture(scope="module")
def pool():
    tools = [*load_source("botocore:dynamodb").tools, *load_source("botocore:sqs").tools,
             *load_source("googleapis:calendar").tools, *load_source("googleapis:tasks").tools]
    return build_tool_pool(tools)


def test_sources_load_real_operations(pool):
    dynamodb = {t.name: t for t in load_source("botocore:dynamodb").tools}
    put = dynamodb["dynamodb_put_item"]
    assert put.parameters["required"] == ["TableName", "Item"] and put.response_schema["type"] == "object"
    assert put.description.startswith("Creates a new item") and "<p>" not in put.description
    calendar = {t.name: t for t in load_source("googleapis:calendar").tools}
    insert = calendar["calendar_events_insert"]
    assert insert.parameters["required"] == ["calendarId"] and "summary" in insert.parameters["properties"]
    assert "key" not in insert.parameters["properties"] and "oauth_token" not in insert.parameters["properties"]
    assert all(not v.get("readOnly") for v in insert.parameters["properties"].values())  # server-set fields out
    assert len(pool.domains) == 4 and len(pool.tools) > 100
    with pytest.raises(SpecError, match="no such AWS service"):
        load_source("botocore:not-a-service")
    with pytest.raises(SpecError, match="no such Google API"):
        load_source("googleapis:not-an-api")


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
    from tests.test_quality import _walk_edges

    if not pool.dependencies:
        pytest.fail("no dependency edge found in the real specs")
    assert _walk_edges(pool) == len(pool.dependencies)
