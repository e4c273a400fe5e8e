"""Raw API specifications → one normalized tool record.

Sources: OpenAPI 3.x and Swagger 2.0 files (YAML or JSON; ``$ref``s resolved by prance's resolver,
local files only, never over HTTP), JSON-schema function lists in OpenAI / transformers ``tools``
form, and Python callables or modules (``transformers.utils.get_json_schema`` reads signature and
docstring). Live MCP servers plug in as one more source returning the same :class:`ToolSpec`.

A file that cannot be read at all raises :class:`SpecError` naming the file, the location inside it and
the problem. A single bad operation in an otherwise good file is skipped with a warning (collected in
:attr:`SpecLoad.warnings`), so one typo does not cost a thousand good tools.
"""

from __future__ import annotations

import copy
import inspect
import json
import logging
import os
import re
import types
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# Larger files are refused before parsing (memory stays bounded); the biggest public OpenAPI files are ~12 MiB.
MAX_SPEC_BYTES = int(os.environ.get("INFTOOL_HF_MAX_SPEC_BYTES", 32 * 1024 * 1024))
# Schemas nested deeper than this are cut (replaced by a free-form object) when normalizing.
MAX_SCHEMA_DEPTH = 12
_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


class SpecError(ValueError):
    """A spec cannot be used. ``file``, ``location`` (JSON pointer or line) and ``problem`` say why."""

    def __init__(self, file: str | Path, location: str, problem: str):
        self.file, self.location, self.problem = str(file), location, problem
        super().__init__(f"{file}: {location}: {problem}")


@dataclass
class ToolSpec:
    """The normalized tool record every later stage works with."""

    name: str
    description: str
    parameters: dict[str, Any]
    domain: str
    source: str
    response_schema: dict[str, Any] | None = None
    # OpenAPI context (method and path) or the Python qualified name, for simulators and real calls.
    endpoint: str | None = None
    # What the whole API says it is (an OpenAPI document's info title and description, the operation's tags): the
    # subject a tool's values fall back on where its own name and description name none (values.query_subject).
    api: str = ""

    def to_openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": self.parameters}}

    def to_row(self) -> dict[str, Any]:
        """A flat, Arrow-friendly row (schemas as JSON strings)."""
        row = asdict(self)
        row["parameters"] = json.dumps(self.parameters, sort_keys=True)
        row["response_schema"] = json.dumps(self.response_schema, sort_keys=True) if self.response_schema else None
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ToolSpec:
        data: dict[str, Any] = {k: row.get(k) for k in ("name", "description", "domain", "source", "endpoint")}
        data["api"] = row.get("api") or ""
        data["parameters"] = json.loads(row["parameters"])
        data["response_schema"] = json.loads(row["response_schema"]) if row.get("response_schema") else None
        return cls(**data)


@dataclass
class SpecLoad:
    """What one source gave: tools, plus warnings for parts that were skipped."""

    tools: list[ToolSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --- reading files --------------------------------------------------------------------------------

def read_document(path: str | Path) -> Any:
    """Parse a YAML or JSON file, with errors that name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(path, "-", "file not found")
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise SpecError(path, "-", f"file is {size / 2**20:.0f} MiB; the limit is {MAX_SPEC_BYTES // 2**20} MiB")
    raw = path.read_bytes()
    if not raw.strip():
        raise SpecError(path, "-", "empty file (0 bytes)" if not raw else "empty file (only whitespace)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SpecError(path, f"byte {err.start}", "not UTF-8 text") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        document = yaml.safe_load(text)
        _check_expansion(document, path, budget=len(raw) + 1_000_000)
        return document
    except json.JSONDecodeError as err:
        hint = ""
        try:
            if isinstance(yaml.safe_load(text), (dict, list)):
                hint = " (the file parses as YAML: rename it to .yaml)"
        except yaml.YAMLError:
            pass
        raise SpecError(path, f"line {err.lineno}, column {err.colno}", f"invalid JSON: {err.msg}{hint}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise SpecError(path, where, f"invalid YAML: {problem}") from None
    except RecursionError:
        raise SpecError(path, "-", "document nested too deeply to parse") from None


def _check_expansion(document: Any, path: Path, budget: int) -> None:
    """Refuse YAML whose aliases expand far beyond the file's size (a "billion laughs" bomb): every later
    stage walks the expanded tree, so it would hang or exhaust memory there."""
    stack, seen = [document], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > budget:
            raise SpecError(path, "-", f"document expands to more than {budget:,} values through YAML aliases "
                                       "(an alias bomb?); refused")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _stem(path: Path) -> str:
    """``weather.tools.yaml`` → ``weather``."""
    return path.name.split(".", 1)[0]


def _pointer(*parts: Any) -> str:
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# --- JSON-schema normalization --------------------------------------------------------------------

def _clean_schema(schema: Any, depth: int = 0, seen: frozenset[int] = frozenset(),
                  drop: str | None = None) -> dict[str, Any]:
    """Copy a schema into plain JSON-schema: merge ``allOf``, cut cycles and excessive depth. ``drop``
    (``"readOnly"`` for what a request sends, ``"writeOnly"`` for what a response returns) removes the properties
    flagged so: the model never supplies an id or timestamp the server sets, nor reads back a password."""
    if not isinstance(schema, dict):
        return {}
    if depth > MAX_SCHEMA_DEPTH or id(schema) in seen:
        return {"type": "object", "description": "(nested structure omitted)"}
    seen = seen | {id(schema)}
    out: dict[str, Any] = {}
    dropped: set[str] = set()
    for part in schema.get("allOf") or []:
        merged = _clean_schema(part, depth + 1, seen, drop)
        props = {**out.get("properties", {}), **merged.pop("properties", {})}
        required = list(dict.fromkeys([*out.get("required", []), *merged.pop("required", [])]))
        out.update(merged)
        if props:
            out["properties"] = props
        if required:
            out["required"] = required
    for key, value in schema.items():
        if key == "example" and "examples" not in schema and _is_json(value):
            out["examples"] = [copy.deepcopy(value)]  # OpenAPI's single example → JSON Schema's list
            continue
        if key == "examples" and isinstance(value, list) and _is_json(value):
            out["examples"] = copy.deepcopy(value[:5])
            continue
        if key in ("allOf", "xml", "example", "examples", "externalDocs", "discriminator", "readOnly", "writeOnly"):
            continue
        if key.startswith("x-") or key == "$ref":
            continue
        if key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            # OpenAPI 3.0 / draft-4 booleans → JSON Schema 2020-12 numbers
            bound = schema.get("minimum" if key == "exclusiveMinimum" else "maximum")
            if value and isinstance(bound, (int, float)):
                out[key] = bound
                out.pop("minimum" if key == "exclusiveMinimum" else "maximum", None)
            continue
        if key in ("minimum", "maximum") and schema.get("exclusiveM" + key[1:]) is True:
            continue
        if key == "nullable":  # OpenAPI 3.0 → JSON schema
            if value and "type" in schema and isinstance(schema["type"], str):
                out["type"] = [schema["type"], "null"]
            continue
        if key == "properties" and isinstance(value, dict):
            props = {**out.get("properties", {})}
            flagged = {str(k) for k, v in value.items() if drop and isinstance(v, dict) and v.get(drop) is True}
            dropped |= flagged
            props.update({str(k): _clean_schema(v, depth + 1, seen, drop) for k, v in value.items()
                          if str(k) not in flagged})
            out["properties"] = props
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _clean_schema(value, depth + 1, seen, drop)
        elif key in ("anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_clean_schema(v, depth + 1, seen, drop) for v in value]
        elif key == "required" and isinstance(value, list):
            out["required"] = list(dict.fromkeys([*out.get("required", []), *(str(v) for v in value)]))
        elif key == "type" and "type" in out and isinstance(out["type"], list):
            continue  # already widened by nullable
        else:
            out[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
    if "properties" in out and "type" not in out:
        out["type"] = "object"
    if dropped and "required" in out:
        out["required"] = [name for name in out["required"] if name not in dropped]
        if not out["required"]:
            del out["required"]
    return out


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def validate_tool(name: Any, parameters: Any, where: str) -> str | None:
    """Why this tool cannot be used, or None."""
    from jsonschema.validators import validator_for

    if not isinstance(name, str) or not name:
        return f"{where}: missing function name"
    if not _NAME_OK.match(name):
        return f"{where}: function name {name[:80]!r} is not a valid identifier"
    if not isinstance(parameters, dict):
        return f"{where}: parameters of {name!r} must be a JSON-schema object"
    if parameters.get("type", "object") != "object":
        return f"{where}: parameters of {name!r} must have type 'object', got {parameters.get('type')!r}"
    if not isinstance(parameters.get("properties") or {}, dict):
        return f"{where}: properties of {name!r} must be a mapping of parameter names to schemas"
    for prop, sub in (parameters.get("properties") or {}).items():
        empty = [k for k, v in sub.items() if v is None and k not in ("default", "const", "example")] \
            if isinstance(sub, dict) else []
        if empty:
            return (f"{where}: schema of {name}.{prop} has key(s) {empty!r} with no value (an unquoted comma inside "
                    "a YAML {...} mapping? quote the text)")
        if isinstance(sub, dict) and sub.get("type") == "string" and isinstance(sub.get("enum"), list):
            odd = [v for v in sub["enum"] if not isinstance(v, str)]
            if odd:
                return (f"{where}: enum of {name}.{prop} has non-string value(s) {odd!r} for a string parameter "
                        "(YAML reads unquoted on/off/yes/no as booleans: quote them)")
    try:
        validator_for(parameters).check_schema(parameters)
    except RecursionError:
        return f"{where}: parameters of {name!r} are nested too deeply to validate"
    except Exception as err:  # noqa: BLE001 - jsonschema raises several types for bad schemas
        return f"{where}: parameters of {name!r} are not a valid JSON schema: {str(err).splitlines()[0]}"
    return None


def inline_local_refs(schema: Any, depth: int = 4) -> Any:
    """A JSON Schema with its local ``#/$defs/...`` (or ``#/definitions/...``) references written out, as MCP
    servers built on pydantic publish them (``convert_time``'s ``source``: ``{"$ref": "#/$defs/TimeResult"}``):
    a simulated server and the token budget see the fields. Recursion stops at ``depth`` levels."""
    if not isinstance(schema, dict):
        return schema
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}

    def inline(node: Any, level: int) -> Any:
        if isinstance(node, list):
            return [inline(item, level) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and re.fullmatch(r"#/(?:\$defs|definitions)/[^/]+", ref):
            target = defs.get(ref.rsplit("/", 1)[1])
            if not isinstance(target, dict) or level >= depth:
                return {"type": "object", "description": "(recursive structure)"}
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return inline({**target, **rest}, level + 1)
        return {k: inline(v, level) for k, v in node.items() if k not in ("$defs", "definitions")}

    return inline(schema, 0)


# --- OpenAPI / Swagger ----------------------------------------------------------------------------

def _resolve_refs(document: dict[str, Any], path: Path) -> dict[str, Any]:
    from prance.util.resolver import RESOLVE_FILES, RESOLVE_INTERNAL, RefResolver

    def on_recursion(limit, parsed_url, recursions=()):
        return {"type": "object", "description": "(recursive structure)"}

    resolver = RefResolver(document, url=path.resolve().as_uri(), resolve_types=RESOLVE_INTERNAL | RESOLVE_FILES,
                           recursion_limit=1, recursion_limit_handler=on_recursion, strict=False)
    try:
        resolver.resolve_references()
    except Exception as err:  # noqa: BLE001 - prance raises ResolutionError, KeyError, OSError, ...
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        ref = re.search(r"#[^\s'\"]*", message)
        raise SpecError(path, ref.group(0) if ref else "$ref", f"cannot resolve reference: {message}") from None
    return resolver.specs


# credentials and API plumbing: the client sets them, never the model (an argument the model must invent)
_AUTH_PARAMETER = re.compile(r"^(x[-_])?(api[-_]?key|apikey|api[-_]?version|access[-_]?token|auth[-_]?token|"
                             r"oauth[-_]?token|subscription[-_]?key|client[-_]?secret|"
                             r"ocp-apim-subscription-key)$", re.IGNORECASE)
_ROUTE_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.-]*)\}|(?<=/):([A-Za-z_][A-Za-z0-9_]*)")


def _auth_parameter_names(document: dict[str, Any]) -> set[str]:
    """Names of the query/path parameters that carry credentials, from the document's security schemes."""
    components: dict[str, Any] = document["components"] if isinstance(document.get("components"), dict) else {}
    schemes = {**(document.get("securityDefinitions") or {}), **(components.get("securitySchemes") or {})}
    return {str(s["name"]) for s in schemes.values()
            if isinstance(s, dict) and s.get("type") == "apiKey" and isinstance(s.get("name"), str)}


def _operation_parameters(op: dict[str, Any], shared: list[Any], version: int, where: str,
                          auth_names: set[str] | frozenset[str] = frozenset(), route: str = "") -> dict[str, Any]:
    """The model-facing arguments of one operation: path, query and form parameters, then the request body's
    fields (a body field never replaces a path or query parameter of the same name; fields the server sets,
    ``readOnly``, are not sent). Credentials (the security schemes' keys, ``api_key``, ``api-version``...) and
    headers are left to the client."""
    properties: dict[str, Any] = {}
    required: set[str] = set()
    by_key = {}
    own = op.get("parameters") or []
    if not isinstance(own, list):
        raise ValueError(f"{where}: 'parameters' must be a list, got {type(own).__name__}")
    for param in [*shared, *own]:
        if not isinstance(param, dict) or "name" not in param or "in" not in param:
            raise ValueError(f"{where}: a parameter has no 'name' or 'in'")
        by_key[(param["name"], param["in"])] = param  # operation-level overrides path-level
    ordered = sorted(by_key.values(), key=lambda p: p["in"] == "body")  # path/query first: they keep their names
    for param in ordered:
        location = param["in"]
        if location in ("header", "cookie"):
            continue  # transport details (auth headers, ...) are not model-facing arguments
        if str(param["name"]) in auth_names or _AUTH_PARAMETER.match(str(param["name"])):
            continue
        if location == "body":  # Swagger 2.0
            schema = _clean_schema(param.get("schema") or {}, drop="readOnly")
            if schema.get("type") == "object" and schema.get("properties"):
                fields = {k: v for k, v in schema["properties"].items() if k not in properties}
                properties.update(fields)
                required.update(r for r in schema.get("required", []) if r in fields)
            else:
                properties[param["name"]] = schema
                if param.get("required"):
                    required.add(param["name"])
            continue
        if location == "formData":
            location = "form"
        schema = _clean_schema(param.get("schema") if version == 3 else {
            k: v for k, v in param.items() if k not in ("name", "in", "required", "description")})
        if param.get("description") and "description" not in schema:
            schema["description"] = param["description"]
        example = param.get("example", param.get("x-example"))
        if example is not None and "examples" not in schema and _is_json(example):
            schema["examples"] = [example]
        properties[param["name"]] = schema
        if param.get("required") or location == "path":
            required.add(param["name"])
    body = op.get("requestBody")
    if isinstance(body, dict):
        content = body.get("content") or {}
        if not isinstance(content, dict):
            raise ValueError(f"{where}: requestBody.content must be a mapping of media types")
        media = content.get("application/json") or next(iter(content.values()), None) or {}
        schema = _clean_schema(media.get("schema") or {}, drop="readOnly")
        if schema.get("type") == "object" or "properties" in schema:
            fields = {k: v for k, v in schema.get("properties", {}).items() if k not in properties}
            properties.update(fields)
            if body.get("required", False) or schema.get("required"):
                required.update(r for r in schema.get("required", []) if r in fields)
        elif schema:
            properties["body"] = schema
            if body.get("required"):
                required.add("body")
    for match in _ROUTE_PARAMETER.finditer(route):  # a route's own placeholders, declared or not (/feeds/:token)
        name = match.group(1) or match.group(2)
        if name not in properties and name not in auth_names and not _AUTH_PARAMETER.match(name):
            properties[name] = {"type": "string", "description": f"the {name.replace('_', ' ')} in the path"}
            required.add(name)
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = sorted(required)
    return parameters


_ERROR_FIELDS = {"code", "message", "error", "errors", "status", "statuscode", "details", "detail", "href",
                 "serverid", "type", "title", "instance", "reason", "error_description"}


def _looks_like_error(response: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A ``default`` response that describes failures (most specs) rather than the success body."""
    text = str(response.get("description") or "").lower()
    if any(word in text for word in ("error", "unexpected", "fail", "problem", "invalid")):
        return True
    fields = {str(name).lower() for name in (schema.get("properties") or {})}
    return bool(fields) and fields <= _ERROR_FIELDS


def _operation_response(op: dict[str, Any], version: int) -> dict[str, Any] | None:
    """The success body: 200/201/202, then any other 2xx or a ``2XX`` range, and ``default`` only where it is
    not an error description (OpenAPI's ``default`` usually is the error body)."""
    responses = op.get("responses") or {}
    if not isinstance(responses, dict):
        return None
    codes = [str(code) for code in responses]
    success: list[str] = [c for c in ("200", "201", "202") if c in codes]
    success += sorted(c for c in codes if c not in success and (c.upper() == "2XX" or (len(c) == 3 and c[0] == "2")))
    for code in [*success, "default"]:
        response = responses.get(code, responses.get(int(code)) if code.isdigit() else None)
        if not isinstance(response, dict):
            continue
        if version == 2:
            schema = response.get("schema")
        else:
            content = response.get("content") or {}
            media = content.get("application/json") or next(iter(content.values()), None) or {}
            schema = media.get("schema") if isinstance(media, dict) else None
        if not isinstance(schema, dict):
            continue
        cleaned = _clean_schema(schema, drop="writeOnly")
        if code == "default" and _looks_like_error(response, cleaned):
            return None
        return cleaned
    return None


def _operation_name(op: dict[str, Any], method: str, route: str) -> str:
    if isinstance(op.get("operationId"), str) and op["operationId"]:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", op["operationId"])[:64]
    slug = re.sub(r"[^A-Za-z0-9]+", "_", route).strip("_") or "root"
    return f"{method}_{slug}"[:64]


def load_openapi(path: str | Path, document: Any = None, domain: str | None = None) -> SpecLoad:
    """Every operation of an OpenAPI 3.x or Swagger 2.0 file as a tool."""
    path = Path(path)
    document = read_document(path) if document is None else document
    if not isinstance(document, dict):
        raise SpecError(path, "#", f"top level must be a mapping, got {type(document).__name__}")
    if str(document.get("openapi", "")).startswith("3"):
        version = 3
    elif str(document.get("swagger", "")).startswith("2"):
        version = 2
    else:
        raise SpecError(path, "#/openapi",
                        "not an OpenAPI 3.x or Swagger 2.0 document (no 'openapi: 3.*' or 'swagger: 2.0')")
    if not isinstance(document.get("paths"), dict):
        raise SpecError(path, "#/paths", "missing or not a mapping")
    document = _resolve_refs(document, path)
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    domain = domain or str(document.get("x-domain") or info.get("x-domain") or _stem(path))
    load = SpecLoad()
    seen: dict[str, str] = {}
    auth_names = _auth_parameter_names(document)
    api_text = " ".join(str(info.get(key) or "") for key in ("title", "description")).strip()
    for route, item in document["paths"].items():
        if not isinstance(item, dict):
            load.warnings.append(f"{path}: {_pointer('paths', route)}: path item is not a mapping; skipped")
            continue
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            where = _pointer("paths", route, method)
            try:
                if not isinstance(op, dict):
                    raise ValueError(f"{where}: operation is not a mapping")
                name = _operation_name(op, method, str(route))
                if name in seen:
                    raise ValueError(f"{where}: duplicate operation name {name!r} (first at {seen[name]})")
                parameters = _operation_parameters(op, shared if isinstance(shared, list) else [], version, where,
                                                   auth_names, str(route))
                problem = validate_tool(name, parameters, where)
                if problem:
                    raise ValueError(problem)
                description = str(op.get("summary") or op.get("description") or f"{method.upper()} {route}")
                if op.get("summary") and op.get("description") and op["description"] != op["summary"]:
                    description = f"{str(op['summary']).rstrip('. ')}. {op['description']}"
                seen[name] = where
                load.tools.append(ToolSpec(
                    name=name, description=description.strip()[:1024], parameters=parameters, domain=domain,
                    source=f"{path.name}{where}", response_schema=_operation_response(op, version),
                    endpoint=f"{method.upper()} {route}",
                    api=" ".join([api_text, *(str(t) for t in op.get("tags") or [] if isinstance(t, str))])[:512],
                ))
            except (ValueError, TypeError, AttributeError, RecursionError) as err:
                message = str(err) if str(err).startswith("#") else f"{where}: {err}"
                load.warnings.append(f"{path}: {message}; operation skipped")
    for warning in load.warnings:
        logger.warning(warning)
    if not load.tools:
        raise SpecError(path, "#/paths", "no usable operation" + (f" ({load.warnings[0]})" if load.warnings else ""))
    return load


# --- JSON-schema function lists -------------------------------------------------------------------

def load_function_list(path: str | Path, document: Any = None, domain: str | None = None) -> SpecLoad:
    """A list of tools in OpenAI form (``{"type": "function", "function": {...}}``) or bare functions.

    The file may also be ``{"domain": ..., "tools": [...]}``. Each function may carry a
    ``"responses"`` (or ``"response_schema"``) JSON schema for its result.
    """
    path = Path(path)
    document = read_document(path) if document is None else document
    if isinstance(document, dict) and isinstance(document.get("tools"), list):
        domain = domain or document.get("domain")
        items = document["tools"]
    elif isinstance(document, list):
        items = document
    else:
        raise SpecError(path, "#", "expected a list of tools or an object with a 'tools' list")
    domain = str(domain or _stem(path))
    load = SpecLoad()
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = _pointer(index)
        function = item.get("function", item) if isinstance(item, dict) else None
        if not isinstance(function, dict):
            load.warnings.append(f"{path}: {where}: not a tool object; skipped")
            continue
        name = function.get("name")
        parameters = function.get("parameters", {"type": "object", "properties": {}})
        problem = validate_tool(name, parameters, where)
        if problem is None and name in seen:
            problem = f"{where}: duplicate function name {name!r}"
        if problem:
            load.warnings.append(f"{path}: {problem}; tool skipped")
            continue
        assert isinstance(name, str)  # validate_tool said so
        seen.add(name)
        response = function.get("responses") or function.get("response_schema") or item.get("responses")
        load.tools.append(ToolSpec(
            name=name, description=str(function.get("description") or "")[:1024],
            parameters=_clean_schema(parameters) or {"type": "object", "properties": {}}, domain=domain,
            source=f"{path.name}{where}",
            response_schema=_clean_schema(response) if isinstance(response, dict) else None,
        ))
    for warning in load.warnings:
        logger.warning(warning)
    if not load.tools:
        raise SpecError(path, "#", "no usable tool" + (f" ({load.warnings[0]})" if load.warnings else ""))
    return load


# --- Python callables -----------------------------------------------------------------------------

def tools_from_callables(functions: Iterable[Callable[..., Any]], domain: str = "python") -> SpecLoad:
    """Tools from Python functions: Google-style docstrings + type hints, via transformers."""
    from transformers.utils import get_json_schema
    from transformers.utils.chat_template_utils import DocstringParsingException, TypeHintParsingException

    load = SpecLoad()
    for function in functions:
        qualname = f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"
        try:
            schema = get_json_schema(function)
        except (DocstringParsingException, TypeHintParsingException, TypeError, ValueError) as err:
            load.warnings.append(f"{qualname}: {err}; skipped")
            continue
        fn = schema["function"]
        returns = fn.pop("return", None)
        load.tools.append(ToolSpec(
            name=fn["name"], description=fn.get("description", ""),
            parameters=fn.get("parameters", {"type": "object", "properties": {}}), domain=domain,
            source=qualname, response_schema=returns, endpoint=qualname,
        ))
    for warning in load.warnings:
        logger.warning(warning)
    return load


def tools_from_module(module: types.ModuleType, domain: str | None = None) -> SpecLoad:
    """Every public function defined in ``module``."""
    functions = [obj for name, obj in vars(module).items()
                 if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")]
    return tools_from_callables(functions, domain or module.__name__.rsplit(".", 1)[-1])


# --- dispatch -------------------------------------------------------------------------------------

def load_spec(path: str | Path, domain: str | None = None) -> SpecLoad:
    """Detect the format of one file and load it."""
    path = Path(path)
    document = read_document(path)
    if isinstance(document, dict) and ("openapi" in document or "swagger" in document):
        return load_openapi(path, document, domain)
    return load_function_list(path, document, domain)


def load_specs(paths: Iterable[str | Path]) -> SpecLoad:
    """Several files or folders (``*.yaml``, ``*.yml``, ``*.json`` inside); tool names unique overall."""
    load = SpecLoad()
    names: dict[str, str] = {}
    for entry in paths:
        entry = Path(entry)
        files = sorted(p for p in entry.rglob("*") if p.suffix.lower() in (".yaml", ".yml", ".json")) \
            if entry.is_dir() else [entry]
        for file in files:
            part = load_spec(file)
            load.warnings.extend(part.warnings)
            for tool in part.tools:
                if tool.name in names:
                    load.warnings.append(f"{tool.source}: tool name {tool.name!r} already defined by "
                                         f"{names[tool.name]}; skipped")
                    continue
                names[tool.name] = tool.source
                load.tools.append(tool)
    return load


def spec_pack_dir() -> Path:
    """The embedded spec pack shipped with the package."""
    from importlib import resources

    return Path(str(resources.files("inftool_hf.sources") / "spec_pack"))


def tools_dataset(load: SpecLoad):
    """The tools as a :class:`datasets.Dataset` (one row per tool, schemas as JSON strings)."""
    from datasets import Dataset

    return Dataset.from_list([tool.to_row() for tool in load.tools])
