"""BFCL's multi-turn executable classes, driven turn by turn. Runs in the BFCL environment, not ours.

Like :mod:`inftool_hf.evaluate.bfcl_venv.bfcl_score`, this file imports nothing from inftool_hf and is run with the
interpreter of ``.venv-bfcl``. It serves JSON Lines on stdin/stdout so our generator (main
environment) can play BFCL's multi-turn protocol: the model's calls of one step go in, BFCL's
``execute_multi_turn_func_call`` runs them on the entry's stateful instances (file system, trading
bot...), the results come back and are shown to the model as tool messages::

    {"op": "entries", "category": "multi_turn_base", "limit": 3}
        -> {"entries": [{id, question, involved_classes, initial_config, function}, ...]}
    {"op": "execute", "id": ..., "calls": [{"name": {"arg": value}}, ...]}
        -> {"results": [str, ...], "rejected": [str, ...]}

BFCL executes call *strings* with Python's ``eval``. Model output never reaches it as text: a call
is executed only if its name is one of the entry's functions and its argument names are plain
identifiers; the string is then written by BFCL's own ``convert_to_function_call`` from the JSON
values (``repr`` of str/number/bool/None/list/dict), so what is evaluated is a literal call of a
known method. Anything else is answered with an error result and never executed. The same rule
applies when :func:`score_multi_turn` re-executes the calls with BFCL's ``multi_turn_checker``.
"""

from __future__ import annotations

import json
import keyword
import os
import sys
import tempfile
from typing import Any

MODEL_NAME = "inftool_hf_eval"
JSON_SCALARS = (str, int, float, bool, type(None))


def _is_literal(value: Any, depth: int = 0) -> bool:
    if depth > 32:
        return False
    if isinstance(value, JSON_SCALARS):
        return True
    if isinstance(value, list):
        return all(_is_literal(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_literal(item, depth + 1) for key, item in value.items())
    return False


def vet_call(call: Any, allowed: set[str]) -> tuple[str | None, str | None]:
    """One ``{name: {arg: value}}`` call → (BFCL call string, None) if acceptable, else (None, why not)."""
    from bfcl_eval.model_handler.utils import convert_to_function_call

    if not isinstance(call, dict) or len(call) != 1:
        return None, f"not a single {{name: arguments}} call: {str(call)[:200]}"
    [(name, arguments)] = call.items()
    if name not in allowed:
        return None, f"function {str(name)[:100]!r} is not one of this entry's functions"
    if not isinstance(arguments, dict):
        return None, f"{name}: arguments are not an object"
    if bad := [k for k in arguments if not k.isidentifier() or keyword.iskeyword(k)]:
        return None, f"{name}: argument names {[k[:50] for k in bad][:5]} are not identifiers"
    if not _is_literal(arguments):
        return None, f"{name}: argument values are not JSON values"
    [text] = convert_to_function_call({name: arguments})
    return text, None


def safe_calls(calls: Any, allowed: set[str]) -> list[str]:
    """``[{name: {arg: value}}]`` → BFCL call strings of the acceptable calls (the rest are left out)."""
    vetted = (vet_call(call, allowed)[0] for call in (calls if isinstance(calls, list) else []))
    return [text for text in vetted if text is not None]


def load_entries(category: str, limit: int | None = None) -> list[dict[str, Any]]:
    """The category's entries exactly as BFCL prompts them (function docs of the involved classes added)."""
    from bfcl_eval.utils import load_dataset_entry

    entries = load_dataset_entry(category)
    if not limit or limit >= len(entries):  # evenly spread, as inftool_hf.evaluate.bfcl_env.evenly_spread
        return entries
    return [entries[(i * len(entries)) // limit] for i in range(limit)]


def execute(entry: dict[str, Any], calls: Any) -> dict[str, Any]:
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils import execute_multi_turn_func_call

    allowed = {function["name"] for function in entry["function"]}
    results: list[str] = []
    rejected: list[str] = []
    for call in calls if isinstance(calls, list) else []:  # one at a time: results stay in the calls' order
        text, reason = vet_call(call, allowed)
        if text is None:
            rejected.append(reason or "refused")
            results.append(f"Error during execution: {reason}")
            continue
        [result], _ = execute_multi_turn_func_call([text], entry["initial_config"], entry["involved_classes"],
                                                   MODEL_NAME, entry["id"], long_context=False, is_evaL_run=False)
        results.append(result)
    return {"results": results, "rejected": rejected}


class _Handler:
    """What BFCL's multi-turn runner needs of a model handler: decode one step into call strings."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed

    def decode_execute(self, step: Any, has_tool_call_tag: bool = False) -> list[str]:
        return safe_calls(step, self.allowed)


def score_multi_turn(records: list[dict[str, Any]], category: str) -> list[dict[str, Any]]:
    """Score ``{"id", "decoded": [turn][step][{name: args}]}`` records with BFCL's own multi-turn runner logic
    (force-terminated check, empty steps skipped, ``multi_turn_checker`` on state and responses)."""
    from bfcl_eval.constants.eval_config import POSSIBLE_ANSWER_PATH
    from bfcl_eval.eval_checker.eval_runner import _evaluate_single_multi_turn_entry
    from bfcl_eval.utils import load_file

    entries = {entry["id"]: entry for entry in load_entries(category)}
    answers = {answer["id"]: answer["ground_truth"]
               for answer in load_file(POSSIBLE_ANSWER_PATH / f"BFCL_v4_{category}.json")}
    verdicts = []
    for record in records:
        entry = dict(entries[record["id"]])
        allowed = {function["name"] for function in entry["function"]}
        decoded = record.get("decoded")
        try:
            result = _evaluate_single_multi_turn_entry(_Handler(allowed), record["id"], decoded, answers[record["id"]],
                                                       entry, "inftool_hf_checker", category)
        except Exception as crash:  # the checker's own assertions: a wrong answer, never a crash of the run
            result = {"valid": False, "error": {"error_message": [f"{type(crash).__name__}: {crash}"],
                                                 "error_type": "multi_turn:checker_error"}}
        error = result.get("error") or {}
        messages = error.get("error_message") if isinstance(error, dict) else error
        verdicts.append({"id": record["id"], "category": category, "valid": bool(result["valid"]),
                         "error": messages if isinstance(messages, list) else [messages] if messages else [],
                         "error_type": error.get("error_type") if isinstance(error, dict) else None})
    return verdicts


def serve(stdin: Any, stdout: Any) -> None:
    entries: dict[str, dict[str, Any]] = {}
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if request["op"] == "entries":
                loaded = load_entries(request["category"], request.get("limit"))
                entries.update((entry["id"], entry) for entry in loaded)
                response: dict[str, Any] = {"entries": loaded}
            elif request["op"] == "execute":
                if request["id"] not in entries:
                    raise KeyError(f"unknown entry {request['id']!r}: ask for its category's entries first")
                response = execute(entries[request["id"]], request.get("calls"))
            else:
                raise ValueError(f"unknown op {request['op']!r}")
        except Exception as error:  # reported to the caller, who names the entry
            response = {"error": f"{type(error).__name__}: {error}"}
        stdout.write(json.dumps(response, default=str) + "\n")
        stdout.flush()


def main() -> int:
    os.environ.setdefault("BFCL_PROJECT_ROOT", tempfile.mkdtemp(prefix="bfcl-root-"))
    protocol = sys.stdout
    sys.stdout = sys.stderr  # BFCL's classes may print: keep the protocol stream clean
    serve(sys.stdin, protocol)
    return 0


if __name__ == "__main__":
    sys.exit(main())
