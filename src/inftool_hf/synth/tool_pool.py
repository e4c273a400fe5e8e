"""The tool pool: deduplicated tools grouped by domain, with the data-flow graph between them.

InfTool builds an "MCP tree" by embedding tool descriptions, clustering, and letting an LLM split redundant
from unique tools and merge the redundant ones. Here: exact duplicates (same name, description and schema) are
dropped; near duplicates (TF-IDF cosine over name + description + parameter names at or above a threshold, with the
same required parameters; a chunked sparse product, so the ~46k tools of botocore and the Google discovery
documents group in about a minute) are merged into one representative. When a capable model is configured
(``generate.merge_with_llm``), it first splits each group into the tools that really are redundant
(:func:`llm_split`) and then writes each merged group's description (:func:`llm_merge`). TF-IDF needs no model
download. :func:`pool_report` counts raw → distinct → kept tools per domain with the merges made.

Dependencies: a field in one tool's response schema that fills a parameter of another tool in the same domain
is an edge ``producer → consumer`` — the id returned by ``flights_book`` feeds ``flights_select_seat``. Real APIs
name one thing several ways, so a field links to a parameter of the same type when both name it alike
(``channelId`` → ``channel_id``), or when the field is a resource's own ``id``/``key`` and the parameter names that
resource (``calendar_events_insert``'s ``id`` → ``eventId``; ``tasks_tasklists_insert``'s ``id`` → ``tasklist``,
described as "Task list identifier."; ``create_feed``'s ``key`` → ``feed_key``) — see :func:`find_dependencies`.
Edges whose producer is an authentication step
(login, verify, session) are *gates*: the consumer cannot be called before it. Multi-step scenarios
are sampled along these edges.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from inftool_hf.sources.specs import ToolSpec
from inftool_hf.sources.taxonomy import taxonomy_report
from inftool_hf.synth.realize import is_plumbing

logger = logging.getLogger(__name__)

_AUTH_NAME = re.compile(r"(login|log_in|signin|sign_in|verify|authenticate|auth|session)", re.IGNORECASE)
# Fields that only ever come from a tool (never from the user): ids, tokens, AWS resource names and handles.
_MINTED_FIELD = re.compile(r"(_id|_token|^token|session_id|_number|_ts|_arn|_handle|[a-z]Id|[a-z]Token|[a-z]Arn|"
                           r"[a-z]Handle)$")
# A resource's own identifier, named after nothing (Google's ``id``, Adafruit's ``key``).
_OWN_FIELDS = ("id", "key", "uuid")
# A parameter described as naming a resource: "Task list identifier.", "Calendar ID of the target calendar".
_IDENTIFIER_WORDS = re.compile(r"([A-Za-z]+(?:\s+[A-Za-z]+)?)\s+(?:identifier|id|key)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Dependency:
    """``producer``'s response field ``field`` can fill ``consumer``'s parameter ``parameter`` (the same name
    unless the two APIs name it differently: ``id`` → ``eventId``)."""

    producer: str
    consumer: str
    field: str
    gate: bool = False
    parameter: str = ""

    def __post_init__(self) -> None:
        if not self.parameter:
            object.__setattr__(self, "parameter", self.field)


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

    @functools.cached_property
    def linked(self) -> dict[str, set[str]]:
        """Parameter → the fields that fill it under another name (:func:`linked_parameters`), read once: every
        scenario's sampler asks."""
        return linked_parameters(self.dependencies)

    @functools.cached_property
    def own(self) -> dict[str, dict[str, set[str]]]:
        """Tool → its id field → parameters naming that id (:func:`own_parameters`), read once."""
        return own_parameters(self.tools.values(), self.dependencies)

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
        return cls(tools=tools, merged=merged,
                   dependencies=sorted(edges, key=lambda d: (d.producer, d.consumer, d.parameter, d.field)))


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


_DELETE_VERB = re.compile(r"(^|_)(delete|remove|destroy|purge|erase)(_|$)", re.IGNORECASE)
_CANCEL_VERB = re.compile(r"(^|_)(cancel|revoke|void|deactivate|archive)(_|$)", re.IGNORECASE)
_WRITE_VERB = re.compile(r"(^|_)(create|add|book|reserve|send|set|update|change|modify|move|place|pay|transfer|"
                         r"register|invite|respond|rate|play|save|start|open|lock|unlock|switch|freeze|activate|"
                         r"checkout|check_in|request|comment|reply|select|post|put|patch|submit|upload|assign|mark|"
                         r"apply|enable|disable|subscribe|rename|edit|reschedule|confirm|approve|reject|turn|run|take|"
                         r"order|buy|sell|write|insert|replace|restore|share|publish|login|log_in|logout|verify|"
                         r"generate|make|new|issue|schedule|export|import|commit|push|pull|merge|rebase|revert|reset|"
                         r"init|clone|stage|tag|untag)(_|$)", re.IGNORECASE)
_READ_MARKERS = {"details", "status", "info", "history", "summary", "report", "profile", "quote", "usage", "lyrics",
                 "reviews", "nutrition", "forecast", "conditions", "timezone", "incidents", "alerts", "index"}
_READ_VERBS = {"get", "list", "search", "find", "read", "check", "lookup", "look", "show", "describe", "fetch", "view",
               "track", "query", "count", "download", "estimate", "calculate", "compute", "convert",
               "recommend", "geocode", "batch_get", "scan", "select", "watch", "test", "validate"}


def operation_kind(tool_name: str, description: str = "") -> str:
    """``delete`` (the resource is gone afterwards), ``cancel`` (it stays, its status changes), ``write`` (creates
    or changes what it names) or ``read``, from the first verb in the tool's name (``shop_track_order`` reads an
    order; ``invest_place_order`` writes one) or a word that names something read (``maps_place_details``). A name
    an OpenAPI loader built from the HTTP method (``post_v1_charitypremium``: no operationId) says how it is sent,
    not what it does: there the ``description``'s first verb decides ("Get details!" reads), and one that names a
    search or query and no write reads too."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", tool_name).lower()
    if re.match(r"(post|put|patch)_", name) and description:
        words = re.findall(r"[a-z]+", re.sub(r"<[^>]+>", " ", description.lower()))
        if words and words[0] in _READ_VERBS:
            return "read"
        if {"search", "query", "queries", "sparql"} & set(words[:12]) and not any(
                _WRITE_VERB.fullmatch(word) or _DELETE_VERB.fullmatch(word) for word in words[:12]):
            return "read"  # "Auckland Museum SPARQL endpoint": a query sent by POST
    if re.search(r"(^|_)(check_in|log_in|sign_in|check_out)(_|$)", name):
        return "write"
    tokens = [t for t in re.split(r"[_.\-]+", name) if t]
    # a list that is a resource (Google's calendarList.patch, tasklists): "list" before another verb is a noun
    tokens = [t for i, t in enumerate(tokens) if not (t == "list" and i + 1 < len(tokens) and (
        tokens[i + 1] in _READ_VERBS or _WRITE_VERB.fullmatch(tokens[i + 1]) or _DELETE_VERB.fullmatch(tokens[i + 1])))]
    if _READ_MARKERS & set(tokens):
        return "read"
    for token in tokens:
        if _DELETE_VERB.fullmatch(token):
            return "delete"
        if _CANCEL_VERB.fullmatch(token):
            return "cancel"
        if token in _READ_VERBS:
            return "read"
        if _WRITE_VERB.fullmatch(token):
            return "write"
    return "read"


@functools.lru_cache(maxsize=1 << 16)  # the same names recur in every simulator a reward builds
def snake_words(name: str) -> tuple[str, ...]:
    """``eventId`` → ``("event", "id")``; ``feed_key`` → ``("feed", "key")``; ``QueueURL`` → ``("queue", "url")``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return tuple(w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _resource_names(tool: ToolSpec) -> set[str]:
    """What a tool acts on, from its name after the service prefix: ``tasks_tasklists_insert`` → ``tasklist``,
    ``insert``, ``tasklistinsert``; ``calendar_calendar_list_get`` → ``calendar``, ``calendarlist``, ...
    (each run of words, singular, joined)."""
    words = [_singular(w) for w in snake_words(tool.name)[1:]] or [_singular(w) for w in snake_words(tool.name)]
    return {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + 3) + 1)}


def _own_fields(schema: Any) -> dict[str, dict[str, Any]]:
    """The response's own identifier (``id``/``key``/``uuid`` at the top, or of each listed item) → its schema."""
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") or {}
    found = {k: v for k, v in properties.items() if k in _OWN_FIELDS and isinstance(v, dict)}
    for sub in properties.values():
        items = sub.get("items") if isinstance(sub, dict) and sub.get("type") == "array" else None
        if isinstance(items, dict):
            for k, v in (items.get("properties") or {}).items():
                if k in _OWN_FIELDS and isinstance(v, dict):
                    found.setdefault(k, v)
    return found


@functools.lru_cache(maxsize=1 << 16)
def _named_resources(parameter: str, description: str, own: str) -> frozenset[str]:
    """The resource a parameter names by the identifier ``own`` (``eventId`` with ``id`` → ``event``), from its
    name or, for a plain name, from its description ("Task list identifier." → ``tasklist``, ``list``)."""
    words = snake_words(parameter)
    if len(words) > 1 and words[-1] == own:
        return frozenset({_singular("".join(words[:-1])), "".join(_singular(w) for w in words[:-1])})
    if own not in ("id", "uuid") or not re.search(r"\b(identifier|id)\b", description, re.IGNORECASE):
        return frozenset()
    named = {"".join(words)}
    for match in _IDENTIFIER_WORDS.finditer(description):
        phrase = [_singular(w) for w in match.group(1).lower().split()]
        named |= {phrase[-1], "".join(phrase)}
    return frozenset(named)


def _describes(own: dict[str, Any], named: frozenset[str]) -> bool:
    """Whether the own id field's description (where it has one) is about one of ``named``: an events_watch call
    returns a channel's id ("... identifies this channel"), which is no event id."""
    description = re.sub(r"[^a-z]", "", (own.get("description") or "").lower())
    return not description or any(name in description for name in named)


def find_dependencies(tools: Iterable[ToolSpec]) -> list[Dependency]:
    """Data-flow edges within each domain: id/token fields of responses that other tools take, named alike
    (``booking_id``; ``channelId`` → ``channel_id``) or the resource's own ``id``/``key`` for a parameter naming
    that resource (see the module docstring). Types must agree; what a delete reports feeds nothing."""
    tools = list(tools)
    by_domain: dict[str, list[ToolSpec]] = defaultdict(list)  # blocking: only tools of one domain are compared
    for tool in tools:
        by_domain[tool.domain].append(tool)
    # each consumer's parameters, read once: (name, type, words, minted, resources named per own-id field)
    inputs: dict[str, list[tuple[str, Any, tuple[str, ...], bool, dict[str, frozenset[str]]]]] = {}
    for tool in tools:
        inputs[tool.name] = [
            (name, schema.get("type"), snake_words(name), is_minted(name),
             {own: _named_resources(name, str(schema.get("description") or ""), own) for own in _OWN_FIELDS})
            for name, schema in (tool.parameters.get("properties") or {}).items() if isinstance(schema, dict)]
    edges = []
    for producer in tools:
        outputs = _leaf_fields(producer.response_schema)
        if not outputs or operation_kind(producer.name) == "delete":
            continue  # (what a delete reports about is gone: its ids feed nothing)
        by_words = {snake_words(f): f for f in outputs}
        own = _own_fields(producer.response_schema)
        resources = _resource_names(producer) if own else set()
        gate = bool(_AUTH_NAME.search(producer.name))
        for consumer in by_domain[producer.domain]:
            if consumer.name == producer.name:
                continue
            required = set(consumer.parameters.get("required", []))
            for parameter, kind, words, minted, named in inputs[consumer.name]:
                if is_plumbing(parameter):
                    continue  # a paging or idempotency token belongs to its own call, not to another's result
                field: str | None
                if parameter in outputs:  # the same name: an id or token
                    field = parameter if minted and outputs[parameter] == kind else None
                else:
                    field = by_words.get(words)  # channelId / channel_id
                    if field is None or outputs[field] != kind or not (minted or is_minted(field)):
                        field = next((f for f in own if outputs.get(f) == kind and named[f] & resources
                                      and _describes(own[f], named[f] & resources)), None)
                if field is not None:
                    edges.append(Dependency(producer.name, consumer.name, field, gate=gate and parameter in required,
                                            parameter=parameter))
    return edges


def own_parameters(tools: Iterable[ToolSpec], dependencies: Iterable[Dependency]) -> dict[str, dict[str, set[str]]]:
    """Tool → its response's own id field → the required parameters of that tool that name the same id under
    another name. A tool that requires one (``tasks_tasklists_patch(tasklist=T)``,
    ``calendar_settings_get(setting=S)``) acts on that resource and reports its id, never a new one: a name other
    tools take the id by (the edges), or a parameter naming the tool's own resource (a top-level ``id`` whose
    description names it, types agreeing). An optional one (``tasks_tasks_insert(parent=P)``) names another."""
    elsewhere: dict[str, dict[str, set[str]]] = {}
    for dep in dependencies:
        if dep.parameter != dep.field:
            elsewhere.setdefault(dep.producer, {}).setdefault(dep.field, set()).add(dep.parameter)
    own: dict[str, dict[str, set[str]]] = {}
    for tool in tools:
        required = set(tool.parameters.get("required") or [])
        for id_field, names in elsewhere.get(tool.name, {}).items():
            if names & required:
                own.setdefault(tool.name, {})[id_field] = names & required
        top = tool.response_schema.get("properties") if isinstance(tool.response_schema, dict) else None
        fields = {k: v for k, v in (top or {}).items() if k in _OWN_FIELDS and isinstance(v, dict)}
        resources = _resource_names(tool) if fields else set()
        for name, schema in (tool.parameters.get("properties") or {}).items():
            if not isinstance(schema, dict) or name in fields or name not in required:
                continue
            for id_field, id_schema in fields.items():
                first = str(id_schema.get("description") or "").split(". ", 1)[0]  # ("... See Sharing calendars.")
                said = re.sub(r"[^a-z]", "", first.lower())
                named = frozenset(n for n in _named_resources(name, str(schema.get("description") or ""), id_field)
                                  if n in resources or (len(n) > 2 and n in said))  # (an ACL rule: "... ACL rule")
                if named and schema.get("type") == id_schema.get("type") and _describes(id_schema, named):
                    own.setdefault(tool.name, {}).setdefault(id_field, set()).add(name)
    return own


def linked_parameters(dependencies: Iterable[Dependency]) -> dict[str, set[str]]:
    """Parameter name → the response fields that fill it under another name (``eventId`` → ``{"id"}``): what a
    simulated server and the verifier accept as the same id."""
    aliases: dict[str, set[str]] = defaultdict(set)
    for dep in dependencies:
        if dep.parameter != dep.field:
            aliases[dep.parameter].add(dep.field)
    return dict(aliases)


def llm_merge(backend: Any) -> Callable[[list[ToolSpec]], ToolSpec]:
    """A merger that asks ``backend`` for one description covering a cluster of near-duplicate tools.

    The representative keeps its name and schema (what calls validate against); only the description
    is rewritten, and only if the model answers with plausible text.
    """
    from inftool_hf.configs import SamplingConfig

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
    from inftool_hf.configs import SamplingConfig

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
    embed: Callable[[list[str]], Any] | None = None,
) -> ToolPool:
    """Deduplicate, merge near duplicates (by TF-IDF, or ``embed``'s vectors where given; each group first split by
    ``splitter`` when given: which of them really are redundant), and find dependencies."""
    unique: dict[str, ToolSpec] = {}
    for tool in tools:
        unique.setdefault(_fingerprint(tool), tool)
    candidates = list(unique.values())
    clusters = _near_duplicate_clusters(candidates, near_duplicate_threshold, embed=embed)
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
        # edges whose id changes name on the way (an event's ``id`` → ``eventId``)
        "renamed_dependency_edges": sum(d.field != d.parameter for d in pool.dependencies),
        "domains": {name: {"raw": raw_by_domain[name], "distinct": distinct_by_domain[name],
                           "kept": len(domains.get(name, [])), "dependency_edges": edges[name]}
                    for name in sorted(raw_by_domain)},
        "merges": dict(sorted(pool.merged.items())),
        "taxonomy": {area: {"domains": len(entry["domains"]), "tools": entry["tools"]}
                     for area, entry in taxonomy_report(pool.tools.values()).items()},
    }


def text_embedder(model_path: str, batch_size: int = 32, max_length: int = 256) -> Callable[[list[str]], Any]:
    """Texts → L2-normalised embeddings (mean of the last hidden states) from a local checkpoint folder, for
    InfTool's embed-and-cluster step where a model is available (never downloaded: ``local_files_only``)."""
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModel.from_pretrained(model_path, local_files_only=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device).eval()

    def embed(texts: list[str]) -> Any:
        out = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                                  max_length=max_length, return_tensors="pt").to(device)
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
                out.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 1), dtype=np.float32)

    return embed


def _near_duplicate_clusters(tools: list[ToolSpec], threshold: float, chunk: int = 1024,
                             embed: Callable[[list[str]], Any] | None = None) -> list[list[ToolSpec]]:
    """Groups of tools whose cosine is at or above ``threshold`` and that take the same required parameters
    (linked transitively), in order of first member. The cosine is of TF-IDF rows, or of ``embed``'s vectors
    (:func:`text_embedder`) where given.

    Vectorised so that tens of thousands of tools fit (every AWS operation botocore ships is ~20k): the similarity
    is a product of the L2-normalised rows (sparse for TF-IDF), taken ``chunk`` rows at a time (never the n x n
    matrix), keeping only the pairs above the threshold; connected components of those pairs are the groups."""
    if len(tools) < 2:
        return [[t] for t in tools]
    import numpy as np
    from scipy.sparse import coo_matrix, csr_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [_tool_text(t) for t in tools]
    matrix: Any = csr_matrix(embed(texts)) if embed is not None else \
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    transposed = matrix.T.tocsr()
    required = [frozenset(t.parameters.get("required", [])) for t in tools]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for start in range(0, len(tools), chunk):
        block = coo_matrix(matrix[start:start + chunk] @ transposed)
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
