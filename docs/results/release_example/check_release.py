"""Checks a released run the way its users load it (offline folders of `inftool-hf release`)."""
import json, sys
from pathlib import Path
from datasets import load_dataset, get_dataset_config_names
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer
out = Path(sys.argv[1])
print("configs:", get_dataset_config_names(str(out / "dataset")))
for config in ("iter1", "iter2", "iter3"):
    rows = load_dataset(str(out / "dataset"), config, split="train")
    print(config, "train rows:", len(rows), "| rejected rows:", len(load_dataset(str(out / "dataset"), config, split="rejected")))
print("dev validation rows:", len(load_dataset(str(out / "dataset"), "dev", split="validation")))
rows = load_dataset(str(out / "dataset"), "iter3", split="train")
print("tools column:", type(rows[0]["tools"]).__name__, "| generator:", rows[0]["generator"])
tok = AutoTokenizer.from_pretrained(str(out / "model" / "iter3"))
model = AutoModelForCausalLM.from_pretrained(str(out / "model" / "iter3"))
print("model iter3:", model.config.model_type, sum(p.numel() for p in model.parameters()), "parameters")
trainer = SFTTrainer(model=model, processing_class=tok, train_dataset=rows,
                     args=SFTConfig(output_dir="/tmp/rel/sft-check", max_steps=1, report_to=[], use_cpu=True, max_length=4096))
index, call = next((i, c) for i, r in enumerate(rows) for m in r["messages"] for c in m["tool_calls"] or [])
text = tok.decode(trainer.train_dataset[index]["input_ids"])
rendered = json.dumps({"name": call["function"]["name"], "arguments": call["function"]["arguments"]})
print("TRL tokenization renders the call with object arguments:", rendered in text, "|", rendered[:120])
