"""A deterministic stand-in backend for fast tests of role-play and verification logic.

Real engines are tested in test_backends.py / test_vllm_backends.py; these tests are about what the
pipeline does with model output, so the "model" here answers from a script.
"""

from inftool_hf.backends import Generation
from inftool_hf.tool_calls import parse_tool_calls


class ScriptedBackend:
    name = "scripted"
    model_name = "scripted-test-model"

    def __init__(self, reply="All done, the request went through fine.", script=None):
        self.reply = reply
        self.script = script  # optional callable(messages, tools) -> raw text
        self.calls = 0

    def generate(self, conversations, tools=None, sampling=None):
        self.calls += 1
        tools = tools or [None] * len(conversations)
        out = []
        for messages, conv_tools in zip(conversations, tools, strict=False):
            text = self.script(messages, conv_tools) if self.script else self.reply
            parsed = parse_tool_calls(text, conv_tools)
            out.append(Generation(message=parsed.as_message(), raw_text=text, parse_error=parsed.parse_error,
                                  completion_tokens=len(text.split())))
        return out

    async def agenerate(self, conversations, tools=None, sampling=None):
        return self.generate(conversations, tools, sampling)

    def close(self):
        pass


def reporting_answer(messages):
    """A final answer that repeats the first plain value of the last tool result (what a faithful answer does)."""
    import json

    def first(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                found = first(v, k)
                if found:
                    return found
        elif isinstance(node, list):
            for item in node:
                found = first(item, key)
                if found:
                    return found
        elif isinstance(node, (str, int, float)) and not isinstance(node, bool):
            return f"the {key.replace('_', ' ')} is {node}"
        return None

    found = first(json.loads(messages[-1]["content"]))
    return f"Done: {found}." if found else "Done: everything went through."


def ids_from_files(folder):
    """Row ids of a published folder, read straight from its parquet files (no datasets cache, which keys a
    folder by name and card only and could hand back another run's rows)."""
    from pathlib import Path

    import pyarrow.parquet as pq

    files = sorted((Path(folder) / "data").glob("*.parquet"))
    assert files, f"no parquet files under {folder}/data"
    return [i for file in files for i in pq.read_table(file, columns=["id"]).column("id").to_pylist()]
