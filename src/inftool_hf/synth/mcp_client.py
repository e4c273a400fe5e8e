"""Live MCP servers as a spec source, and as the MCP Server agent of role-play.

A target is a streamable-HTTP URL (``http://127.0.0.1:8765/mcp``) or a stdio command written
``stdio:<command> <args...>`` (``python`` as the command is the interpreter running inftool-hf, so a server that
pip installed beside it starts: ``stdio:python -m mcp_server_time``). :func:`load_mcp_tools` lists the server's
tools and turns them into :class:`~inftool_hf.sources.specs.ToolSpec` records like any other spec.
:class:`MCPToolServer` keeps one MCP session open (one per conversation, so the server's per-session state is the
conversation's) and executes calls through it; it offers the same ``execute`` / ``state`` surface as the simulator,
so an :class:`~inftool_hf.synth.roleplay.Episode` can use a real server in its place (``roleplay.server: mcp``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
import threading
from typing import Any

from inftool_hf.aio import run_blocking
from inftool_hf.sources.specs import SpecError, SpecLoad, ToolSpec, inline_local_refs
from inftool_hf.synth.simulator import SimulatorState


def _client(target: str, timeout: float):
    """A session-based (2025-11-25 handshake) client, so the server keeps state for the conversation."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    if target.startswith("stdio:"):
        command = shlex.split(target.removeprefix("stdio:"))
        if not command:
            raise SpecError(target, "-", "empty stdio command")
        if command[0] in ("python", "python3"):  # the interpreter running us: servers pip put beside inftool-hf
            command[0] = sys.executable
        from mcp.client.stdio import stdio_client

        # the server's stderr goes to ours where ours is a real file; a notebook's sys.stderr is not one
        transport = stdio_client(StdioServerParameters(command=command[0], args=command[1:]), errlog=_errlog())
        return Client(transport, read_timeout_seconds=timeout, mode="legacy")
    if target.startswith(("http://", "https://")):
        return Client(target, read_timeout_seconds=timeout, mode="legacy")
    raise SpecError(target, "-", "an MCP target is an http(s):// URL or 'stdio:<command>'")


def _errlog() -> Any:
    for stream in (sys.stderr, sys.__stderr__):
        try:
            if stream is not None:
                stream.fileno()
                return stream
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError and a ValueError
            continue
    return open(os.devnull, "w")  # noqa: SIM115 - lives as long as the server process


def server_domain(name: str | None) -> str:
    """The domain a server's tools get: the name it reports, without the ``mcp-server-`` / ``mcp-`` wrapping
    (``mcp-time`` → ``time``), so the tools of several servers stay apart."""
    words = re.sub(r"[^a-z0-9]+", "_", (name or "").lower()).strip("_")
    words = re.sub(r"^(mcp_server_|mcp_|server_)+|(_mcp|_server)+$", "", words)
    return words or "mcp"


def load_mcp_tools(target: str, domain: str | None = None, timeout: float = 60.0) -> SpecLoad:
    """Every tool a live MCP server lists, as tool records (domain: ``domain``, else the server's own name)."""
    async def fetch():
        async with _client(target, timeout) as client:
            info = client.server_info
            return (info.name if info is not None else None), await client.list_tools()

    try:
        server_name, listed = run_blocking(fetch())
    except SpecError:
        raise
    except Exception as err:  # noqa: BLE001 - connection failures of every transport
        raise SpecError(target, "-", f"cannot list tools: {type(err).__name__}: {err}") from None
    load = SpecLoad()
    domain = domain or server_domain(server_name)
    for tool in listed.tools:
        schema = inline_local_refs(tool.input_schema or {"type": "object", "properties": {}})
        load.tools.append(ToolSpec(name=tool.name, description=tool.description or "", parameters=schema,
                                   domain=domain, source=f"{target}#{tool.name}",
                                   response_schema=inline_local_refs(tool.output_schema), endpoint=f"mcp {tool.name}"))
    return load


class MCPToolServer:
    """Executes calls on a live MCP server through one open session (a background event loop)."""

    def __init__(self, target: str, timeout: float = 60.0):
        self.target = target
        self.state = SimulatorState()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._client = None
        self._ready = threading.Event()
        self._closed: asyncio.Event | None = None
        # one task owns the session from enter to exit (anyio requires it); calls run beside it
        self._owner = asyncio.run_coroutine_threadsafe(self._own_session(timeout), self._loop)
        self._ready.wait(timeout)
        if self._client is None:
            error = self._owner.exception() if self._owner.done() else TimeoutError(f"no session after {timeout}s")
            self.close()
            raise SpecError(target, "-", f"cannot open an MCP session: {error}")

    _client: Any = None  # the open ClientSession, once _ready is set

    async def _own_session(self, timeout: float) -> None:
        self._closed = asyncio.Event()
        try:
            async with _client(self.target, timeout) as client:
                self._client = client
                self._ready.set()
                await self._closed.wait()
        finally:
            self._ready.set()

    def _submit(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def execute(self, name: str, arguments: Any) -> dict[str, Any]:
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                return {"error": "arguments are not valid JSON"}
        try:
            result = self._submit(self._client.call_tool(name, arguments))
        except Exception as err:  # noqa: BLE001 - a protocol error is the call's result, as a real client sees it
            result = None
            payload: dict[str, Any] = {"error": f"{type(err).__name__}: {err}"[:500]}
        if result is not None:
            text = "".join(getattr(block, "text", "") for block in result.content)
            try:
                payload = json.loads(text) if text else (result.structured_content or {})
            except ValueError:
                payload = {"result": text}
            if not isinstance(payload, dict):
                payload = {"result": payload}
            if result.is_error and "error" not in payload:
                payload = {"error": text or "tool error"}
        self.state.calls.append({"name": name, "arguments": arguments, "ok": "error" not in payload})
        return payload

    def close(self) -> None:
        if self._closed is not None and not self._owner.done():
            self._loop.call_soon_threadsafe(self._closed.set)
            try:
                self._owner.result(timeout=30)
            except Exception:  # noqa: BLE001 - closing a broken session must not raise
                pass
        self._client = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
