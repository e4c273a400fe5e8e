"""GPU smoke check: the CUDA path of every stage on the default model, in a few minutes on one GPU.

    .venv/bin/python benchmarks/gpu_smoke.py            # `make gpu-smoke`
    .venv/bin/python benchmarks/gpu_smoke.py --tiny     # a 2-layer random model of the default's shape (a few MB:
                                                        # small enough to carry to a machine without the weights)

1. role-play 16 scenarios of the embedded pack with the transformers backend (the model on CUDA writes the answers);
2. SFT (4 steps) then GRPO (2 steps) with LoRA, bf16 where the GPU supports it, held-out call validity measured
   before and after each stage (on CUDA, the main process);
3. the saved LoRA adapter reloaded on the base model and generating on CUDA.

Each step's seconds, the device, the peak GPU memory and the measurements go to benchmarks/results/gpu_smoke.json.
Without CUDA it runs the same steps on CPU and says so (device "cpu"); that is how the suite checks the script.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from common import write_result  # noqa: E402


def tiny_model(folder: Path) -> str:
    """A randomly initialised 2-layer model with the default model's tokenizer and template (same code paths)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    from inftool_hf.chat_format import load_tokenizer
    from inftool_hf.default_model import resolve_model

    source = resolve_model("default")
    config = AutoConfig.from_pretrained(source)
    config.num_hidden_layers, config.hidden_size, config.intermediate_size = 2, 64, 128
    config.num_attention_heads, config.num_key_value_heads = 4, 2
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(str(folder))
    load_tokenizer(source).save_pretrained(str(folder))
    return str(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default", help="'default', or a local model folder")
    parser.add_argument("--tiny", action="store_true", help="a 2-layer random model of the default model's shape")
    parser.add_argument("--scenarios", type=int, default=16)
    parser.add_argument("--name", default="gpu_smoke", help="results file name (benchmarks/results/<name>.json)")
    args = parser.parse_args()

    import torch

    from inftool_hf.configs import BackendConfig, SamplingConfig
    from inftool_hf.generate import GenerateConfig, generate
    from inftool_hf.synth.roleplay import RolePlayConfig
    from inftool_hf.synth.scenarios import ScenarioConfig
    from inftool_hf.train.trainer import GRPOSection, SFTSection, TrainConfig, train

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        model = tiny_model(work_dir / "tiny") if args.tiny else args.model

        started = time.monotonic()
        config = GenerateConfig(
            name="smoke", output_dir=str(work_dir), decontaminate=False,
            scenarios=ScenarioConfig(num_scenarios=args.scenarios, seed=1,
                                     category_mix={"simple": 2, "parallel": 1, "irrelevance": 1}),
            roleplay=RolePlayConfig(sampling=SamplingConfig(max_new_tokens=32)),
            backend=BackendConfig(backend="transformers", model=model, batch_size=16))
        verified = generate(config, progress=False)
        seconds["role_play"] = round(time.monotonic() - started, 1)

        started = time.monotonic()
        train_config = TrainConfig(
            model=model, output_dir=str(work_dir / "train"), heldout_fraction=0.25,
            sft=SFTSection(max_steps=4, batch_size=2, gradient_accumulation_steps=1, save_steps=2, max_length=1024),
            grpo=GRPOSection(max_steps=2, batch_size=4, num_generations=4, max_completion_length=32, save_steps=1))
        result = train(train_config, str(config.folder), dataset_name="smoke", measure=True)
        seconds["train"] = round(time.monotonic() - started, 1)

        started = time.monotonic()
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        from inftool_hf.backends import TransformersBackend
        from inftool_hf.default_model import resolve_model

        base = AutoModelForCausalLM.from_pretrained(resolve_model(model), dtype=torch.bfloat16).to(device)
        reloaded = PeftModel.from_pretrained(base, result["adapter"])
        backend = TransformersBackend(BackendConfig(backend="transformers", model=model), model=reloaded)
        [generation] = backend.generate([[{"role": "user", "content": "What's the weather in Lisbon?"}]], None,
                                        SamplingConfig(max_new_tokens=16))
        seconds["reload_and_generate"] = round(time.monotonic() - started, 1)
        record = {
            "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
            "torch": torch.__version__, "model": "tiny random (2 layers)" if args.tiny else args.model,
            "rows": {"verified": len(verified["train"]), "rejected": len(verified["rejected"])},
            "adapter_device": str(next(reloaded.parameters()).device),
            "reloaded_reply_tokens": generation.completion_tokens,
            "call_validity": result["metrics"].get("call_validity"), "trained": result["metrics"].get("data"),
            "seconds": seconds,
            "peak_gpu_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if device == "cuda" else None,
        }
    print(json.dumps(record, indent=2))
    write_result(args.name, record)


if __name__ == "__main__":
    main()
