import os

from inftool_hf.generate import GenerateConfig, generate
from inftool_hf.sources.python_tools import load_python_tools, run_implementation
from inftool_hf.synth.roleplay import RolePlayConfig
from inftool_hf.synth.scenarios import ScenarioConfig
from inftool_hf.synth.simulator import ToolSimulator
from tests import toy_tools
from tests.fakes import ScriptedBackend


def test_module_tools_and_real_execution():
    load, implementations = load_python_tools("tests.toy_tools", domain="toys")
    assert {t.name for t in load.tools} == {"toy_convert_length", "toy_sleep", "toy_fail", "toy_write_note"}
    server = ToolSimulator({t.name: t for t in load.tools}, implementations=implementations)
    assert server.execute("toy_convert_length", {"value": 2.5, "unit": "cm"}) == {"converted": 250.0, "unit": "cm"}
    assert server.execute("toy_convert_length", {"value": "x", "unit": "cm"})["error"] == "invalid arguments"
    assert server.execute("toy_fail", {"reason": "boom"}) == {"error": "ValueError: boom"}


def test_timeout_and_working_directory():
    timed_out = run_implementation(toy_tools.toy_sleep, {"seconds": 5}, timeout=0.5)
    assert timed_out == {"error": "tool timed out after 0.5s"}
    result = run_implementation(toy_tools.toy_write_note, {"text": "hi"})
    assert "inftool-tool-" in result["path"] and not os.path.exists(result["path"])  # temp dir, removed
    assert not os.path.exists("note.txt")


def test_role_play_with_a_real_python_server(tmp_path):
    config = GenerateConfig(name="py", output_dir=str(tmp_path), specs=["python:tests.toy_tools"],
                            scenarios=ScenarioConfig(num_scenarios=6, seed=2, category_mix={"simple": 1}),
                            roleplay=RolePlayConfig(), decontaminate=False)
    verified = generate(config, backend=ScriptedBackend(), progress=False)
    rows = list(verified["train"]) + list(verified["rejected"])
    tool_results = [m["content"] for r in rows for m in r["messages"] if m["role"] == "tool"]
    assert tool_results
    convert = [r for r in rows if "toy_convert_length" in r["tools"]]
    for row in convert:
        call = next(m for m in row["messages"] if m["tool_calls"])["tool_calls"][0]["function"]
        result = next(m for m in row["messages"] if m["role"] == "tool")["content"]
        assert '"converted"' in result or '"error"' in result, (call, result)


def big_result(size: int) -> dict:
    """A result larger than the pipe buffer.

    Args:
        size: characters
    """
    return {"text": "x" * size}


def test_result_larger_than_the_pipe_buffer_comes_back():
    from inftool_hf.sources.python_tools import run_implementation

    result = run_implementation(big_result, {"size": 300_000}, timeout=20)
    assert result == {"text": "x" * 300_000}  # joined before reading, this deadlocked and read as a timeout
