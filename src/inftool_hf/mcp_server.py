"""Serve any spec as a real MCP server (the official ``mcp`` SDK's low-level ``Server``).

Every tool of the spec is listed with its exact JSON input schema (and its response schema as the
output schema when it is an object); calls run on the stateful MCP Server simulator — or on the Python
implementation when the spec is a module — with one simulator per client session, so ids handed out in
one call are known to the next call of the same session and to no other. Sessions are those of the
handshake-era protocol (2025-11-25, ``Client(..., mode="legacy")``); the 2026-07-28 protocol is stateless,
so each of its requests starts from fresh state. Invalid arguments come back as
a tool error (``is_error``), the way MCP asks servers to report tool failures. Arguments larger than
``max_argument_bytes`` are refused before anything runs.

    inftool-hf serve-mcp pack                          # stdio
    inftool-hf serve-mcp pack --transport http --port 8765   # streamable HTTP on 127.0.0.1
"""

from __future__ import annotations

import json
import logging
from typing import Any

from inftool_hf.sources.specs import ToolSpec
from inftool_hf.synth.simulator import ToolSimulator
from inftool_hf.synth.tool_pool import find_dependencies

logger = logging.getLogger(__name__)

MAX_ARGUMENT_BYTES = 100_000
MAX_SESSIONS = 1000


def build_server(tools: list[ToolSpec], implementations: dict[str, Any] | None = None, seed: int = 0,
                 max_argument_bytes: int = MAX_ARGUMENT_BYTES, name: str = "inftool-hf"):
    """An ``mcp.server.lowlevel.Server`` exposing ``tools``, with per-session simulator state."""
    import mcp_types as types
    from mcp.server.lowlevel import Server

    by_name = {tool.name: tool for tool in tools}
    edges = find_dependencies(tools)  # once, not per session
    sessions: dict[int, ToolSimulator] = {}  # per client connection, oldest dropped past MAX_SESSIONS

    def listed(tool: ToolSpec) -> types.Tool:
        output = tool.response_schema if (tool.response_schema or {}).get("type") == "object" else None
        return types.Tool(name=tool.name, description=tool.description, input_schema=tool.parameters,
                          output_schema=output)

    async def list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[listed(tool) for tool in tools])

    async def call_tool(ctx, params) -> types.CallToolResult:
        arguments = params.arguments or {}
        size = len(json.dumps(arguments, default=str))
        if size > max_argument_bytes:
            result: dict[str, Any] = {"error": f"arguments are {size} bytes; the limit is {max_argument_bytes}"}
        else:
            key = id(getattr(ctx.session, "_connection", ctx.session))  # one Connection per client session
            simulator = sessions.get(key)
            if simulator is None:
                if len(sessions) >= MAX_SESSIONS:
                    sessions.pop(next(iter(sessions)))
                simulator = sessions[key] = ToolSimulator(by_name, seed=seed + len(sessions),
                                                          implementations=implementations, dependencies=edges)
            result = simulator.execute(params.name, arguments)
        failed = "error" in result
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(result, default=str))],
                                    structured_content=None if failed else result, is_error=failed)

    return Server(name, on_list_tools=list_tools, on_call_tool=call_tool)


def load_served_tools(spec: str) -> tuple[list[ToolSpec], dict[str, Any]]:
    """Any ``specs:`` entry: ``pack``, a spec file or folder, ``python:<module>`` (its functions run for real),
    ``botocore:<service>``, ``googleapis:<api>``."""
    from inftool_hf.sources.registry import implementations_of, load_entries

    return load_entries([spec]).tools, implementations_of([spec])


def serve(spec: str, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    import anyio

    tools, implementations = load_served_tools(spec)
    server = build_server(tools, implementations)
    if transport == "stdio":
        from mcp.server.stdio import stdio_server

        async def run() -> None:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(run)
    elif transport == "http":
        import uvicorn

        uvicorn.run(server.streamable_http_app(host=host), host=host, port=port, log_level="warning")
    else:
        raise ValueError(f"transport must be 'stdio' or 'http', got {transport!r}")
