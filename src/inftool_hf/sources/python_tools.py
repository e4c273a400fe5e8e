"""Real tool execution for tools defined as Python functions.

A spec can be a Python module (``python:my_package.tools`` in a recipe's ``specs``): its public functions
become tools (signature + docstring) and, during role-play, the MCP Server agent *runs* them instead of
simulating a result. Each call runs in a child process with a timeout (killed when it runs over), with a
fresh temporary directory as its working directory and the only place it may write (an audit hook refuses
writes elsewhere, programs, sockets and ctypes), and its return value must be JSON-serializable;
anything else comes back as an error result, as a real server would answer. Only code the user
registered runs here — never model output or spec text.

What this does not do: an audit hook lives in the same process as the tool, so it is a guard against
accidents, not a security boundary. A C extension that calls libc directly (or a bug in the interpreter)
gets past it; reading files anywhere is allowed; memory and CPU are bounded only by the timeout. Run
only tool code you would run yourself.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from queue import Empty
from typing import Any

from inftool_hf.sources.specs import SpecError, SpecLoad, tools_from_module

DEFAULT_TIMEOUT = 10.0


def load_python_tools(module_name: str, domain: str | None = None) -> tuple[SpecLoad, dict[str, Callable[..., Any]]]:
    """Tools and their implementations from an importable module."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise SpecError(f"python:{module_name}", "-", f"cannot import module: {err}") from None
    load = tools_from_module(module, domain)
    implementations = {tool.name: getattr(module, tool.name) for tool in load.tools}
    return load, implementations


# Audit events (PEP 578) that write to the file system, and those that start programs or reach the network.
_PATH_EVENTS = {"os.remove", "os.rename", "os.mkdir", "os.rmdir", "os.chmod", "os.chown", "os.link", "os.symlink",
                "os.truncate", "os.utime", "os.chflags", "os.lchflags", "os.mkfifo", "os.mknod", "shutil.rmtree",
                "shutil.move", "shutil.copyfile", "shutil.copytree", "shutil.make_archive"}
_FORBIDDEN_EVENTS = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill",
                     "os.killpg", "subprocess.Popen", "socket.__new__", "socket.connect", "socket.bind",
                     "socket.sendto", "socket.sendmsg", "os.startfile", "ctypes.dlopen", "ctypes.dlsym",
                     "ctypes.cdata", "ctypes.call_function", "sys.addaudithook"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def confine_to(workdir: str) -> None:
    """From now on, this process may write only inside ``workdir`` and may not start programs or open
    sockets. An audit hook (PEP 578) cannot be removed once added; the child process exits after the call."""
    import sys

    root = os.path.realpath(workdir)

    def inside(path: Any) -> bool:
        if isinstance(path, int) or path is None:
            return True  # an already open descriptor (opened under these rules)
        resolved = os.path.realpath(os.fsdecode(path))
        return resolved == root or resolved.startswith(root + os.sep)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
            if writing and not inside(path):
                raise PermissionError(f"tools may write only in their working directory, not {path!r}")
        elif event in _PATH_EVENTS:
            for arg in args:
                if isinstance(arg, (str, bytes, os.PathLike)) and not inside(arg):
                    raise PermissionError(f"tools may change files only in their working directory ({event} {arg!r})")
        elif event in _FORBIDDEN_EVENTS:
            raise PermissionError(f"tools may not start programs or open network connections ({event})")

    sys.dont_write_bytecode = True
    sys.addaudithook(hook)


def _child(function: Callable[..., Any], arguments: dict[str, Any], workdir: str, queue) -> None:
    os.chdir(workdir)
    confine_to(workdir)
    try:
        result = function(**arguments)
        queue.put(("ok", json.dumps(result, default=str)))
    except Exception as err:  # noqa: BLE001 - reported to the caller as a tool error
        queue.put(("error", f"{type(err).__name__}: {err}"[:500]))


def run_implementation(function: Callable[..., Any], arguments: dict[str, Any],
                       timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Call ``function(**arguments)`` in a child process; returns its result or ``{"error": ...}``."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    with tempfile.TemporaryDirectory(prefix="inftool-tool-") as workdir:
        process = context.Process(target=_child, args=(function, arguments, workdir, queue), daemon=True)
        process.start()
        # read before joining: a result larger than the pipe buffer (~64 KiB) blocks the child until it is read
        status: str | None = None
        payload: Any = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                status, payload = queue.get(timeout=0.05)
                break
            except Empty:
                if not process.is_alive() and queue.empty():
                    break
        process.join(1.0 if status is not None else 0.1)
        if process.is_alive():
            process.kill()
            process.join()
            if status is None:
                return {"error": f"tool timed out after {timeout:g}s"}
        if status is None:
            return {"error": f"tool process exited with code {process.exitcode}"}
    if status == "error":
        return {"error": payload}
    result = json.loads(payload)
    return result if isinstance(result, dict) else {"result": result}
