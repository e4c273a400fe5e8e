"""Where BFCL lives: its own environment (``.venv-bfcl``: bfcl-eval cannot share ours, see the README) and its data.

Read as plain files, never imported here, so decontamination and evaluation can use BFCL's data from the main
environment.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

BFCL_ENV = "INFTOOL_HF_BFCL_PYTHON"


class EvaluationError(RuntimeError):
    """Evaluation cannot run (missing BFCL environment, bad category...)."""


def bfcl_python() -> Path:
    """The interpreter of the BFCL environment (``$INFTOOL_HF_BFCL_PYTHON`` or ``.venv-bfcl``)."""
    configured = os.environ.get(BFCL_ENV)
    candidates = [Path(configured)] if configured else []
    candidates += [Path.cwd() / ".venv-bfcl" / "bin" / "python",
                   Path(__file__).resolve().parents[3] / ".venv-bfcl" / "bin" / "python"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise EvaluationError(f"no BFCL environment found (looked at {', '.join(map(str, candidates))}); "
                          f"run `make install` (it creates .venv-bfcl) or set {BFCL_ENV}")


def bfcl_data_dir() -> Path:
    """BFCL's data folder inside the BFCL environment (plain JSON files, read without importing bfcl_eval)."""
    result = subprocess.run([str(bfcl_python()), "-c", "import importlib.util; "
                             "print(importlib.util.find_spec('bfcl_eval').origin)"], capture_output=True, text=True)
    if result.returncode != 0:
        raise EvaluationError(f"bfcl_eval not importable in {bfcl_python()}: {result.stderr.strip()[-300:]}")
    return Path(result.stdout.strip()).parent / "data"


def load_bfcl(category: str, limit: int | None = None, data_dir: Path | None = None) -> list[dict[str, Any]]:
    path = (data_dir or bfcl_data_dir()) / f"BFCL_v4_{category}.json"
    with open(path, encoding="utf-8") as handle:
        entries = [json.loads(line) for line in handle if line.strip()]
    return evenly_spread(entries, limit)


def evenly_spread(entries: list[Any], limit: int | None) -> list[Any]:
    """``limit`` entries spread evenly over the file (all when ``limit`` is None or not smaller), in file order.

    BFCL's files are grouped by topic, so the first N entries are one easy corner of a category (the first 50
    flattered a checkpoint by 2x); an evenly spread subset is the same every run and covers the whole file."""
    if not limit or limit >= len(entries):
        return list(entries)
    return [entries[(i * len(entries)) // limit] for i in range(limit)]
