"""The MCP Server agent: executes tool calls against a spec, with per-conversation state.

Like a real server it validates arguments against the tool's JSON schema and answers invalid calls
with an error result instead of data. Results are synthesized from the response schema (realistic
values, seeded by the call, so a conversation replays identically) and kept consistent with state:
ids handed out earlier are remembered, and a call that refers to an id nobody issued gets a
"not found" error. A blueprint can plan the ids a call returns, so dependent calls in the gold plan
line up with what the simulator says. An optional LLM (``llm_backend``) writes the result instead
when a capable model is configured; its output is only used if it parses and matches the response
schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from inftool_hf.sources.specs import ToolSpec
from inftool_hf.synth.realize import is_failure_list
from inftool_hf.synth.tool_pool import (
    Dependency,
    find_dependencies,
    is_minted,
    linked_parameters,
    operation_kind,
    own_parameters,
    snake_words,
)
from inftool_hf.synth.values import TODAY, ValueFactory


def _validator(schema: dict[str, Any]):
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(schema: dict[str, Any], instance: Any, limit: int = 3) -> list[str]:
    """Readable validation errors (at most ``limit``), empty when valid."""
    errors = sorted(_validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    out = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.path) or "(arguments)"
        out.append(f"{where}: {error.message[:200]}")
    return out


# Fields that a cancellation may change (and a later read then reports differently).
STATUS_FIELDS = ("status", "state", "cancelled", "canceled", "active", "enabled", "updated", "activated")


def own_id(node: dict[str, Any]) -> tuple[str, str] | None:
    """The id an object is about: its ``id`` field (Google's style), else its first id-like field."""
    if isinstance(node.get("id"), str):
        return "id", node["id"]
    return next(((k, v) for k, v in node.items() if is_minted(k) and isinstance(v, str)), None)


def created_ids(refs: dict[str, str], result: dict[str, Any]) -> list[str]:
    """Id fields of a result that no argument gave: what the call created (its own ``id`` first)."""
    given = set(refs.values())  # an id the call was given under any name (``eventId`` → ``id``) is not new
    found = [k for k, v in result.items() if (is_minted(k) or k == "id") and isinstance(v, str) and v not in given]
    return sorted(found, key=lambda k: k != "id")


def write_subjects(refs: dict[str, str], result: dict[str, Any]) -> list[tuple[str, str]]:
    """The resource a call changes: the referenced id its result repeats, else the last one that is not a
    session or token (a session id is a gate, not the thing being changed). The simulator keeps its records
    by the same rule."""
    if created_ids(refs, result):
        return []  # it makes a new resource (booking a flight): the referenced ones stay as they were
    repeated = [(k, v) for k, v in refs.items() if k in result or v in result.values()]
    return repeated or [(k, v) for k, v in refs.items() if "session" not in k and "token" not in k][-1:]


def _scalars(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if isinstance(v, (str, int, float, bool)) or
            (isinstance(v, list) and all(isinstance(i, (str, int, float)) for i in v))}


def plain_text_answer(description: str, arguments: dict[str, Any], factory: ValueFactory) -> str | None:
    """The text a tool whose response is one plain string sends back, from what its description says it does:
    suggestions for a partial query, a count of what a search found, a description of itself; None where the
    description says none of these (the value factory answers)."""
    said = description.strip().lower()
    query = next((v for k, v in arguments.items() if isinstance(v, str) and k.lower() in (
        "q", "query", "term", "search", "keyword", "searchterms", "search_terms")), "")

    def number(*names: str) -> int | None:
        found = [v for k, v in arguments.items() if k.lower().replace("_", "") in names and isinstance(v, int)]
        return found[0] if found and found[0] > 0 else None

    if re.match(r"(?:suggest|autocomplete|complete)", said):
        stem = query or factory.rng.choice(["sea ice", "snow cover", "glacier"])
        # a word the query already holds is not suggested again ("sea ice extent extent")
        words = [w for w in ["data", "extent", "map", "index", "trends", "daily", "monthly", "archive"]
                 if w not in stem.lower().split()]
        return ", ".join(f"{stem} {word}" for word in factory.rng.sample(words, k=3))
    if re.match(r"(?:search|find|query|view the facet|list)", said):
        # the page the call asked for (startIndex 81, count 1 → "showing 81-81")
        start, count = number("startindex", "start", "offset") or 1, number("count", "limit", "perpage") or 10
        total = max(factory.rng.randint(3, 240), start + count - 1)
        return f"{total} results{f' for {query!r}' if query else ''}; showing {start}-{start + count - 1}."
    if re.match(r"describes?\b", said):
        what = re.sub(r"(?i)^describes?\s+", "", description.strip().split(". ")[0]).rstrip(".")
        return what[:1].upper() + what[1:] + "."  # "The web interface of NSIDC's data search engine."
    return None


@dataclass
class SimulatorState:
    """What one conversation's server knows: ids issued (by tools or given by the user), the resources
    behind them (what was written or reported about each id), deleted ids, and a call log."""

    known_ids: dict[str, set[str]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    # "field=value" (e.g. "booking_id=BO-24034") → that resource's fields as last written or reported
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    # parameter → the response fields that name the same id (``eventId`` → ``{"id"}``; tool_pool.linked_parameters)
    aliases: dict[str, set[str]] = field(default_factory=dict)

    def remember(self, name: str, value: Any) -> None:
        if isinstance(value, str):
            self.known_ids.setdefault(name, set()).add(value)

    def knows(self, name: str, value: Any) -> bool:
        return isinstance(value, str) and any(value in self.known_ids.get(n, set())
                                              for n in (name, *sorted(self.aliases.get(name, ()))))

    def key(self, name: str, value: Any) -> str:
        """Where the resource ``name=value`` is kept: under the name it was first known by (``eventId=E`` is the
        event created as ``id=E``)."""
        for alias in (name, *sorted(self.aliases.get(name, ()))):
            if f"{alias}={value}" in self.records or f"{alias}={value}" in self.deleted:
                return f"{alias}={value}"
        return f"{name}={value}"

    def record(self, name: str, value: Any, fields: dict[str, Any]) -> None:
        """Merge what is now known about the resource ``name=value``."""
        self.records.setdefault(self.key(name, value), {}).update(fields)

    def snapshot(self) -> dict[str, Any]:
        return {"known_ids": {k: sorted(v) for k, v in sorted(self.known_ids.items())},
                "calls": [{"name": c["name"], "ok": c["ok"]} for c in self.calls],
                "records": {k: self.records[k] for k in sorted(self.records)}, "deleted": sorted(self.deleted)}


class ToolSimulator:
    """Simulated execution of the tools of one conversation."""

    def __init__(
        self,
        tools: dict[str, ToolSpec],
        planned: list[dict[str, Any]] | None = None,
        user_ids: list[tuple[str, Any]] | None = None,
        seed: int = 0,
        llm_backend: Any = None,
        implementations: dict[str, Any] | None = None,
        dependencies: list[Dependency] | None = None,
    ):
        self.tools = tools
        self.planned = planned or []
        self.seed = seed
        self.llm_backend = llm_backend
        # tool name → Python function run for real (see inftool_hf.sources.python_tools)
        self.implementations = implementations or {}
        edges = find_dependencies(tools.values()) if dependencies is None else dependencies  # (the pool's, if known)
        self.state = SimulatorState(aliases=linked_parameters(edges))
        # tool → parameters its own response ``id`` names (``calendar_events_get`` → ``{"id": {"eventId"}}``)
        self.own = own_parameters(tools.values(), edges)
        self.id_fields = {f for fields in self.state.aliases.values() for f in fields}
        # ids the user legitimately knows (their own booking reference, device id, ...)
        for name, value in user_ids or []:
            if self.is_reference(name):
                self.state.remember(name, value)

    def is_reference(self, name: str) -> bool:
        """A parameter that names a resource a tool handed out: an id by its name, or one linked to a response's
        ``id`` (Google's ``tasklist``, "Task list identifier.")."""
        return is_minted(name) or name in self.state.aliases

    def _own_parameters(self, name: str) -> set[str]:
        return {p for params in self.own.get(name, {}).values() for p in params}

    def _planned_outputs(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        for plan in self.planned:
            if plan["name"] == name and all(arguments.get(k) == v for k, v in plan["arguments"].items()
                                            if k not in plan.get("sources", {})):
                return dict(plan.get("outputs") or {})
        return {}

    def execute(self, name: str, arguments: Any) -> dict[str, Any]:
        """Run one call; returns the JSON-able result (``{"error": ...}`` for a failed call)."""
        result = self._execute(name, arguments)
        self.state.calls.append({"name": name, "arguments": arguments, "ok": "error" not in result})
        return result

    def _execute(self, name: str, arguments: Any) -> dict[str, Any]:
        tool = self.tools.get(name)
        if tool is None:
            return {"error": f"unknown tool '{name}'", "available_tools": sorted(self.tools)}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except (ValueError, RecursionError):
                return {"error": "arguments are not valid JSON"}
        if not isinstance(arguments, dict):
            return {"error": "arguments must be a JSON object"}
        problems = schema_errors(tool.parameters, arguments)
        if problems:
            return {"error": "invalid arguments", "details": problems}
        refs = [(p, v) for p, v in arguments.items() if self.is_reference(p) and isinstance(v, str)]
        for param, value in refs:
            if not self.state.knows(param, value) or self.state.key(param, value) in self.state.deleted:
                return {"error": f"{param} '{value}' not found"}
        for param, value in arguments.items():
            self.state.remember(param, value)
        if name in self.implementations:
            from inftool_hf.sources.python_tools import run_implementation

            return run_implementation(self.implementations[name], arguments)
        planned = self._planned_outputs(name, arguments)
        result = None
        if self.llm_backend is not None and tool.response_schema:
            result = self._llm_result(tool, arguments)
        if result is None:
            result = self._schema_result(tool, arguments)
        kind = operation_kind(name)
        if isinstance(result, dict) and kind != "read":
            _report_success(result, name)
            _fresh_status(result, tool.response_schema, refs)
        if isinstance(result, dict):
            _as_many_as_asked(result, arguments)
            _within_range(result, arguments)
            _derive(result, arguments)
            _zone_times(result, arguments)
        if isinstance(result, dict) and kind == "read":
            for param, value in refs:  # a read of a known resource reports what was written or reported before
                key = self.state.key(param, value)
                if key.partition("=")[0] == param or param in self._own_parameters(name):
                    _fill(result, self.state.records.get(key, {}))  # (the event read, not its calendar)
        if isinstance(result, dict) and kind == "write":  # a new resource never gets an id the conversation has
            for node in [result, *(v for v in result.values() if isinstance(v, dict))]:
                for key in created_ids(dict(refs), node):
                    if key not in planned and self.state.knows(key, node[key]):
                        node[key] = self._fresh_id(key, node[key])  # (a spec's example value, reused)
        result = self._apply(result, tool, arguments, planned)
        if isinstance(result, dict):
            _ends_in_order(result, arguments)
        self._include_created(result, name)
        self._keep_records(name, kind, arguments, refs, result)
        return result

    def _include_created(self, result: dict[str, Any], lister: str) -> None:
        """A list that holds resources of a kind created in this conversation includes the created ones."""
        for items in list(result.values()):
            if not (isinstance(items, list) and items and isinstance(items[0], dict)):
                continue
            id_fields = ["id"] if isinstance(items[0].get("id"), str) else \
                [k for k in items[0] if is_minted(k) and isinstance(items[0][k], str)]
            for id_field in id_fields[:1]:
                listed = {item.get(id_field) for item in items if isinstance(item, dict)}
                for record_key, fields in self.state.records.items():
                    name, _, value = record_key.partition("=")
                    if name != id_field or value in listed or record_key in self.state.deleted:
                        continue
                    if not fields.get("_created") or (name == "id" and not _same_resource(fields, lister)):
                        continue  # (an ``id`` alone does not say what it names: the creating tool does)
                    item = {k: (fields[k] if k in fields and isinstance(fields[k], type(v)) else v)
                            for k, v in items[0].items()}
                    item[id_field] = value
                    items.insert(0, item)
                    listed.add(value)

    def _keep_records(self, name: str, kind: str, arguments: dict[str, Any], refs: list[tuple[str, str]],
                      result: dict[str, Any]) -> None:
        given = _scalars(arguments)
        fields = _scalars(result) if isinstance(result, dict) else {}
        for inner in (result.values() if isinstance(result, dict) else []):  # AWS wraps: {"ExportDescription": {...}}
            if isinstance(inner, dict):
                for k, v in _scalars(inner).items():
                    fields.setdefault(k, v)
        for param, value in refs:
            if kind == "delete":
                self.state.deleted.add(self.state.key(param, value))
        own = self._own_parameters(name)
        subjects = write_subjects(dict(refs), fields) if kind != "read" else \
            [(p, v) for p, v in refs if p in fields or p in own] or refs[-1:]
        for param, value in subjects if kind != "delete" else []:
            key = self.state.key(param, value)
            if kind == "cancel":
                known = self.state.records.setdefault(key, {})
                for status in STATUS_FIELDS:
                    if isinstance(known.get(status), str):
                        known[status] = "cancelled"
                    elif isinstance(known.get(status), bool):
                        known[status] = status in ("cancelled", "canceled")
            update = {k: v for k, v in fields.items() if k != param}
            if kind in ("write", "cancel"):
                update.update({k: v for k, v in given.items() if k != param and not is_minted(k)})
            self.state.record(param, value, update)
        # ids this call hands out: the new resource is what the call was asked to make plus what it reported
        for key in created_ids(dict(refs), fields):
            if f"{key}={fields[key]}" not in self.state.records:
                self.state.record(key, fields[key], {**given, **fields, "_created": kind == "write", "_by": name})
        # resources reported inside lists (search results, ...) or wrapped ({"ExportDescription": {...}}) are facts too
        for items in (result.values() if isinstance(result, dict) else []):
            for item in items if isinstance(items, list) else [items]:
                if not isinstance(item, dict):
                    continue
                subject = own_id(item)
                if subject is not None and f"{subject[0]}={subject[1]}" not in self.state.records:
                    self.state.record(subject[0], subject[1], _scalars(item))

    def _apply(self, result: Any, tool: ToolSpec, arguments: dict[str, Any], planned: dict[str, Any]) -> dict:
        """Echo inputs into same-named output fields, place planned ids, remember minted ids."""
        if not isinstance(result, dict):
            result = {"result": result}

        placed: set[str] = set()
        for key in [k for k in planned if k in result]:  # the call's own id first, not a nested one (creator.id)
            result[key] = planned[key]
            placed.add(key)
        for id_field, params in self.own.get(tool.name, {}).items():  # a read by eventId reports that id
            given = [arguments[p] for p in sorted(params) if isinstance(arguments.get(p), str)]
            if given and id_field in result and id_field not in placed and isinstance(result[id_field], str):
                result[id_field] = given[0]
                placed.add(id_field)

        def walk(node: Any, owner: str = "") -> Any:
            if isinstance(node, dict):
                for key in list(node):
                    flat = f"{owner}_{key}" if owner else ""  # convert_time's source.timezone is its source_timezone
                    if key in placed and node is result:
                        pass
                    elif flat in arguments and not isinstance(node[key], dict) \
                            and isinstance(node[key], type(arguments[flat])):
                        node[key] = arguments[flat]
                    elif key in planned and key not in placed:  # once: the other listed items keep their own ids
                        node[key] = planned[key]
                        placed.add(key)
                    elif key in arguments and isinstance(node[key], dict) and isinstance(arguments[key], dict):
                        node[key] = {**walk(node[key]), **arguments[key]}  # what was sent, and what the server adds
                    elif key in arguments and isinstance(node[key], type(arguments[key])):
                        node[key] = arguments[key]
                    else:
                        node[key] = walk(node[key], key if isinstance(node[key], dict) else "")
                    if is_minted(key) or key in self.id_fields:
                        self.state.remember(key, node[key])
                return node
            if isinstance(node, list):
                return [walk(item) for item in node]
            return node

        result = walk(result)
        self._remember_ids(result)  # also inside objects echoed whole from the arguments
        # A planned id whose field sits inside a list that came out empty: make sure it is there.
        missing = {k: v for k, v in planned.items() if not self.state.knows(k, v)}
        for key, value in missing.items():
            result[key] = value
            self.state.remember(key, value)
        return result

    def _fresh_id(self, key: str, taken: str) -> str:
        """An id for a new resource whose generated id (a spec's example value) is one the conversation already
        has: the same shape (an ARN keeps its prefix), another value."""
        factory = ValueFactory(self._call_seed(key, {"taken": taken, "calls": len(self.state.calls)}))
        if taken.startswith("arn:"):
            head, sep, _ = taken.rpartition("/") if "/" in taken else taken.rpartition(":")
            return f"{head}{sep}{factory.faker.word()}-{factory.rng.randint(1000, 9999)}"
        return factory.minted_id(key)

    def _remember_ids(self, node: Any, depth: int = 0) -> None:
        if depth > 8:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if (is_minted(key) or key in self.id_fields) and isinstance(value, str):
                    self.state.remember(key, value)
                else:
                    self._remember_ids(value, depth + 1)
        elif isinstance(node, list):
            for item in node:
                self._remember_ids(item, depth + 1)

    def _call_seed(self, name: str, arguments: dict[str, Any]) -> int:
        digest = hashlib.sha256(json.dumps([self.seed, name, arguments], sort_keys=True, default=str).encode())
        return int.from_bytes(digest.digest()[:8], "big")

    def _schema_result(self, tool: ToolSpec, arguments: dict[str, Any]) -> Any:
        schema = tool.response_schema or {"type": "object",
                                          "properties": {"status": {"type": "string", "enum": ["ok"]}}}
        factory = ValueFactory(self._call_seed(tool.name, arguments))
        # the units asked for (or the schema's default) reach the values: a metric forecast's high is in °C
        properties = (tool.parameters or {}).get("properties") or {}
        units = [str(arguments.get(k, (properties.get(k) or {}).get("default", ""))) for k in properties
                 if k in ("units", "unit", "temperature_unit", "scale")]
        factory.context = " ".join([tool.name, tool.domain, *units])
        factory.about = tool.description or ""
        factory.api = tool.api
        if schema == {"type": "string"}:  # the whole answer is text: what the tool says it returns
            text = plain_text_answer(tool.description or "", arguments, factory)
            if text is not None:
                return text
        result = factory.for_schema(_all_required(_parameter_choices(schema, tool.parameters, arguments)), tool.name)
        if isinstance(result, dict):
            _requested_entries(result, schema, tool.parameters, arguments, factory)
        return result

    def _llm_result(self, tool: ToolSpec, arguments: dict[str, Any]) -> Any:
        from inftool_hf.configs import SamplingConfig

        prompt = (
            f"You are the server of the API tool `{tool.name}`: {tool.description}.\n"
            f"Response JSON schema: {json.dumps(tool.response_schema)}\n"
            f"Known state: {json.dumps(self.state.snapshot())}\n"
            f"Call arguments: {json.dumps(arguments)}\n"
            "Answer with the JSON response only, realistic and consistent with the state."
        )
        [generation] = self.llm_backend.generate([[{"role": "user", "content": prompt}]], None,
                                                 SamplingConfig(max_new_tokens=256))
        text = generation.raw_text.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return data if not schema_errors(tool.response_schema or {}, data) else None


def _parameter_choices(schema: dict[str, Any], parameters: dict[str, Any], arguments: dict[str, Any]) -> dict:
    """A result field named like a parameter with listed values takes one of them (a thermostat set without a
    ``mode`` reports its default ``auto``, not ``mode-38``); the call's own value is echoed later."""
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else None
    inputs = parameters.get("properties") or {}
    if not properties:
        return schema
    narrowed = dict(properties)
    for key, field_schema in properties.items():
        listed = (inputs.get(key) or {}).get("enum") if isinstance(inputs.get(key), dict) else None
        if not listed or not isinstance(field_schema, dict) or "enum" in field_schema or key in arguments:
            continue
        default = inputs[key].get("default")
        narrowed[key] = {**field_schema, "enum": [default] if default in listed else list(listed)}
    return {**schema, "properties": narrowed}


def _requested_entries(result: dict[str, Any], schema: dict[str, Any], parameters: dict[str, Any],
                       arguments: dict[str, Any], factory: ValueFactory) -> None:
    """A map the call asked for by name holds those names: SQS ``GetQueueAttributes(AttributeNames=[...])``
    answered ``{"Attributes": {}}``; now each requested attribute (``All``: the listed ones) has a value."""
    properties: dict[str, Any] = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
    for key, field_schema in properties.items():
        values = field_schema.get("additionalProperties") if isinstance(field_schema, dict) else None
        if not isinstance(values, dict) or not isinstance(result.get(key, {}), dict):
            continue  # (a map the schema filled with other keys is replaced by the asked ones)
        stem = snake_words(key)
        by = next((a for a in arguments if snake_words(a) in (
            (*stem, "names"), (*stem[:-1], stem[-1].rstrip("s"), "names"))), None)
        asked = arguments.get(by) if by else None
        if not isinstance(asked, list) or not all(isinstance(n, str) for n in asked):
            continue
        parameter = (parameters.get("properties") or {}).get(by)
        listed = ((parameter.get("items") or {}).get("enum") if isinstance(parameter, dict) else None) or []
        names = [n for n in listed if n != "All"][:4] if "All" in asked else list(asked)
        result[key] = {name: factory.map_entry(name, values) for name in dict.fromkeys(n for n in names if n != "All")}


_ENDED = ("deleted", "removed", "archived", "cancelled", "canceled", "completed", "expired", "revoked", "deactivated",
          "suspended", "blocked", "failed", "purged")
_SUCCESS_FLAGS = ("success", "ok", "playing", "done", "frozen", "sent", "delivered", "activated", "enabled", "recorded",
                  "saved", "applied", "processed", "succeeded", "successful")
# A resource a call has just created starts in one of these states, not "cancelled" or "checked_in".
_FRESH_STATES = ("confirmed", "booked", "created", "scheduled", "active", "pending", "open", "placed", "received",
                 "processing", "requested", "invited", "sent", "todo", "new", "ok", "success")
_LOW_END = re.compile(r"(^|_)(from|start|since|after|earliest|check_in|begin)(_|$)")
_HIGH_END = re.compile(r"(^|_)(to|end|until|before|latest|check_out|finish)(_|$)")


def _report_success(node: dict[str, Any], tool_name: str = "") -> None:
    """A call that went through says so: ``deleted: false`` after a successful delete reads as a failure, and a
    batch that went through lists no failed entries. Only the call's own outcome: a task just inserted is not
    ``deleted: true``."""
    verbs = set(snake_words(tool_name))
    for key, value in node.items():
        done = key in _SUCCESS_FLAGS or (key.endswith("ed") and bool({key[:-1], key[:-2], key[:-3]} & verbs))
        if isinstance(value, bool) and done:
            node[key] = True
        elif isinstance(value, bool) and key in _ENDED:  # what another call would do to it has not happened
            node[key] = False
        elif isinstance(value, (list, dict)) and is_failure_list(key):
            node[key] = type(value)()


_SPANS = {"days": dt.timedelta(days=1), "hours": dt.timedelta(hours=1)}


def _as_many_as_asked(result: dict[str, Any], arguments: dict[str, Any]) -> None:
    """A list answering a count of the same name holds no more than it (a limit of 5 is never answered with 12),
    and a forecast for n days or hours holds n (at most 10): the extra entries follow the last one by a day or an
    hour, its numbers moved a little."""
    import copy

    for key, asked in arguments.items():
        items = result.get(key)
        if not isinstance(items, list) or not isinstance(asked, int) or isinstance(asked, bool) or asked < 0:
            continue
        if len(items) > asked:
            del items[asked:]
        elif key in _SPANS and items and isinstance(items[-1], dict):
            for offset in range(1, min(asked, 10) - len(items) + 1):
                item = copy.deepcopy(items[-1])
                for name, value in item.items():
                    if isinstance(value, float):
                        item[name] = round(value + (-1) ** offset * (0.4 + 0.3 * offset), 2)
                    elif isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
                        try:
                            item[name] = _shifted(value, offset * _SPANS[key])
                        except ValueError:
                            continue
                items.append(item)


def _ends_in_order(result: dict[str, Any], arguments: dict[str, Any]) -> None:
    """A result's range ends in order, where one end echoes the call (a free/busy answer repeats the asked
    ``timeMin``; its ``timeMax`` is drawn apart): the drawn end moves a day past the asked one."""
    from inftool_hf.synth.values import as_instant, range_pairs

    for node in [result, *(v for v in result.values() if isinstance(v, dict))]:
        for low, high in range_pairs(node):
            if not (isinstance(node[low], str) and isinstance(node[high], str)):
                continue  # times only: numbers of a range are values.order_ranges' (it swaps them)
            first, last = as_instant(node[low]), as_instant(node[high])
            if first is None or last is None or type(first) is not type(last) or last >= first:
                continue
            if node[high] == arguments.get(high) and node[low] != arguments.get(low):
                node[low] = _shifted(node[high], dt.timedelta(days=-1))
            else:
                node[high] = _shifted(node[low], dt.timedelta(days=1))


def _shifted(value: str, delta: dt.timedelta) -> str:
    """An ISO date or date-time moved by ``delta``, written as it was (``Z`` stays ``Z``)."""
    moved = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
    return moved.date().isoformat() if len(value) == 10 else moved.isoformat().replace("+00:00", "Z")


def _derive(result: dict[str, Any], arguments: dict[str, Any]) -> None:
    """Fields a reader checks by arithmetic: a conversion's result is the amount times the rate."""
    amount = next((arguments[k] for k in ("amount", "quantity", "value") if isinstance(arguments.get(k), (int, float))
                   and not isinstance(arguments.get(k), bool)), None)
    rate = result.get("rate")
    if amount is None or not isinstance(rate, (int, float)) or isinstance(rate, bool):
        return
    for key in ("converted", "result", "converted_amount", "amount_converted"):
        if isinstance(result.get(key), (int, float)) and not isinstance(result.get(key), bool):
            result[key] = round(amount * rate, 2)


def _zone_times(result: dict[str, Any], arguments: dict[str, Any]) -> None:
    """A conversion between time zones reports the asked time in each zone, with the real offset, weekday and
    daylight saving (mcp-server-time's ``convert_time``: Asia/Tokyo 13:15 is 05:15 in Europe/Paris in winter, not
    a random date-time). Only where the call gives a clock time and IANA zone names: nothing is guessed."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    clock = next((v for v in arguments.values() if isinstance(v, str) and re.fullmatch(r"\d{1,2}:\d\d", v)), None)
    ends = [k for k, v in result.items() if isinstance(v, dict) and isinstance(v.get("timezone"), str)
            and isinstance(v.get("datetime"), str)]
    if clock is None or not ends:
        return
    ends.sort(key=lambda k: k != "source")  # the time is given in the source zone
    zones = {}
    for key in ends:
        try:
            zones[key] = ZoneInfo(str(arguments.get(f"{key}_timezone", result[key]["timezone"])))
        except (ZoneInfoNotFoundError, ValueError):
            return
    hour, minute = (int(part) for part in clock.split(":"))
    if hour > 23 or minute > 59:
        return
    start = dt.datetime.combine(TODAY, dt.time(hour, minute), tzinfo=zones[ends[0]])
    for key in ends:
        local = start.astimezone(zones[key])
        node = result[key]
        node.update(timezone=str(zones[key]), datetime=local.isoformat(timespec="seconds"))
        if "day_of_week" in node:
            node["day_of_week"] = local.strftime("%A")
        if isinstance(node.get("is_dst"), bool):
            node["is_dst"] = bool(local.dst())
    if len(ends) == 2 and isinstance(result.get("time_difference"), str):
        offsets = [start.astimezone(zones[k]).utcoffset() or dt.timedelta() for k in ends]
        result["time_difference"] = f"{(offsets[1] - offsets[0]).total_seconds() / 3600:+.1f}h"


def _fresh_status(result: dict[str, Any], schema: dict[str, Any] | None, refs: list[tuple[str, str]]) -> None:
    """A resource the call just created reports its first state (a new booking is confirmed, not cancelled)."""
    if not created_ids(dict(refs), result) or not isinstance(schema, dict):
        return
    for key in ("status", "state"):
        options = ((schema.get("properties") or {}).get(key) or {}).get("enum") or []
        fresh = [o for o in _FRESH_STATES if o in options]
        if isinstance(result.get(key), str) and fresh and result[key] not in fresh:
            result[key] = fresh[0]


def _within_range(result: dict[str, Any], arguments: dict[str, Any]) -> None:
    """Dates in a listing asked for a date range fall inside that range; asked for one day, on that day;
    a forecast's days follow each other, and its hours."""
    from inftool_hf.synth.values import as_instant, order_ranges

    single = next((v for k, v in arguments.items() if k in ("date", "day") and isinstance(v, str) and len(v) == 10
                   and as_instant(v) is not None), None)
    for value in result.values():
        items = [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []
        for item in items if single is not None else []:
            for key, inner in item.items():
                if isinstance(inner, str) and len(inner) >= 16 and inner[4] == "-" and inner[10] == "T" and \
                        as_instant(inner) is not None:
                    item[key] = f"{single}{inner[10:]}"
            order_ranges(item)  # moved onto one day, a departure can come after its arrival: put them in order
        timed = [i for i in items if isinstance(i.get("time"), str) and len(i["time"]) >= 16 and
                 as_instant(i["time"]) is not None]
        if len(timed) > 1 and all(isinstance(i.get("time"), str) for i in items):  # an hourly forecast, hour by hour
            start = min(as_instant(i["time"]) for i in timed)
            for offset, item in enumerate(timed):
                item["time"] = (start + dt.timedelta(hours=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        dated = [i for i in items if isinstance(i.get("date"), str) and len(i["date"]) == 10 and
                 as_instant(i["date"]) is not None]
        if len(dated) > 1:
            start = max(min(as_instant(i["date"]) for i in dated), dt.datetime(2026, 11, 25))
            for offset, item in enumerate(dated):
                item["date"] = (start + dt.timedelta(days=offset)).date().isoformat()

    low = next((as_instant(v) for k, v in arguments.items() if _LOW_END.search(k) and as_instant(v) is not None
                and isinstance(v, str)), None)
    high = next((as_instant(v) for k, v in arguments.items() if _HIGH_END.search(k) and as_instant(v) is not None
                 and isinstance(v, str)), None)
    if low is None or high is None or high < low:
        return
    span = max((high - low).total_seconds(), 0)

    def clamp(node: Any, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(node, list):
            for item in node:
                clamp(item, depth + 1)
        elif isinstance(node, dict):
            for key, value in node.items():
                instant = as_instant(value) if isinstance(value, str) else None
                if instant is not None and not low <= instant <= high:
                    digest = int(hashlib.sha256(f"{key}{value}".encode()).hexdigest()[:8], 16)
                    moved = low + dt.timedelta(seconds=(digest % int(span + 1)) if span else 0)
                    node[key] = moved.date().isoformat() if len(value) == 10 else moved.strftime("%Y-%m-%dT%H:%M:00Z")
                else:
                    clamp(value, depth + 1)

    for key, value in result.items():
        if isinstance(value, (list, dict)) and key not in arguments:
            clamp(value)


def _same_resource(record: dict[str, Any], lister: str) -> bool:
    """Whether the tool that created ``record`` and ``lister`` act on one kind of resource (``tasks_tasks_insert``
    and ``tasks_tasks_list``, not ``tasks_tasklists_insert``): their names without service and verb agree."""
    made_by = snake_words(str(record.get("_by", "")))
    return bool(made_by) and made_by[1:-1] == snake_words(lister)[1:-1]


def _fill(node: Any, known: dict[str, Any]) -> None:
    """Set the fields of ``node`` (and of nested objects) that ``known`` has, where the types agree."""
    if not isinstance(node, dict) or not known:
        return
    for key in list(node):
        if key in known and not key.startswith("_") and _same_kind(node[key], known[key]):
            node[key] = known[key]
        elif isinstance(node[key], dict):
            _fill(node[key], known)


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return isinstance(a, float) or not isinstance(b, float)
    return type(a) is type(b)


def _all_required(schema: dict[str, Any]) -> dict[str, Any]:
    """Response schemas list fields without ``required``; a synthesized response fills them all."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _all_required(v) for k, v in out["properties"].items()}
        out["required"] = list(out["properties"])
    if isinstance(out.get("items"), dict):
        out["items"] = _all_required(out["items"])
        out.setdefault("minItems", 1)
    return out
