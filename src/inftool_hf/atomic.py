"""One way to write a file so that a crash never leaves half of it behind: write a temporary name beside it,
then rename (``os.replace`` is atomic on one file system). Every shard, split, state file, report and metric
file goes through here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary path next to ``path``, then move it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_to_parquet(dataset: Any, path: str | os.PathLike[str]) -> Path:
    return atomic_write(path, lambda tmp: dataset.to_parquet(str(tmp)))
