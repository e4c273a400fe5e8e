"""Release a loop run the Hub way: one dataset repo (a config per iteration), one model repo (a branch per
iteration), one Space.

``build_release(run_dir, output)`` writes the three repo folders exactly as they would be pushed, offline:
``output/dataset`` (``data/iter<k>/`` and ``data/dev/``, a card whose YAML lists every config), ``output/model``
(``iter<k>/`` per iteration and ``main/``, the checkpoint the loop kept as its best, each with a ``ModelCard``) and
``output/space`` (``app.py``, ``requirements.txt`` with the library's wheel, a README naming both repos).
``push_release`` uploads them with ``HfApi.create_commit``, one commit per iteration; the loop calls both after
each iteration when ``loop.hub`` names repos. A commit's title carries the run's id (a hash of its recipe) and
the iteration, so a push interrupted and redone finds the commits already made and makes only the rest, and a
run with another recipe never republishes the old run's rows under its own title (it replaces them). The token
comes from the argument or ``HF_TOKEN`` and is never printed or stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inftool_hf.atomic import atomic_write, atomic_write_text
from inftool_hf.configs import ConfigError
from inftool_hf.hub import hub_upload, redact

BASE_MODEL_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"  # what ``default`` (the embedded model) is on the Hub
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_NON_LIVE = ("simple_python", "multiple", "parallel", "parallel_multiple")


@dataclass
class HubConfig:
    """Where a loop run is published (``loop.hub``); nothing is pushed while ``dataset_repo`` and ``model_repo``
    are both null. ``inftool-hf release RUN_DIR --output FOLDER`` builds the same folders offline."""

    dataset_repo: str | None = field(
        default=None, metadata={"help": "Hub dataset repo (owner/name): one config per iteration (iter1, iter2, ...) "
                                        "and dev"})
    model_repo: str | None = field(
        default=None, metadata={"help": "Hub model repo (owner/name): a branch per iteration (iter1, ...), main = "
                                        "the checkpoint the loop kept as its best"})
    space_repo: str | None = field(
        default=None, metadata={"help": "Hub Space repo (owner/name), pushed once the last iteration is published"})
    private: bool = field(default=False, metadata={"help": "create the repos private"})
    push_every_iteration: bool = field(
        default=True, metadata={"help": "push each iteration as it finishes (false: once, after the last)"})

    def __post_init__(self) -> None:
        for key in ("dataset_repo", "model_repo", "space_repo"):
            value = getattr(self, key)
            if value is not None and not _REPO_ID.fullmatch(value):
                raise ConfigError(f"loop.hub.{key}: {value!r} is not a Hub repo id (owner/name)")

    @property
    def enabled(self) -> bool:
        return bool(self.dataset_repo or self.model_repo)


# --- the run -------------------------------------------------------------------------------------------

def load_run(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(run_dir) / "state.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no state.json, so not a loop run directory (inftool-hf loop writes one)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ConfigError(f"{path}: not valid JSON ({error})") from None


def run_id(state: dict[str, Any]) -> str:
    """The recipe's fingerprint: two runs of the same recipe share it, a changed recipe gets another."""
    config = {k: v for k, v in (state.get("config") or {}).items() if k not in ("iterations", "run_dir", "hub")}
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:10]


def finished_iterations(state: dict[str, Any]) -> list[int]:
    return sorted(int(k) for k, it in state.get("iterations", {}).items()
                  if int(k) > 0 and {"generate", "train", "evaluate", "gaps"} <= set(it))


def _resolve(recorded: str, run_dir: Path, state: dict[str, Any]) -> Path:
    """A path the state recorded, found again after the run folder moved (it is recorded relative to the loop's
    working directory)."""
    path = Path(recorded)
    if path.exists():
        return path
    recorded_run = Path(str((state.get("config") or {}).get("run_dir") or ""))
    try:
        moved = run_dir / path.relative_to(recorded_run)
    except ValueError:
        moved = run_dir / path.name
    if not moved.exists():
        raise FileNotFoundError(f"{run_dir}: the run's state names {recorded}, which is not there (nor {moved})")
    return moved


def _dev_score(report: dict[str, Any]) -> dict[str, Any] | None:
    from inftool_hf.significance import wilson_interval

    if not report or not report.get("categories"):
        return None
    correct = sum(c["correct"] for c in report["categories"].values())
    total = sum(c["total"] for c in report["categories"].values())
    return {"accuracy": correct / total, "interval": list(wilson_interval(correct, total)), "points": total,
            "categories": {name: {"accuracy": c["correct"] / c["total"], "correct": c["correct"], "total": c["total"],
                                  "interval": list(wilson_interval(c["correct"], c["total"]))}
                           for name, c in sorted(report["categories"].items()) if c["total"]}}


def _bfcl_score(report: dict[str, Any]) -> dict[str, Any] | None:
    categories = {c: s["accuracy"] for c, s in (report or {}).get("categories", {}).items()}
    if not categories:
        return None
    non_live = [categories[c] for c in _NON_LIVE if c in categories]
    mean = (report.get("summary") or {}).get("non_live_ast_mean")
    return {"categories": categories, "scope": "subset" if report.get("limit") else "full",
            "non_live_ast_mean": mean if mean is not None else (sum(non_live) / len(non_live) if non_live else None)}


def kept_iteration(state: dict[str, Any], iterations: list[int]) -> int:
    """The iteration whose checkpoint the loop handed on after the last released one (``keep_best``)."""
    chosen = (state["iterations"][str(iterations[-1])].get("gaps") or {}).get("next_checkpoint") or {}
    return int(chosen["iteration"]) if chosen.get("iteration") in iterations else iterations[-1]


def model_names(state: dict[str, Any], model_ref: str) -> dict[str, str]:
    """The checkpoints a run's rows name as their generator (local folders of the run) → the names a release
    reader can load: ``<model repo>@iter<k>``, and the base model's Hub id for ``default``."""
    names = {"default": BASE_MODEL_HUB_ID}
    for key, it in state.get("iterations", {}).items():
        model = (it.get("train") or {}).get("model")
        if model:
            names[str(model)] = f"{model_ref}@iter{key}"
    return names


def _renamed(generator: str, names: dict[str, str]) -> str:
    """``runs/x/iter1/train/merged (model)`` → ``you/x-model@iter1 (model)``."""
    model, _, role = generator.partition(" (")
    return f"{names.get(model, model)} ({role}" if role else names.get(model, model)


def iteration_summaries(state: dict[str, Any], run_dir: Path, iterations: list[int],
                        names: dict[str, str] | None = None) -> dict[int, dict[str, Any]]:
    """What each released iteration is: its data (the splits, counts, audit figures, categories, generators) and
    the scores of the model trained on it."""
    from collections import Counter

    from inftool_hf.verify.audit import audit_dataset
    from inftool_hf.verify.trajectories import load_hub_folder

    summaries = {}
    for k in iterations:
        it = state["iterations"][str(k)]
        folder = _resolve(it["generate"]["dataset"], run_dir, state)
        splits = load_hub_folder(folder)
        train = splits["train"] if "train" in splits else []
        audit = audit_dataset(splits, sample=0) if len(train) else {}
        stats = it["generate"].get("stats") or {}
        model_rows = sum(y.get("verified", 0) for y in (it["generate"].get("model_yield") or {}).values())
        summaries[k] = {
            "folder": folder, "datasets": splits,
            "splits": {name: len(split) for name, split in splits.items() if len(split)},
            "attempted": stats.get("attempted", 0), "verified": stats.get("verified", len(train)),
            "yield_rate": stats.get("yield_rate", 0.0), "model_written": model_rows,
            "assistant": it["generate"].get("assistant"),
            "categories": {c["name"]: c["verified"] for c in stats.get("categories", [])},
            "generators": dict(Counter(_renamed(row["generator"]["assistant"], names or {}) for row in train)
                               if len(train) else {}),
            "audit": {key: audit.get(key) for key in ("faithfulness_rate", "state_consistency_rate", "artefact_rate",
                                                      "plausible_value_rate")},
            "dev": _dev_score((it.get("evaluate") or {}).get("dev") or {}),
            "bfcl": _bfcl_score((it.get("evaluate") or {}).get("bfcl") or {}),
            "model": _resolve(it["train"]["model"], run_dir, state),
            "stages": it["train"].get("stages", []), "trained": it["train"].get("data") or {},
        }
    return summaries


# --- the three folders -----------------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _score_cell(score: dict[str, Any] | None) -> str:
    if not score:
        return ""
    low, high = score["interval"]
    return f"{100 * score['accuracy']:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"


def _write_split(split: Any, path: Path, names: dict[str, str]) -> None:
    from inftool_hf.verify.trajectories import to_release_form

    path.parent.mkdir(parents=True, exist_ok=True)
    released = to_release_form(split)
    if "generator" in released.column_names:  # no local path of the run reaches the release
        released = released.map(lambda row: {"generator": {role: _renamed(value, names) if value else value
                                                           for role, value in row["generator"].items()}},
                                desc="generator names")
    atomic_write(path, lambda tmp: released.to_parquet(str(tmp)))


def write_dataset_repo(state: dict[str, Any], run_dir: Path, folder: Path, summaries: dict[int, dict[str, Any]],
                       dataset_ref: str, model_ref: str, revision_ref: str, names: dict[str, str]) -> Path:
    from huggingface_hub import DatasetCard, DatasetCardData

    from inftool_hf.verify.trajectories import load_hub_folder

    data = folder / "data"
    configs: list[dict[str, Any]] = []
    for k, summary in summaries.items():
        for name, split in summary["datasets"].items():
            if len(split):
                _write_split(split, data / f"iter{k}" / f"{name}-00000-of-00001.parquet", names)
        configs.append({"config_name": f"iter{k}", "data_files": [
            {"split": name, "path": f"data/iter{k}/{name}-*.parquet"} for name in summary["splits"]]})
    dev = (state["iterations"].get("0") or {}).get("dev")
    if dev:
        dev_rows = load_hub_folder(_resolve(dev["dataset"], run_dir, state), split="train")
        _write_split(dev_rows, data / "dev" / "validation-00000-of-00001.parquet", names)
        configs.append({"config_name": "dev", "data_files": [{"split": "validation",
                                                               "path": "data/dev/validation-*.parquet"}]})
    wanted = {f"iter{k}" for k in summaries} | ({"dev"} if dev else set())
    for stale in data.glob("*/"):
        if stale.is_dir() and stale.name not in wanted:
            shutil.rmtree(stale)  # an iteration of an earlier build that this run no longer has
    last = max(summaries)
    for config in configs:
        if config["config_name"] == f"iter{last}":
            config["default"] = True
    for extra in ("report.md", "report.png"):
        if (run_dir / extra).exists():
            shutil.copy(run_dir / extra, folder / extra)
    name = (state.get("config") or {}).get("name", "inftool-loop")
    card_data = DatasetCardData(
        license="apache-2.0", language=["en"], task_categories=["text-generation"], pretty_name=name,
        tags=["tool-use", "function-calling", "synthetic", "inftool-hf"], configs=configs)
    categories = sorted({c for s in summaries.values() for c in s["categories"]})
    lines = [
        f"# {name}: verified tool-use trajectories, one config per loop iteration", "",
        "Synthesized by inftool-hf's role-play (user simulator, tool-calling assistant, "
        "simulated MCP server) and kept only where every verification gate passed; `rejected` holds the rest "
        "with the gate that failed. Each iteration's model was trained on that iteration's `train` split and "
        f"generated the next one. `dev` is the loop's yardstick: domains no iteration trained on. Run id "
        f"`{run_id(state)}`.", "",
        "```python", "from datasets import load_dataset", "",
        f'rows = load_dataset("{dataset_ref}", "iter{last}", split="train")  # or "iter1", ... / "dev", '
        'split="validation"', "```", "",
        "`tools` and each call's `arguments` are JSON columns (`datasets.Json`): a row reads back with `tools` as a "
        "list of schemas and `arguments` as objects, the form TRL's `SFTTrainer` takes for tool calling as it is, "
        "with any model whose chat template renders `tools` and `tool_calls` (Qwen2.5's does; so does this run's "
        "model):", "", "```python", "from trl import SFTConfig, SFTTrainer", "",
        'SFTTrainer(model="Qwen/Qwen2.5-0.5B-Instruct", args=SFTConfig(output_dir="out"), train_dataset=rows).train()',
        "```", "",
        "## Iterations", "",
        "| config | verified / attempted | yield | written by the model | assistant rows by generator | "
        "faithfulness | state consistency | template artefacts | plausible values | dev accuracy [95% CI] of the "
        "model trained on it | BFCL non-live AST mean (reported only) |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for k, s in summaries.items():
        generators = ", ".join(f"`{g}` {n}" for g, n in sorted(s["generators"].items(), key=lambda i: -i[1]))
        bfcl = s["bfcl"] or {}
        bfcl_cell = "" if bfcl.get("non_live_ast_mean") is None else \
            f"{100 * bfcl['non_live_ast_mean']:.1f}% ({bfcl['scope']})"
        audit = s["audit"]
        lines.append(f"| `iter{k}` | {s['verified']} / {s['attempted']} | {_pct(s['yield_rate'])} | "
                     f"{s['model_written']} | {generators} | {_pct(audit.get('faithfulness_rate'))} | "
                     f"{_pct(audit.get('state_consistency_rate'))} | {_pct(audit.get('artefact_rate'))} | "
                     f"{_pct(audit.get('plausible_value_rate'))} | {_score_cell(s['dev'])} | {bfcl_cell} |")
    lines += ["", "## Category mix (verified rows)", "",
              "| config | " + " | ".join(categories) + " |", "| --- |" + " ---: |" * len(categories)]
    lines += [f"| `iter{k}` | " + " | ".join(str(s["categories"].get(c, 0)) for c in categories) + " |"
              for k, s in summaries.items()]
    if dev:
        lines += ["", f"`dev`: {len(dev_rows)} rows from the domains {', '.join(dev.get('domains') or [])}, "
                      "generated once per run in blueprint mode; never trained on."]
    lines += ["", "## Models", "",
              f"The model trained on `iterK` is revision `iterK` of `{model_ref}`: "
              f'`AutoModelForCausalLM.from_pretrained("{model_ref}", {revision_ref}="iter{last}")`.',
              "", "BFCL is scored with bfcl-eval's own checkers and reported only: no BFCL question or function is in "
              "these rows, and no BFCL result chose the data, the mix or a setting. `report.md` is the loop's own "
              "report of the run."]
    card = DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
    atomic_write_text(folder / "README.md", str(card))
    return folder


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(source, target)  # a 135M checkpoint per iteration: share the bytes with the run
    except OSError:
        shutil.copy2(source, target)


def _model_card(state: dict[str, Any], k: int, s: dict[str, Any], kept: int, dataset_ref: str, model_ref: str,
                revision: str) -> str:
    from huggingface_hub import ModelCard, ModelCardData

    base = (state.get("config") or {}).get("train", {}).get("model", "default")
    base = BASE_MODEL_HUB_ID if base == "default" else base
    data = ModelCardData(base_model=base, datasets=[dataset_ref] if _REPO_ID.fullmatch(dataset_ref) else None,
                         library_name="transformers", pipeline_tag="text-generation", license="apache-2.0",
                         tags=["tool-use", "function-calling", "inftool-hf", f"iter{k}"])
    trained = "; ".join(f"{stage}: {d.get('rows', '?')} rows, {d.get('steps', '?')} steps"
                        for stage, d in s["trained"].items()) or ", ".join(s["stages"])
    start = "the base model" if k == 1 else "the checkpoint the loop kept after the previous iteration"
    lines = [f"# {(state.get('config') or {}).get('name', 'inftool-loop')}, iteration {k}", "",
             f"{base} trained by the inftool-hf loop ({trained}), starting from {start}, on",
             f'`load_dataset("{dataset_ref}", "iter{k}", split="train")` ({s["verified"]} verified rows).', "",
             "```python", "from transformers import AutoModelForCausalLM, AutoTokenizer", "",
             f'model = AutoModelForCausalLM.from_pretrained("{model_ref}", {revision}="iter{k}")',
             f'tokenizer = AutoTokenizer.from_pretrained("{model_ref}", {revision}="iter{k}")  # with its tool '
             "chat template", "```", "",
             ("This is the checkpoint the loop kept (the best on the dev set), so `main` holds it too." if k == kept
              else f"The loop kept iteration {kept}'s checkpoint (`main`), the best on the dev set."), ""]
    if s["dev"]:
        lines += ["## Dev set (domains never trained on): accuracy [95% Wilson interval]", "",
                  "| category | points | accuracy |", "| --- | ---: | ---: |"]
        lines += [f"| {name} | {c['total']} | {_score_cell(c)} |" for name, c in s["dev"]["categories"].items()]
        lines += [f"| **all points** | {s['dev']['points']} | {_score_cell(s['dev'])} |", ""]
    if s["bfcl"]:
        lines += [f"## BFCL ({s['bfcl']['scope']}, reported only: never read by the loop)", "",
                  "| category | accuracy |", "| --- | ---: |"]
        lines += [f"| {name} | {_pct(value)} |" for name, value in sorted(s["bfcl"]["categories"].items())]
        if s["bfcl"]["non_live_ast_mean"] is not None:
            lines.append(f"| **non-live AST mean** | {_pct(s['bfcl']['non_live_ast_mean'])} |")
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n"))


def write_model_repo(state: dict[str, Any], folder: Path, summaries: dict[int, dict[str, Any]], dataset_ref: str,
                     model_ref: str, revision_ref: str) -> Path:
    """``iter<k>/``: each iteration's merged checkpoint with its card; ``main/``: the one the loop kept."""
    kept = kept_iteration(state, sorted(summaries))
    for k, s in summaries.items():
        target = folder / f"iter{k}"
        files = [f for f in sorted(s["model"].iterdir()) if f.is_file()]
        if not any(f.suffix == ".safetensors" or f.name.endswith(".bin") for f in files):
            raise FileNotFoundError(f"{s['model']}: no weights (*.safetensors) in iteration {k}'s checkpoint")
        names = {f.name for f in files} | {"README.md"}
        for stale in target.glob("*"):
            if stale.is_file() and stale.name not in names:
                stale.unlink()
        for file in files:
            if file.name != "README.md":
                _link_or_copy(file, target / file.name)
        atomic_write_text(target / "README.md", _model_card(state, k, s, kept, dataset_ref, model_ref, revision_ref))
    if (folder / "main").exists():
        shutil.rmtree(folder / "main")
    for file in sorted((folder / f"iter{kept}").iterdir()):
        _link_or_copy(file, folder / "main" / file.name)
    for stale in folder.glob("iter*"):
        if stale.is_dir() and int(stale.name.removeprefix("iter") or 0) not in summaries:
            shutil.rmtree(stale)
    return folder


def _project_root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "spaces").is_dir() else None


def build_wheel(folder: Path) -> Path:
    """The library's wheel for the Space's ``requirements.txt`` (the Space installs it from its own repo)."""
    root = _project_root()
    if root is None:
        raise FileNotFoundError("the Space needs the inftool-hf wheel, and this install has no source tree to build "
                                "it from; pass wheel=<path to inftool_hf-*.whl>")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("inftool_hf-*.whl"):
        old.unlink()
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                             "--wheel-dir", str(folder), str(root)], capture_output=True, text=True)
    wheels = sorted(folder.glob("inftool_hf-*.whl"))
    if result.returncode or not wheels:
        raise RuntimeError(f"building the inftool-hf wheel failed: {(result.stderr or result.stdout)[-500:]}")
    return wheels[0]


APP = '''"""The inftool-hf Space of the loop run {name}: explore its released dataset (every iteration) and chat with
its model. The Space variables INFTOOL_SPACE_DATASET and INFTOOL_SPACE_CHECKPOINT override the two repos."""

import os
from pathlib import Path

from inftool_hf.space import build_app

HERE = Path(__file__).resolve().parent


def _here(ref: str) -> str:
    return str(HERE / ref) if ref.startswith(".") else ref  # an offline release: the folders beside this one


demo = build_app(dataset=os.environ.get("INFTOOL_SPACE_DATASET", _here({dataset!r})),
                 checkpoint=os.environ.get("INFTOOL_SPACE_CHECKPOINT", _here({model!r})))

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
'''


def write_space_repo(state: dict[str, Any], folder: Path, dataset_ref: str, model_ref: str,
                     wheel: str | os.PathLike[str] | None = None) -> Path:
    """``app.py`` (the explorer and chat, opened on this run's repos), ``requirements.txt`` and a README whose
    metadata names the dataset and model repos; it starts with ``python app.py`` from the folder alone."""
    import gradio
    from huggingface_hub import SpaceCard, SpaceCardData

    name = (state.get("config") or {}).get("name", "inftool-loop")
    folder.mkdir(parents=True, exist_ok=True)
    wheels = folder / "wheels"
    if wheel is not None:
        wheels.mkdir(exist_ok=True)
        for old in wheels.glob("inftool_hf-*.whl"):
            old.unlink()
        built = wheels / Path(wheel).name
        shutil.copy(wheel, built)
    else:
        built = build_wheel(wheels)
    atomic_write_text(folder / "app.py", APP.format(name=name, dataset=dataset_ref, model=model_ref))
    atomic_write_text(folder / "requirements.txt", "\n".join([
        "# The Space runs the inftool-hf library on the free CPU tier (transformers backend; no vLLM needed).",
        "--extra-index-url https://download.pytorch.org/whl/cpu", "torch==2.13.0", f"./wheels/{built.name}", ""]))
    card_data = SpaceCardData(title=f"{name} explorer"[:60], sdk="gradio", sdk_version=gradio.__version__,
                              app_file="app.py", license="apache-2.0", emoji="🛠️", colorFrom="indigo",
                              colorTo="green", pinned=False,
                              short_description="Verified tool-use trajectories, and chat with the model",
                              datasets=[dataset_ref] if _REPO_ID.fullmatch(dataset_ref) else None,
                              models=[model_ref] if _REPO_ID.fullmatch(model_ref) else None)
    lines = [f"# {name} explorer", "",
             f"Browse every iteration of the dataset `{dataset_ref}` (filter by iteration, category, domain, tool, "
             f"verified or rejected, failed gate) and chat with the model `{model_ref}`: its tool calls run in the "
             "simulated MCP server, whose results are generated from the tools' schemas (no real API is reached).",
             "", "Run it locally: `pip install -r requirements.txt && python app.py`."]
    atomic_write_text(folder / "README.md", str(SpaceCard(f"---\n{card_data.to_yaml()}\n---\n\n"
                                                          + "\n".join(lines) + "\n")))
    return folder


def build_release(run_dir: str | os.PathLike[str], output: str | os.PathLike[str], hub: HubConfig | None = None,
                  wheel: str | os.PathLike[str] | None = None, space: bool = True) -> dict[str, Any]:
    """The repo folders of a run's finished iterations under ``output`` (``dataset``, ``model``, ``space``), and
    ``release.json`` (the run id, the iterations, the repos); returns that manifest."""
    run = Path(run_dir)
    state = load_run(run)
    iterations = finished_iterations(state)
    if not iterations:
        raise ConfigError(f"{run}: no finished iteration to release (state.json has none with generate, train, "
                          "evaluate and gaps)")
    hub = hub or HubConfig()
    out = Path(output)
    # offline (no repo named): the folders refer to each other, so `load_dataset`/`from_pretrained` read them back
    dataset_ref = hub.dataset_repo or str((out / "dataset").resolve())
    model_ref = hub.model_repo or str((out / "model").resolve())
    names = model_names(state, model_ref)
    summaries = iteration_summaries(state, run, iterations, names)
    revision_ref = "revision" if hub.model_repo else "subfolder"
    write_dataset_repo(state, run, out / "dataset", summaries, dataset_ref, model_ref, revision_ref, names)
    write_model_repo(state, out / "model", summaries, dataset_ref, model_ref, revision_ref)
    if space:
        write_space_repo(state, out / "space", hub.dataset_repo or "../dataset", hub.model_repo or "../model/main",
                         wheel)
    manifest = {"run_id": run_id(state), "name": (state.get("config") or {}).get("name"), "iterations": iterations,
                "kept": kept_iteration(state, iterations), "dataset_repo": hub.dataset_repo,
                "model_repo": hub.model_repo, "space_repo": hub.space_repo, "space": space,
                "dev": (state["iterations"].get("0") or {}).get("dev") is not None}
    atomic_write_text(out / "release.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


# --- pushing -----------------------------------------------------------------------------------------

def _commit_title(manifest: dict[str, Any], what: str) -> str:
    return f"[inftool-hf {manifest['run_id']}] {what}"


def _titles(api: Any, repo_id: str, repo_type: str, revision: str | None = None) -> set[str]:
    return {c.title for c in api.list_repo_commits(repo_id=repo_id, repo_type=repo_type, revision=revision)}


def _operations(api: Any, folder: Path, paths: list[str], repo_id: str, repo_type: str, revision: str | None = None,
                replace_under: tuple[str, ...] = ()) -> list[Any]:
    """Adds for ``paths`` (relative to ``folder``), and deletes for the repo's files under ``replace_under`` that the
    release no longer has (another run's iteration, a checkpoint's file of another name)."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    operations: list[Any] = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(folder / p)) for p in paths]
    if replace_under:
        present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        for existing in api.list_repo_files(repo_id=repo_id, repo_type=repo_type, revision=revision):
            if existing.startswith(replace_under) and existing not in present and existing != ".gitattributes":
                operations.append(CommitOperationDelete(path_in_repo=existing))
    return operations


def _files(folder: Path, under: str = "") -> list[str]:
    base = folder / under if under else folder
    return sorted(p.relative_to(folder).as_posix() for p in base.rglob("*") if p.is_file())


def push_release(release_dir: str | os.PathLike[str], iterations: list[int] | None = None, space: bool = True,
                 token: str | None = None, private: bool = False, api: Any = None) -> dict[str, Any]:
    """Upload a folder ``build_release`` wrote: a dataset commit per iteration (its config, the card, the report),
    a model commit per iteration on its branch and one on ``main``, and the Space. A commit whose title is already
    in the repo's history is not made again, so a redone push makes only what is missing."""
    from functools import partial

    from huggingface_hub import HfApi

    folder = Path(release_dir)
    manifest = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    wanted = [k for k in manifest["iterations"] if iterations is None or k in iterations]
    api = api or HfApi(token=token)
    done: dict[str, Any] = {"dataset": [], "model": [], "space": None}

    def call(function: Any, *args: Any, **kwargs: Any) -> Any:
        return hub_upload(partial(function, *args, **kwargs), token)

    def commit(repo: str, repo_type: str, root: Path, paths: list[str], title: str, revision: str | None = None,
               replace_under: tuple[str, ...] = (), description: str | None = None) -> str:
        operations = call(_operations, api, root, paths, repo, repo_type, revision, replace_under)
        info = call(api.create_commit, repo_id=repo, repo_type=repo_type, operations=operations,
                    commit_message=title, revision=revision, commit_description=description)
        return redact(str(getattr(info, "commit_url", info)), token)

    if manifest.get("dataset_repo"):
        repo, root = manifest["dataset_repo"], folder / "dataset"
        call(api.create_repo, repo_id=repo, repo_type="dataset", private=private, exist_ok=True)
        made = call(_titles, api, repo, "dataset")
        for k in wanted:
            title = _commit_title(manifest, f"iter{k}")
            if title in made:
                continue
            paths = _files(root, f"data/iter{k}") + [p for p in ("README.md", "report.md", "report.png")
                                                      if (root / p).exists()]
            if k == manifest["iterations"][0] and manifest.get("dev"):
                paths += _files(root, "data/dev")
            done["dataset"].append(commit(repo, "dataset", root, paths, title, replace_under=("data/",),
                                          description=f"Iteration {k} of the loop run {manifest['name']}."))
    if manifest.get("model_repo"):
        repo, root = manifest["model_repo"], folder / "model"
        call(api.create_repo, repo_id=repo, repo_type="model", private=private, exist_ok=True)
        targets = [(f"iter{k}", _commit_title(manifest, f"iter{k}")) for k in wanted]
        if manifest["iterations"][-1] in wanted:
            targets.append(("main", _commit_title(manifest, f"main = iter{manifest['kept']}")))
        for revision, title in targets:
            if revision != "main":
                call(api.create_branch, repo_id=repo, branch=revision, repo_type="model", exist_ok=True)
            if title in call(_titles, api, repo, "model", revision):
                continue
            paths = [p.name for p in sorted((root / revision).iterdir()) if p.is_file()]
            done["model"].append(commit(repo, "model", root / revision, paths, title, revision,
                                        replace_under=("",)))
    if space and manifest.get("space_repo") and manifest.get("space"):
        repo, root = manifest["space_repo"], folder / "space"
        call(api.create_repo, repo_id=repo, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
        title = _commit_title(manifest, "space")
        if title not in call(_titles, api, repo, "space"):
            done["space"] = commit(repo, "space", root, _files(root), title)
    return done
