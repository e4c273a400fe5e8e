"""State consistency of one conversation, read from its messages alone.

A server that forgets its own writes teaches a model that tools return noise: ``flights_book`` hands
out booking BO-24034 for flight FL-29690, and the next ``flights_get_booking("BO-24034")`` answers with
another flight. This replays a conversation's tool calls and results and reports every read that
contradicts what the conversation already wrote or was told about the same id, and every successful
call on an id that an earlier call deleted. The simulator keeps this state (``simulator.SimulatorState``);
this check is what verification and ``audit`` hold every row to, whoever played the server. Resources are known by
their id's value, not its name: real APIs return an event's ``id`` that later calls pass as ``eventId``.
"""

from __future__ import annotations

import json
from typing import Any

from inftool_hf.synth.simulator import STATUS_FIELDS, created_ids, operation_kind, own_id, write_subjects
from inftool_hf.synth.tool_pool import is_minted


def _scalars(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if isinstance(v, (str, int, float, bool))}


def _subject(node: dict[str, Any], refs: dict[str, str]) -> tuple[str, str] | None:
    """The id a result object is about: a referenced id it repeats, else its first id field (listed objects
    are passed with no refs: a task listed for a project is about the task)."""
    for key, value in node.items():
        if key in refs and node[key] == refs[key]:
            return key, value
    return own_id(node)


def _objects(result: dict[str, Any], refs: dict[str, str], kind: str) -> list[tuple[dict[str, Any],
                                                                                 tuple[str, str] | None]]:
    """The result and the objects listed directly inside it (search hits, ...), each with its subject id: a
    write's result is about what it created."""
    created = created_ids(refs, result) if kind == "write" else []
    out = [(result, (created[0], result[created[0]]) if created else _subject(result, refs))]
    for value in result.values():
        items = value if isinstance(value, list) else [value]
        out += [(item, _subject(item, {})) for item in items if isinstance(item, dict)]
    return out


def state_inconsistencies(messages: list[dict[str, Any]]) -> list[str]:
    """Reads that contradict earlier writes or reports, and calls on deleted ids (empty when consistent)."""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    facts: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    deleted: dict[str, str] = {}
    problems: list[str] = []
    for message in messages:
        if message.get("role") == "assistant":
            for call in message.get("tool_calls") or []:
                try:
                    arguments = json.loads(call["function"]["arguments"] or "{}")
                except (ValueError, TypeError, RecursionError):
                    arguments = {}
                calls[call.get("id") or ""] = (call["function"]["name"], arguments if isinstance(arguments, dict)
                                               else {})
            continue
        if message.get("role") != "tool":
            continue
        name, arguments = calls.get(message.get("tool_call_id") or "", (message.get("name") or "?", {}))
        try:
            result = json.loads(message.get("content") or "")
        except (ValueError, RecursionError):
            continue
        if not isinstance(result, dict) or "error" in result:
            continue
        kind = operation_kind(name)
        # ids the call names: by their name, or a value an earlier call reported as an id (``tasklist``)
        refs = {k: v for k, v in arguments.items() if isinstance(v, str) and (is_minted(k) or v in facts)}
        for key, value in refs.items():
            if value in deleted:
                problems.append(f"{name} succeeded on {key} {value}, which {deleted[value]} deleted")
        if kind == "read":
            for node, subject in _objects(result, refs, kind):
                if subject is None:
                    continue
                known = facts.get(subject[1], {})
                for field, value in _scalars(node).items():
                    if field in known and known[field] != value and not _same_number(known[field], value):
                        earlier = where[subject[1]]
                        problems.append(f"{name} says {field} {json.dumps(value)[:60]} for {subject[0]} {subject[1]}, "
                                        f"but {earlier} said {json.dumps(known[field])[:60]}")
        # what this call establishes
        for value in refs.values():
            if kind == "delete":
                deleted[value] = name
        for key, value in write_subjects(refs, result) if kind in ("write", "cancel") else []:
            record = facts.setdefault(value, {})
            where[value] = name
            if kind == "cancel":
                for status in STATUS_FIELDS:
                    record.pop(status, None)
            record.update({k: v for k, v in _scalars(arguments).items() if k != key and not is_minted(k)})
        for node, subject in _objects(result, refs, kind):
            if subject is None:
                continue
            record_key = subject[1]
            fresh = record_key not in facts
            record = facts.setdefault(record_key, {})
            if fresh and node is result and subject[0] not in refs and kind == "write":
                record.update({k: v for k, v in _scalars(arguments).items()})  # what the call created it with
            if kind != "cancel" or node is not result:
                for field, value in _scalars(node).items():
                    record.setdefault(field, value) if kind == "read" else record.__setitem__(field, value)
            where.setdefault(record_key, name)
            if not fresh and kind != "read":
                where[record_key] = name
    return problems


def _same_number(a: Any, b: Any) -> bool:
    return (isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool)
            and not isinstance(b, bool) and abs(float(a) - float(b)) < 1e-9)
