import json
from unittest import mock

import pytest

from inftool_hf.configs import ConfigError
from inftool_hf.exporters import FORMATS, export_jsonl
from inftool_hf.generate import GenerateConfig, generate, load_generate_config
from inftool_hf.publish import push_to_hub, save_hub_folder
from inftool_hf.synth.roleplay import RolePlayConfig
from inftool_hf.synth.scenarios import ScenarioConfig
from inftool_hf.verify.trajectories import load_hub_folder
from tests.fakes import ScriptedBackend


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    config = GenerateConfig(name="tiny", output_dir=str(out), scenarios=ScenarioConfig(num_scenarios=27, seed=4),
                            roleplay=RolePlayConfig(shard_size=10))
    backend = ScriptedBackend(reply="Sorry, that did not work.")
    verified = generate(config, backend=backend, progress=False)
    return config, verified


def test_folder_round_trips_through_load_hub_folder(published):
    config, verified = published
    loaded = load_hub_folder(config.folder)
    assert set(loaded) == {name for name, split in verified.items() if len(split)}
    assert len(loaded["train"]) == len(verified["train"]) > 0
    row = loaded["train"][0]
    assert {"id", "iteration", "category", "domain", "seed", "tools", "messages", "blueprint", "verification",
            "generator"} <= set(row)
    call = next(m for r in loaded["train"] for m in r["messages"] if m["tool_calls"])["tool_calls"][0]
    assert isinstance(call["function"]["arguments"], str)


def test_same_named_and_regenerated_folders_read_their_own_rows(published, tmp_path):
    # datasets.load_dataset(folder) keys its cache by folder name and card: the second and third reads below
    # would return the 3 rows of the first folder
    from datasets import DatasetDict

    train = published[1]["train"]

    def rows(n: int) -> DatasetDict:
        return DatasetDict({"train": train.select(range(n))})

    first = save_hub_folder(rows(3), tmp_path / "a" / "inftool-same-name", title="t")
    second = save_hub_folder(rows(5), tmp_path / "b" / "inftool-same-name", title="t")
    assert len(load_hub_folder(first, split="train")) == 3
    assert len(load_hub_folder(second, split="train")) == 5
    save_hub_folder(rows(7), first, title="t")  # regenerated in place
    assert len(load_hub_folder(first)["train"]) == 7
    with pytest.raises(FileNotFoundError, match="no split 'rejected'"):
        load_hub_folder(first, split="rejected")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_hub_folder(tmp_path / "missing")


def test_card_has_the_real_numbers(published):
    config, verified = published
    card = (config.folder / "README.md").read_text()
    stats = json.loads((config.folder / "stats.json").read_text())
    assert f"| `train` | {len(verified['train'])} |" in card
    for row in stats["categories"]:
        assert f"| {row['name']} | {row['attempted']} | {row['verified']} |" in card
    assert "assistant = `scripted-test-model (blueprint)`" in card
    assert "spec_pack" in card and "license: apache-2.0" in card
    from huggingface_hub import DatasetCard

    data = DatasetCard.load(config.folder / "README.md").data  # the Hub's own parser reads the header back
    written = {name for name, split in verified.items() if len(split)}
    assert {f["split"] for f in data.configs[0]["data_files"]} == written and data.license == "apache-2.0"


def test_resume_reuses_shards_without_duplicates(published):
    config, verified = published
    shards = sorted((config.folder / "work" / "shards").glob("shard-*.parquet"))
    assert len(shards) == 3
    shards[1].unlink()  # as if the run died while playing the second shard
    backend = ScriptedBackend(reply="Sorry, that did not work.")
    again = generate(config, backend=backend, progress=False)
    ids = list(again["train"]["id"]) + list(again["rejected"]["id"])
    assert len(ids) == len(set(ids)) == 27
    assert sorted(again["train"]["id"]) == sorted(verified["train"]["id"])
    assert backend.calls > 0  # only the missing shard was played again


def test_exporters(published, tmp_path):
    _, verified = published
    train = verified["train"]
    counts = {fmt: export_jsonl(train, fmt, tmp_path / f"{fmt}.jsonl") for fmt in FORMATS}
    assert counts["trl"] == counts["openai"] == counts["sharegpt"] == len(train)
    assert 0 < counts["xlam"] < len(train)  # multi-step/multi-turn rows do not fit xLAM
    trl_rows = [json.loads(line) for line in (tmp_path / "trl.jsonl").read_text().splitlines()]
    calls = [m for row in trl_rows for m in row["messages"] if m.get("tool_calls")]
    assert calls and all(isinstance(c["function"]["arguments"], dict) for m in calls for c in m["tool_calls"])
    openai_row = json.loads((tmp_path / "openai.jsonl").read_text().splitlines()[0])
    assert all("tool_call_id" not in m or m["tool_call_id"] for m in openai_row["messages"])
    xlam = json.loads((tmp_path / "xlam.jsonl").read_text().splitlines()[0])
    assert set(xlam) == {"id", "query", "tools", "answers"} and isinstance(json.loads(xlam["answers"]), list)
    sharegpt = json.loads((tmp_path / "sharegpt.jsonl").read_text().splitlines()[0])
    assert sharegpt["conversations"][0]["from"] == "human"


def test_push_to_hub_calls_without_network(published, monkeypatch):
    from huggingface_hub import HfApi

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config, _ = published
    api = mock.create_autospec(HfApi, instance=True)
    api.upload_folder.return_value = mock.Mock(commit_url="https://hub.example/commit/1")
    assert push_to_hub(config.folder, "me/tiny", private=True, api=api) == "https://hub.example/commit/1"
    api.create_repo.assert_called_once_with(repo_id="me/tiny", repo_type="dataset", private=True, exist_ok=True)
    kwargs = api.upload_folder.call_args.kwargs
    assert kwargs["folder_path"] == str(config.folder) and kwargs["repo_type"] == "dataset"
    assert kwargs["allow_patterns"] == ["data/*.parquet", "README.md"]


def test_recipes_load_and_bad_keys_are_named(tmp_path):
    from pathlib import Path

    root = Path(__file__).parent.parent / "recipes"
    for recipe in ("cpu_default.yaml", "gpu_teacher.yaml"):
        load_generate_config(str(root / recipe))
    bad = tmp_path / "bad.yaml"
    bad.write_text("generate:\n  scenarios:\n    num_scenario: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml \[generate\].scenarios: unknown key\(s\) 'num_scenario'"):
        load_generate_config(str(bad))


def test_export_command_writes_each_format_of_a_split(published, tmp_path, capsys):
    from inftool_hf.cli import main

    config, verified = published
    for fmt, split in (("trl", "train"), ("sharegpt", "train")):
        out = tmp_path / f"{fmt}.jsonl"
        assert main(["export", str(config.folder), "--format", fmt, "--output", str(out), "--split", split]) == 0
        lines = out.read_text().splitlines()
        assert len(lines) == len(verified[split]) > 0
        assert f"wrote {len(lines)} rows ({fmt}, split {split})" in capsys.readouterr().out
    assert main(["export", str(tmp_path / "missing"), "--format", "trl", "--output", str(tmp_path / "x")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main(["export", str(config.folder), "--format", "trl", "--output", str(tmp_path / "x"),
                 "--split", "rejected"]) == 2  # this folder kept every row
    assert "no split 'rejected'" in capsys.readouterr().err


def test_specs_inspect_shows_every_tool_its_size_and_the_warnings(tmp_path, capsys):
    from inftool_hf.cli import main

    spec = tmp_path / "tools.json"
    spec.write_text(json.dumps([
        {"name": "get_tide", "description": "Tide times for a harbour.",
         "parameters": {"type": "object", "properties": {"harbour": {"type": "string"}, "day": {"type": "string"}},
                        "required": ["harbour"]}},
        {"name": "broken", "description": "x", "parameters": {"type": "object", "properties": "not a mapping"}}]))
    assert main(["specs", "inspect", str(spec), "--tokenizer", "none", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [tool] = report["tools"]
    assert (tool["name"], tool["parameters"], tool["required"]) == ("get_tide", 2, 1)
    assert tool["chars"] > 50 and tool["tokens"] is None
    assert any("broken" in w and "properties of 'broken' must be a mapping" in w for w in report["warnings"])
    assert main(["specs", "inspect", "pack", "--tokenizer", "none"]) == 0
    assert "113 tools from pack" in capsys.readouterr().out
