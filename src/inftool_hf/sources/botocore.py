"""``botocore:<service>`` (``botocore:dynamodb``, ``botocore:s3``; ``botocore:*`` for all): the AWS service models
botocore ships (``botocore/data/<service>/<version>/service-2.json(.gz)``), read as JSON data, never imported. Each
operation becomes a tool, its input shape the parameters, its output shape the response schema, its documentation
(HTML stripped) the description. Schemas are cut below a depth limit and recursive shapes where they repeat; a shape
this cannot express is skipped with a warning. The AWS value hints (permission actions, ARN forms) live here, beside
the models they describe.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

from inftool_hf.sources.installed import (
    MAX_DEPTH,
    entry_name,
    load_each,
    package_dir,
    plain_text,
    snake_case,
    valid_pattern,
)
from inftool_hf.sources.specs import SpecError, SpecLoad, ToolSpec, validate_tool

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

def botocore_services(root: Path | None = None) -> list[str]:
    root = root or package_dir("botocore", "botocore") / "data"
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
                sub["description"] = plain_text(ref["documentation"], 300)
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
        if pattern and len(pattern) < 200 and valid_pattern(pattern):
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
    root = root or package_dir("botocore", "botocore") / "data"
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
        name = f"{prefix}_{snake_case(op_name)}"[:64]
        parameters: dict[str, Any] = \
            _shape_schema(shapes, op["input"]["shape"]) if op.get("input") else {"type": "object"}
        parameters.setdefault("properties", {})
        parameters["type"] = "object"
        problem = validate_tool(name, parameters, where)
        if problem:
            load.warnings.append(f"{problem}; operation skipped")
            continue
        response = _shape_schema(shapes, op["output"]["shape"]) if op.get("output") else None
        description = plain_text(op.get("documentation"), 300) or op_name
        load.tools.append(ToolSpec(name=name, description=description.split(". ")[0].rstrip(".") + ".",
                                   parameters=parameters, domain=f"aws_{prefix}", source=where,
                                   response_schema=response, endpoint=f"{op.get('http', {}).get('method', 'POST')} "
                                                                      f"{op.get('http', {}).get('requestUri', '/')}"))
    if not load.tools:
        raise SpecError(f"botocore:{service}", "-", "no usable operation")
    return load


def load_entry(entry: str) -> SpecLoad:
    """One ``botocore:<service>`` entry of a recipe's ``specs`` (``botocore:*``: every service)."""
    name = entry_name(entry, "dynamodb")
    return load_each(entry, botocore_services() if name == "*" else [name], load_botocore)
