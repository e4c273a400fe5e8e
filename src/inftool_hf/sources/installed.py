"""What the API descriptions that pip installs (``sources/botocore.py``, ``sources/googleapis.py``) share: finding
the package's data on disk (no download at run time), documentation as plain text, and one recipe entry that
names one description or ``*`` for all of them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from importlib import util
from pathlib import Path
from typing import Any

from inftool_hf.sources.specs import SpecError, SpecLoad

MAX_DEPTH = 5
_TAG = re.compile(r"<[^>]+>")


def plain_text(documentation: Any, limit: int = 600) -> str:
    """Documentation HTML as one plain paragraph."""
    text = html.unescape(_TAG.sub(" ", str(documentation or "")))
    return " ".join(text.split())[:limit]


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def package_dir(module: str, install: str) -> Path:
    spec = util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SpecError(f"{module}:", "-", f"{module} is not installed (pip install {install})")
    return Path(list(spec.submodule_search_locations)[0])


def valid_pattern(pattern: Any) -> bool:
    try:
        re.compile(str(pattern))
    except re.error:
        return False
    return True



def load_each(entry: str, names: list[str], loader: Callable[[str], SpecLoad]) -> SpecLoad:
    """The tools of every name an entry stands for; with several (``*``), one that fails to read is a warning."""
    load = SpecLoad()
    for item in names:
        try:
            part = loader(item)
        except SpecError as err:
            if len(names) == 1:
                raise
            load.warnings.append(str(err))
            continue
        load.tools += part.tools
        load.warnings += part.warnings
    return load


def entry_name(entry: str, example: str) -> str:
    """What follows ``<source>:`` in an entry; an entry naming nothing fails in one line."""
    kind, _, name = entry.partition(":")
    if not name:
        raise SpecError(entry, "-", f"name a service after '{kind}:' (e.g. {kind}:{example})")
    return name
