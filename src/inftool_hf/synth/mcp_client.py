"""A live MCP server as the MCP Server agent of role-play (``roleplay.server: mcp``).

:class:`MCPToolServer` keeps one MCP session open (one per conversation, so the server's per-session state is the
conversation's) and executes calls through it; it offers the same ``execute`` / ``state`` surface as the simulator,
so an :class:`~inftool_hf.synth.roleplay.Episode` can use a real server in its place. Listing a server's tools as a
spec source is :mod:`inftool_hf.sources.mcp`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from inftool_hf.sources.mcp import open_client
from inftool_hf.sources.specs import SpecError
from inftool_hf.synth.simulator import SimulatorState


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
            async with open_client(self.target, timeout) as client:
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
