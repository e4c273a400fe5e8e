"""The tool pool: deduplicated tools grouped by domain, with the data-flow graph between them.

InfTool builds an "MCP tree" by embedding tool descriptions, clustering, and letting an LLM merge
redundant tools. Here: exact duplicates (same name, description and schema) are dropped; near
duplicates (TF-IDF cosine over name + description + parameter names at or above a threshold, with the
same required parameters) are merged into one representative, optionally rewritten by an LLM
(:func:`llm_merge`) when a capable model is configured. TF-IDF needs no model download.

Dependencies: a field in one tool's response schema that has the name and type of a parameter of
another tool in the same domain is an edge ``producer → consumer`` — the id returned by
``flights_book`` feeds ``flights_select_seat``. Edges whose producer is an authentication step
(login, verify, session) are *gates*: the consumer cannot be called before it. Multi-step scenarios
are sampled along these edges.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .specs import ToolSpec

logger = logging.getLogger(__name__)

_AUTH_NAME = re.compile(r"(login|log_in|signin|sign_in|verify|authenticate|auth|session)", re.IGNORECASE)
# Fields that only ever come from a tool (never from the user): ids and tokens.
_MINTED_FIELD = re.compile(r"(_id|_token|^token|session_id|_number|_ts|[a-z]Id|[a-z]Token)$")


@dataclass(frozen=True)
class Dependency:
    """``producer``'s response field ``field`` can fill ``consumer``'s parameter of the same name."""

    producer: str
    consumer: str
    field: str
    gate: bool = False


@dataclass
class ToolPool:
    tools: dict[str, ToolSpec]
    dependencies: list[Dependency] = field(default_factory=list)
    # representative name → names merged into it
    merged: dict[str, list[str]] = field(default_factory=dict)

    @property
    def domains(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for name, tool in self.tools.items():
            grouped[tool.domain].append(name)
        return dict(grouped)

    def consumers_of(self, producer: str) -> list[Dependency]:
        return [d for d in self.dependencies if d.producer == producer]

    def producers_for(self, consumer: str) -> list[Dependency]:
        return [d for d in self.dependencies if d.consumer == consumer]

    def gates_for(self, consumer: str) -> list[Dependency]:
        return [d for d in self.producers_for(consumer) if d.gate]

    def to_dataset(self):
        """One row per tool, with its merges and graph edges as JSON strings."""
        from datasets import Dataset

        rows = []
        for name, tool in self.tools.items():
            row = tool.to_row()
            row["merged_from"] = json.dumps(self.merged.get(name, []))
            row["produces_for"] = json.dumps([d.__dict__ for d in self.consumers_of(name)])
            row["needs"] = json.dumps([d.__dict__ for d in self.producers_for(name)])
            rows.append(row)
        return Dataset.from_list(rows)

    @classmethod
    def from_dataset(cls, dataset) -> ToolPool:
        tools, merged, edges = {}, {}, set()
        for row in dataset:
            tool = ToolSpec.from_row(row)
            tools[tool.name] = tool
            if json.loads(row.get("merged_from") or "[]"):
                merged[tool.name] = json.loads(row["merged_from"])
            for edge in json.loads(row.get("needs") or "[]"):
                edges.add(Dependency(**edge))
        return cls(tools=tools, dependencies=sorted(edges, key=lambda d: (d.producer, d.consumer, d.field)),
                   merged=merged)


def _fingerprint(tool: ToolSpec) -> str:
    payload = json.dumps([tool.name, tool.description, tool.parameters], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _tool_text(tool: ToolSpec) -> str:
    words = re.sub(r"[_.-]", " ", tool.name)
    return f"{words} {tool.description} {' '.join(tool.parameters.get('properties', {}))}"


def _leaf_fields(schema: Any, depth: int = 0) -> dict[str, str]:
    """Response field name → JSON type, searched through objects and arrays of objects."""
    found: dict[str, str] = {}
    if not isinstance(schema, dict) or depth > 2:  # no deeper than simulated results go (values.py)
        return found
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        kind = sub.get("type")
        if kind in ("string", "integer", "number", "boolean"):
            found.setdefault(name, kind)
        elif kind == "array" and isinstance(sub.get("items"), dict) and sub["items"].get("type") == "object":
            for inner, inner_kind in _leaf_fields(sub["items"], depth + 1).items():
                found.setdefault(inner, inner_kind)
        elif kind == "object" or "properties" in sub:
            for inner, inner_kind in _leaf_fields(sub, depth + 1).items():
                found.setdefault(inner, inner_kind)
    if isinstance(schema.get("items"), dict):
        for inner, inner_kind in _leaf_fields(schema["items"], depth + 1).items():
            found.setdefault(inner, inner_kind)
    return found


def is_minted(parameter: str) -> bool:
    """Whether a parameter is an id or token that a tool hands out (the user cannot make it up)."""
    return bool(_MINTED_FIELD.search(parameter))


def find_dependencies(tools: Iterable[ToolSpec]) -> list[Dependency]:
    """Data-flow edges within each domain: id/token fields of responses that other tools take."""
    tools = list(tools)
    edges = []
    for producer in tools:
        outputs = _leaf_fields(producer.response_schema)
        gate = bool(_AUTH_NAME.search(producer.name))
        for consumer in tools:
            if consumer.name == producer.name or consumer.domain != producer.domain:
                continue
            params = consumer.parameters.get("properties", {})
            required = set(consumer.parameters.get("required", []))
            for name, kind in outputs.items():
                if name in params and is_minted(name) and params[name].get("type") == kind:
                    edges.append(Dependency(producer.name, consumer.name, name, gate=gate and name in required))
    return edges


def llm_merge(backend: Any) -> Callable[[list[ToolSpec]], ToolSpec]:
    """A merger that asks ``backend`` for one description covering a cluster of near-duplicate tools.

    The representative keeps its name and schema (what calls validate against); only the description
    is rewritten, and only if the model answers with plausible text.
    """
    from .configs import SamplingConfig

    def merge(cluster: list[ToolSpec]) -> ToolSpec:
        keep = max(cluster, key=lambda t: len(t.description))
        listing = "\n".join(f"- {t.name}: {t.description}" for t in cluster)
        prompt = ("These API tools do the same thing. Write one short description (one sentence) that covers "
                  f"all of them. Answer with the sentence only.\n{listing}")
        [generation] = backend.generate([[{"role": "user", "content": prompt}]], None,
                                        SamplingConfig(max_new_tokens=80))
        text = (generation.message.get("content") or "").strip().splitlines()
        description = text[0].strip() if text else ""
        if 10 <= len(description) <= 300 and not generation.message.get("tool_calls"):
            return ToolSpec(**{**keep.__dict__, "description": description})
        return keep

    return merge


def build_tool_pool(
    tools: Iterable[ToolSpec],
    near_duplicate_threshold: float = 0.9,
    merger: Callable[[list[ToolSpec]], ToolSpec] | None = None,
) -> ToolPool:
    """Deduplicate, merge near duplicates, and find dependencies."""
    unique: dict[str, ToolSpec] = {}
    for tool in tools:
        unique.setdefault(_fingerprint(tool), tool)
    candidates = list(unique.values())
    clusters = _near_duplicate_clusters(candidates, near_duplicate_threshold)
    kept: dict[str, ToolSpec] = {}
    merged: dict[str, list[str]] = {}
    for cluster in clusters:
        if len(cluster) == 1:
            kept[cluster[0].name] = cluster[0]
            continue
        representative = merger(cluster) if merger else max(cluster, key=lambda t: len(t.description))
        kept[representative.name] = representative
        merged[representative.name] = sorted(t.name for t in cluster if t.name != representative.name)
        logger.info("merged %s into %s", merged[representative.name], representative.name)
    return ToolPool(tools=kept, dependencies=find_dependencies(kept.values()), merged=merged)


def _near_duplicate_clusters(tools: list[ToolSpec], threshold: float) -> list[list[ToolSpec]]:
    if len(tools) < 2:
        return [[t] for t in tools]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([_tool_text(t) for t in tools])
    similarity = cosine_similarity(matrix)
    parent = list(range(len(tools)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(tools)):
        for j in range(i + 1, len(tools)):
            same_required = set(tools[i].parameters.get("required", [])) == set(tools[j].parameters.get("required", []))
            if similarity[i, j] >= threshold and same_required:
                parent[root(j)] = root(i)
    groups: dict[int, list[ToolSpec]] = defaultdict(list)
    for i, tool in enumerate(tools):
        groups[root(i)].append(tool)
    return list(groups.values())
