"""Parse raw model text into OpenAI-style ``tool_calls``.

Models write tool calls in several dialects; the rest of the toolkit (verifier, rewards, evaluation)
only ever sees one shape: ``{"id", "type": "function", "function": {"name", "arguments"}}`` with
``arguments`` a JSON string. Accepted dialects, tried in this order:

1. Hermes blocks: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` (several allowed; an
   unterminated last block, as when generation hits the token limit, is still tried);
2. bare JSON: an object ``{"name": ..., "arguments": ...}`` or a list of them, optionally in a
   Markdown code fence;
3. Python call syntax: ``f(a=1)``, ``[f(a=1), g(b="x")]``, dotted names allowed.

Nothing here evaluates model text: JSON goes through :func:`json.loads`, Python syntax through
:func:`ast.parse` and :func:`ast.literal_eval` of each argument node (literals only). Parsing never
raises: text that is not a tool call comes back as ``content`` with ``parse_error`` recorded.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Model outputs longer than this are not parsed for calls (they are kept as content): a bound on
# work per completion, so a runaway generation cannot stall a verifier or a reward function.
MAX_PARSE_CHARS = 200_000

_HERMES_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```$", re.DOTALL)
_NAME_KEYS = ("name", "function", "tool", "tool_name")
_ARG_KEYS = ("arguments", "parameters", "args", "input")


@dataclass
class ParsedMessage:
    """An assistant message recovered from raw text."""

    content: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    parse_error: str | None = None

    def as_message(self) -> dict[str, Any]:
        return {
            "role": "assistant",
            "content": self.content,
            "tool_calls": self.tool_calls or None,
        }


class _NotACall(ValueError):
    """Raised internally when a candidate does not have the shape of a tool call."""


def make_tool_call(name: str, arguments: dict[str, Any] | str, call_id: str | None = None) -> dict[str, Any]:
    """One OpenAI-style tool call with ``arguments`` serialized as a JSON string."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {"id": call_id or "", "type": "function", "function": {"name": name, "arguments": arguments}}


def _number_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for index, call in enumerate(calls):
        if not call["id"]:
            call["id"] = f"call_{index}"
    return calls


def _call_from_object(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _NotACall(f"expected a JSON object, got {type(obj).__name__}")
    if "function" in obj and isinstance(obj["function"], dict):  # OpenAI shape
        obj = obj["function"]
    name = next((obj[key] for key in _NAME_KEYS if isinstance(obj.get(key), str)), None)
    if not name:
        raise _NotACall("object has no function name")
    arguments: Any = next((obj[key] for key in _ARG_KEYS if key in obj), {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError) as err:
            raise _NotACall(f"arguments of {name!r} are not valid JSON: {err}") from None
    if not isinstance(arguments, dict):
        raise _NotACall(f"arguments of {name!r} are not an object")
    return make_tool_call(name, arguments)


def _calls_from_json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise _NotACall(f"invalid JSON: {err}") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise _NotACall("empty list")
    return [_call_from_object(item) for item in items]


def _dotted_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted_name(node.value)}.{node.attr}"
    raise _NotACall("call target is not a plain (dotted) name")


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _NotACall(f"argument is not a literal: {ast.dump(node)[:80]}") from None


def _calls_from_python(text: str, positional_names: dict[str, list[str]]) -> list[dict[str, Any]]:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise _NotACall(f"not Python call syntax: {err}") from None
    body = tree.body
    nodes = body.elts if isinstance(body, (ast.List, ast.Tuple)) else [body]
    if not nodes or not all(isinstance(node, ast.Call) for node in nodes):
        raise _NotACall("not a function call expression")
    calls = []
    for node in nodes:
        assert isinstance(node, ast.Call)
        name = _dotted_name(node.func)
        arguments: dict[str, Any] = {}
        if node.args:
            names = positional_names.get(name)
            if names is None or len(node.args) > len(names):
                raise _NotACall(f"positional arguments to {name!r} cannot be mapped to parameter names")
            for param, arg in zip(names, node.args, strict=False):
                arguments[param] = _literal(arg)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise _NotACall(f"**kwargs in call to {name!r}")
            arguments[keyword.arg] = _literal(keyword.value)
        calls.append(make_tool_call(name, arguments))
    return calls


def _positional_names(tools: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for tool in tools or []:
        function = tool.get("function", tool) if isinstance(tool, dict) else {}
        properties = (function.get("parameters") or {}).get("properties") or {}
        if isinstance(function.get("name"), str) and isinstance(properties, dict):
            names[function["name"]] = list(properties)
    return names


def _strip_fence(text: str) -> str:
    match = _FENCE.match(text.strip())
    return match.group(1).strip() if match else text.strip()


def parse_tool_calls(text: str | None, tools: list[dict[str, Any]] | None = None) -> ParsedMessage:
    """Recover ``content`` and ``tool_calls`` from one raw completion; never raises.

    ``tools`` (optional, OpenAI ``tools`` form) lets positional Python arguments be mapped to parameter
    names in schema order.
    """
    if not isinstance(text, str):
        return ParsedMessage(content="", parse_error=f"completion is {type(text).__name__}, not text")
    if len(text) > MAX_PARSE_CHARS:
        return ParsedMessage(content=text, parse_error=f"completion longer than {MAX_PARSE_CHARS} characters")
    try:
        return _parse(text, tools)
    except Exception as err:  # noqa: BLE001 - the contract is "never raises", whatever the input
        return ParsedMessage(content=text, parse_error=f"parser failure: {type(err).__name__}: {err}")


def _parse(text: str, tools: list[dict[str, Any]] | None) -> ParsedMessage:
    if "<tool_call>" in text:
        calls: list[dict[str, Any]] = []
        errors: list[str] = []
        for block in _HERMES_BLOCK.findall(text):
            body = _strip_fence(block)
            try:
                calls.extend(_calls_from_json(body))
            except _NotACall as err:
                try:
                    calls.extend(_calls_from_python(body, _positional_names(tools)))
                except _NotACall:
                    errors.append(str(err))
        content = _HERMES_BLOCK.sub("", text).strip()
        error = f"unparseable <tool_call> block: {'; '.join(errors)}" if errors else None
        return ParsedMessage(content=content, tool_calls=_number_calls(calls), parse_error=error)

    candidate = _strip_fence(text)
    if not candidate:
        return ParsedMessage(content="")
    if candidate[0] in "[{":
        try:
            return ParsedMessage(content="", tool_calls=_number_calls(_calls_from_json(candidate)))
        except _NotACall as json_error:
            if candidate[0] == "{":
                return ParsedMessage(content=text.strip(), parse_error=f"JSON tool call: {json_error}")
    if "(" in candidate and candidate.rstrip().endswith((")", "]")):
        try:
            calls = _calls_from_python(candidate, _positional_names(tools))
            return ParsedMessage(content="", tool_calls=_number_calls(calls))
        except _NotACall:
            pass
    return ParsedMessage(content=text.strip())
