"""Multi-step GRPO rollouts: the MCP Server simulator as TRL's ``environment_factory``.

Offline GRPO (``train.grpo.rollouts: decision_points``) scores one assistant decision against a prefix that
already holds the real simulated results. With ``rollouts: environment`` the model plays the whole episode:
TRL generates, executes each tool call through an environment method, feeds the result back and lets the
model continue, so it sees on-policy (simulated) results mid-episode.

TRL exposes an environment's public methods as the tools of the prompt (their JSON schema comes from
signature and docstring, through ``transformers.utils.get_json_schema``). Our tools come from specs, so
:func:`environment_class` builds one class per domain whose methods carry each tool's signature, types,
enum choices and descriptions; a call runs in a :class:`~inftool_hf.synth.simulator.ToolSimulator` primed with the
row's blueprint (planned ids), reset per rollout. :func:`state_reward` scores the final server state: the
share of the plan's calls made with matching arguments, scaled by the share of calls that succeeded.
"""

from __future__ import annotations

import inspect
import json
import keyword
import logging
from typing import Any

from inftool_hf.chat_format import to_template_messages
from inftool_hf.sources.specs import ToolSpec
from inftool_hf.synth.scenarios import NO_CALL_CATEGORIES, user_stated_values
from inftool_hf.synth.simulator import ToolSimulator
from inftool_hf.verify.gates import arguments_match

logger = logging.getLogger(__name__)

_PYTHON_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list,
                                 "object": dict}


def _annotation(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):  # ["string", "null"]: the first real type
        kind = next((k for k in kind if k != "null"), "string")
    return _PYTHON_TYPES.get(str(kind), str)


def _doc_line(name: str, schema: dict[str, Any]) -> str:
    text = " ".join(str(schema.get("description") or name.replace("_", " ")).split())
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        text += f" (choices: {json.dumps(schema['enum'])})"  # get_json_schema turns this into "enum"
    return f"        {name}: {text}"


def usable_as_method(tool: ToolSpec) -> bool:
    """Parameters must be Python identifiers to become a method signature."""
    names = list((tool.parameters.get("properties") or {}).keys())
    return all(n.isidentifier() and not keyword.iskeyword(n) and n != "self" for n in names) and \
        tool.name.isidentifier() and not keyword.iskeyword(tool.name) and tool.name not in ("reset", "get_reward")


def tool_method(tool: ToolSpec):
    """A method with ``tool``'s signature and docstring that runs the call in the environment's simulator."""
    properties = tool.parameters.get("properties") or {}
    required = set(tool.parameters.get("required") or [])

    def method(self, **arguments: Any) -> str:
        return self._execute(tool.name, arguments)

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    # required first: a signature cannot put defaults before non-defaults
    for name in sorted(properties, key=lambda n: n not in required):
        annotation = _annotation(properties[name])
        if name not in required:
            annotation = annotation | None
        annotations[name] = annotation
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                                            default=inspect.Parameter.empty if name in required else None))
    annotations["return"] = str
    method.__signature__ = inspect.Signature(parameters, return_annotation=str)  # type: ignore[attr-defined]
    method.__annotations__ = annotations
    method.__name__ = method.__qualname__ = tool.name
    description = " ".join((tool.description or tool.name).split())
    lines = [description, "", "    Args:", *(_doc_line(n, properties[n]) for n in properties)] if properties \
        else [description]
    method.__doc__ = "\n".join(lines)
    return method


class SimulatorEnvironment:
    """Base of the per-domain environments: one simulated MCP server per rollout, reset from the row."""

    specs: dict[str, ToolSpec] = {}

    def __init__(self) -> None:
        self.server: ToolSimulator | None = None
        self.planned: list[dict[str, Any]] = []
        self.expects_calls = True

    def reset(self, **row: Any) -> None:
        blueprint = json.loads(row.get("blueprint") or "{}")
        calls = blueprint.get("calls") or []
        self.expects_calls = row.get("category") not in NO_CALL_CATEGORIES and not blueprint.get("withheld")
        # what this episode can achieve from the first user message alone: the first user turn's calls
        self.planned = [c for c in calls if c.get("turn", 0) == 0] if self.expects_calls else []
        self.server = ToolSimulator(dict(self.specs), planned=calls,
                                    user_ids=user_stated_values(blueprint),
                                    seed=int(row.get("seed") or 0))
        return None

    def _execute(self, name: str, arguments: dict[str, Any]) -> str:
        if self.server is None:
            return json.dumps({"error": "environment used before reset"})
        arguments = {k: v for k, v in arguments.items() if v is not None}  # omitted optionals arrive as None
        return json.dumps(self.server.execute(name, arguments), ensure_ascii=False)

    def _final_state_score(self) -> float:
        """1.0 when the server saw exactly the planned calls (tolerant argument match) and none failed."""
        made = self.server.state.calls if self.server is not None else []
        if not self.planned:
            return 0.0 if made else 1.0
        remaining = [dict(c) for c in made]
        matched = 0
        for plan in self.planned:
            schema = self.specs[plan["name"]].parameters if plan["name"] in self.specs else None
            for index, call in enumerate(remaining):
                arguments = call["arguments"] if isinstance(call["arguments"], dict) else {}
                if call["name"] == plan["name"] and not arguments_match(arguments, plan["arguments"], schema):
                    matched += 1
                    remaining.pop(index)
                    break
        succeeded = sum(1 for c in made if c["ok"]) / len(made) if made else 0.0
        extra = len(remaining)
        return matched / len(self.planned) * succeeded / (1 + extra)


def environment_class(domain: str, tools: list[ToolSpec]) -> type[SimulatorEnvironment]:
    """``<Domain>Environment`` whose public methods are the domain's tools."""
    usable = [t for t in tools if usable_as_method(t)]
    for tool in tools:
        if tool not in usable:
            logger.warning("environment %s: tool %s has parameter names that are not identifiers; left out",
                           domain, tool.name)
    namespace: dict[str, Any] = {t.name: tool_method(t) for t in usable}
    namespace["specs"] = {t.name: t for t in usable}
    name = "".join(part.capitalize() for part in domain.replace("-", "_").split("_")) + "Environment"
    return type(name, (SimulatorEnvironment,), namespace)


def domain_tools(rows) -> dict[str, list[ToolSpec]]:
    """Per domain, every tool shown in its rows (the union), from the rows' own tool definitions."""
    found: dict[str, dict[str, ToolSpec]] = {}
    for row in rows:
        for tool in json.loads(row["tools"]):
            function = tool["function"]
            found.setdefault(row["domain"], {}).setdefault(function["name"], ToolSpec(
                name=function["name"], description=function.get("description") or "",
                parameters=function.get("parameters") or {"type": "object", "properties": {}}, domain=row["domain"],
                source="dataset"))
    return {domain: list(tools.values()) for domain, tools in found.items()}


def environment_dataset(rows, system_prompt: str):
    """Conversational prompts (system + first user message) with an ``environment`` column, the columns the
    rewards read, and the factories keyed by environment name: ``(dataset, {name: factory})``."""
    from datasets import Dataset

    from inftool_hf.verify.trajectories import decision_points

    classes = {domain: environment_class(domain, tools) for domain, tools in domain_tools(rows).items()}
    records = []
    for row in rows:
        first_user = next((m for m in row["messages"] if m["role"] == "user"), None)
        if first_user is None or not classes[row["domain"]].specs:
            continue
        points = decision_points(row)
        first = points[0] if points else {"expected": {"calls": []}, "known_ids": []}
        env_tools = [t.to_openai() for t in classes[row["domain"]].specs.values()]
        records.append({
            "prompt": to_template_messages([first_user], system_prompt),
            "environment": row["domain"], "blueprint": row["blueprint"], "seed": row["seed"],
            "category": row["category"], "row_id": row["id"], "expected": json.dumps(first["expected"]),
            "tools": json.dumps(env_tools), "known_ids": json.dumps(first["known_ids"]),
        })
    return Dataset.from_list(records), {name: cls for name, cls in classes.items()}


def state_reward(completions: list[Any], environments: list[Any] | None = None, **kwargs: Any) -> list[float | None]:
    """Final-state reward of environment rollouts (None when the batch ran without environments)."""
    if not environments:
        return [None] * len(completions)
    return [env._final_state_score() if isinstance(env, SimulatorEnvironment) else None for env in environments]
