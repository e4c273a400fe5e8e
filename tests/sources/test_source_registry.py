"""Sources are a registry: every specs: entry is read by the source that matches it, and a new source is its loader
plus one line in SOURCES (docs/adding-a-source.md walks through this same example)."""

import csv
import json

import pytest

from inftool_hf.sources import registry
from inftool_hf.sources.registry import (
    SOURCES,
    Source,
    implementations_of,
    load_entries,
    named_sources,
    source_of,
    spec_paths,
)
from inftool_hf.sources.specs import SpecLoad, ToolSpec


def test_every_kind_of_entry_finds_its_source():
    assert [source_of(e).name for e in ["pack", "python:tests.toy_tools", "mcp:stdio:python -m x", "botocore:sqs",
                                        "googleapis:tasks", "my_api.yaml", "specs/"]] == \
        ["pack", "python", "mcp", "botocore", "googleapis", "openapi", "openapi"]
    assert {s.name for s in SOURCES} == {"pack", "openapi", "botocore", "googleapis", "python", "mcp"}
    assert SOURCES[-1].name == "openapi"  # the path source takes what no prefix claims, so it comes last


def test_a_missing_path_fails_before_anything_loads(tmp_path):
    with pytest.raises(Exception, match="does not exist"):
        spec_paths(["pack", str(tmp_path / "nope.yaml")])


def test_python_entries_bring_their_implementations():
    load, implementations = load_entries(["python:tests.toy_tools"]), implementations_of(["python:tests.toy_tools"])
    assert {t.name for t in load.tools} == set(implementations)
    assert named_sources(["pack", "python:tests.toy_tools"]) == ["spec_pack", "python:tests.toy_tools"]


def _load_csv(entry: str) -> SpecLoad:
    """One tool per row of a CSV file: name, description, and a comma-separated list of string parameters."""
    load = SpecLoad()
    with open(entry.removeprefix("csv:"), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            params = [p for p in row["parameters"].split(",") if p]
            schema = {"type": "object", "required": params, "properties": {p: {"type": "string"} for p in params}}
            load.tools.append(ToolSpec(name=row["name"], description=row["description"], domain="sheets",
                                       source=entry, parameters=schema))
    return load


def test_adding_a_source_is_a_loader_and_one_registry_line(tmp_path, monkeypatch):
    table = tmp_path / "tools.csv"
    table.write_text("name,description,parameters\nsheets_find_row,Find a row of a sheet by its key,sheet,key\n"
                     "sheets_add_row,Add a row to a sheet,sheet\n".replace(",sheet,key", ',"sheet,key"'))
    monkeypatch.setattr(registry, "SOURCES", (*SOURCES[:-1], Source("csv", "csv:<file>", "tools listed in a CSV file",
                                                                    prefix="csv:", load=_load_csv), SOURCES[-1]))
    from inftool_hf.generate import GenerateConfig, build_pool

    entry = f"csv:{table}"
    assert source_of(entry).name == "csv" and spec_paths(["pack", entry]) == spec_paths(["pack"])
    pool = build_pool(GenerateConfig(name="csv", output_dir=str(tmp_path), specs=[entry]))
    assert sorted(pool.tools) == ["sheets_add_row", "sheets_find_row"]
    assert json.loads(json.dumps(pool.tools["sheets_find_row"].parameters))["required"] == ["sheet", "key"]
    assert named_sources([entry]) == [entry]  # the dataset card names it as written
