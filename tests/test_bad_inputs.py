"""Every bad input a new user tried: one line that names the problem and the place, exit code 2, and no
engine started. ``python tests/test_bad_inputs.py`` rewrites the table in docs/bad_inputs.md from these cases."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

GOOD = {"specs": ["pack"], "scenarios": {"num_scenarios": 4}, "backend": {"backend": "transformers"}}


def _recipe(**changes):
    data = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if value is _DROP:
            node.pop(last, None)
        else:
            node[last] = value
    return {"generate": data}


_DROP = object()

# (case, recipe or file setup, extra CLI args, expected text in the one-line message)
CASES = [
    ("specs: []", _recipe(specs=[]), [], "specs: give at least one spec"),
    ("specs written as a string", _recipe(specs="pack"), [], "specs: expected list"),
    ("specs: a missing file", _recipe(specs=["nowhere.yaml"]), [], "'nowhere.yaml' does not exist"),
    ("specs: an empty folder", _recipe(specs=["{tmp}/empty_dir"]), [], "holds no .yaml, .yml or .json file"),
    ("specs: a number", _recipe(specs=[123]), [], "specs: expected list"),
    ("specs: a 0-byte file", _recipe(specs=["{tmp}/zero.yaml"]), [], "empty file (0 bytes)"),
    ("specs: YAML inside a .json file", _recipe(specs=["{tmp}/yaml_inside.json"]), [], "rename it to .yaml"),
    ("specs: invalid YAML", _recipe(specs=["{tmp}/broken.yaml"]), [], "invalid YAML"),
    ("num_scenarios: sixteen", _recipe(**{"scenarios.num_scenarios": "sixteen"}), [],
     "num_scenarios: expected int, got str 'sixteen'"),
    ("--num-scenarios -5", _recipe(), ["--num-scenarios", "-5"], "num_scenarios must be >= 1, got -5"),
    ("num_scenarios: 0", _recipe(**{"scenarios.num_scenarios": 0}), [], "num_scenarios must be >= 1"),
    ("shard_size: \"64\"", _recipe(**{"roleplay.shard_size": "64"}), [], "shard_size: expected int, got str '64'"),
    ("temperature: zero", _recipe(**{"roleplay.sampling.temperature": "zero"}), [],
     "temperature: expected float, got str 'zero'"),
    ("sampling.max_new_tokens: 0", _recipe(**{"roleplay.sampling.max_new_tokens": 0}), [],
     "max_new_tokens must be >= 1"),
    ("sampling.top_p: 2", _recipe(**{"roleplay.sampling.top_p": 2}), [], "top_p must be in (0, 1]"),
    ("a misspelt key", _recipe(**{"scenarios.num_scenario": 4}), [], "unknown key(s) 'num_scenario'"),
    ("a misspelt section", _recipe(roleplai={}), [], "unknown key(s) 'roleplai'"),
    ("roleplay.assistant: teacher", _recipe(**{"roleplay.assistant": "teacher"}), [],
     "roleplay.assistant must be one of"),
    ("roleplay.server: mcp without a target", _recipe(**{"roleplay.server": "mcp"}), [], "needs roleplay.mcp_target"),
    ("roleplay.concurrency: 0", _recipe(**{"roleplay.concurrency": 0}), [], "roleplay.concurrency must be >= 1"),
    ("roleplay.max_assistant_turns: 0", _recipe(**{"roleplay.max_assistant_turns": 0}), [], "must be >= 1"),
    ("backend: gpt", _recipe(**{"backend.backend": "gpt"}), [], "backend must be one of"),
    ("backend openai without base_urls", _recipe(**{"backend.backend": "openai"}), [],
     "backend 'openai' needs at least one entry in base_urls"),
    ("--backend openai without base_urls", _recipe(), ["--backend", "openai"], "needs at least one entry in base_urls"),
    ("backend.batch_size: 0", _recipe(**{"backend.batch_size": 0}), [], "batch_size must be >= 1"),
    ("backend.dtype: bf16", _recipe(**{"backend.dtype": "bf16"}), [],
     "backend.dtype must be one of auto, bfloat16, float16, float32; got 'bf16'"),
    ("category_mix: a misspelt category", _recipe(**{"scenarios.category_mix": {"simpel": 1}}), [],
     "unknown categories ['simpel']"),
    ("category_mix: all zero", _recipe(**{"scenarios.category_mix": {"simple": 0}}), [], "at least one category"),
    ("category_mix: a word as weight", _recipe(**{"scenarios.category_mix": {"simple": "high"}}), [],
     "category_mix: expected dict"),
    ("optional_rate: 2", _recipe(**{"scenarios.optional_rate": 2}), [], "optional_rate must be between 0 and 1"),
    ("distractors: -1", _recipe(**{"scenarios.distractors": -1}), [], "distractors must be >= 0"),
    ("judge: \"yes\"", _recipe(judge="yes"), [], "judge: expected bool"),
    ("name with a slash", _recipe(name="a/b"), [], "name: must be a folder name"),
    ("recipe file missing", None, ["--recipe", "{tmp}/missing.yaml"], "recipe not found"),
    ("recipe is not YAML", "{tmp}/not_yaml.yaml", [], "not valid YAML"),
    ("recipe is a list", "{tmp}/list.yaml", [], "top level must be a mapping"),
]
OTHER_COMMANDS = [
    ("train --dataset /missing/path", ["train", "--dataset", "/missing/path"], "no such folder"),
    ("eval --suite heldout --dataset /missing/path", ["eval", "--suite", "heldout", "--dataset", "/missing/path"],
     "no such folder"),
    ("eval --suite heldout without --dataset", ["eval", "--suite", "heldout"], "--suite heldout needs --dataset"),
    ("audit /missing/path", ["audit", "/missing/path"], "no such folder"),
    ("chat --tools missing.json", ["chat", "hi", "--tools", "{tmp}/missing.json"], "tools file not found"),
    ("loop --recipe missing.yaml", ["loop", "--recipe", "{tmp}/missing.yaml"], "recipe not found"),
    ("loop: a key the loop sets every round", ["loop", "--recipe", "recipes/loop_cpu.yaml", "--run-dir",
     "{tmp}/run", "--set", "generate.replay_failures=false"], "generate.replay_failures is set by the loop"),
]


def _files(tmp: Path) -> None:
    (tmp / "empty_dir").mkdir(exist_ok=True)
    (tmp / "zero.yaml").write_bytes(b"")
    (tmp / "yaml_inside.json").write_text("tools:\n  - name: f\n    description: d\n")
    (tmp / "broken.yaml").write_text("tools: [\n  - {name: f\n")
    (tmp / "not_yaml.yaml").write_text("generate: [unclosed\n")
    (tmp / "list.yaml").write_text("- generate\n")


def _run(argv: list[str], monkeypatch, capsys) -> tuple[int, str]:
    import inftool_hf.backends as backends
    from inftool_hf.cli import main

    def no_engine(*args, **kwargs):
        raise AssertionError("an engine was started before the input was checked")

    monkeypatch.setattr(backends, "make_backend", no_engine)
    code = main(argv)
    return code, capsys.readouterr().err.strip()


def _generate_argv(case, tmp: Path) -> list[str]:
    _, recipe, extra, _ = case
    _files(tmp)
    argv = ["generate", "--output-dir", str(tmp / "out")]
    if isinstance(recipe, dict):
        path = tmp / "recipe.yaml"
        path.write_text(json.dumps(recipe).replace("{tmp}", str(tmp)))
        argv += ["--recipe", str(path)]
    elif isinstance(recipe, str):
        argv += ["--recipe", recipe.replace("{tmp}", str(tmp))]
    return argv + [a.replace("{tmp}", str(tmp)) for a in extra]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_recipe_or_flag_is_one_clear_line(case, tmp_path, monkeypatch, capsys):
    code, err = _run(_generate_argv(case, tmp_path), monkeypatch, capsys)
    assert code == 2, err
    assert case[3] in err and err.count("\n") == 0 and "Traceback" not in err, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.parquet"))  # nothing half-made


@pytest.mark.parametrize("case", OTHER_COMMANDS, ids=[c[0] for c in OTHER_COMMANDS])
def test_bad_path_for_other_commands_is_one_clear_line(case, tmp_path, monkeypatch, capsys):
    _files(tmp_path)
    code, err = _run([a.replace("{tmp}", str(tmp_path)) for a in case[1]], monkeypatch, capsys)
    assert code == 2 and case[2] in err and err.count("\n") == 0, err


def test_unexpected_errors_show_their_cause(tmp_path, monkeypatch, capsys):
    """Not our error (a CUDA or library failure): exit 1, the exception type and message, the traceback in a file;
    --debug raises it."""
    import inftool_hf.generate as generate
    from inftool_hf.cli import main

    def boom(*args, **kwargs):
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setenv("INFTOOL_HF_HOME", str(tmp_path))
    monkeypatch.setattr(generate, "generate", boom)
    assert main(["generate"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: CUDA error: device-side assert triggered" in err
    log = tmp_path / "logs" / "last-error.log"
    assert "Traceback" in log.read_text() and str(log) in err
    with pytest.raises(RuntimeError, match="CUDA"):
        main(["--debug", "generate"])


def test_a_rerun_with_another_recipe_never_republishes_old_rows(tmp_path):
    """Same name, other specs and count: the old work folder is moved aside (kept), the new rows are the new
    recipe's, and the card names the new sources."""
    from inftool_hf.generate import GenerateConfig, generate
    from inftool_hf.verify.trajectories import load_hub_folder
    from tests.fakes import ScriptedBackend

    weather = tmp_path / "weather.tools.yaml"
    from inftool_hf.sources.specs import spec_pack_dir

    weather.write_text((spec_pack_dir() / "weather.tools.yaml").read_text())
    first = GenerateConfig(name="same", output_dir=str(tmp_path), specs=["pack"], decontaminate=False)
    first.scenarios.num_scenarios = 9
    generate(first, backend=ScriptedBackend(), progress=False)
    second = GenerateConfig(name="same", output_dir=str(tmp_path), specs=[str(weather)], decontaminate=False)
    second.scenarios.num_scenarios = 5
    generate(second, backend=ScriptedBackend(), progress=False)
    data = load_hub_folder(tmp_path / "same")
    rows = [r for split in data.values() for r in split]
    assert len(rows) == 5 and {r["domain"] for r in rows} <= {"weather", ""}
    assert (tmp_path / "same" / "work.replaced-1" / "shards").is_dir()  # the old work is kept, never reused
    assert "weather.tools.yaml" in (tmp_path / "same" / "README.md").read_text()
    again = GenerateConfig(name="same", output_dir=str(tmp_path), specs=[str(weather)], decontaminate=False)
    again.scenarios.num_scenarios = 5
    backend = ScriptedBackend()
    generate(again, backend=backend, progress=False)
    assert backend.calls == 0 and not (tmp_path / "same" / "work.replaced-2").exists()  # same recipe: resumed


def test_a_loop_resumed_with_another_recipe_is_refused(tmp_path, monkeypatch):
    import inftool_hf.loop as loop
    from inftool_hf.configs import ConfigError

    monkeypatch.setattr(loop, "_run_bfcl", lambda *a, **k: (_ for _ in ()).throw(AssertionError("engine started")))
    first = loop.LoopConfig(run_dir=str(tmp_path / "run"))
    state = loop.LoopState(tmp_path / "run" / "state.json")
    state.data["config"] = json.loads(json.dumps(loop.asdict(first), default=str))
    state.save()
    changed = loop.LoopConfig(run_dir=str(tmp_path / "run"), shift=2.0)
    with pytest.raises(ConfigError, match="started with another recipe.*shift"):
        loop.run_loop(changed)
    older = json.loads(state.path.read_text())  # a state written before a config field existed still resumes
    del older["config"]["generate"]["scenarios"]["max_optional"]
    state.path.write_text(json.dumps(older))
    more = loop.LoopConfig(run_dir=str(tmp_path / "run"), iterations=5)  # more iterations is a resume, not a change
    with pytest.raises(AssertionError, match="engine started"):
        loop.run_loop(more)


def test_the_cli_runs_as_a_module():
    """``python -m inftool_hf.cli`` is what torchrun and accelerate launch."""
    import subprocess

    result = subprocess.run([sys.executable, "-m", "inftool_hf.cli", "eval", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "--suite" in result.stdout, result.stderr[-500:]


def _table() -> str:
    import tempfile
    from contextlib import redirect_stderr
    from io import StringIO

    import inftool_hf.backends as backends
    from inftool_hf.cli import main

    backends.make_backend = lambda *a, **k: (_ for _ in ()).throw(AssertionError("engine started"))
    lines = ["| input | exit code | message |", "| --- | ---: | --- |"]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        # each case runs right after its recipe is written (they share the file name)
        runs = [(c[0], lambda c=c: _generate_argv(c, tmp)) for c in CASES]
        runs += [(c[0], lambda c=c: (_files(tmp), [a.replace("{tmp}", str(tmp)) for a in c[1]])[1])
                 for c in OTHER_COMMANDS]
        for name, argv in runs:
            err = StringIO()
            with redirect_stderr(err):
                code = main(argv())
            message = err.getvalue().strip().replace(folder, "<tmp>").replace("|", "/")
            lines.append(f"| {name.replace('|', '/')} | {code} | `{message}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    out = Path(__file__).parent.parent / "docs" / "bad_inputs.md"
    table = _table()
    out.write_text("# Bad input: what the user sees\n\nWritten by `.venv/bin/python tests/test_bad_inputs.py` from the "
                   "cases that `tests/test_bad_inputs.py` asserts (each: exit code 2, one line, no engine started).\n\n"
                   + table)
    sys.stdout.write(table)
