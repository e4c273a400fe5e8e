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

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .specs import ToolSpec
from .tool_pool import is_minted
from .values import ValueFactory


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


@dataclass
class SimulatorState:
    """What one conversation's server knows: ids issued (by tools or given by the user) and a call log."""

    known_ids: dict[str, set[str]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def remember(self, name: str, value: Any) -> None:
        if isinstance(value, str):
            self.known_ids.setdefault(name, set()).add(value)

    def knows(self, name: str, value: Any) -> bool:
        return isinstance(value, str) and value in self.known_ids.get(name, set())

    def snapshot(self) -> dict[str, Any]:
        return {"known_ids": {k: sorted(v) for k, v in sorted(self.known_ids.items())},
                "calls": [{"name": c["name"], "ok": c["ok"]} for c in self.calls]}


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
    ):
        self.tools = tools
        self.planned = planned or []
        self.seed = seed
        self.llm_backend = llm_backend
        # tool name → Python function run for real (see inftool_hf.python_tools)
        self.implementations = implementations or {}
        self.state = SimulatorState()
        # ids the user legitimately knows (their own booking reference, device id, ...)
        for name, value in user_ids or []:
            if is_minted(name):
                self.state.remember(name, value)

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
        for param, value in arguments.items():
            if is_minted(param) and isinstance(value, str) and not self.state.knows(param, value):
                return {"error": f"{param} '{value}' not found"}
        for param, value in arguments.items():
            self.state.remember(param, value)
        if name in self.implementations:
            from .python_tools import run_implementation

            return run_implementation(self.implementations[name], arguments)
        planned = self._planned_outputs(name, arguments)
        result = None
        if self.llm_backend is not None and tool.response_schema:
            result = self._llm_result(tool, arguments)
        if result is None:
            result = self._schema_result(tool, arguments)
        result = self._apply(result, tool, arguments, planned)
        return result

    def _apply(self, result: Any, tool: ToolSpec, arguments: dict[str, Any], planned: dict[str, Any]) -> dict:
        """Echo inputs into same-named output fields, place planned ids, remember minted ids."""
        if not isinstance(result, dict):
            result = {"result": result}

        def walk(node: Any) -> Any:
            if isinstance(node, dict):
                for key in list(node):
                    if key in planned:
                        node[key] = planned[key]
                    elif key in arguments and isinstance(node[key], type(arguments[key])):
                        node[key] = arguments[key]
                    else:
                        node[key] = walk(node[key])
                    if is_minted(key):
                        self.state.remember(key, node[key])
                return node
            if isinstance(node, list):
                return [walk(item) for item in node]
            return node

        result = walk(result)
        # A planned id whose field sits inside a list that came out empty: make sure it is there.
        missing = {k: v for k, v in planned.items() if not self.state.knows(k, v)}
        for key, value in missing.items():
            result[key] = value
            self.state.remember(key, value)
        return result

    def _call_seed(self, name: str, arguments: dict[str, Any]) -> int:
        digest = hashlib.sha256(json.dumps([self.seed, name, arguments], sort_keys=True, default=str).encode())
        return int.from_bytes(digest.digest()[:8], "big")

    def _schema_result(self, tool: ToolSpec, arguments: dict[str, Any]) -> Any:
        schema = tool.response_schema or {"type": "object",
                                          "properties": {"status": {"type": "string", "enum": ["ok"]}}}
        factory = ValueFactory(self._call_seed(tool.name, arguments))
        result = factory.for_schema(_all_required(schema), tool.name)
        return result

    def _llm_result(self, tool: ToolSpec, arguments: dict[str, Any]) -> Any:
        from .configs import SamplingConfig

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
        return data if not schema_errors(tool.response_schema, data) else None


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
