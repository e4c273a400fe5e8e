"""The tool pool: deduplicated tools grouped by domain, with the data-flow graph between them.

InfTool builds an "MCP tree" by embedding tool descriptions, clustering, and letting an LLM split redundant
from unique tools and merge the redundant ones. Here: exact duplicates (same name, description and schema) are
dropped; near duplicates (TF-IDF cosine over name + description + parameter names at or above a threshold, with the
same required parameters; a chunked sparse product, so the ~46k tools of botocore and the Google discovery
documents group in about a minute) are merged into one representative. When a capable model is configured
(``generate.merge_with_llm``), it first splits each group into the tools that really are redundant
(:func:`llm_split`) and then writes each merged group's description (:func:`llm_merge`). TF-IDF needs no model
download. :func:`pool_report` counts raw → distinct → kept tools per domain with the merges made.

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
from dataclasses import dataclass, field, replace
from typing import Any

from .specs import ToolSpec
from .taxonomy import taxonomy_report

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
    by_domain: dict[str, list[ToolSpec]] = defaultdict(list)  # blocking: only tools of one domain are compared
    for tool in tools:
        by_domain[tool.domain].append(tool)
    edges = []
    for producer in tools:
        outputs = _leaf_fields(producer.response_schema)
        if not outputs:
            continue
        gate = bool(_AUTH_NAME.search(producer.name))
        for consumer in by_domain[producer.domain]:
            if consumer.name == producer.name:
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


def llm_split(backend: Any) -> Callable[[list[ToolSpec]], list[list[ToolSpec]]]:
    """A splitter that asks ``backend`` which tools of a near-duplicate cluster really do the same thing (InfTool's
    redundant-versus-unique step): similar wording is not the same function (list a project's instances vs list a
    folder's). The answer is JSON groups of the listed numbers; anything else keeps the cluster as it is."""
    from .configs import SamplingConfig

    def split(cluster: list[ToolSpec]) -> list[list[ToolSpec]]:
        listing = "\n".join(f"{i}. {t.name}: {t.description}" for i, t in enumerate(cluster, start=1))
        prompt = ("Group these API tools: tools in one group do exactly the same thing (one could replace the "
                  "other); a tool that does something different is in a group of its own. Answer with JSON only, "
                  f"a list of groups of numbers, e.g. [[1, 3], [2]].\n{listing}")
        [generation] = backend.generate([[{"role": "user", "content": prompt}]], None,
                                        SamplingConfig(max_new_tokens=20 + 6 * len(cluster)))
        text = (generation.message.get("content") or generation.raw_text or "").strip()
        match = re.search(r"\[\s*\[.*\]\s*\]", text, re.DOTALL)
        try:
            groups: Any = json.loads(match.group(0)) if match else []
        except ValueError:
            groups = []
        if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
            return [cluster]
        numbers = sorted(n for g in groups for n in g if isinstance(n, int))
        if numbers != list(range(1, len(cluster) + 1)):  # every tool exactly once, or the answer is not used
            return [cluster]
        return [[cluster[n - 1] for n in sorted(group)] for group in groups if group]

    return split


def build_tool_pool(
    tools: Iterable[ToolSpec],
    near_duplicate_threshold: float = 0.9,
    merger: Callable[[list[ToolSpec]], ToolSpec] | None = None,
    splitter: Callable[[list[ToolSpec]], list[list[ToolSpec]]] | None = None,
) -> ToolPool:
    """Deduplicate, merge near duplicates (each group first split by ``splitter`` when given: which of them really
    are redundant), and find dependencies."""
    unique: dict[str, ToolSpec] = {}
    for tool in tools:
        unique.setdefault(_fingerprint(tool), tool)
    candidates = list(unique.values())
    clusters = _near_duplicate_clusters(candidates, near_duplicate_threshold)
    if splitter is not None:
        clusters = [part for cluster in clusters for part in (splitter(cluster) if len(cluster) > 1 else [cluster])]
    kept: dict[str, ToolSpec] = {}
    merged: dict[str, list[str]] = {}
    for cluster in clusters:
        representative = cluster[0] if len(cluster) == 1 else \
            merger(cluster) if merger else max(cluster, key=lambda t: len(t.description))
        others = [t.name for t in cluster]
        others.remove(representative.name)  # the rest, same-named versions of it included (API v1 / beta / alpha)
        if representative.name in kept:  # two different tools, one name (names cut at 64 characters collide)
            base, number = representative.name[:60], 2
            while f"{base}_{number}" in kept:
                number += 1
            logger.info("renamed %s to %s_%d: another tool has its name", representative.name, base, number)
            representative = replace(representative, name=f"{base}_{number}")
        kept[representative.name] = representative
        if len(cluster) == 1:
            continue
        merged[representative.name] = sorted(others)
        logger.info("merged %s into %s", merged[representative.name], representative.name)
    return ToolPool(tools=kept, dependencies=find_dependencies(kept.values()), merged=merged)


def pool_report(raw: list[ToolSpec], pool: ToolPool) -> dict[str, Any]:
    """The tool tree in numbers: raw tools → distinct → kept, per domain, the merges made and the dependency edges
    found (what ``build_pool`` writes as ``tool_tree.json`` and a run's card and benchmarks report)."""
    distinct = {_fingerprint(t): t for t in raw}
    raw_by_domain: dict[str, int] = defaultdict(int)
    for tool in raw:
        raw_by_domain[tool.domain] += 1
    distinct_by_domain: dict[str, int] = defaultdict(int)
    for tool in distinct.values():
        distinct_by_domain[tool.domain] += 1
    edges: dict[str, int] = defaultdict(int)
    for dependency in pool.dependencies:
        edges[pool.tools[dependency.consumer].domain] += 1
    domains = pool.domains
    return {
        "raw": len(raw), "distinct": len(distinct), "kept": len(pool.tools),
        "merged": sum(len(names) for names in pool.merged.values()), "dependency_edges": len(pool.dependencies),
        "domains": {name: {"raw": raw_by_domain[name], "distinct": distinct_by_domain[name],
                           "kept": len(domains.get(name, [])), "dependency_edges": edges[name]}
                    for name in sorted(raw_by_domain)},
        "merges": dict(sorted(pool.merged.items())),
        "taxonomy": {area: {"domains": len(entry["domains"]), "tools": entry["tools"]}
                     for area, entry in taxonomy_report(pool.tools.values()).items()},
    }


def _near_duplicate_clusters(tools: list[ToolSpec], threshold: float, chunk: int = 1024) -> list[list[ToolSpec]]:
    """Groups of tools whose TF-IDF cosine is at or above ``threshold`` and that take the same required
    parameters (linked transitively), in order of first member.

    Vectorised so that tens of thousands of tools fit (every AWS operation botocore ships is ~20k): the similarity
    is a sparse product of the L2-normalised TF-IDF rows, taken ``chunk`` rows at a time (never the dense n x n
    matrix), keeping only the pairs above the threshold; connected components of those pairs are the groups."""
    if len(tools) < 2:
        return [[t] for t in tools]
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([_tool_text(t) for t in tools])
    transposed = matrix.T.tocsr()
    required = [frozenset(t.parameters.get("required", [])) for t in tools]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for start in range(0, len(tools), chunk):
        block = (matrix[start:start + chunk] @ transposed).tocoo()
        left = block.row + start
        keep = (block.data >= threshold) & (block.col > left)
        rows.append(left[keep])
        cols.append(block.col[keep])
    pairs = [(i, j) for i, j in zip(np.concatenate(rows).tolist(), np.concatenate(cols).tolist(), strict=True)
             if required[i] == required[j]]
    graph = coo_matrix((np.ones(len(pairs)), ([i for i, _ in pairs], [j for _, j in pairs])),
                       shape=(len(tools), len(tools)))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[ToolSpec]] = defaultdict(list)
    for label, tool in zip(labels.tolist(), tools, strict=True):
        groups[label].append(tool)
    return list(groups.values())
