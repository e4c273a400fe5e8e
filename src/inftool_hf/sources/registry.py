"""Where a recipe's ``specs:`` entries go: one :class:`Source` per kind of entry, in :data:`SOURCES`.

``generate``, ``specs inspect``, ``serve-mcp`` and the dataset card all read an entry through :func:`source_of`, so
adding a source is its loader (one file under ``sources/``) and one line here (docs/adding-a-source.md). A source may
carry what it knows about its own values (``value_hints``: AWS permission actions, ARN forms), which the value
factory asks for instead of keeping a service's knowledge itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inftool_hf.configs import ConfigError
from inftool_hf.sources.specs import SpecLoad, load_specs, spec_pack_dir


@dataclass(frozen=True)
class Source:
    """One kind of ``specs:`` entry.

    ``prefix`` is how an entry names it (``botocore:``; ``exact``: the entry is ``written`` itself, as ``pack``; the
    source with neither takes every other entry: a path).
    ``load(entry)`` returns its tools; a file source gives ``paths(entry)`` instead, so every file of a recipe is
    loaded together and tool names stay unique across files. ``implementations(entry)`` are the real functions the
    MCP Server agent runs instead of simulating (Python modules)."""

    name: str
    written: str
    what: str
    prefix: str = ""
    exact: bool = False
    load: Callable[[str], SpecLoad] | None = None
    paths: Callable[[str], list[Path]] | None = None
    implementations: Callable[[str], dict[str, Callable[..., Any]]] | None = None
    value_hints: dict[str, Any] = field(default_factory=dict)

    def matches(self, entry: str) -> bool:
        if self.exact:
            return entry == self.written
        return entry.startswith(self.prefix) if self.prefix else True


def _spec_path(entry: str) -> list[Path]:
    """A spec file or folder, checked before any engine starts."""
    path = spec_pack_dir() if entry == "pack" else Path(entry)
    if not path.exists():
        raise ConfigError(f"specs: {entry!r} does not exist")
    if path.is_dir() and not any(p.suffix.lower() in (".yaml", ".yml", ".json") for p in path.rglob("*")):
        raise ConfigError(f"specs: folder {entry!r} holds no .yaml, .yml or .json file")
    return [path]


def _python_tools(entry: str) -> SpecLoad:
    from inftool_hf.sources.python_tools import load_python_tools

    return load_python_tools(entry.removeprefix("python:"))[0]


def _python_functions(entry: str) -> dict[str, Callable[..., Any]]:
    from inftool_hf.sources.python_tools import load_python_tools

    return load_python_tools(entry.removeprefix("python:"))[1]


def _mcp_tools(entry: str) -> SpecLoad:
    from inftool_hf.sources.mcp import load_mcp_tools

    return load_mcp_tools(entry.removeprefix("mcp:"))


def _botocore(entry: str) -> SpecLoad:
    from inftool_hf.sources.botocore import load_entry

    return load_entry(entry)


def _googleapis(entry: str) -> SpecLoad:
    from inftool_hf.sources.googleapis import load_entry

    return load_entry(entry)


def _botocore_hints() -> dict[str, Any]:
    from inftool_hf.sources.botocore import BOTOCORE_VALUE_HINTS

    return BOTOCORE_VALUE_HINTS


SOURCES: tuple[Source, ...] = (
    Source("pack", "pack", "the embedded spec pack (written for this project: 15 domains)", exact=True,
           paths=_spec_path),
    Source("python", "python:<module>", "a module's public functions, run for real by the MCP Server agent",
           prefix="python:", load=_python_tools, implementations=_python_functions),
    Source("mcp", "mcp:<url or stdio:command>", "the tools a live MCP server lists", prefix="mcp:", load=_mcp_tools),
    Source("botocore", "botocore:<service>", "the AWS service models botocore installs ('*': all)",
           prefix="botocore:", load=_botocore, value_hints=_botocore_hints()),
    Source("googleapis", "googleapis:<api>", "the Google discovery documents google-api-python-client installs",
           prefix="googleapis:", load=_googleapis),
    Source("openapi", "<file or folder>", "OpenAPI 3.x / Swagger 2.0 files and JSON tool lists (YAML or JSON)",
           paths=_spec_path),
)


def source(name: str) -> Source:
    """The registered source called ``name``."""
    return next(s for s in SOURCES if s.name == name)


def source_of(entry: str) -> Source:
    """The source that reads ``entry`` (the first that matches; the path source takes what no other does)."""
    return next(s for s in SOURCES if s.matches(entry))


def spec_paths(entries: list[str]) -> list[Path]:
    """The files and folders among ``entries``; a missing one fails here, before any engine starts."""
    return [path for entry in entries if (s := source_of(entry)).paths is not None for path in s.paths(entry)]


def load_entries(entries: list[str]) -> SpecLoad:
    """Every tool the entries give, with the warnings for what was skipped. Files first, loaded together (tool names
    unique across them), then every other entry in the order listed."""
    load = load_specs(spec_paths(entries))
    for entry in entries:
        kind = source_of(entry)
        if kind.load is not None:
            part = kind.load(entry)
            load.tools += part.tools
            load.warnings += part.warnings
    return load


def implementations_of(entries: list[str]) -> dict[str, Callable[..., Any]]:
    """The real functions of the entries that have them (what the MCP Server agent runs instead of simulating)."""
    found: dict[str, Callable[..., Any]] = {}
    for entry in entries:
        kind = source_of(entry)
        if kind.implementations is not None:
            found.update(kind.implementations(entry))
    return found


def named_sources(entries: list[str]) -> list[str]:
    """How the dataset card names the entries: a file or folder by its name, every other entry as written."""
    return [path.name for path in spec_paths(entries)] + [e for e in entries if source_of(e).paths is None]
