"""What each ``inftool-hf`` command does around its stage: read flags into the stage's config, call the stage's
function, and show the result (rich tables, a Markdown report). The stages themselves print nothing; each
command's stage is imported only when that command runs, so ``inftool-hf --help`` starts fast."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def inspect_specs_main(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from inftool_hf.generate import inspect_specs

    tokenizer = None
    if args.tokenizer != "none":
        from inftool_hf.chat_format import load_tokenizer
        from inftool_hf.default_model import resolve_model

        tokenizer = load_tokenizer(resolve_model(args.tokenizer))
    tools, warnings = inspect_specs(args.specs, tokenizer)
    if args.json:
        print(json.dumps({"tools": tools.to_list(), "warnings": warnings}, indent=2))
        return 0
    size = "tokens" if tokenizer is not None else "chars"
    table = Table(title=f"{len(tools)} tools from {', '.join(args.specs)}")
    for column in ("name", "domain", "params (required)", size, "response schema"):
        table.add_column(column, justify="right" if column in (size,) else "left")
    for row in tools:
        table.add_row(row["name"], row["domain"], f"{row['parameters']} ({row['required']})", str(row[size]),
                      "yes" if row["has_response_schema"] else "no")
    console = Console()
    console.print(table)
    for warning in warnings:
        console.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    return 0


def generate_summary_table(verified, seconds: float):
    """The closing table: per category attempted, verified, yield and the top rejection reasons."""
    from collections import Counter

    from rich.table import Table

    from inftool_hf.publish import dataset_stats

    stats = dataset_stats(verified)
    reasons: dict[str, Counter] = {}
    for row in verified["rejected"]:
        reasons.setdefault(row["category"], Counter())[row["verification"]["failed_gate"]] += 1
    table = Table(title=f"generated in {seconds:.0f}s: {stats['verified']}/{stats['attempted']} verified "
                        f"({100 * stats['yield_rate']:.0f}%)")
    for column in ("category", "attempted", "verified", "yield", "top rejections"):
        table.add_column(column, justify="right" if column in ("attempted", "verified", "yield") else "left")
    for row in stats["categories"]:
        top = ", ".join(f"{gate} {count}" for gate, count in reasons.get(row["name"], Counter()).most_common(2))
        table.add_row(row["name"], str(row["attempted"]), str(row["verified"]), f"{100 * row['yield_rate']:.0f}%", top)
    return table


def generate_main(args) -> int:
    from rich.console import Console

    from inftool_hf.configs import load_recipe
    from inftool_hf.generate import GenerateConfig, generate

    # flags go through the same checks as the recipe's own values
    config = load_recipe(GenerateConfig, args.recipe, "generate", {
        "scenarios.num_scenarios": args.num_scenarios, "output_dir": args.output_dir, "backend.backend": args.backend,
        "runner": getattr(args, "runner", None),
    }, args.set)
    started = time.monotonic()
    verified = generate(config)
    console = Console()
    console.print(generate_summary_table(verified, time.monotonic() - started))
    shortfall = json.loads((config.folder / "stats.json").read_text()).get("category_shortfall") or {}
    for category, gap in shortfall.items():
        console.print(f"[yellow]{category}: {gap['asked']} asked, {gap['sampled']} sampled ({gap['reason']})[/]")
    console.print(f"dataset folder: {config.folder}  "
                  f"(inftool_hf.verify.trajectories.load_hub_folder({str(config.folder)!r}))")
    return 0


def train_main(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from inftool_hf.configs import load_recipe
    from inftool_hf.train.trainer import TrainConfig, train

    config = load_recipe(TrainConfig, args.recipe, "train", {
        "stages": args.stages.split(",") if args.stages else None, "output_dir": args.output_dir,
        "grpo.max_steps": args.grpo_steps,
    }, args.set)
    started = time.monotonic()
    result = train(config, args.dataset, dataset_name=args.dataset)
    table = Table(title=f"trained in {time.monotonic() - started:.0f}s: {result['adapter']}")
    for column in ("model", "points", "parseable", "schema-valid", "exact"):
        table.add_column(column)
    for name, m in result["metrics"]["call_validity"].items():
        table.add_row(name, str(m["points"]), f"{m['parseable']:.0%}", f"{m['schema_valid']:.0%}", f"{m['exact']:.0%}")
    Console().print(table)
    return 0


def eval_main(args) -> int:
    from rich.console import Console

    from inftool_hf.atomic import atomic_write_text
    from inftool_hf.configs import ConfigError, load_recipe
    from inftool_hf.evaluate.bfcl import EvalConfig, _make_backend, evaluate_bfcl, markdown_report

    config = load_recipe(EvalConfig, args.recipe, "eval", {
        "backend.model": args.model, "backend.backend": args.backend, "adapter": args.adapter,
        "categories": args.categories.split(",") if args.categories else None, "limit": args.limit,
        "output_dir": args.output_dir,
    }, args.set)
    console = Console()
    if args.suite == "bfcl":
        report = evaluate_bfcl(config)
        console.print(markdown_report(report, f"BFCL: {config.backend.model}"))
        console.print(f"report: {Path(config.output_dir) / 'report.json'}")
        return 0
    from inftool_hf.evaluate.heldout import evaluate_heldout
    from inftool_hf.verify.trajectories import load_trajectories, split_heldout

    if not args.dataset:
        raise ConfigError("--suite heldout needs --dataset")
    _, heldout = split_heldout(load_trajectories(args.dataset), args.heldout_fraction)
    backend = _make_backend(config)
    try:
        report = evaluate_heldout(heldout, backend, config.sampling)
    finally:
        backend.close()
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "heldout_report.json", json.dumps(report, indent=2))
    console.print_json(json.dumps(report))
    return 0


def loop_main(args) -> int:
    from rich.console import Console

    from inftool_hf.configs import load_recipe
    from inftool_hf.loop import LoopConfig, run_loop

    config = load_recipe(LoopConfig, args.recipe, "loop", {"run_dir": args.run_dir}, args.set)
    state = run_loop(config, args.iterations)
    console = Console()
    console.print((Path(config.run_dir) / "report.md").read_text())
    console.print(f"run directory: {config.run_dir} (state.json, report.md, report.png)")
    return 0 if state else 1


def release_main(args: Any) -> int:
    from rich.console import Console

    from inftool_hf.configs import ConfigError
    from inftool_hf.release import HubConfig, build_release, push_release

    hub = HubConfig(dataset_repo=args.dataset_repo, model_repo=args.model_repo, space_repo=args.space_repo,
                    private=args.private)
    if args.push and not hub.enabled:
        raise ConfigError("release --push: name --dataset-repo and/or --model-repo (owner/name) to push to")
    manifest = build_release(args.run_dir, args.output, hub, wheel=args.wheel, space=not args.no_space)
    console = Console(soft_wrap=True)
    out = Path(args.output)
    console.print(f"released iterations {manifest['iterations']} of run {manifest['run_id']} "
                  f"(main = iteration {manifest['kept']}) into {out}:")
    dataset = hub.dataset_repo or str(out / "dataset")
    model = hub.model_repo or str(out / "model" / f"iter{manifest['iterations'][-1]}")
    console.print(f'  load_dataset("{dataset}", "iter{manifest["iterations"][-1]}", split="train")')
    revision = f', revision="iter{manifest["iterations"][-1]}"' if hub.model_repo else ""
    console.print(f'  AutoModelForCausalLM.from_pretrained("{model}"{revision})')
    if not args.no_space:
        console.print(f"  cd {out / 'space'} && python app.py")
    if args.push:
        pushed = push_release(out, space=not args.no_space, private=args.private)
        for kind, commits in pushed.items():
            for commit in commits if isinstance(commits, list) else [commits] if commits else []:
                console.print(f"pushed {kind}: {commit}")
    return 0


def audit_main(args: Any) -> int:
    from rich.console import Console
    from rich.markdown import Markdown

    from inftool_hf.atomic import atomic_write_text
    from inftool_hf.verify.audit import audit_dataset, audit_markdown
    from inftool_hf.verify.trajectories import load_hub_folder

    path = Path(args.dataset)
    dataset = load_hub_folder(args.dataset)
    report = audit_dataset(dataset, sample=args.rows, seed=args.seed)
    markdown = audit_markdown(report) + "\n\n## Random rows\n\n" + "\n\n".join(report["sample"]) + "\n"
    console = Console()
    console.print(Markdown(audit_markdown(report)))
    for row in report["sample"][: args.show]:
        console.print(Markdown(row))
    if path.is_dir():
        atomic_write_text(path / "audit.json", json.dumps(report, indent=2))
        atomic_write_text(path / "audit.md", markdown)
        console.print(f"wrote {path / 'audit.json'} and {path / 'audit.md'}")
    return 0


def export_main(args) -> int:
    """``inftool-hf export DATASET --format F --output FILE``: one split of a dataset folder as JSONL."""
    from inftool_hf.exporters import export_jsonl
    from inftool_hf.verify.trajectories import load_trajectories

    count = export_jsonl(load_trajectories(args.dataset, split=args.split), args.format, args.output)
    print(f"wrote {count} rows ({args.format}, split {args.split}) to {args.output}")
    return 0


def serve_mcp_main(args) -> int:
    from inftool_hf.mcp_server import serve
    serve(args.spec, args.transport, args.host, args.port)
    return 0


def space_main(args) -> int:
    from inftool_hf.space import build_app
    app = build_app(dataset=args.dataset, checkpoint=args.checkpoint)
    app.launch(server_name=args.host, server_port=args.port, show_error=False)
    return 0
