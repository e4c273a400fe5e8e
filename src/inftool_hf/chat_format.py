"""Render conversations with tools into model prompts, the same way for every backend.

Rows store tool-call ``arguments`` as JSON strings (stable Arrow typing); chat templates expect
dicts. This module is the one place that converts, so the transformers and vLLM backends feed the
engine identical token ids and the trainer sees the same text as generation did.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inftool_hf.configs import ConfigError

MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name")


def _arguments_as_dict(arguments: Any) -> Any:
    if isinstance(arguments, str):
        try:
            return json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return arguments  # rendered verbatim; the verifier reports it, rendering must not fail
    return arguments


def to_template_messages(messages: list[dict[str, Any]], system_prompt: str | None = None) -> list[dict[str, Any]]:
    """Copy ``messages`` into the form chat templates expect (dict arguments, no null fields)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        clean = {key: message[key] for key in MESSAGE_KEYS if message.get(key) is not None}
        clean.setdefault("content", "")
        if clean.get("tool_calls"):
            clean["tool_calls"] = [
                {**call, "function": {**call["function"],
                                       "arguments": _arguments_as_dict(call["function"].get("arguments"))}}
                for call in clean["tool_calls"]
            ]
        out.append(clean)
    if system_prompt and (not out or out[0]["role"] != "system"):
        out.insert(0, {"role": "system", "content": system_prompt})
    return out


def resolve_chat_template(spec: str) -> str | None:
    """``"model"`` → None (keep the tokenizer's), ``"trl:<name>"`` → TRL's file, else a .jinja path."""
    if spec == "model":
        return None
    if spec.startswith("trl:"):
        from inftool_hf.default_model import trl_chat_template

        return trl_chat_template(spec.removeprefix("trl:"))
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"chat_template: {spec!r} is not 'model', 'trl:<name>' or an existing .jinja file")
    return path.read_text(encoding="utf-8")


def load_tokenizer(model_path: str, chat_template: str = "model"):
    """Tokenizer with left padding (batched generation) and the configured chat template."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
    template = resolve_chat_template(chat_template)
    if template is not None:
        tokenizer.chat_template = template
    if tokenizer.chat_template is None:
        raise ConfigError(f"{model_path} has no chat template; set chat_template to 'trl:<name>' or a .jinja file")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def render_prompt(
    tokenizer: Any,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    system_prompt: str | None = None,
) -> str:
    """The prompt text for the next assistant turn."""
    return tokenizer.apply_chat_template(
        to_template_messages(messages, system_prompt),
        tools=tools or None,
        tokenize=False,
        add_generation_prompt=True,
    )


def conversation_text(messages: list[dict[str, Any]], width: int = 400) -> str:
    """A conversation as plain text, one block per message, tool calls spelled out (for notebooks and logs)."""
    lines = []
    for message in messages:
        role = message.get("role", "?")
        content = (message.get("content") or "").strip()
        if role == "tool":
            lines.append(f"[tool result: {message.get('name') or '?'}] {content[:width]}")
            continue
        if content:
            lines.append(f"[{role}] {content[:width]}")
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            lines.append(f"[{role} calls] {function.get('name')}({arguments[:width]})")
    return "\n".join(lines)
