"""Export verified trajectories to the formats other trainers read (JSONL, one row per line).

- ``trl``: TRL conversational (``messages`` + ``tools``), with tool-call ``arguments`` as dicts, as
  chat templates expect;
- ``openai``: OpenAI fine-tuning JSONL (``arguments`` stay JSON strings, null fields dropped);
- ``xlam``: Salesforce xLAM function-calling rows (``query``, ``tools``, ``answers``): rows whose calls
  fit in one turn (single, parallel and no-call categories);
- ``sharegpt``: ShareGPT conversations with ``function_call`` / ``observation`` turns (LLaMA-Factory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from inftool_hf.atomic import atomic_write
from inftool_hf.chat_format import to_template_messages

FORMATS = ("trl", "openai", "xlam", "sharegpt")


def _tools(row: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(row["tools"]) if isinstance(row["tools"], str) else row["tools"]


def to_trl(row: dict[str, Any]) -> dict[str, Any]:
    return {"messages": to_template_messages(row["messages"]), "tools": _tools(row)}


def to_openai(row: dict[str, Any]) -> dict[str, Any]:
    messages = [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]
    return {"messages": messages, "tools": _tools(row)}


def to_xlam(row: dict[str, Any]) -> dict[str, Any] | None:
    calling = [m for m in row["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    users = [m for m in row["messages"] if m["role"] == "user"]
    if len(calling) > 1 or len(users) != 1:
        return None  # multi-step and multi-turn rows do not fit xLAM's single-turn shape
    answers = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
               for m in calling for c in m["tool_calls"]]
    tools = [t["function"] for t in _tools(row)]
    return {"id": row["id"], "query": users[0]["content"], "tools": json.dumps(tools), "answers": json.dumps(answers)}


def to_sharegpt(row: dict[str, Any]) -> dict[str, Any]:
    turns = []
    system = ""
    for message in row["messages"]:
        role = message["role"]
        if role == "system":
            system = message["content"] or ""
        elif role == "user":
            turns.append({"from": "human", "value": message["content"] or ""})
        elif role == "assistant" and message.get("tool_calls"):
            calls = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
                     for c in message["tool_calls"]]
            turns.append({"from": "function_call", "value": json.dumps(calls[0] if len(calls) == 1 else calls)})
        elif role == "assistant":
            turns.append({"from": "gpt", "value": message["content"] or ""})
        elif role == "tool":
            turns.append({"from": "observation", "value": message["content"] or ""})
    return {"conversations": turns, "system": system, "tools": json.dumps([t["function"] for t in _tools(row)])}


_CONVERTERS = {"trl": to_trl, "openai": to_openai, "xlam": to_xlam, "sharegpt": to_sharegpt}


def convert(rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[dict[str, Any]]:
    if fmt not in _CONVERTERS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    for row in rows:
        out = _CONVERTERS[fmt](row)
        if out is not None:
            yield out


def export_jsonl(dataset, fmt: str, path: str | os.PathLike[str]) -> int:
    """Write ``dataset`` in ``fmt`` to a JSONL file (atomically); returns the number of lines."""
    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        with open(tmp, "w", encoding="utf-8") as handle:
            for item in convert(dataset, fmt):
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
                count += 1

    atomic_write(path, write)
    return count
