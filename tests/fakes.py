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


def calling_script(messages, tools):
    """A deterministic 'model' for ScriptedBackend / ScriptedOpenAIServer: calls the first tool shown with the last
    word the user wrote, then reports the result."""
    import json

    if messages[-1]["role"] == "tool":
        return reporting_answer(messages)
    if not tools:
        return "Here is what I found: everything went through fine."
    function = tools[0]["function"]
    first = next(iter(function["parameters"].get("properties") or {}), None)
    arguments = {first: messages[-1]["content"].split()[-1].strip(".?!")} if first else {}
    return "<tool_call>" + json.dumps({"name": function["name"], "arguments": arguments}) + "</tool_call>"


def ids_from_files(folder):
    """Row ids of a published folder, read straight from its parquet files (no datasets cache, which keys a
    folder by name and card only and could hand back another run's rows)."""
    from pathlib import Path

    import pyarrow.parquet as pq

    files = sorted((Path(folder) / "data").glob("*.parquet"))
    assert files, f"no parquet files under {folder}/data"
    return [i for file in files for i in pq.read_table(file, columns=["id"]).column("id").to_pylist()]


class ScriptedOpenAIServer:
    """An OpenAI-compatible chat server on localhost whose replies come from ``script(messages, tools)`` (text
    with ``<tool_call>`` markup, as a model writes it): the same engine for the in-process OpenAI backend and for
    datatrove's endpoint server. ``fail_after`` requests it answers HTTP 500 (a dying engine)."""

    def __init__(self, script, fail_after=None, delay=0.0):
        import asyncio
        import socket
        import threading
        import time

        import uvicorn
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.requests = 0
        self.fail_after = fail_after

        async def models(request):
            return JSONResponse({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

        async def completions(request):
            body = await request.json()
            if self.fail_after is not None and self.requests >= self.fail_after:
                return JSONResponse({"error": {"message": "engine died"}}, status_code=500)
            self.requests += 1
            await asyncio.sleep(delay)  # (a slow engine: a run can be killed while requests are in flight)
            text = script(body["messages"], body.get("tools"))
            return JSONResponse({
                "id": f"c{self.requests}", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": len(text.split()), "total_tokens": 0}})

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", completions,
                                                                    methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=5)


class RecordingHfApi:
    """The ``HfApi`` calls a push makes, kept in memory like a Hub would: repos, branches, commits (titles, the
    files each adds or deletes, the revision) and the files on each revision. ``fail_commit`` makes that many
    ``create_commit`` calls (counted from 1) raise, as an interrupted upload would."""

    def __init__(self, fail_commit=None, token_in_error=None):
        self.repos, self.branches, self.commits = {}, [], []
        self.files = {}  # (repo_id, revision) -> set of paths
        self.fail_commit = set(fail_commit or [])
        self.token_in_error = token_in_error
        self.commit_calls = 0

    def create_repo(self, repo_id, repo_type=None, private=False, exist_ok=False, space_sdk=None):
        self.repos.setdefault(repo_id, {"type": repo_type, "private": private, "space_sdk": space_sdk})
        self.files.setdefault((repo_id, "main"), {".gitattributes"})
        return f"https://huggingface.co/{repo_id}"

    def create_branch(self, repo_id, branch, repo_type=None, exist_ok=False):
        if (repo_id, branch) not in self.files:
            self.branches.append((repo_id, branch))
            self.files[(repo_id, branch)] = set(self.files[(repo_id, "main")])

    def list_repo_commits(self, repo_id, repo_type=None, revision=None):
        from types import SimpleNamespace

        revision = revision or "main"
        return [SimpleNamespace(title=c["title"]) for c in self.commits
                if c["repo_id"] == repo_id and c["revision"] == revision]

    def list_repo_files(self, repo_id, repo_type=None, revision=None):
        return sorted(self.files[(repo_id, revision or "main")])

    def create_commit(self, repo_id, operations, commit_message, repo_type=None, revision=None,
                      commit_description=None):
        from huggingface_hub import CommitOperationAdd

        self.commit_calls += 1
        if self.commit_calls in self.fail_commit:
            raise ConnectionError(f"connection reset while uploading (Authorization: Bearer {self.token_in_error})")
        revision = revision or "main"
        added = sorted(op.path_in_repo for op in operations if isinstance(op, CommitOperationAdd))
        deleted = sorted(op.path_in_repo for op in operations if not isinstance(op, CommitOperationAdd))
        files = self.files[(repo_id, revision)]
        files.update(added)
        files.difference_update(deleted)
        self.commits.append({"repo_id": repo_id, "revision": revision, "title": commit_message, "added": added,
                             "deleted": deleted, "repo_type": repo_type})
        return f"https://huggingface.co/{repo_id}/commit/{len(self.commits):040x}"
