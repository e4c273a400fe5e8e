"""``googleapis:<api>`` (``googleapis:calendar`` for the newest version, ``googleapis:calendar.v3``;
``googleapis:*``): the discovery documents ``google-api-python-client`` ships
(``googleapiclient/discovery_cache/documents/*.json``), read as JSON data, never imported. Every method of every
(nested) resource becomes a tool; path and query parameters plus the request body's fields are its parameters, the
response schema its result. The discovery format's global parameters (``alt``, ``key``, ``oauth_token``,
``prettyPrint``, ...) are transport details and are never shown to the model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from inftool_hf.sources.installed import MAX_DEPTH, entry_name, load_each, package_dir, plain_text, snake_case
from inftool_hf.sources.specs import SpecError, SpecLoad, ToolSpec, validate_tool


def googleapis_documents(root: Path | None = None) -> dict[str, Path]:
    """``"calendar.v3"`` → its discovery document, for every API google-api-python-client ships."""
    root = root or package_dir("googleapiclient", "google-api-python-client") / "discovery_cache" / "documents"
    return {p.stem: p for p in sorted(root.glob("*.json"))}


def _resolve_version(name: str, documents: dict[str, Path]) -> str:
    if name in documents:
        return name
    versions = [key for key in documents if key.split(".", 1)[0] == name]
    if not versions:
        raise SpecError(f"googleapis:{name}", "-", "no such Google API among the discovery documents shipped by "
                                                   "google-api-python-client")
    stable = [v for v in versions if not re.search(r"(alpha|beta)", v)] or versions
    return sorted(stable, key=lambda v: [int(n) for n in re.findall(r"\d+", v)] or [0])[-1]


# Discovery documents mark many server-set fields in words only: "This field is read-only.", "Output only."
_SAYS_READ_ONLY = re.compile(r"(?:^|[.]\s+)(?:this field is read-only|output only)\b|\[output only\]", re.IGNORECASE)


def _discovery_schema(schemas: dict[str, Any], node: Any, depth: int = 0, seen: tuple[str, ...] = ()) -> dict:
    if not isinstance(node, dict):
        return {"type": "string"}
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen or depth > MAX_DEPTH:
            return {"type": "object", "description": "(nested structure omitted)"}
        return _discovery_schema(schemas, schemas.get(ref) or {}, depth + 1, (*seen, ref))
    kind = node.get("type", "object" if "properties" in node else "string")
    out: dict[str, Any] = {"type": kind if kind in ("object", "array", "string", "integer", "number", "boolean")
                           else "string"}
    if node.get("description"):
        out["description"] = plain_text(node["description"], 300)
    if kind == "string" and node.get("format") in ("date", "date-time"):
        out["format"] = node["format"]
    if kind == "integer" and node.get("format") in ("int64", "uint64"):
        out["type"] = "string"  # discovery sends 64-bit integers as strings
    if node.get("enum"):
        out["enum"] = list(node["enum"])
    if node.get("readOnly") or _SAYS_READ_ONLY.search(str(node.get("description") or "")):
        out["readOnly"] = True
    if kind == "array":
        out["items"] = _discovery_schema(schemas, node.get("items") or {}, depth + 1, seen)
    if kind == "object":
        if node.get("properties"):
            out["properties"] = {k: _discovery_schema(schemas, v, depth + 1, seen)
                                 for k, v in node["properties"].items()}
        elif isinstance(node.get("additionalProperties"), dict):
            out["additionalProperties"] = _discovery_schema(schemas, node["additionalProperties"], depth + 1, seen)
    return out


def _without_read_only(schema: dict[str, Any]) -> dict[str, Any]:
    """A request body without the fields the server sets (``readOnly``: ids, timestamps, etags)."""
    out = dict(schema)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _without_read_only(v) for k, v in out["properties"].items()
                             if not (isinstance(v, dict) and v.get("readOnly"))}
    out.pop("readOnly", None)
    return out


def _methods(resource: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    out = [((*path, name), method) for name, method in sorted((resource.get("methods") or {}).items())]
    for name, sub in sorted((resource.get("resources") or {}).items()):
        out += _methods(sub, (*path, name))
    return out


def load_googleapis(api: str, root: Path | None = None) -> SpecLoad:
    """Every method of one Google API's discovery document as a tool (domain: the API)."""
    documents = googleapis_documents(root)
    key = _resolve_version(api, documents)
    document = json.loads(documents[key].read_text(encoding="utf-8"))
    schemas = document.get("schemas") or {}
    prefix = re.sub(r"[^a-z0-9]+", "_", str(document.get("name") or key.split(".")[0]).lower()).strip("_")
    load = SpecLoad()
    seen: set[str] = set()
    for path, method in _methods(document):
        where = f"googleapis:{key}#/resources/{'/'.join(path)}"
        name = "_".join([prefix, *(snake_case(p) for p in path)])[:64]
        if name in seen:
            load.warnings.append(f"{where}: duplicate tool name {name!r}; skipped")
            continue
        properties: dict[str, Any] = {}
        required: list[str] = []
        for param, spec in (method.get("parameters") or {}).items():
            properties[param] = _discovery_schema(schemas, spec)
            if spec.get("required"):
                required.append(param)
        body = method.get("request")
        if isinstance(body, dict):
            fields = _without_read_only(_discovery_schema(schemas, body))
            for field, sub in (fields.get("properties") or {}).items():
                properties.setdefault(field, sub)  # a path parameter wins over a body field of the same name
        parameters: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            parameters["required"] = sorted(required)
        problem = validate_tool(name, parameters, where)
        if problem:
            load.warnings.append(f"{problem}; method skipped")
            continue
        seen.add(name)
        response = _discovery_schema(schemas, method["response"]) if isinstance(method.get("response"), dict) else None
        description = plain_text(method.get("description"), 300) or " ".join(path)
        load.tools.append(ToolSpec(name=name, description=description.split(". ")[0].rstrip(".") + ".",
                                   parameters=parameters, domain=f"google_{prefix}", source=where,
                                   response_schema=response,
                                   endpoint=f"{method.get('httpMethod', 'GET')} {method.get('path', '')}"))
    if not load.tools:
        raise SpecError(f"googleapis:{api}", "-", "no usable method")
    return load


def load_entry(entry: str) -> SpecLoad:
    """One ``googleapis:<api>`` entry of a recipe's ``specs`` (``googleapis:*``: every API, newest version)."""
    name = entry_name(entry, "calendar")
    names = sorted({k.split(".")[0] for k in googleapis_documents()}) if name == "*" else [name]
    return load_each(entry, names, load_googleapis)
