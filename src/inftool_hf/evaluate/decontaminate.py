"""Decontamination: BFCL is the held-out yardstick, so training data may share neither a function name nor a long
word n-gram of a question with it. :func:`check_decontamination` fails loudly, naming what is shared.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inftool_hf.evaluate.bfcl_env import bfcl_data_dir


class ContaminationError(AssertionError):
    """A training dataset overlaps with BFCL."""


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _json_records(path: Path) -> list[Any]:
    """BFCL ships JSON Lines, and a few pretty-printed JSON files."""
    text = path.read_text(encoding="utf-8")
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError:
        data = json.loads(text)
        return data if isinstance(data, list) else [data]


@functools.lru_cache(maxsize=4)  # read once per process: the pool's name check and the final check both use it
def bfcl_fingerprint(data_dir: Path | None = None, n: int = 12) -> dict[str, Any]:
    """Every BFCL function name and every word n-gram of its questions (all v4 files, multi-turn docs too).
    Cached: treat the result as read-only."""
    data_dir = data_dir or bfcl_data_dir()
    names: set[str] = set()
    grams: set[tuple[str, ...]] = set()
    files = list(data_dir.glob("BFCL_v4_*.json")) + list((data_dir / "multi_turn_func_doc").glob("*.json"))
    for path in files:
        for entry in _json_records(path):
            if not isinstance(entry, dict):
                continue
            for function in entry.get("function", []) if isinstance(entry.get("function"), list) else []:
                names.add(function.get("name", ""))
            if "name" in entry and "parameters" in entry:  # multi-turn function docs
                names.add(entry["name"])
            for turn in entry.get("question", []) or []:
                for message in turn if isinstance(turn, list) else [turn]:
                    if isinstance(message, dict) and isinstance(message.get("content"), str):
                        words = _words(message["content"])
                        grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    names.discard("")
    return {"names": names, "grams": grams, "n": n}


def bfcl_function_names() -> frozenset[str]:
    """Every BFCL function name: tools named so never enter a pool."""
    return frozenset(bfcl_fingerprint()["names"])


def check_decontamination(tool_names: Sequence[str], texts: Sequence[str] = (), fingerprint: dict | None = None,
                          n: int = 12) -> dict[str, Any]:
    """Raise :class:`ContaminationError` naming every shared function name and question n-gram."""
    fingerprint = fingerprint or bfcl_fingerprint(n=n)
    n = fingerprint["n"]
    shared_names = sorted(set(tool_names) & fingerprint["names"])
    shared_grams = []
    for text in texts:
        words = _words(text)
        for i in range(len(words) - n + 1):
            gram = tuple(words[i:i + n])
            if gram in fingerprint["grams"]:
                shared_grams.append(" ".join(gram))
    if shared_names or shared_grams:
        raise ContaminationError(f"training data overlaps with BFCL: function names {shared_names[:20]}, "
                                 f"question {n}-grams {sorted(set(shared_grams))[:5]}")
    return {"checked_names": len(set(tool_names)), "checked_texts": len(texts), "bfcl_names": len(fingerprint["names"])}


def check_dataset_decontamination(dataset, fingerprint: dict | None = None) -> dict[str, Any]:
    names, texts = [], []
    for row in dataset:
        names += [t["function"]["name"] for t in json.loads(row["tools"])]
        texts += [m["content"] for m in row["messages"] if m["role"] == "user" and m["content"]]
    return check_decontamination(names, texts, fingerprint)
