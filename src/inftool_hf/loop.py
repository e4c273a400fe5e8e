"""The closed loop: generate → verify → publish → train → evaluate → target gaps, without a human.

Iteration 0 measures the base model on BFCL. Iteration k ≥ 1:

1. **generate** with the current checkpoint playing the assistant (``assistant: blueprint`` while the
   model cannot call tools yet, ``model`` later; a teacher backend by config), scenario mix and tool
   weights from the previous gap analysis; verified, decontaminated and published as ``<name>-iter<k>``;
2. **train** from the current checkpoint: SFT the first time, GRPO after (configurable); the adapter is
   merged so the next iteration's engines (vLLM included) load a plain checkpoint;
3. **evaluate** on the recipe's BFCL categories and on the held-out split of the iteration's data;
4. **gaps**: per category and per tool, the failure rate on the held-out split of our data (BFCL is only
   reported: it never reaches the gap analysis, so the yardstick does not steer the data it grades). The
   rule, recorded in the state file: the next
   mix weight of category *c* is ``base_c × (1 + shift × failure_c)`` and the next weight of tool *t* is
   ``1 + shift × failure_t`` — more data where the model still fails, never none where it succeeds.

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
from typing import Any

from .atomic import atomic_write_text
from .configs import BackendConfig, ConfigError, config_from_dict, load_yaml
from .evaluate import EvalConfig
from .generate import GenerateConfig
from .scenarios import CATEGORIES
from .train import TrainConfig

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
    name: str = "inftool-loop"
    run_dir: str = "runs/inftool-loop"
    iterations: int = 2
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    # Optional teacher playing the assistant during generation (null: the current checkpoint).
    teacher: BackendConfig | None = None
    # Assistant mode per iteration: blueprint until the model has been trained this many times.
    model_assistant_after: int = 99
    # Stages per iteration: the first training, and every later one.
    first_stages: list[str] = field(default_factory=lambda: ["sft"])
    later_stages: list[str] = field(default_factory=lambda: ["grpo"])
    # Gap rule strength (see module docstring).
    shift: float = 1.0
    heldout_eval: bool = True
    # Domains held out of every training round: the dev set (dev_scenarios rows, generated once per run in
    # blueprint mode from these domains alone) measures each checkpoint on tools it never trained on, and every
    # decision of the loop (the next mix) reads it. [] falls back to the held-out split of each round's data.
    dev_domains: list[str] = field(default_factory=list)
    dev_scenarios: int = 60
    # Also score parseable / schema-valid calls before and after each training stage (transformers).
    measure_call_validity: bool = False

    def __post_init__(self) -> None:
        if self.iterations < 1:
            raise ConfigError("loop.iterations must be >= 1")
        if self.shift < 0:
            raise ConfigError("loop.shift must be >= 0")
        if self.dev_domains and self.dev_scenarios < 1:
            raise ConfigError("loop.dev_scenarios must be >= 1 when dev_domains are set")


def load_loop_config(path: str) -> LoopConfig:
    data = load_yaml(path)
    return config_from_dict(LoopConfig, data.get("loop", data), f"{path} [loop]")


class LoopState:
    """``state.json``: what finished, where it is, how long it took. Written atomically."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"iterations": {}}

    def stage(self, iteration: int, name: str) -> dict[str, Any] | None:
        return self.data["iterations"].get(str(iteration), {}).get(name)

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


def next_tool_weights(gaps: dict[str, Any], shift: float) -> dict[str, float]:
    return {tool: round(1.0 + shift * rate, 4) for tool, rate in gaps["tool_failure"].items()}


# --- stages ---------------------------------------------------------------------------------------------

def _run_bfcl(config: LoopConfig, model: str, out: Path) -> dict[str, Any]:
    from .evaluate import evaluate_bfcl

    eval_config = copy.deepcopy(config.eval)
    eval_config.backend.model = model
    eval_config.output_dir = str(out)
    return evaluate_bfcl(eval_config, progress=False)


def _run_heldout(config: LoopConfig, model: str, dataset_folder: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """Held-out report of the iteration's data, and the failure rate per tool."""
    from .backends import make_backend
    from .evaluate import evaluate_heldout
    from .train import load_trajectories, split_heldout

    _, heldout = split_heldout(load_trajectories(str(dataset_folder)), config.train.heldout_fraction)
    backend_config = copy.deepcopy(config.eval.backend)
    backend_config.model = model
    backend = make_backend(backend_config)
    try:
        report = evaluate_heldout(heldout, backend, config.eval.sampling)
    finally:
        backend.close()
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

    from .train import train

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(train, config, dataset, dataset_name, measure).result()


def make_dev_set(config: LoopConfig, state: LoopState, progress: bool = True) -> str | None:
    """The dev set: generated once per run from the dev domains alone (blueprint mode: correct by
    construction), never trained on; returns its folder."""
    if not config.dev_domains:
        return None
    if state.stage(0, "dev") is None:
        from .generate import generate
        from .publish import dataset_stats

        gen = copy.deepcopy(config.generate)
        gen.name, gen.output_dir, gen.iteration = f"{config.name}-dev", str(Path(config.run_dir) / "datasets"), 0
        gen.only_domains, gen.exclude_domains = list(config.dev_domains), []
        gen.scenarios.num_scenarios = config.dev_scenarios
        gen.scenarios.seed = config.generate.scenarios.seed + 10_007
        gen.scenarios.id_prefix = "dev-"
        gen.scenarios.tool_weights = {}
        gen.roleplay.assistant = "blueprint"
        started = time.monotonic()
        verified = generate(gen, progress=progress)
        state.finish(0, "dev", {"dataset": str(gen.folder), "domains": list(config.dev_domains),
                                "stats": dataset_stats(verified), "seconds": time.monotonic() - started})
    return state.stage(0, "dev")["dataset"]


def _run_dev(config: LoopConfig, model: str, dataset_folder: str) -> dict[str, Any]:
    """Every decision point of the dev set (tools the model never trained on), scored like the held-out split."""
    from .backends import make_backend
    from .evaluate import evaluate_heldout
    from .train import load_trajectories

    backend_config = copy.deepcopy(config.eval.backend)
    backend_config.model = model
    backend = make_backend(backend_config)
    try:
        return evaluate_heldout(load_trajectories(dataset_folder), backend, config.eval.sampling)
    finally:
        backend.close()


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
        report = _run_bfcl(config, config.train.model, run_dir / "iter0" / "bfcl")
        dev_report = _run_dev(config, config.train.model, dev) if dev else {}
        state.finish(0, "evaluate", {"bfcl": report, "dev": dev_report, "model": config.train.model,
                                     "seconds": time.monotonic() - started})
    if state.stage(0, "gaps") is None:
        gaps = gap_analysis(None)
        mix = next_mix(config.generate.scenarios.category_mix, gaps, config.shift)
        state.finish(0, "gaps", {**gaps, "next_mix": mix, "next_tool_weights": {}})


def run_loop(config: LoopConfig, iterations: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) the loop; returns the state. Same config + run_dir → continues where it stopped."""
    from .generate import generate

    iterations = iterations or config.iterations
    run_dir = Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    state = LoopState(run_dir / "state.json")
    saved = json.loads(json.dumps(state.data.get("config") or {}, default=str))
    current = json.loads(json.dumps(asdict(config), default=str))
    changed = sorted(k for k in saved if k not in ("iterations", "run_dir") and _differs(saved[k], current.get(k)))
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
        previous = state.stage(k - 1, "gaps")
        # ---- generate
        gen = copy.deepcopy(config.generate)
        gen.name = f"{config.name}-iter{k}"
        gen.output_dir = str(run_dir / "datasets")
        gen.iteration = k
        gen.scenarios.seed = config.generate.scenarios.seed + k
        gen.scenarios.id_prefix = f"it{k}-"
        gen.scenarios.category_mix = previous["next_mix"]
        gen.scenarios.tool_weights = previous["next_tool_weights"]
        gen.exclude_domains = sorted({*gen.exclude_domains, *config.dev_domains})  # dev tools are never trained on
        if config.teacher is not None:
            gen.backend = copy.deepcopy(config.teacher)
        else:
            gen.backend.model = checkpoint
            gen.roleplay.assistant = "model" if trainings >= config.model_assistant_after else "blueprint"
        if state.stage(k, "generate") is None:
            started = time.monotonic()
            verified = generate(gen, progress=progress)
            from .publish import dataset_stats

            state.finish(k, "generate", {"dataset": str(gen.folder), "stats": dataset_stats(verified),
                                         "assistant": gen.roleplay.assistant, "model": gen.backend.model,
                                         "mix": gen.scenarios.category_mix, "seconds": time.monotonic() - started})
        # ---- train
        record = state.stage(k, "train")
        if record is None:
            train_config = copy.deepcopy(config.train)
            train_config.model = checkpoint
            train_config.output_dir = str(run_dir / f"iter{k}" / "train")
            train_config.stages = list(config.first_stages if trainings == 0 else config.later_stages)
            train_config.merge = True
            started = time.monotonic()
            result = train_in_child(train_config, state.stage(k, "generate")["dataset"], dataset_name=gen.name,
                                    measure=config.measure_call_validity)
            record = {"model": result["merged"], "adapter": result["adapter"], "stages": train_config.stages,
                      "call_validity": result["metrics"].get("call_validity"), "plot": result.get("plot"),
                      "seconds": time.monotonic() - started}
            state.finish(k, "train", record)
        checkpoint = record["model"]
        trainings += 1
        # ---- evaluate
        if state.stage(k, "evaluate") is None:
            started = time.monotonic()
            bfcl = _run_bfcl(config, checkpoint, run_dir / f"iter{k}" / "bfcl")
            heldout, tool_failure = (_run_heldout(config, checkpoint, Path(state.stage(k, "generate")["dataset"]))
                                     if config.heldout_eval else ({}, {}))
            dev_report = _run_dev(config, checkpoint, dev) if dev else {}
            state.finish(k, "evaluate", {"bfcl": bfcl, "heldout": heldout, "dev": dev_report,
                                         "tool_failure": tool_failure, "model": checkpoint,
                                         "seconds": time.monotonic() - started})
        # ---- gaps
        if state.stage(k, "gaps") is None:
            evaluation = state.stage(k, "evaluate")
            # categories from the dev set (unseen tools) when there is one; tool weights from the held-out split
            # (the dev tools are never generated, so only training tools can be weighted)
            gaps = gap_analysis(evaluation.get("dev") or evaluation["heldout"], evaluation["tool_failure"])
            gaps["source"] = "dev" if evaluation.get("dev") else "heldout"
            state.finish(k, "gaps", {**gaps, "next_mix": next_mix(config.generate.scenarios.category_mix, gaps,
                                                                      config.shift),
                                     "next_tool_weights": next_tool_weights(gaps, config.shift)})
        write_report(state, run_dir)
    write_report(state, run_dir)
    return state.data


# --- report -------------------------------------------------------------------------------------------

def report_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(state["iterations"], key=int):
        it = state["iterations"][key]
        evaluation = it.get("evaluate") or {}
        bfcl = evaluation.get("bfcl") or {}
        heldout = evaluation.get("heldout") or {}
        generated = (it.get("generate") or {}).get("stats") or {}
        rows.append({
            "iteration": int(key),
            "model": evaluation.get("model") or (it.get("train") or {}).get("model"),
            "bfcl": {c: s["accuracy"] for c, s in (bfcl.get("categories") or {}).items()},
            "summary": bfcl.get("summary") or {},
            "heldout": {c: s["accuracy"] for c, s in (heldout.get("categories") or {}).items()},
            "dev": {c: s["accuracy"] for c, s in ((evaluation.get("dev") or {}).get("categories") or {}).items()},
            "yield": {c["name"]: c["yield_rate"] for c in generated.get("categories", [])},
            "seconds": {s: round((it.get(s) or {}).get("seconds", 0.0), 1) for s in ("generate", "train", "evaluate")},
            "dataset": (it.get("generate") or {}).get("dataset"),
            "adapter": (it.get("train") or {}).get("adapter"),
        })
    return rows


def write_report(state: LoopState, run_dir: Path) -> Path:
    """``report.md`` (tables) and ``report.png`` (BFCL and held-out per category across iterations)."""
    rows = report_rows(state.data)
    bfcl_categories = sorted({c for r in rows for c in r["bfcl"]})
    held_categories = sorted({c for r in rows for c in r["heldout"]})
    lines = ["# Loop report", "", "## BFCL per category", "",
             "| iteration | " + " | ".join(bfcl_categories) + " | non-live AST mean |",
             "| --- |" + " ---: |" * (len(bfcl_categories) + 1)]
    for r in rows:
        cells = [f"{100 * r['bfcl'].get(c, float('nan')):.1f}" for c in bfcl_categories]
        mean = r["summary"].get("non_live_ast_mean")
        mean_text = "" if mean is None else f"{100 * mean:.1f}"
        lines.append(f"| {r['iteration']} | " + " | ".join(cells) + f" | {mean_text} |")
    for key, title in (("dev", "Dev set per category: domains never trained on (the loop's yardstick)"),
                       ("heldout", "Held-out split per category (accuracy at decision points)")):
        categories = sorted({c for r in rows for c in r[key]})
        if not categories:
            continue
        lines += ["", f"## {title}", "", "| iteration | " + " | ".join(categories) + " | mean |",
                  "| --- |" + " ---: |" * (len(categories) + 1)]
        for r in rows:
            if r[key]:
                values = [r[key].get(c, 0.0) for c in categories]
                lines.append(f"| {r['iteration']} | " + " | ".join(f"{100 * v:.1f}" for v in values)
                             + f" | {100 * sum(values) / len(values):.1f} |")
    lines += ["", "## Data yield and wall time", "",
              "| iteration | verified / attempted | generate s | train s | evaluate s | dataset | adapter |",
              "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for key in sorted(state.data["iterations"], key=int):
        it = state.data["iterations"][key]
        stats = (it.get("generate") or {}).get("stats") or {}
        r = next(x for x in rows if x["iteration"] == int(key))
        seconds = r["seconds"]
        lines.append(f"| {key} | {stats.get('verified', '')} / {stats.get('attempted', '')} | {seconds['generate']} | "
                     f"{seconds['train']} | {seconds['evaluate']} | {r['dataset'] or ''} | {r['adapter'] or ''} |")
    lines += ["", "## Next scenario mix (gap analysis)", "", f"Rule: {state.data.get('rule')}", ""]
    for key in sorted(state.data["iterations"], key=int):
        gaps = state.data["iterations"][key].get("gaps")
        if gaps:
            lines.append(f"- after iteration {key}: {json.dumps(gaps['next_mix'])}")
    path = run_dir / "report.md"
    atomic_write_text(path, "\n".join(lines) + "\n")
    _plot(rows, bfcl_categories, held_categories, run_dir / "report.png")
    return path


def _plot(rows, bfcl_categories, held_categories, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 4))
    for category in bfcl_categories:
        points = [(r["iteration"], 100 * r["bfcl"][category]) for r in rows if category in r["bfcl"]]
        axes[0].plot([p[0] for p in points], [p[1] for p in points], marker="o", label=category)
    axes[0].set_title("BFCL accuracy per category")
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("%")
    for category in held_categories:
        points = [(r["iteration"], 100 * r["heldout"][category]) for r in rows if category in r["heldout"]]
        axes[1].plot([p[0] for p in points], [p[1] for p in points], marker="o", label=category)
    axes[1].set_title("held-out accuracy per category")
    axes[1].set_xlabel("iteration")
    for axis in axes:
        if axis.lines:
            axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(args) -> int:
    from rich.console import Console

    config = load_loop_config(args.recipe)
    if args.run_dir:
        config.run_dir = args.run_dir
    state = run_loop(config, args.iterations)
    console = Console()
    console.print((Path(config.run_dir) / "report.md").read_text())
    console.print(f"run directory: {config.run_dir} (state.json, report.md, report.png)")
    return 0 if state else 1
