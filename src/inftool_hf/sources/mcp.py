"""Live MCP servers as a spec source: ``mcp:<target>`` in a recipe's ``specs``.

A target is a streamable-HTTP URL (``http://127.0.0.1:8765/mcp``) or a stdio command written
``stdio:<command> <args...>`` (``python`` as the command is the interpreter running inftool-hf, so a server that
pip installed beside it starts: ``stdio:python -m mcp_server_time``). :func:`load_mcp_tools` lists the server's
tools and turns them into :class:`~inftool_hf.sources.specs.ToolSpec` records like any other spec;
:func:`open_client` is the session the MCP Server agent of role-play keeps open too
(:class:`inftool_hf.synth.mcp_client.MCPToolServer`).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from typing import Any

from inftool_hf.aio import run_blocking
from inftool_hf.sources.specs import SpecError, SpecLoad, ToolSpec, inline_local_refs


def open_client(target: str, timeout: float):
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
        async with open_client(target, timeout) as client:
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
