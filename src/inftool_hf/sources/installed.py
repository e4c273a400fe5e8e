"""API descriptions that pip brings, read from disk: no download at run time.

- ``botocore:<service>`` (``botocore:dynamodb``, ``botocore:s3``; ``botocore:*`` for all): the AWS service
  models botocore ships (``botocore/data/<service>/<version>/service-2.json(.gz)``): each operation becomes a
  tool, its input shape the parameters, its output shape the response schema, its documentation (HTML
  stripped) the description.
- ``googleapis:<api>`` (``googleapis:calendar`` for the newest version, ``googleapis:calendar.v3``;
  ``googleapis:*``): the discovery documents ``google-api-python-client`` ships
  (``googleapiclient/discovery_cache/documents/*.json``): every method of every (nested) resource becomes a
  tool; path and query parameters plus the request body's fields are its parameters, the response schema its
  result. The discovery format's global parameters (``alt``, ``key``, ``oauth_token``, ``prettyPrint``, ...) are
  transport details and are never shown to the model.

Both are plain data files parsed as JSON (never imported or run). Schemas are cut below a depth limit and
recursive shapes are cut where they repeat; a shape this cannot express is skipped with a warning.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Callable
from importlib import util
from pathlib import Path
from typing import Any

from inftool_hf.sources.specs import SpecError, SpecLoad, ToolSpec, validate_tool

MAX_DEPTH = 5

# what an AWS permission allows, by service (an action is an API operation's name, not "action-67")
AWS_ACTIONS = {"sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
                        "GetQueueAttributes", "GetQueueUrl"],
                "dynamodb": ["GetItem", "PutItem", "Query", "UpdateItem", "DeleteItem"],
                "s3": ["GetObject", "PutObject", "ListBucket", "DeleteObject"]}

# how each AWS service writes a resource into an ARN (others: the bare name)
ARN_RESOURCES = {"dynamodb": "table/{name}", "lambda": "function:{name}", "kinesis": "stream/{name}",
                  "ecs": "cluster/{name}", "iam": "role/{name}", "logs": "log-group:{name}",
                  "states": "stateMachine:{name}", "secretsmanager": "secret:{name}"}
BOTOCORE_VALUE_HINTS = {"actions": AWS_ACTIONS, "arn_resources": ARN_RESOURCES}
_TAG = re.compile(r"<[^>]+>")


def _text(documentation: Any, limit: int = 600) -> str:
    """Documentation HTML as one plain paragraph."""
    text = html.unescape(_TAG.sub(" ", str(documentation or "")))
    return " ".join(text.split())[:limit]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _package_dir(module: str, install: str) -> Path:
    spec = util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SpecError(f"{module}:", "-", f"{module} is not installed (pip install {install})")
    return Path(list(spec.submodule_search_locations)[0])


def _valid_pattern(pattern: Any) -> bool:
    try:
        re.compile(str(pattern))
    except re.error:
        return False
    return True


# --- botocore ---------------------------------------------------------------------------------------

def botocore_services(root: Path | None = None) -> list[str]:
    root = root or _package_dir("botocore", "botocore") / "data"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*/service-2.json*")))


def _read_model(folder: Path) -> dict[str, Any]:
    versions = sorted(p for p in folder.iterdir() if p.is_dir() and any(p.glob("service-2.json*")))
    if not versions:
        raise SpecError(folder, "-", "no service-2.json model")
    latest = versions[-1]
    plain, packed = latest / "service-2.json", latest / "service-2.json.gz"
    data = plain.read_bytes() if plain.exists() else gzip.decompress(packed.read_bytes())
    return json.loads(data)


def _shape_schema(shapes: dict[str, Any], name: str, depth: int = 0, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    shape = shapes.get(name) or {}
    kind = shape.get("type")
    if depth > MAX_DEPTH or name in seen:
        return {"type": "object", "description": "(nested structure omitted)"} if kind == "structure" else \
            {"type": "string"}
    seen = (*seen, name)
    out: dict[str, Any]
    if kind == "structure":
        properties = {}
        for member, ref in (shape.get("members") or {}).items():
            sub = _shape_schema(shapes, ref["shape"], depth + 1, seen)
            if ref.get("documentation") and "description" not in sub:
                sub["description"] = _text(ref["documentation"], 300)
            properties[member] = sub
        out = {"type": "object", "properties": properties}
        required = [r for r in shape.get("required") or [] if r in properties]
        if required:
            out["required"] = required
    elif kind == "list":
        out = {"type": "array", "items": _shape_schema(shapes, shape["member"]["shape"], depth + 1, seen)}
        if "min" in shape:
            out["minItems"] = int(shape["min"])
    elif kind == "map":
        out = {"type": "object",
               "additionalProperties": _shape_schema(shapes, shape["value"]["shape"], depth + 1, seen)}
        keys = (shapes.get(shape["key"]["shape"]) or {}).get("enum")
        if keys:  # SQS queue attributes are named from a list: the map's keys are too
            out["propertyNames"] = {"enum": list(keys)}
    elif kind in ("integer", "long"):
        out = {"type": "integer"}
    elif kind in ("float", "double"):
        out = {"type": "number"}
    elif kind == "boolean":
        out = {"type": "boolean"}
    elif kind == "timestamp":
        out = {"type": "string", "format": "date-time"}
    else:  # string, blob
        out = {"type": "string"}
        if shape.get("enum"):
            out["enum"] = list(shape["enum"])
        pattern = shape.get("pattern") if kind == "string" else None
        if pattern and len(pattern) < 200 and _valid_pattern(pattern):
            out["pattern"] = f"^(?:{pattern})$"
    if kind in ("integer", "long", "float", "double"):
        if "min" in shape:
            out["minimum"] = shape["min"]
        if "max" in shape:
            out["maximum"] = shape["max"]
    elif kind == "string" and "enum" not in out:
        if "min" in shape:
            out["minLength"] = int(shape["min"])
        if "max" in shape:
            out["maxLength"] = int(shape["max"])
    return out


def load_botocore(service: str, root: Path | None = None) -> SpecLoad:
    """Every operation of one AWS service model as a tool (domain: the service)."""
    root = root or _package_dir("botocore", "botocore") / "data"
    folder = root / service
    if not folder.is_dir():
        examples = ", ".join(botocore_services(root)[:5])
        raise SpecError(f"botocore:{service}", "-", f"no such AWS service in botocore (e.g. {examples})")
    model = _read_model(folder)
    shapes = model.get("shapes") or {}
    prefix = re.sub(r"[^a-z0-9]+", "_", service.lower()).strip("_")
    load = SpecLoad()
    for op_name, op in sorted((model.get("operations") or {}).items()):
        where = f"botocore:{service}#/operations/{op_name}"
        if op.get("deprecated"):
            continue
        name = f"{prefix}_{_snake(op_name)}"[:64]
        parameters: dict[str, Any] = \
            _shape_schema(shapes, op["input"]["shape"]) if op.get("input") else {"type": "object"}
        parameters.setdefault("properties", {})
        parameters["type"] = "object"
        problem = validate_tool(name, parameters, where)
        if problem:
            load.warnings.append(f"{problem}; operation skipped")
            continue
        response = _shape_schema(shapes, op["output"]["shape"]) if op.get("output") else None
        description = _text(op.get("documentation"), 300) or op_name
        load.tools.append(ToolSpec(name=name, description=description.split(". ")[0].rstrip(".") + ".",
                                   parameters=parameters, domain=f"aws_{prefix}", source=where,
                                   response_schema=response, endpoint=f"{op.get('http', {}).get('method', 'POST')} "
                                                                      f"{op.get('http', {}).get('requestUri', '/')}"))
    if not load.tools:
        raise SpecError(f"botocore:{service}", "-", "no usable operation")
    return load


# --- Google discovery documents ---------------------------------------------------------------------

def googleapis_documents(root: Path | None = None) -> dict[str, Path]:
    """``"calendar.v3"`` → its discovery document, for every API google-api-python-client ships."""
    root = root or _package_dir("googleapiclient", "google-api-python-client") / "discovery_cache" / "documents"
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
        out["description"] = _text(node["description"], 300)
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
        name = "_".join([prefix, *(_snake(p) for p in path)])[:64]
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
        description = _text(method.get("description"), 300) or " ".join(path)
        load.tools.append(ToolSpec(name=name, description=description.split(". ")[0].rstrip(".") + ".",
                                   parameters=parameters, domain=f"google_{prefix}", source=where,
                                   response_schema=response,
                                   endpoint=f"{method.get('httpMethod', 'GET')} {method.get('path', '')}"))
    if not load.tools:
        raise SpecError(f"googleapis:{api}", "-", "no usable method")
    return load


def load_source(entry: str) -> SpecLoad:
    """One ``botocore:...`` or ``googleapis:...`` entry of a recipe's ``specs`` (``*`` for every one)."""
    kind, _, name = entry.partition(":")
    if not name:
        example = "dynamodb" if kind == "botocore" else "calendar"
        raise SpecError(entry, "-", f"name a service after '{kind}:' (e.g. {kind}:{example})")
    loader: Callable[[str], SpecLoad]
    if kind == "botocore":
        names, loader = (botocore_services() if name == "*" else [name]), load_botocore
    elif kind == "googleapis":
        names = sorted({k.split(".")[0] for k in googleapis_documents()}) if name == "*" else [name]
        loader = load_googleapis
    else:
        raise SpecError(entry, "-", "unknown spec source (botocore:<service> or googleapis:<api>)")
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
