"""Async code from synchronous callers: the OpenAI-compatible backend and the MCP client are asyncio inside, and
are called from scripts, the loop and notebook cells, where Jupyter already runs an event loop in the thread."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_blocking(coroutine: Any) -> Any:
    """``asyncio.run(coroutine)``, also where an event loop is already running in this thread (a notebook): then
    the coroutine runs to completion on its own loop in a worker thread; its exception reaches the caller."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
