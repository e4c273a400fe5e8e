import pytest

from inftool_hf.chat_format import resolve_chat_template, to_template_messages
from inftool_hf.configs import ConfigError


def test_arguments_become_dicts_and_nulls_drop():
    messages = [{"role": "assistant", "content": None, "tool_call_id": None, "name": None,
                 "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]}]
    [out] = to_template_messages(messages)
    assert out == {"role": "assistant", "content": "",
                   "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]}
    assert messages[0]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'  # input untouched


def test_system_prompt_only_when_missing():
    assert to_template_messages([{"role": "user", "content": "hi"}], "S")[0] == {"role": "system", "content": "S"}
    kept = to_template_messages([{"role": "system", "content": "mine"}, {"role": "user", "content": "hi"}], "S")
    assert kept[0]["content"] == "mine" and len(kept) == 2


def test_chat_template_resolution(tmp_path):
    assert resolve_chat_template("model") is None
    assert "<tool_call>" in resolve_chat_template("trl:qwen2_5")
    path = tmp_path / "t.jinja"
    path.write_text("{{ messages }}")
    assert resolve_chat_template(str(path)) == "{{ messages }}"
    with pytest.raises(ConfigError, match="chat_template"):
        resolve_chat_template("nope.jinja")
