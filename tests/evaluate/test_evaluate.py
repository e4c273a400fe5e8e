import json

import pytest

from inftool_hf.evaluate.bfcl import (
    AST_CATEGORIES_SCORED,
    bfcl_tools,
    decode_for_bfcl,
    failure_stage,
    markdown_report,
    score_bfcl,
    summarize,
)
from inftool_hf.evaluate.bfcl_env import bfcl_data_dir, load_bfcl
from inftool_hf.evaluate.decontaminate import (
    ContaminationError,
    bfcl_fingerprint,
    check_dataset_decontamination,
    check_decontamination,
)
from inftool_hf.sources.specs import load_specs, spec_pack_dir
from inftool_hf.tool_calls import parse_tool_calls


@pytest.fixture(scope="module")
def fingerprint():
    return bfcl_fingerprint()


# Entries whose ground truth contradicts their own function schema, so that no answer can pass them:
# a required parameter whose only option is "leave it out" (507, 964), a parameter the function does not
# declare (862), an optional parameter with no "leave it out" option (1038), and an empty list as the only
# answer, which BFCL's nested type check rejects (106, 112). 6 of 2351 AST entries.
BFCL_ERRATA = {"live_simple_106-63-0", "live_simple_112-68-0", "live_multiple_507-149-4", "live_multiple_862-181-3",
               "live_multiple_964-207-0", "live_multiple_1038-265-0"}


def _pick(options, required=True):
    """BFCL's first acceptable value. ``""`` among the options marks a parameter that may be left out;
    inside dict values BFCL nests option lists again (not always: a bare scalar is the value itself);
    lists of dicts hold option lists per field; ``[]`` alone means an empty list."""
    if not isinstance(options, list):
        chosen = options
    elif not options:
        return []
    elif "" in options and not required:
        return None
    else:
        chosen = next((o for o in options if o != ""), None)
    if isinstance(chosen, dict):
        picked = {k: _pick(v) for k, v in chosen.items()}
        return {k: v for k, v in picked.items() if v is not None}
    if isinstance(chosen, list) and chosen and all(isinstance(item, dict) for item in chosen):
        return [_pick(item) for item in chosen]
    return chosen


def _ground_truth_text(truth, functions):
    """BFCL's ground truth written as Hermes tool-call text, the way a model would answer."""
    required = {f["name"]: set(f.get("parameters", {}).get("required", [])) for f in functions}
    blocks = []
    for call in truth:
        [(name, params)] = call.items()
        args = {}
        for param, options in params.items():
            chosen = _pick(options, param in required.get(name, ()))
            if chosen is not None:
                args[param] = chosen
        blocks.append(f"<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>")
    return "\n".join(blocks)


def test_ground_truth_through_our_parser_and_converter_scores_100(tmp_path):
    data = bfcl_data_dir()
    entries, wrong = [], []
    for category in AST_CATEGORIES_SCORED:
        answers = {}
        with open(data / "possible_answer" / f"BFCL_v4_{category}.json") as handle:
            for line in handle:
                item = json.loads(line)
                answers[item["id"]] = item["ground_truth"]
        for entry in load_bfcl(category, data_dir=data):
            tools = bfcl_tools(entry["function"])
            parsed = parse_tool_calls(_ground_truth_text(answers[entry["id"]], entry["function"]), tools)
            assert parsed.parse_error is None
            decoded = decode_for_bfcl(parsed.as_message())
            entries.append({"id": entry["id"], "category": category, "decoded": decoded})
            if len(wrong) < 20:  # a known wrong answer: every call renamed
                wrong.append({"id": entry["id"], "category": category,
                              "decoded": [{"not_" + next(iter(c)): next(iter(c.values()))} for c in decoded]})
    for category in ("irrelevance", "live_irrelevance"):
        entries += [{"id": e["id"], "category": category, "decoded": []} for e in load_bfcl(category, 50, data)]
    outputs = tmp_path / "outputs.jsonl"
    outputs.write_text("\n".join(json.dumps(e) for e in entries))
    verdicts = [json.loads(line) for line in score_bfcl(outputs).read_text().splitlines()]
    report = summarize(verdicts)
    failures = {v["id"] for v in verdicts if not v["valid"]}
    assert failures == BFCL_ERRATA, sorted(failures ^ BFCL_ERRATA)
    assert report["summary"]["non_live_ast_mean"] == 1.0  # every non-live AST entry passes
    bad = tmp_path / "wrong.jsonl"
    bad.write_text("\n".join(json.dumps(e) for e in wrong))
    assert not any(json.loads(line)["valid"] for line in score_bfcl(bad).read_text().splitlines())


def _right_calls(truth):
    """The ground truth's calls with BFCL's first acceptable value for each argument it requires a value for."""
    return [{name: {arg: options[0] for arg, options in args.items() if "" not in options}}
            for call in truth for name, args in call.items()]


def test_wrong_answers_are_counted_where_they_fail(tmp_path):
    data = bfcl_data_dir()
    truth = {}
    for category in ("simple_python", "parallel"):
        with open(data / "possible_answer" / f"BFCL_v4_{category}.json") as handle:
            truth.update((item["id"], item["ground_truth"]) for item in map(json.loads, handle))
    simple = "simple_python_0"  # calculate_triangle_area(base=10, height=5)
    [call] = _right_calls(truth[simple])
    [(name, args)] = call.items()
    parallel = next(i for i in truth if i.startswith("parallel_") and len(truth[i]) == 2)
    two = _right_calls(truth[parallel])
    changed = {**args, "base": args["base"] + 1}
    cases = {  # id suffix -> (category, decoded, parse_error, expected stage)
        "right": ("simple_python", [call], None, None),
        "text": ("simple_python", None, None, "replied without a call"),
        "question": ("simple_python", None, None, "asked a question"),
        "malformed": ("simple_python", None, "invalid JSON", "malformed call"),
        "twice": ("simple_python", [call, call], None, "too many calls"),
        "renamed": ("simple_python", [{"not_" + name: args}], None, "wrong function"),
        "no base": ("simple_python", [{name: {"height": args["height"]}}], None, "missing argument"),
        "base + 1": ("simple_python", [{name: changed}], None, "wrong value or type"),
        "one of two": ("parallel", two[:1], None, "too few calls"),
        "two, one wrong": ("parallel", [two[0], {k: {a: (v + 7 if isinstance(v, (int, float)) else f"{v} x")
                                                   for a, v in args.items()} for k, args in two[1].items()}],
                           None, "wrong value or type"),
    }
    [irrelevant] = load_bfcl("irrelevance", 1, data)
    rows, outputs = [], {}
    for label, (category, decoded, parse_error, _) in cases.items():
        entry_id = simple if category == "simple_python" else parallel
        rows.append({"id": entry_id, "category": category, "decoded": decoded})
        raw = {"text": "Sorry, none of my tools can do that.", "question": "Which base should I use?"}.get(label, "")
        outputs[label] = {"id": entry_id, "decoded": decoded, "parse_error": parse_error, "raw": raw}
    rows.append({"id": irrelevant["id"], "category": "irrelevance", "decoded": [call]})
    path = tmp_path / "outputs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    verdicts = [json.loads(line) for line in score_bfcl(path).read_text().splitlines()]
    stages = {label: failure_stage(verdict, outputs[label]) for label, verdict in zip(cases, verdicts, strict=False)}
    assert stages == {label: case[3] for label, case in cases.items()}
    assert failure_stage(verdicts[-1], {"decoded": [call]}) == "called when none fits"
    assert verdicts[0]["expected_calls"] == 1 and verdicts[-2]["expected_calls"] == 2
    # the report counts them per category (ids repeat here, so the outputs are looked up by one id each)
    report = summarize(verdicts[:2], {simple: outputs["text"]})
    assert report["categories"]["simple_python"]["failed_at"] == {"replied without a call": 1}
    assert "| simple_python | 1 |" in markdown_report(report, "t")
    assert report["categories"]["simple_python"]["right_count"] == {"total": 0, "correct": 0}
    report = summarize([verdicts[0], verdicts[-3], verdicts[-2]],
                       {simple: outputs["right"], parallel: outputs["one of two"]})
    assert report["categories"]["simple_python"]["right_count"] == {"total": 1, "correct": 1}
    assert report["categories"]["parallel"]["right_count"] == {"total": 0, "correct": 0}
    assert "| parallel | 0 / 2 | 0 (n/a) |" in markdown_report(report, "t")


def test_relevance_rules_follow_bfcl(tmp_path):
    data = bfcl_data_dir()
    [irrelevant] = load_bfcl("irrelevance", 1, data)
    [relevant] = load_bfcl("live_relevance", 1, data)
    call = [{"some_function": {"x": 1}}]
    rows = [{"id": irrelevant["id"], "category": "irrelevance", "decoded": call},
            {"id": relevant["id"], "category": "live_relevance", "decoded": call},
            {"id": relevant["id"], "category": "live_relevance", "decoded": []}]
    outputs = tmp_path / "o.jsonl"
    outputs.write_text("\n".join(json.dumps(r) for r in rows))
    assert [json.loads(v)["valid"] for v in score_bfcl(outputs).read_text().splitlines()] == [False, True, False]


def test_bfcl_types_become_json_schema():
    [tool] = bfcl_tools([{"name": "math.hypot", "description": "d", "parameters": {
        "type": "dict", "properties": {"x": {"type": "float"}, "pts": {"type": "tuple", "items": {"type": "integer"}},
                                       "v": {"type": "any"}}, "required": ["x"]}}])
    params = tool["function"]["parameters"]
    assert params["type"] == "object" and params["properties"]["x"]["type"] == "number"
    assert params["properties"]["pts"]["type"] == "array" and "type" not in params["properties"]["v"]


def test_spec_pack_is_decontaminated(fingerprint):
    tools = load_specs([spec_pack_dir()]).tools
    texts = [t.description for t in tools]
    assert check_decontamination([t.name for t in tools], texts, fingerprint)["checked_names"] >= 100


def test_generated_dataset_is_decontaminated_and_contamination_fails_loudly(fingerprint):
    from datasets import Dataset

    from inftool_hf.synth.roleplay import RolePlayConfig, role_play
    from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
    from inftool_hf.synth.tool_pool import build_tool_pool
    from tests.fakes import ScriptedBackend

    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    rows = role_play(sample_scenarios(pool, ScenarioConfig(num_scenarios=45, seed=2)), pool, RolePlayConfig(),
                     ScriptedBackend(), progress=False)
    check_dataset_decontamination(rows, fingerprint)
    [entry] = load_bfcl("simple_python", 1)
    leaked = dict(rows[0])
    leaked["messages"] = [dict(m) for m in leaked["messages"]]
    leaked["messages"][1]["content"] = entry["question"][0][0]["content"]
    with pytest.raises(ContaminationError, match="question 12-grams"):
        check_dataset_decontamination(Dataset.from_list([leaked]), fingerprint)
    with pytest.raises(ContaminationError, match="calculate_triangle_area"):
        check_decontamination(["calculate_triangle_area"], [], fingerprint)


def test_bfcl_generation_resumes_by_category(tmp_path):
    from inftool_hf.evaluate.bfcl import EvalConfig, generate_bfcl
    from tests.fakes import ScriptedBackend

    config = EvalConfig(categories=["simple_python", "irrelevance"], limit=3, output_dir=str(tmp_path))
    first = ScriptedBackend(reply="no call")
    path = generate_bfcl(config, backend=first, progress=False)
    lines = path.read_text().splitlines()
    assert len(lines) == 6 and first.calls == 2
    path.write_text("\n".join(lines[:4]) + '\n{"id": "torn')  # killed while writing the second category
    again = ScriptedBackend(reply="no call")
    generate_bfcl(config, backend=again, progress=False)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert again.calls == 1  # only the unfinished category ran again
    assert sorted(r["id"] for r in rows) == sorted(json.loads(line)["id"] for line in lines)
    other = EvalConfig(categories=["simple_python"], limit=3, output_dir=str(tmp_path))
    other.backend.model = "another-model"
    third = ScriptedBackend(reply="no call")
    generate_bfcl(other, backend=third, progress=False)
    assert third.calls == 1 and len(path.read_text().splitlines()) == 3  # other settings: fresh outputs


def test_heldout_report_counts_gates_and_tools():
    from inftool_hf.evaluate.heldout import evaluate_heldout
    from inftool_hf.synth.roleplay import RolePlayConfig, role_play
    from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios
    from inftool_hf.synth.tool_pool import build_tool_pool
    from tests.fakes import ScriptedBackend

    pool = build_tool_pool(load_specs([spec_pack_dir()]).tools)
    mix = {"simple": 1, "irrelevance": 1}
    rows = role_play(sample_scenarios(pool, ScenarioConfig(num_scenarios=6, seed=4, category_mix=mix)), pool,
                     RolePlayConfig(), ScriptedBackend(), progress=False)
    report = evaluate_heldout(rows, ScriptedBackend(reply="Sorry, no tool can do that."))
    assert report["categories"]["irrelevance"]["accuracy"] == 1.0
    simple = report["categories"]["simple"]
    assert simple["accuracy"] == 0.0 and simple["failed_gate"] == {"format": simple["total"]}
    assert all(t["correct"] == 0 for t in report["tools"].values()) and report["points"] == 6
    # per point: what the paired comparison of two checkpoints reads; per category and overall: 95% intervals
    assert len(report["outcomes"]) == 6 and set(report["outcomes"]) == set(report["point_categories"])
    assert all(point.rsplit("#", 1)[0] in {r["id"] for r in rows} for point in report["outcomes"])
    irrelevance = [p for p, c in report["point_categories"].items() if c == "irrelevance"]
    assert irrelevance and all(report["outcomes"][p] == 1 for p in irrelevance)
    assert sum(report["outcomes"].values()) == sum(s["correct"] for s in report["categories"].values())
    low, high = report["categories"]["irrelevance"]["interval"]
    assert high == 1.0 and 0 < low < 1.0  # a perfect score on a few points is not a certain one
    assert simple["interval"][0] == 0.0 and 0 < simple["interval"][1] < 1.0
    assert report["interval"][0] < report["accuracy"] < report["interval"][1]
