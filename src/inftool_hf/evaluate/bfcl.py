"""Evaluation: BFCL through its own checkers, our held-out split, and decontamination.

BFCL: each entry's functions are rendered as tools through the model's own chat template, our
backends generate (vllm / transformers / openai; base, merged, or base + LoRA adapter), the tool calls
are parsed and converted to the ``[{name: {arg: value}}]`` form BFCL's checkers expect, and
:mod:`inftool_hf.evaluate.bfcl_venv.bfcl_score` scores them with ``bfcl_eval``'s ``ast_checker`` and relevance rule
in the separate BFCL environment (``.venv-bfcl``; it cannot share ours). Nothing of BFCL's scoring is
re-implemented here. Multi-turn entries are played turn by turn: the model's calls run on BFCL's
executable classes in a long-lived process of that environment (:mod:`inftool_hf.evaluate.bfcl_venv.bfcl_executor`),
their results come back as tool messages, and BFCL's multi-turn runner scores the whole episode.

Decontamination: BFCL is the held-out yardstick, so :func:`check_decontamination` fails loudly when a
training dataset shares a function name or a long word n-gram of a question with BFCL.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inftool_hf.atomic import atomic_write_text
from inftool_hf.configs import BackendConfig, ConfigError, SamplingConfig, load_recipe
from inftool_hf.evaluate.bfcl_env import EvaluationError, bfcl_data_dir, bfcl_python, load_bfcl

logger = logging.getLogger(__name__)

NON_LIVE_AST = ("simple_python", "multiple", "parallel", "parallel_multiple")
LIVE_AST = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
RELEVANCE = ("irrelevance", "live_irrelevance", "live_relevance")
MULTI_TURN = ("multi_turn_base",)
BFCL_CATEGORIES = NON_LIVE_AST + LIVE_AST + RELEVANCE + MULTI_TURN
AST_CATEGORIES_SCORED = NON_LIVE_AST + LIVE_AST


@dataclass
class EvalConfig:
    backend: BackendConfig = field(
        default_factory=lambda: BackendConfig(backend="auto", max_model_len=8192),
        metadata={"help": "BFCL's live entries can carry dozens of functions: use the model's full context (SmolLM2: "
                          "8192)"},
    )
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=256))
    categories: list[str] = field(
        default_factory=lambda: list(BFCL_CATEGORIES),
        metadata={"help": "BFCL categories to run"},
    )
    limit: int | None = field(
        default=None,
        metadata={"help": "entries per category, spread evenly over BFCL's file (None: all); a subset is stated as "
                          "such in reports"},
    )
    output_dir: str = field(default="outputs/eval", metadata={"help": "outputs.jsonl, verdicts and reports go here"})
    adapter: str | None = field(
        default=None,
        metadata={"help": "LoRA adapter on top of backend.model (vllm serves it directly; transformers wraps the model"
                          " with PEFT)"},
    )
    max_steps_per_turn: int = field(
        default=20,
        metadata={"help": "multi-turn: model steps per user turn before the entry is force-terminated (BFCL's "
                          "MAXIMUM_STEP_LIMIT)"},
    )

    def __post_init__(self) -> None:
        unknown = [c for c in self.categories if c not in BFCL_CATEGORIES]
        if unknown:
            raise ConfigError(f"categories: {unknown} not supported; choose from {', '.join(BFCL_CATEGORIES)}")


_BFCL_TYPES = {"dict": "object", "float": "number", "tuple": "array", "list": "array", "int": "integer",
               "bool": "boolean", "str": "string"}


def _json_schema(schema: Any) -> Any:
    """BFCL's parameter dialect (``dict``, ``float``, ``tuple``, ``any``) → JSON schema, for rendering."""
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            if value == "any":
                continue
            out[key] = _BFCL_TYPES.get(value, value)
        elif key in ("properties",) and isinstance(value, dict):
            out[key] = {name: _json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _json_schema(value)
        else:
            out[key] = value
    return out


def bfcl_tools(functions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": f["name"], "description": f.get("description", ""),
                                              "parameters": _json_schema(f.get("parameters") or {})}}
            for f in functions]


def decode_for_bfcl(message: dict[str, Any], strict: bool = False) -> list[dict[str, Any]] | None:
    """Our parsed ``tool_calls`` → BFCL's ``[{func_name: {arg: value}}]``. Arguments that do not decode to
    an object become ``{}`` (the checker then names what is missing), or, with ``strict``, make the whole
    answer undecodable (None), as BFCL's multi-turn handler treats it."""
    decoded = []
    for call in message.get("tool_calls") or []:
        try:
            args = json.loads(call["function"]["arguments"] or "{}")
        except (ValueError, KeyError, TypeError):
            args = None
        if not isinstance(args, dict):
            if strict:
                return None
            args = {}
        decoded.append({call["function"]["name"]: args})
    return decoded


def _make_backend(config: EvalConfig):
    from inftool_hf.backends import make_backend

    return make_backend(config.backend, adapter=config.adapter)


def generate_bfcl(config: EvalConfig, backend: Any = None, progress: bool = True) -> Path:
    """Generate for every entry; writes ``outputs.jsonl`` (raw text, parsed calls, decoded form)."""
    from tqdm.auto import tqdm

    out_dir = Path(config.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = bfcl_data_dir()
    owned = backend is None
    path = out_dir / "outputs.jsonl"
    done = _finished_categories(path, config)
    try:
        for category in tqdm(config.categories, desc="BFCL categories", disable=not progress):
            if category in done:
                continue  # finished by an earlier, interrupted run
            if backend is None:
                backend = _make_backend(config)
            if category in MULTI_TURN:
                lines = generate_multi_turn(category, config, backend, progress)
                _append_lines(path, lines)
                continue
            entries = load_bfcl(category, config.limit, data_dir)
            conversations = [entry["question"][0] for entry in entries]
            tools = [bfcl_tools(entry["function"]) for entry in entries]
            started = time.monotonic()
            generations = backend.generate(conversations, tools, config.sampling)
            seconds = time.monotonic() - started
            lines = [json.dumps({
                "id": entry["id"], "category": category, "raw": generation.raw_text,
                "tool_calls": generation.message.get("tool_calls"), "parse_error": generation.parse_error,
                "decoded": decode_for_bfcl(generation.message), "seconds": round(seconds / max(1, len(entries)), 4),
            }, ensure_ascii=False) for entry, generation in zip(entries, generations, strict=True)]
            _append_lines(path, lines)
    finally:
        if owned and backend is not None:
            backend.close()
    return path


def _append_lines(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as handle:  # one category at a time, flushed as it finishes
        handle.write("\n".join(lines) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


# --- multi-turn: BFCL's executable classes, turn by turn ----------------------------------------------

class BfclExecutor:
    """A long-lived :mod:`inftool_hf.evaluate.bfcl_venv.bfcl_executor` process in the BFCL environment (state per
    entry)."""

    def __init__(self) -> None:
        import tempfile

        script = Path(__file__).parent / "bfcl_venv" / "bfcl_executor.py"
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._process = subprocess.Popen([str(bfcl_python()), str(script)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8")

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self._log.seek(0)
            raise EvaluationError(f"the BFCL executor stopped (op {message.get('op')}):\n{self._log.read()[-2000:]}")
        response = json.loads(line)
        if "error" in response:
            raise EvaluationError(f"BFCL executor, op {message.get('op')} {message.get('id', '')}: {response['error']}")
        return response

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()  # type: ignore[union-attr]
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()

    def __enter__(self) -> BfclExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def generate_multi_turn(category: str, config: EvalConfig, backend: Any, progress: bool = True) -> list[str]:
    """Play BFCL's multi-turn protocol: per user turn the model steps (calls → BFCL executes → results)
    until it answers without calls, or is force-terminated after ``max_steps_per_turn`` steps.

    All entries advance together, one batched generation per round. Returns ``outputs.jsonl`` lines with
    ``decoded[turn][step] = [{name: args}]`` for BFCL's multi-turn runner and the whole conversation."""
    from tqdm.auto import tqdm

    with BfclExecutor() as executor:
        entries = executor.request({"op": "entries", "category": category, "limit": config.limit})["entries"]
        started = time.monotonic()
        states = [{"entry": entry, "tools": bfcl_tools(entry["function"]), "messages": list(entry["question"][0]),
                   "turn": 0, "step": 0, "decoded": [[]], "raw": [[]], "force_quit": False, "done": False}
                  for entry in entries]
        bar = tqdm(total=len(states), desc=f"{category} entries", disable=not progress)
        while active := [state for state in states if not state["done"]]:
            generations = backend.generate([s["messages"] for s in active], [s["tools"] for s in active],
                                           config.sampling)
            for state, generation in zip(active, generations, strict=True):
                _advance(state, generation, executor, config.max_steps_per_turn)
                bar.update(int(state["done"]))
        bar.close()
    seconds = round((time.monotonic() - started) / max(1, len(states)), 4)  # per entry, as for single-turn
    return [json.dumps({"id": s["entry"]["id"], "category": category, "raw": s["raw"], "tool_calls": None,
                        "parse_error": None, "decoded": s["decoded"], "force_quit": s["force_quit"],
                        "messages": s["messages"], "seconds": seconds}, ensure_ascii=False, default=str)
            for s in states]


def _advance(state: dict[str, Any], generation: Any, executor: BfclExecutor, max_steps: int) -> None:
    message = generation.message
    state["raw"][-1].append(generation.raw_text)
    calls = decode_for_bfcl(message, strict=True)
    if calls:
        results = executor.request({"op": "execute", "id": state["entry"]["id"], "calls": calls})["results"]
        tool_calls = [{**call, "id": call.get("id") or f"call_{state['turn']}_{state['step']}_{i}"}
                      for i, call in enumerate(message["tool_calls"])]
        state["messages"].append({"role": "assistant", "content": message.get("content") or "",
                                  "tool_calls": tool_calls})
        for call, result in zip(tool_calls, results, strict=True):
            state["messages"].append({"role": "tool", "content": result, "tool_call_id": call["id"],
                                      "name": call["function"]["name"]})
        state["decoded"][-1].append(calls)
        state["step"] += 1
        if state["step"] > max_steps:  # BFCL: the whole entry fails
            state["force_quit"] = state["done"] = True
        return
    # no (decodable) call: the model answered; BFCL moves on to the next user turn
    state["messages"].append({"role": "assistant", "content": message.get("content") or generation.raw_text or ""})
    state["decoded"][-1].append([])
    questions = state["entry"]["question"]
    if state["turn"] + 1 >= len(questions):
        state["done"] = True
        return
    state["turn"] += 1
    state["step"] = 0
    state["messages"].extend(questions[state["turn"]])
    state["decoded"].append([])
    state["raw"].append([])


def _finished_categories(path: Path, config: EvalConfig) -> set[str]:
    """Categories already complete in ``outputs.jsonl``; a partly written one is dropped (rewritten)."""
    settings = path.with_name("run.json")
    fingerprint = json.dumps({"model": config.backend.model, "adapter": config.adapter, "limit": config.limit,
                              "backend": config.backend.backend, "sampling": config.sampling.__dict__,
                              "system_prompt": config.backend.system_prompt,
                              "max_steps_per_turn": config.max_steps_per_turn}, sort_keys=True)
    if path.exists() and (not settings.exists() or settings.read_text() != fingerprint):
        path.unlink()  # outputs of other settings (another model...) are never mixed in
    atomic_write_text(settings, fingerprint)
    if not path.exists():
        return set()
    records: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line
            records.setdefault(entry["category"], []).append(line.rstrip("\n"))
    data_dir = bfcl_data_dir()
    done = {c for c, lines in records.items()
            if c in config.categories and len(lines) == len(load_bfcl(c, config.limit, data_dir))}
    atomic_write_text(path, "".join("\n".join(records[c]) + "\n" for c in sorted(done)))
    return done


def score_bfcl(outputs: Path) -> Path:
    """Run BFCL's checkers on ``outputs.jsonl`` in the BFCL environment; returns ``verdicts.jsonl``."""
    verdicts = outputs.with_name("verdicts.jsonl")
    script = Path(__file__).parent / "bfcl_venv" / "bfcl_score.py"
    result = subprocess.run([str(bfcl_python()), str(script), str(outputs), str(verdicts)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise EvaluationError(f"BFCL scoring failed:\n{result.stderr[-2000:]}")
    return verdicts


# Where a wrong answer fails, named as a reader would, roughly in the order BFCL's checker looks.
FAILURE_STAGES = ("asked a question", "replied without a call", "malformed call", "too few calls",
                  "too many calls", "wrong function", "missing argument", "wrong value or type",
                  "unexpected argument", "called when none fits", "other")


def _stage_of_error_type(error_type: str) -> str | None:
    if error_type.endswith("wrong_func_name"):
        return "wrong function"
    if error_type.endswith(("missing_required", "missing_optional")):
        return "missing argument"
    if error_type.startswith(("value_error", "type_error")):
        return "wrong value or type"
    if error_type.endswith("unexpected_param"):
        return "unexpected argument"
    return None


def failure_stage(verdict: dict[str, Any], output: dict[str, Any] | None = None) -> str | None:
    """Where a wrong BFCL answer went wrong (one of :data:`FAILURE_STAGES`); None for a right one.

    ``output`` is the answer's line of ``outputs.jsonl``: it tells a reply in words from a call that did not
    parse, and a question back from other words. For parallel answers BFCL reports only that some expected call
    found no match; the stage is then the furthest any of the model's calls got against it (a right function with
    a wrong value counts as a value)."""
    if verdict.get("valid"):
        return None
    error_type = verdict.get("error_type") or ""
    if error_type == "ast_decoder:decoder_failed":
        if output and output.get("parse_error"):
            return "malformed call"
        # a reply in words: a question back (for a value the request may already give), or anything else
        # (mostly "none of my tools can do that" where one can)
        return "asked a question" if ((output or {}).get("raw") or "").strip().endswith("?") else \
            "replied without a call"
    if error_type.startswith("irrelevance_error"):
        return "called when none fits"
    if error_type.endswith("wrong_count"):
        calls, expected = len((output or {}).get("decoded") or []), verdict.get("expected_calls")
        if expected is None or not output:
            return "other"
        return "too few calls" if calls < expected else "too many calls"
    if error_type.endswith("cannot_find_match"):
        reached = [_stage_of_error_type(detail.get("sub_error_type") or "")
                   for item in verdict.get("error") or [] if isinstance(item, dict) for detail in item.values()
                   if isinstance(detail, dict)]
        for stage in ("unexpected argument", "wrong value or type", "missing argument", "wrong function"):
            if stage in reached:
                return stage
        return "other"
    return _stage_of_error_type(error_type) or "other"


def summarize(verdicts: list[dict[str, Any]], outputs: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Per-category accuracy and BFCL's aggregates over the categories that were run; with ``outputs`` (the
    lines of ``outputs.jsonl`` by id), each category's wrong answers counted by :func:`failure_stage`."""
    per: dict[str, list[bool]] = {}
    for verdict in verdicts:
        per.setdefault(verdict["category"], []).append(bool(verdict["valid"]))
    categories: dict[str, dict[str, Any]] = {c: {"accuracy": sum(v) / len(v), "correct": sum(v), "total": len(v)}
                                             for c, v in per.items()}
    if outputs is not None:
        for verdict in verdicts:
            output = outputs.get(verdict["id"])
            if output is not None and verdict.get("expected_calls") is not None:
                # answers with as many calls as the truth, and the right ones among them: what a category
                # loses to the count and what to the calls' names and arguments
                counted = categories[verdict["category"]].setdefault("right_count", {"total": 0, "correct": 0})
                if len(output.get("decoded") or []) == verdict["expected_calls"]:
                    counted["total"] += 1
                    counted["correct"] += bool(verdict["valid"])
            stage = failure_stage(verdict, output)
            if stage is not None:
                failed = categories[verdict["category"]].setdefault("failed_at", {})
                failed[stage] = failed.get(stage, 0) + 1
    summary: dict[str, Any] = {}
    non_live = [categories[c]["accuracy"] for c in NON_LIVE_AST if c in categories]
    if non_live:
        summary["non_live_ast_mean"] = sum(non_live) / len(non_live)  # BFCL: unweighted over the four
    live = [c for c in LIVE_AST if c in categories]
    if live:  # BFCL: live accuracy weighted by the number of entries
        summary["live_ast_weighted"] = (sum(categories[c]["correct"] for c in live)
                                        / sum(categories[c]["total"] for c in live))
    for name in RELEVANCE:
        if name in categories:
            summary[name] = categories[name]["accuracy"]
    multi_turn = [categories[c]["accuracy"] for c in MULTI_TURN if c in categories]
    if multi_turn:  # BFCL: unweighted over the multi-turn categories run
        summary["multi_turn_mean"] = sum(multi_turn) / len(multi_turn)
    summary["overall_of_run"] = sum(c["accuracy"] for c in categories.values()) / len(categories) if categories else 0
    return {"categories": categories, "summary": summary}


def markdown_report(report: dict[str, Any], title: str) -> str:
    lines = [f"# {title}", "", "| category | accuracy | correct / total |", "| --- | ---: | ---: |"]
    for name in BFCL_CATEGORIES:
        if name in report["categories"]:
            c = report["categories"][name]
            lines.append(f"| {name} | {c['accuracy']:.1%} | {c['correct']} / {c['total']} |")
    lines += ["", "| aggregate | value |", "| --- | ---: |"]
    lines += [f"| {k} | {v:.1%} |" for k, v in report["summary"].items()]
    failing = [name for name in BFCL_CATEGORIES if report["categories"].get(name, {}).get("failed_at")]
    if failing:
        stages = [s for s in FAILURE_STAGES if any(s in report["categories"][c]["failed_at"] for c in failing)]
        lines += ["", "Where the wrong answers fail (answers per category): the check BFCL's checker reports, "
                      "grouped; a parallel answer counts at the furthest any of its calls got.", "",
                  "| category | " + " | ".join(stages) + " |", "| --- |" + " ---: |" * len(stages)]
        lines += [f"| {c} | " + " | ".join(str(report["categories"][c]["failed_at"].get(s, 0)) for s in stages)
                  + " |" for c in failing]
    counted = [name for name in BFCL_CATEGORIES if report["categories"].get(name, {}).get("right_count")]
    if counted:
        lines += ["", "Answers with as many calls as the truth holds, and how many of those are right.", "",
                  "| category | right number of calls | of those right |", "| --- | ---: | ---: |"]
        for name in counted:
            c, n = report["categories"][name], report["categories"][name]["right_count"]
            share = f"{n['correct'] / n['total']:.1%}" if n["total"] else "n/a"
            lines.append(f"| {name} | {n['total']} / {c['total']} | {n['correct']} ({share}) |")
    return "\n".join(lines) + "\n"


def evaluate_bfcl(config: EvalConfig, backend: Any = None, progress: bool = True) -> dict[str, Any]:
    """Generate, score with BFCL's checkers, write ``report.json`` and ``report.md``; returns the report."""
    started = time.monotonic()
    outputs = generate_bfcl(config, backend, progress)
    generated = time.monotonic()
    verdicts_path = score_bfcl(outputs)
    with open(verdicts_path, encoding="utf-8") as handle:
        verdicts = [json.loads(line) for line in handle if line.strip()]
    with open(outputs, encoding="utf-8") as handle:
        lines = {entry["id"]: entry for entry in map(json.loads, filter(str.strip, handle))}
    report = summarize(verdicts, lines)
    report.update(model=config.backend.model, adapter=config.adapter, backend=config.backend.backend,
                  limit=config.limit, seconds={"generate": round(generated - started, 1),
                                               "score": round(time.monotonic() - generated, 1)})
    out_dir = Path(config.output_dir)
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2))
    atomic_write_text(out_dir / "report.md", markdown_report(report, f"BFCL: {config.backend.model}"))
    return report


def load_eval_config(path: str) -> EvalConfig:
    return load_recipe(EvalConfig, path, "eval")
