"""Reliability and security: broken and hostile specs, crashes, sandboxed tools, no eval, no leaked tokens."""

import ast
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from inftool_hf.sources.python_tools import run_implementation
from inftool_hf.sources.specs import SpecError, load_spec, load_specs

ROOT = Path(__file__).parent.parent
CORPUS = ROOT / "tests" / "data" / "broken_specs"
EXPECTED = yaml.safe_load((ROOT / "tests" / "data" / "broken_specs_expected.yaml").read_text())


def test_corpus_is_complete():
    files = sorted(p.name for p in CORPUS.iterdir())
    assert len(files) >= 30 and files == sorted(EXPECTED)


PROBE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))   # memory stays bounded, or this dies
from inftool_hf.sources.specs import SpecError, load_spec
out = {}
for name in sys.argv[2:]:
    started = time.monotonic()
    try:
        load = load_spec(sys.argv[1] + "/" + name)
        out[name] = {"outcome": "partial" if load.warnings else "loaded", "text": " | ".join(load.warnings),
                     "tools": [t.to_row() for t in load.tools]}
    except SpecError as error:
        out[name] = {"outcome": "error", "text": str(error)}
    except BaseException as error:
        out[name] = {"outcome": "crash", "text": f"{type(error).__name__}: {error}"[:500]}
    out[name]["seconds"] = time.monotonic() - started
print(json.dumps(out))
"""


def _probe(folder: Path, names: list[str]) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, str(folder), *names], capture_output=True, text=True,
                            timeout=300)  # a hang fails the test instead of the CI run
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_every_broken_spec_gives_a_clear_error_or_a_documented_skip():
    results = _probe(CORPUS, sorted(EXPECTED))
    for name, expected in EXPECTED.items():
        got = results[name]
        assert got["outcome"] == expected["outcome"], (name, got["text"][:300])
        if expected["outcome"] == "error":
            assert name in got["text"], f"{name}: the error must name the file: {got['text'][:200]}"
        if "match" in expected:
            assert expected["match"] in got["text"], (name, got["text"][:300])
    # documented behaviour of the files that load
    injected = results["prompt_injection_description.yaml"]["tools"][0]
    assert "IGNORE ALL PREVIOUS INSTRUCTIONS" in injected["description"]  # kept as data, nothing else happens
    assert len(results["huge_description.json"]["tools"][0]["description"]) <= 1024
    assert "$ref" not in results["http_ref_not_fetched.yaml"]["tools"][0]["parameters"]
    assert not Path("/tmp/inftool-pwned").exists()


def test_oversized_and_very_large_specs(tmp_path):
    big = tmp_path / "fifty_megabytes.json"
    with open(big, "w") as handle:  # 50 MB: refused by size before parsing
        handle.write('[{"name": "f", "description": "')
        handle.write("x" * (50 * 2**20))
        handle.write('", "parameters": {"type": "object"}}]')
    many = {"openapi": "3.0.0", "info": {"title": "many", "version": "1"}, "paths": {
        f"/items{i}": {"get": {"operationId": f"get_item_{i}", "parameters": [
            {"name": "id", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}}}
        for i in range(3000)}}
    (tmp_path / "three_thousand_operations.json").write_text(json.dumps(many))
    results = _probe(tmp_path, ["fifty_megabytes.json", "three_thousand_operations.json"])
    assert results["fifty_megabytes.json"]["outcome"] == "error"
    assert "the limit is 32 MiB" in results["fifty_megabytes.json"]["text"]
    assert results["three_thousand_operations.json"]["outcome"] == "loaded"
    assert len(results["three_thousand_operations.json"]["tools"]) == 3000


def test_a_folder_with_broken_files_stops_at_the_first_and_names_it():
    with pytest.raises(SpecError) as caught:
        load_specs([CORPUS])
    assert str(CORPUS) in str(caught.value)
    assert load_spec(CORPUS / "duplicate_operation_ids.yaml").tools  # partial files still give their good tools


# --- Python tool implementations are confined ------------------------------------------------------------

def _write_outside(path: str) -> dict:
    with open(path, "w") as handle:
        handle.write("escaped")
    return {"wrote": path}


def _write_inside() -> dict:
    with open("scratch.txt", "w") as handle:
        handle.write("fine")
    os.makedirs("sub", exist_ok=True)
    os.rename("scratch.txt", "sub/scratch.txt")
    return {"ok": os.path.exists("sub/scratch.txt")}


def _remove(path: str) -> dict:
    os.remove(path)
    return {"removed": path}


def _shell() -> dict:
    os.system("touch /tmp/inftool-shell-ran")
    return {}


def _subprocess() -> dict:
    subprocess.run(["true"], check=True)
    return {}


def _network() -> dict:
    import socket

    socket.create_connection(("127.0.0.1", 9), timeout=1)
    return {}


def _udp_send() -> dict:
    import socket

    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9))
    return {}


def _ctypes_libc() -> dict:
    import ctypes

    ctypes.CDLL(None).getpid()
    return {}


def _spin() -> dict:
    while True:
        pass


def test_python_tools_write_only_in_their_temp_dir_and_cannot_run_programs(tmp_path):
    outside = tmp_path / f"outside-{uuid.uuid4().hex}.txt"
    refused = run_implementation(_write_outside, {"path": str(outside)})
    assert "PermissionError" in refused["error"] and not outside.exists()
    victim = tmp_path / "keep.txt"
    victim.write_text("keep")
    assert "PermissionError" in run_implementation(_remove, {"path": str(victim)})["error"] and victim.exists()
    assert run_implementation(_write_inside, {}) == {"ok": True}
    assert "PermissionError" in run_implementation(_shell, {})["error"]
    assert not Path("/tmp/inftool-shell-ran").exists()
    assert "PermissionError" in run_implementation(_subprocess, {})["error"]
    assert "PermissionError" in run_implementation(_network, {})["error"]
    assert "PermissionError" in run_implementation(_udp_send, {})["error"]  # no socket at all, not only connect
    assert "PermissionError" in run_implementation(_ctypes_libc, {})["error"]  # the usual way around audit hooks
    assert run_implementation(_spin, {}, timeout=0.5) == {"error": "tool timed out after 0.5s"}


# --- nothing evaluates model output or spec text -----------------------------------------------------------

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile"}
FORBIDDEN_ATTRIBUTES = {("pickle", "loads"), ("pickle", "load"), ("marshal", "loads"), ("yaml", "load"),
                        ("yaml", "unsafe_load"), ("os", "system"), ("os", "popen")}


def _python_sources() -> list[Path]:
    return sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "spaces").rglob("*.py"), *(ROOT / "notebooks").glob("*.py"),
                   *(ROOT / "benchmarks").rglob("*.py")])


def unsafe_calls(paths: list[Path]) -> list[str]:
    offenders = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            if isinstance(function, ast.Name) and function.id in FORBIDDEN_CALLS:
                offenders.append(f"{path.name}:{node.lineno} {function.id}()")
            if (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                    and (function.value.id, function.attr) in FORBIDDEN_ATTRIBUTES):
                offenders.append(f"{path.name}:{node.lineno} {function.value.id}.{function.attr}()")
            for keyword in node.keywords:  # subprocess(..., shell=True)
                if keyword.arg == "shell" and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                    offenders.append(f"{path.name}:{node.lineno} shell=True")
    return offenders


def test_no_eval_exec_or_unsafe_loaders_anywhere_in_the_code():
    sources = _python_sources()
    assert len(sources) > 30
    assert unsafe_calls(sources) == []


def test_the_scan_catches_what_it_looks_for(tmp_path):
    planted = tmp_path / "bad.py"
    planted.write_text("x = eval(input())\nimport os\nos.system('ls')\nimport subprocess\n"
                       "subprocess.run('ls', shell=True)\nexec('1')\n")
    assert unsafe_calls([planted]) == ["bad.py:1 eval()", "bad.py:3 os.system()", "bad.py:5 shell=True",
                                       "bad.py:6 exec()"]


# --- Hub tokens never leak -------------------------------------------------------------------------------

SECRET = "hf_" + "SeCrEt" * 6


class LeakyHfApi:
    """A Hub client whose failure message carries the token (as some HTTP errors echo headers)."""

    def __init__(self, token=None):
        self.token = token or os.environ.get("HF_TOKEN")

    def create_repo(self, **kwargs):
        return None

    def upload_folder(self, **kwargs):
        raise RuntimeError(f"401 Unauthorized for Authorization: Bearer {self.token}")


def test_tokens_never_reach_logs_reports_cards_or_exceptions(tmp_path, monkeypatch, caplog, capsys):
    import huggingface_hub

    from inftool_hf.configs import config_from_dict
    from inftool_hf.generate import GenerateConfig, generate
    from inftool_hf.hub import PublishError
    from inftool_hf.train.trainer import push_adapter
    from tests.fakes import ScriptedBackend

    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setattr(huggingface_hub, "HfApi", LeakyHfApi)
    config = config_from_dict(GenerateConfig, {"name": "leak", "output_dir": str(tmp_path), "decontaminate": False,
                                               "hub_repo_id": "someone/leak", "scenarios": {"num_scenarios": 6}})
    caplog.set_level("DEBUG")
    with pytest.raises(PublishError) as caught:
        generate(config, backend=ScriptedBackend(), progress=False)
    assert SECRET not in str(caught.value) and "***" in str(caught.value)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    with pytest.raises(PublishError) as caught_adapter:
        push_adapter(adapter, tmp_path, "someone/adapter", api=LeakyHfApi(SECRET))
    assert SECRET not in str(caught_adapter.value)
    printed = capsys.readouterr()
    assert SECRET not in caplog.text + printed.out + printed.err
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file


# --- crash safety: kill -9 in the middle of generation ----------------------------------------------------

@pytest.mark.slow
def test_generation_killed_mid_shard_resumes_without_duplicates_or_gaps(tmp_path):
    command = [sys.executable, "-m", "tests.crash_generate", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shards = tmp_path / "crash" / "work" / "shards"
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.time() + 300
    try:
        while len(list(shards.glob("shard-*.parquet"))) < 2:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.time() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = sorted(p.name for p in shards.glob("shard-*.parquet"))
    assert 2 <= len(before) < 8, "killed too late to test anything"
    mtimes = {p.name: p.stat().st_mtime_ns for p in shards.glob("shard-*.parquet")}

    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    from tests.fakes import ids_from_files

    ids = ids_from_files(tmp_path / "crash")
    assert len(ids) == len(set(ids)) == 24
    assert {p.name: p.stat().st_mtime_ns for p in shards.glob("shard-*.parquet") if p.name in mtimes} == mtimes
    assert len(list(shards.glob("shard-*.parquet"))) == 8


def test_memory_limit_in_probe_is_real():
    """The corpus probe's RLIMIT_AS bound actually bites (so 'memory stays bounded' means something)."""
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30)); "
            "x = bytearray(3 * 2**30)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "MemoryError" in result.stderr
