"""A loop run released the Hub way: the offline folders load as their users expect, the pushes are the commits a
Hub would get (recorded, never live), and the loop publishes as it goes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inftool_hf.configs import ConfigError
from inftool_hf.hub import PublishError
from inftool_hf.release import HubConfig, build_release, push_release, run_id
from tests.fakes import RecordingHfApi, ScriptedBackend
from tests.serving import free_port, wait_until_listening

ROOT = Path(__file__).resolve().parents[1]
DEV_POINTS = [f"dev-{i}#0" for i in range(40)]
RIGHT = {0: 10, 1: 24, 2: 18}  # dev points right per iteration: iteration 2 does not beat iteration 1


def _dev_report(k):
    correct = RIGHT[k]
    half = len(DEV_POINTS) // 2
    simple, irrelevance = min(correct, half), max(0, correct - half)
    return {"categories": {"simple": {"total": half, "correct": simple, "accuracy": simple / half, "failed_gate": {}},
                           "irrelevance": {"total": half, "correct": irrelevance, "accuracy": irrelevance / half,
                                           "failed_gate": {}}},
            "points": len(DEV_POINTS), "accuracy": correct / len(DEV_POINTS),
            "outcomes": {p: int(i < correct) for i, p in enumerate(DEV_POINTS)},
            "point_categories": {p: "simple" if i < half else "irrelevance" for i, p in enumerate(DEV_POINTS)},
            "failures": []}


def tiny_checkpoint(folder, tokenizer_from):
    """A real (random, 1-layer) Llama checkpoint with the default model's tokenizer and tool chat template."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_from)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def run_tiny_loop(monkeypatch, run_dir, tokenizer_from, hub=None, events=None):
    """The real loop (generation, state, gaps, report) with a scripted assistant, a tiny checkpoint for training
    and fixed scores for evaluation."""
    import inftool_hf.generate as generate_module
    import inftool_hf.loop as loop
    from inftool_hf.generate import GenerateConfig
    from inftool_hf.synth.roleplay import RolePlayConfig
    from inftool_hf.synth.scenarios import ScenarioConfig

    events = events if events is not None else []
    real_generate = generate_module.generate

    def scripted_generate(gen, progress=True):
        events.append(("generate", gen.name))
        return real_generate(gen, backend=ScriptedBackend(reply="Sorry, that did not work."), progress=False)

    def fake_train(config, dataset, dataset_name, measure):
        events.append(("train", dataset_name))
        merged = tiny_checkpoint(Path(config.output_dir) / "merged", tokenizer_from)
        return {"merged": str(merged), "adapter": None, "metrics": {"data": {"sft": {"rows": 9, "steps": 3}}}}

    scored = []
    monkeypatch.setattr(generate_module, "generate", scripted_generate)
    monkeypatch.setattr(loop, "train_in_child", fake_train)
    monkeypatch.setattr(loop, "_run_bfcl", lambda config, model, out, full=False, engine=None: {
        "categories": {"simple_python": {"accuracy": 0.25}, "parallel": {"accuracy": 0.05},
                       "irrelevance": {"accuracy": 0.7}}, "summary": {"non_live_ast_mean": 0.15}, "limit": 2})
    monkeypatch.setattr(loop, "_run_dev", lambda config, engine, folder: scored.append(1) or _dev_report(
        len(scored) - 1))
    config = loop.LoopConfig(
        name="rel", run_dir=str(run_dir), iterations=2, heldout_eval=False, dev_domains=["weather"], dev_scenarios=8,
        generate=GenerateConfig(scenarios=ScenarioConfig(num_scenarios=14, seed=3), roleplay=RolePlayConfig(
            shard_size=7)), hub=hub or HubConfig())
    return loop.run_loop(config, progress=False)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, default_model_path):
    run_dir = tmp_path_factory.mktemp("run") / "rel"
    with pytest.MonkeyPatch.context() as monkeypatch:
        state = run_tiny_loop(monkeypatch, run_dir, default_model_path)
    return run_dir, state


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A stand-in wheel file (building the real one is the Space test's job)."""
    path = tmp_path_factory.mktemp("wheel") / "inftool_hf-0.1.0-py3-none-any.whl"
    path.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return path


@pytest.fixture(scope="module")
def released(finished_run, tmp_path_factory, wheel):
    run_dir, state = finished_run
    out = tmp_path_factory.mktemp("release")
    hub = HubConfig(dataset_repo="you/rel-data", model_repo="you/rel-model", space_repo="you/rel-space")
    manifest = build_release(run_dir, out, hub, wheel=wheel)
    return out, manifest, state


def test_every_iteration_is_a_config_that_loads_by_name(released):
    from datasets import load_dataset

    out, manifest, state = released
    assert manifest["iterations"] == [1, 2] and manifest["run_id"] == run_id(state)
    for k in (1, 2):
        rows = load_dataset(str(out / "dataset"), f"iter{k}", split="train")
        assert len(rows) == state["iterations"][str(k)]["generate"]["stats"]["verified"] > 0
        assert set(rows["iteration"]) == {k}
    dev = load_dataset(str(out / "dataset"), "dev", split="validation")
    assert set(dev["domain"]) == {"weather"} and len(dev) == state["iterations"]["0"]["dev"]["stats"]["verified"]
    row = load_dataset(str(out / "dataset"), "iter2", split="train")[0]
    assert isinstance(row["tools"], list) and row["tools"][0]["type"] == "function"
    calls = [c for m in row["messages"] for c in m["tool_calls"] or []]
    assert not calls or isinstance(calls[0]["function"]["arguments"], dict)
    # the default config is the last iteration
    assert set(load_dataset(str(out / "dataset"), split="train")["iteration"]) == {2}


def test_the_card_lists_every_config_with_its_numbers(released):
    from huggingface_hub import DatasetCard

    out, manifest, state = released
    card = DatasetCard.load(out / "dataset" / "README.md")
    assert [c["config_name"] for c in card.data.configs] == ["iter1", "iter2", "dev"]
    assert next(c for c in card.data.configs if c["config_name"] == "iter2").get("default") is True
    text = card.text
    stats = state["iterations"]["2"]["generate"]["stats"]
    assert f"| `iter2` | {stats['verified']} / {stats['attempted']} | {100 * stats['yield_rate']:.1f}% |" in text
    assert "60.0% [44.6, 73.7]" in text  # iteration 1: 24 of 40 dev points, Wilson interval
    assert "15.0% (subset)" in text  # BFCL non-live mean, reported only
    assert "`scripted-test-model (blueprint)`" in text  # the rows' generator
    assert 'load_dataset("you/rel-data", "iter2", split="train")' in text
    assert (out / "dataset" / "report.md").exists() and (out / "dataset" / "report.png").exists()


def test_a_loaded_config_feeds_trl_sft_without_user_code(released, default_model_path, tmp_path):
    """TRL's own tokenization renders the released rows' tools and calls, arguments as objects; the stored form
    (arguments as a JSON string) would render a string instead, which is why the release converts it."""
    from datasets import load_dataset
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from inftool_hf.verify.trajectories import load_hub_folder

    out, manifest, state = released
    rows = load_dataset(str(out / "dataset"), "iter2", split="train")
    index, call = next((i, c) for i, r in enumerate(rows) for m in r["messages"] for c in m["tool_calls"] or [])
    tokenizer = AutoTokenizer.from_pretrained(default_model_path)
    trainer = SFTTrainer(model=str(out / "model" / "iter2"), processing_class=tokenizer, train_dataset=rows,
                         args=SFTConfig(output_dir=str(tmp_path / "sft"), max_steps=1, report_to=[], use_cpu=True,
                                        max_length=4096))
    text = tokenizer.decode(trainer.train_dataset[index]["input_ids"])
    rendered = json.dumps({"name": call["function"]["name"], "arguments": call["function"]["arguments"]})
    assert rendered in text
    assert rows[index]["tools"][0]["function"]["name"] in text
    stored = load_hub_folder(state["iterations"]["2"]["generate"]["dataset"], split="train")
    assert isinstance(stored[index]["tools"], str)
    stored_text = tokenizer.apply_chat_template([dict(m) for m in stored[index]["messages"]], tokenize=False,
                                                tools=json.loads(stored[index]["tools"]))
    assert rendered not in stored_text  # the string form renders "arguments": "{\"...


def test_each_iteration_is_a_model_revision_with_its_card_and_main_is_the_kept_one(released):
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM

    out, manifest, state = released
    assert manifest["kept"] == 1  # iteration 2 scored 45% < 60%: the loop kept iteration 1
    for k in (1, 2):
        model = AutoModelForCausalLM.from_pretrained(str(out / "model" / f"iter{k}"))
        assert model.config.num_hidden_layers == 1
        card = ModelCard.load(out / "model" / f"iter{k}" / "README.md")
        assert card.data.datasets == ["you/rel-data"] and card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
        assert f'from_pretrained("you/rel-model", revision="iter{k}")' in card.text
        assert f'load_dataset("you/rel-data", "iter{k}", split="train")' in card.text
    assert "| **all points** | 40 | 45.0% [30.7, 60.2] |" in ModelCard.load(out / "model" / "iter2" / "README.md").text
    main = out / "model" / "main"
    assert (main / "model.safetensors").read_bytes() == (out / "model" / "iter1" / "model.safetensors").read_bytes()
    assert "so `main` holds it too" in (main / "README.md").read_text()


def test_the_space_folder_names_both_repos(released, wheel):
    from huggingface_hub import SpaceCard

    out, manifest, state = released
    space = out / "space"
    card = SpaceCard.load(space / "README.md")
    assert card.data.datasets == ["you/rel-data"] and card.data.models == ["you/rel-model"]
    assert card.data.sdk == "gradio" and card.data.app_file == "app.py"
    assert f"./wheels/{wheel.name}" in (space / "requirements.txt").read_text()
    assert (space / "wheels" / wheel.name).exists()
    app = (space / "app.py").read_text()
    assert "'you/rel-data'" in app and "'you/rel-model'" in app


def test_push_makes_one_commit_per_iteration_and_a_redone_push_makes_none(released):
    out, manifest, state = released
    api = RecordingHfApi()
    push_release(out, api=api)
    tag = f"[inftool-hf {manifest['run_id']}]"
    dataset_commits = [c for c in api.commits if c["repo_id"] == "you/rel-data"]
    assert [c["title"] for c in dataset_commits] == [f"{tag} iter1", f"{tag} iter2"]
    assert "data/iter1/train-00000-of-00001.parquet" in dataset_commits[0]["added"]
    assert "data/dev/validation-00000-of-00001.parquet" in dataset_commits[0]["added"]
    assert {"README.md", "report.md", "report.png"} <= set(dataset_commits[1]["added"])
    assert not any(p.startswith("data/iter1") for p in dataset_commits[1]["added"])
    model_commits = [(c["revision"], c["title"]) for c in api.commits if c["repo_id"] == "you/rel-model"]
    assert model_commits == [("iter1", f"{tag} iter1"), ("iter2", f"{tag} iter2"), ("main", f"{tag} main = iter1")]
    assert api.branches == [("you/rel-model", "iter1"), ("you/rel-model", "iter2")]
    assert "model.safetensors" in api.files[("you/rel-model", "iter2")]
    assert api.repos["you/rel-space"]["space_sdk"] == "gradio"
    space_commit = next(c for c in api.commits if c["repo_id"] == "you/rel-space")
    assert {"app.py", "README.md", "requirements.txt"} <= set(space_commit["added"])
    before = len(api.commits)
    push_release(out, api=api)
    assert len(api.commits) == before  # everything is already there: no commit is made twice


def test_an_interrupted_push_is_redone_without_duplicates_and_the_token_never_shows(released):
    out, manifest, state = released
    secret = "hf_abcdefghijklmnopqrstuvwxyz0123"
    api = RecordingHfApi(fail_commit={2}, token_in_error=secret)
    with pytest.raises(PublishError) as error:
        push_release(out, api=api, token=secret)
    assert secret not in str(error.value) and "connection reset" in str(error.value)
    assert [c["title"].split("] ")[1] for c in api.commits] == ["iter1"]
    api.fail_commit = set()
    push_release(out, api=api, token=secret)
    titles = [(c["repo_id"], c["revision"], c["title"].split("] ")[1]) for c in api.commits]
    assert titles.count(("you/rel-data", "main", "iter1")) == 1
    assert titles.count(("you/rel-data", "main", "iter2")) == 1


def test_a_changed_recipe_replaces_the_old_runs_rows(released, tmp_path):
    out, manifest, state = released
    api = RecordingHfApi()
    push_release(out, api=api)
    stale = "data/iter3/train-00000-of-00001.parquet"  # an iteration of an earlier run with another recipe
    api.files[("you/rel-data", "main")].add(stale)
    other = tmp_path / "other"
    shutil.copytree(out, other)
    changed = json.loads((other / "release.json").read_text())
    changed["run_id"] = "0123456789"
    (other / "release.json").write_text(json.dumps(changed))
    push_release(other, api=api, space=False)
    first = next(c for c in api.commits if c["title"] == "[inftool-hf 0123456789] iter1")
    assert stale in first["deleted"] and stale not in api.files[("you/rel-data", "main")]


def test_bad_inputs_name_the_problem(tmp_path, finished_run):
    with pytest.raises(FileNotFoundError, match="no state.json"):
        build_release(tmp_path / "nowhere", tmp_path / "out")
    with pytest.raises(ConfigError, match="loop.hub.model_repo: 'not a repo' is not a Hub repo id"):
        HubConfig(model_repo="not a repo")
    from inftool_hf.configs import config_from_dict
    from inftool_hf.loop import LoopConfig

    with pytest.raises(ConfigError, match=r"\[loop\]\.hub: unknown key\(s\) .dataset_rep."):
        config_from_dict(LoopConfig, {"hub": {"dataset_rep": "a/b"}}, "recipe.yaml [loop]")
    run_dir, _ = finished_run
    # a run made with a relative run_dir from another working directory, then moved: its paths are found again
    moved = tmp_path / "moved"
    shutil.copytree(run_dir, moved)
    text = (moved / "state.json").read_text().replace(str(run_dir), "runs/rel")
    (moved / "state.json").write_text(text)
    assert build_release(moved, tmp_path / "out-moved", space=False)["iterations"] == [1, 2]
    shutil.rmtree(moved / "iter1" / "train" / "merged")
    with pytest.raises(FileNotFoundError, match="runs/rel/iter1/train/merged, which is not there"):
        build_release(moved, tmp_path / "out", space=False)
    state = json.loads((moved / "state.json").read_text())
    del state["iterations"]["1"]["gaps"], state["iterations"]["2"]
    (moved / "state.json").write_text(json.dumps(state))
    with pytest.raises(ConfigError, match="no finished iteration"):
        build_release(moved, tmp_path / "out")


def test_offline_release_from_the_command_line(finished_run, tmp_path, wheel, capsys):
    from inftool_hf.cli import main

    run_dir, state = finished_run
    out = tmp_path / "release"
    assert main(["release", str(run_dir), "--output", str(out), "--wheel", str(wheel)]) == 0
    printed = capsys.readouterr().out
    assert f'load_dataset("{out / "dataset"}", "iter2", split="train")' in printed
    assert f"cd {out / 'space'} && python app.py" in printed
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM

    assert len(load_dataset(str(out / "dataset"), "iter1", split="train")) > 0
    # offline, the card's own line loads the model: the model folder with the iteration as subfolder
    card = (out / "model" / "iter2" / "README.md").read_text()
    assert f'from_pretrained("{(out / "model").resolve()}", subfolder="iter2")' in card
    assert AutoModelForCausalLM.from_pretrained(str((out / "model").resolve()), subfolder="iter2") is not None
    assert main(["release", str(run_dir), "--output", str(out), "--push"]) == 2  # no repo named: one-line error


def test_the_loop_publishes_each_iteration_as_it_finishes(monkeypatch, tmp_path, default_model_path):
    import huggingface_hub

    api = RecordingHfApi()
    events = []
    original = api.create_commit

    def recording_commit(**kwargs):
        events.append(("commit", kwargs["repo_id"], kwargs.get("revision") or "main"))
        return original(**kwargs)

    api.create_commit = recording_commit
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda token=None: api)
    monkeypatch.setattr("inftool_hf.release.build_wheel", lambda folder: _fake_wheel(folder))
    hub = HubConfig(dataset_repo="you/loop-data", model_repo="you/loop-model", space_repo="you/loop-space")
    state = run_tiny_loop(monkeypatch, tmp_path / "run", default_model_path, hub=hub, events=events)
    order = [e[:2] if e[0] != "commit" else (e[0], e[1], e[2]) for e in events]
    first_push = order.index(("commit", "you/loop-data", "main"))
    assert order.index(("generate", "rel-iter2")) > first_push  # iteration 1 was out before round 2 began
    assert order.index(("commit", "you/loop-model", "iter1")) < order.index(("generate", "rel-iter2"))
    assert state["iterations"]["1"]["publish"]["dataset_repo"] == "you/loop-data"
    assert [c["title"].split("] ")[1] for c in api.commits if c["repo_id"] == "you/loop-data"] == ["iter1", "iter2"]
    assert any(c["repo_id"] == "you/loop-space" for c in api.commits)  # the Space, with the last iteration
    # a resumed loop pushes nothing again
    before = len(api.commits)
    run_tiny_loop(monkeypatch, tmp_path / "run", default_model_path, hub=hub)
    assert len(api.commits) == before


def _fake_wheel(folder):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "inftool_hf-0.1.0-py3-none-any.whl"
    path.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return path


@pytest.mark.slow
def test_the_released_space_starts_from_its_folder_alone(finished_run, tmp_path):
    """The offline Space folder, with the real wheel built, starts with `python app.py` run inside it and shows
    every iteration of the released dataset beside it."""
    from gradio_client import Client

    run_dir, state = finished_run
    out = tmp_path / "release"
    build_release(run_dir, out)  # no repos named: the app opens the folders beside it; the wheel is built
    space = out / "space"
    wheel = next((space / "wheels").glob("inftool_hf-*.whl"))
    assert f"./wheels/{wheel.name}" in (space / "requirements.txt").read_text()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFTOOL_SPACE_")}
    env.update(GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    log = open(tmp_path / "space.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "app.py"], cwd=space, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(process, port, tmp_path / "space.log")
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        loaded = client.predict(str(out / "dataset"), api_name="/load_dataset")
        from inftool_hf.verify.trajectories import load_hub_folder

        folders = [state["iterations"][k]["generate"]["dataset"] for k in ("1", "2")]
        folders.append(state["iterations"]["0"]["dev"]["dataset"])
        total = sum(len(split) for folder in folders for split in load_hub_folder(folder).values())
        assert f"Loaded {total} rows" in loaded[1]
        iterations = {str(choice[0] if isinstance(choice, (list, tuple)) else choice)
                      for choice in loaded[2]["choices"]}
        assert {"0", "1", "2"} <= iterations
        if shutil.which("chromium"):  # what a visitor sees: the rows of every iteration, opened at start
            from playwright.sync_api import expect, sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                                     args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1400, "height": 1200})
                page.goto(f"http://127.0.0.1:{port}/")
                expect(page.locator("#rows")).to_contain_text("it2-", timeout=60_000)
                expect(page.locator("#rows")).to_contain_text("dev-", timeout=10_000)
                browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_no_local_path_of_the_run_reaches_the_release():
    """Rows name the checkpoint that played the assistant by its folder in the run; the release names it by the
    model repo revision that holds it."""
    from inftool_hf.release import _renamed, model_names

    state = {"iterations": {"1": {"train": {"model": "runs/x/iter1/train/merged"}}, "2": {"train": {}}}}
    names = model_names(state, "you/x-model")
    assert _renamed("runs/x/iter1/train/merged (model)", names) == "you/x-model@iter1 (model)"
    assert _renamed("default (blueprint)", names) == "HuggingFaceTB/SmolLM2-135M-Instruct (blueprint)"
    assert _renamed("template", names) == "template"
