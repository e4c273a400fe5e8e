"""Tools that fit: a tool over the token budget is compacted step by step with a record of each cut, a tool whose
required parameters alone do not fit is left out, and tools within the budget are untouched."""

import json

import pytest

from inftool_hf.configs import ConfigError
from inftool_hf.generate import GenerateConfig, build_pool
from inftool_hf.sources.compaction import compact_tool, compact_tools, estimated_tokens
from inftool_hf.sources.specs import ToolSpec, load_specs, spec_pack_dir

LONG = "Creates a container from the given configuration. " + "It accepts many settings that matter. " * 30


def _container_create() -> ToolSpec:
    """The shape of a real container-create call: long prose, deep nesting, dozens of optional settings."""
    nested = {"type": "object", "description": LONG, "properties": {
        "Config": {"type": "object", "properties": {"Labels": {"type": "object", "properties": {
            "key": {"type": "string", "description": LONG}}}}}}}
    properties = {"name": {"type": "string", "description": "the container name", "examples": ["web-1"]},
                  "image": {"type": "string", "description": LONG}, "HostConfig": nested}
    properties.update({f"option_{i:02d}": {"type": "string", "description": LONG[:150 + i]} for i in range(40)})
    return ToolSpec(name="container_create", description=LONG, domain="containers", source="test",
                    parameters={"type": "object", "properties": properties, "required": ["image", "name"]})


def test_a_tool_over_budget_is_cut_in_order_and_every_cut_is_recorded():
    tool = _container_create()
    assert estimated_tokens(tool) > 4000
    compacted, record = compact_tool(tool, 600)
    assert record is not None and not record.dropped and record.tokens_before == estimated_tokens(tool)
    assert estimated_tokens(compacted) <= 600 and record.tokens_after == estimated_tokens(compacted)
    assert record.cuts[0].startswith("descriptions cut to their first sentence: (tool), image")
    assert compacted.description == "Creates a container from the given configuration."
    assert any(c.startswith("examples and defaults dropped: name.examples") for c in record.cuts)
    assert any(c.startswith("optional nested objects below 2 levels replaced by a stub: HostConfig.Config.Labels")
               for c in record.cuts)
    dropped = next(c for c in record.cuts if c.startswith("optional parameters dropped: ")).split(": ")[1].split(", ")
    kept = set(compacted.parameters["properties"])
    assert {"image", "name"} <= kept and not kept & set(dropped) and len(kept) + len(dropped) == 43
    assert compacted.parameters["required"] == ["image", "name"]


def test_required_parameters_that_do_not_fit_leave_the_tool_out_and_small_tools_are_untouched():
    tool = _container_create()
    compacted, record = compact_tool(tool, 40)
    assert compacted is None and record.dropped and record.tokens_after > 40
    pack = load_specs([spec_pack_dir()]).tools
    kept, records = compact_tools(pack, 1024)
    assert records == [] and kept == pack  # the pack's largest tool is ~240 tokens
    assert compact_tool(tool, 0) == (tool, None)  # 0: off


def test_what_a_call_cannot_leave_out_is_never_stubbed():
    """DynamoDB's TransactGetItems requires ``TransactItems[].Get``; compaction stubbed it and every row then sent
    ``{"Get": {}}``. A required path keeps its structure (or the tool is left out when that does not fit); only
    optional structure becomes a stub. A tool whose required field the spec's loader already stubbed (a recursive
    shape) cannot be called right and is left out."""
    get = {"type": "object", "required": ["Key", "TableName"], "properties": {
        "Key": {"type": "object", "description": "The primary key.", "properties": {"id": {"type": "string"}}},
        "TableName": {"type": "string"}}}
    extra = {"type": "object", "properties": {"Deep": {"type": "object", "properties": {
        "Deeper": {"type": "object", "properties": {"x": {"type": "string", "description": LONG}}}}}}}
    properties = {"TransactItems": {"type": "array", "items": {"type": "object", "required": ["Get"],
                                                                "properties": {"Get": get, "Extra": extra}}}}
    properties.update({f"option_{i:02d}": {"type": "string", "description": LONG[:120]} for i in range(12)})
    tool = ToolSpec(name="transact_get_items", description="Gets items.", domain="aws_dynamodb", source="test",
                    parameters={"type": "object", "required": ["TransactItems"], "properties": properties})
    compacted, record = compact_tool(tool, 300)
    assert compacted is not None and not record.dropped
    item = compacted.parameters["properties"]["TransactItems"]["items"]["properties"]
    assert item["Get"] == get  # required all the way down: kept whole, three levels deep
    assert item["Extra"]["description"].endswith("(nested structure omitted)") and "properties" not in item["Extra"]
    assert any(c.startswith("optional nested objects below 2 levels replaced by a stub: TransactItems[].Extra")
               for c in record.cuts)
    assert compact_tool(tool, 60)[0] is None  # the required structure alone does not fit: left out, not stubbed

    stubbed = {"type": "object", "description": "(nested structure omitted)"}
    recursive = ToolSpec(name="put_item", description="Puts an item.", domain="aws_dynamodb", source="test",
                         parameters={"type": "object", "required": ["Item"], "properties": {
                             "Item": {"type": "object", "required": ["M"], "properties": {"M": stubbed}},
                             "Extra": stubbed}})
    compacted, record = compact_tool(recursive, 1024)  # within the budget, and still not callable
    assert compacted is None and record.dropped and record.cuts == [
        "left out: a required field's structure was omitted when the spec was read: Item.M"]
    optional_only = ToolSpec(name="put_item", description="Puts an item.", domain="aws_dynamodb", source="test",
                             parameters={"type": "object", "properties": {"Extra": stubbed}})
    assert compact_tool(optional_only, 1024) == (optional_only, None)


def test_build_pool_applies_the_budget_and_says_so(tmp_path):
    spec = tmp_path / "containers.json"
    spec.write_text(json.dumps([_container_create().to_openai()["function"]]))
    pool = build_pool(GenerateConfig(specs=[str(spec)], max_tool_tokens=600), tmp_path / "work")
    assert estimated_tokens(pool.tools["container_create"]) <= 600
    [record] = json.loads((tmp_path / "work" / "compaction.json").read_text())
    assert record["tool"] == "container_create" and record["cuts"] and not record["dropped"]
    with pytest.raises(ConfigError, match="max_tool_tokens 20: no tool fits"):
        build_pool(GenerateConfig(specs=[str(spec)], max_tool_tokens=20))
