"""BFCL multi_turn_base: the turn-by-turn protocol with BFCL's executable classes, scored by its runner."""

import ast
import json

import pytest

from inftool_hf.evaluate.bfcl import BfclExecutor, EvalConfig, generate_bfcl, score_bfcl, summarize
from inftool_hf.evaluate.bfcl_env import bfcl_data_dir
from tests.fakes import ScriptedBackend

CATEGORY = "multi_turn_base"


@pytest.fixture(scope="module")
def bfcl():
    """Entries as BFCL prompts them (from the executor) and their ground truth."""
    with BfclExecutor() as executor:
        entries = executor.request({"op": "entries", "category": CATEGORY})["entries"]
    answers = {}
    with open(bfcl_data_dir() / "possible_answer" / f"BFCL_v4_{CATEGORY}.json") as handle:
        for line in handle:
            item = json.loads(line)
            answers[item["id"]] = item["ground_truth"]
    return entries, answers


def _as_call(text, functions):
    """A ground-truth string such as ``sort('a.pdf')`` → ``{"sort": {"file_name": "a.pdf"}}`` (BFCL data, parsed as
    literals; positional arguments named in the order of the function doc)."""
    node = ast.parse(text, mode="eval").body
    name = node.func.id
    order = list(functions[name]["parameters"]["properties"])
    args = {order[i]: ast.literal_eval(arg) for i, arg in enumerate(node.args)}
    args.update({kw.arg: ast.literal_eval(kw.value) for kw in node.keywords})
    return {name: args}


def _hermes(calls):
    return "\n".join(f"<tool_call>\n{json.dumps({'name': n, 'arguments': a})}\n</tool_call>"
                     for call in calls for n, a in call.items())


def _ground_truth_player(entries, answers, mutate=None):
    """A 'model' that answers each user turn with the turn's ground-truth calls in one step, then with text."""
    def script(messages, tools):
        # the entry whose user turns so far are these (two entries share a first question and its answer)
        asked = [m["content"] for m in messages if m["role"] == "user"]
        entry = next(e for e in entries if [t[0]["content"] for t in e["question"][:len(asked)]] == asked)
        if messages[-1]["role"] == "tool":
            return "Done."
        turn = len(asked) - 1
        functions = {f["name"]: f for f in entry["function"]}
        calls = [_as_call(text, functions) for text in answers[entry["id"]][turn]]
        if mutate:
            calls = mutate(entry, turn, calls)
        return _hermes(calls) if calls else "Nothing to do."

    return script


def _run(tmp_path, script, limit=None, **config):
    eval_config = EvalConfig(categories=[CATEGORY], limit=limit, output_dir=str(tmp_path), **config)
    outputs = generate_bfcl(eval_config, backend=ScriptedBackend(script=script), progress=False)
    verdicts = [json.loads(line) for line in score_bfcl(outputs).read_text().splitlines()]
    records = [json.loads(line) for line in outputs.read_text().splitlines()]
    return records, verdicts


def test_ground_truth_played_turn_by_turn_scores_100(tmp_path, bfcl):
    entries, answers = bfcl
    records, verdicts = _run(tmp_path, _ground_truth_player(entries, answers))
    assert len(verdicts) == len(entries) == 200
    failures = [(v["id"], v["error"][:1]) for v in verdicts if not v["valid"]]
    assert not failures, failures[:5]
    assert summarize(verdicts)["summary"]["multi_turn_mean"] == 1.0
    # the model saw BFCL's real execution results: the first turn of entry 0 moves a file and says so
    first = next(r for r in records if r["id"] == f"{CATEGORY}_0")
    tool_results = [m["content"] for m in first["messages"] if m["role"] == "tool"]
    assert any("final_report.pdf" in result for result in tool_results)
    assert len(first["decoded"]) == len(answers[first["id"]])  # one decoded list per user turn


def test_known_wrong_answers_fail(tmp_path, bfcl):
    entries, answers = bfcl

    def drop_last_turn(entry, turn, calls):
        return [] if turn == len(answers[entry["id"]]) - 1 else calls

    def wrong_value(entry, turn, calls):
        return [{name: {k: (v + "_x" if isinstance(v, str) else v) for k, v in args.items()}}
                for call in calls for name, args in call.items()]

    for mutate in (drop_last_turn, wrong_value):
        _, verdicts = _run(tmp_path / mutate.__name__, _ground_truth_player(entries, answers, mutate), limit=10)
        valid = [v["valid"] for v in verdicts]
        assert not any(valid), (mutate.__name__, valid)


def test_endless_calls_are_force_terminated_like_bfcl(tmp_path, bfcl):
    entries, answers = bfcl
    records, verdicts = _run(tmp_path, lambda messages, tools: _hermes([{"ls": {}}]), limit=2, max_steps_per_turn=3)
    assert all(r["force_quit"] for r in records)
    assert all(len(r["decoded"][0]) == 4 for r in records)  # BFCL stops after the step limit is exceeded
    assert not any(v["valid"] for v in verdicts)
    assert {v["error_type"] for v in verdicts} == {"multi_turn:force_terminated"}


def test_model_output_never_reaches_bfcl_eval_as_code(bfcl):
    entries, _ = bfcl
    entry = next(e for e in entries if "GorillaFileSystem" in e["involved_classes"])
    hostile = [{"__import__": {"name": "os"}}, {"open": {"file": "/etc/passwd"}},
               {"ls": {"a=True) or __import__('os').system('touch /tmp/pwned') #": 1}},
               {"cd": "folder='x'"}, {"ls": {"a": True}, "cd": {}}]
    with BfclExecutor() as executor:
        executor.request({"op": "entries", "category": CATEGORY, "limit": None})
        response = executor.request({"op": "execute", "id": entry["id"], "calls": hostile + [{"ls": {}}]})
    assert len(response["rejected"]) == len(hostile)
    assert all(result.startswith("Error during execution") for result in response["results"][:-1])
    assert "Error" not in response["results"][-1]  # the one honest call, ls(), ran; results keep the calls' order
    with BfclExecutor() as executor, pytest.raises(Exception, match="unknown entry"):
        executor.request({"op": "execute", "id": "multi_turn_base_0", "calls": []})


def test_outputs_of_another_step_limit_are_not_reused(tmp_path, bfcl):
    entries, answers = bfcl
    first = ScriptedBackend(script=_ground_truth_player(entries, answers))
    generate_bfcl(EvalConfig(categories=[CATEGORY], limit=2, output_dir=str(tmp_path)), backend=first, progress=False)
    again = ScriptedBackend(script=_ground_truth_player(entries, answers))
    generate_bfcl(EvalConfig(categories=[CATEGORY], limit=2, output_dir=str(tmp_path)), backend=again, progress=False)
    assert first.calls > 0 and again.calls == 0  # same settings: the finished category is kept
    other = ScriptedBackend(script=_ground_truth_player(entries, answers))
    generate_bfcl(EvalConfig(categories=[CATEGORY], limit=2, output_dir=str(tmp_path), max_steps_per_turn=5),
                  backend=other, progress=False)
    assert other.calls > 0  # another step limit: played again, not mixed in
