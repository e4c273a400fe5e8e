import json

from hypothesis import given, settings
from hypothesis import strategies as st

from inftool_hf.tool_calls import MAX_PARSE_CHARS, parse_tool_calls

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}}}}]


def calls(parsed):
    return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in parsed.tool_calls]


def test_hermes_blocks_several_calls_and_content():
    text = ('Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
            '<tool_call>{"name": "get_weather", "arguments": {"city": "Rome", "unit": "celsius"}}</tool_call>')
    parsed = parse_tool_calls(text)
    assert calls(parsed) == [("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome", "unit": "celsius"})]
    assert parsed.content == "Let me check."
    assert parsed.parse_error is None
    assert [c["id"] for c in parsed.tool_calls] == ["call_0", "call_1"]
    assert all(isinstance(c["function"]["arguments"], str) for c in parsed.tool_calls)


def test_hermes_unterminated_block_and_string_arguments():
    parsed = parse_tool_calls('<tool_call>{"name": "f", "arguments": "{\\"x\\": 1}"}')
    assert calls(parsed) == [("f", {"x": 1})]


def test_hermes_bad_block_is_reported_not_raised():
    parsed = parse_tool_calls("<tool_call>{not json}</tool_call> sorry")
    assert parsed.tool_calls == []
    assert parsed.parse_error and "unparseable" in parsed.parse_error
    assert parsed.content == "sorry"


def test_bare_json_object_list_and_fence():
    assert calls(parse_tool_calls('{"name": "f", "arguments": {"a": 1}}')) == [("f", {"a": 1})]
    assert calls(parse_tool_calls('[{"name": "f", "parameters": {"a": 1}}, {"name": "g"}]')) == [
        ("f", {"a": 1}), ("g", {})]
    assert calls(parse_tool_calls('```json\n{"function": {"name": "f", "arguments": "{}"}}\n```')) == [("f", {})]


def test_json_object_without_name_is_content_with_error():
    parsed = parse_tool_calls('{"city": "Paris"}')
    assert parsed.tool_calls == []
    assert parsed.content == '{"city": "Paris"}'
    assert parsed.parse_error


def test_python_call_syntax():
    assert calls(parse_tool_calls('get_weather(city="Paris", unit="celsius")')) == [
        ("get_weather", {"city": "Paris", "unit": "celsius"})]
    assert calls(parse_tool_calls('[math.add(a=1, b=[2, 3]), g(flag=True, x=None)]')) == [
        ("math.add", {"a": 1, "b": [2, 3]}), ("g", {"flag": True, "x": None})]


def test_python_positional_arguments_need_the_schema():
    assert calls(parse_tool_calls('get_weather("Paris", "celsius")', TOOLS)) == [
        ("get_weather", {"city": "Paris", "unit": "celsius"})]
    parsed = parse_tool_calls('get_weather("Paris")')
    assert parsed.tool_calls == []


def test_python_syntax_is_never_evaluated():
    for text in ['__import__("os").system("touch /tmp/pwned")', 'f(x=__import__("os").getcwd())',
                 'f(x=open("/etc/passwd").read())', 'f(x=1+1)', "f(**{'a': 1})"]:
        parsed = parse_tool_calls(text)
        assert parsed.tool_calls == [], text


def test_plain_text_is_content_without_error():
    parsed = parse_tool_calls("The capital of France is Paris (a big city).")
    assert parsed.tool_calls == [] and parsed.parse_error is None
    assert parsed.content.startswith("The capital")
    assert parse_tool_calls("").content == ""


def test_non_text_and_huge_inputs():
    assert parse_tool_calls(None).parse_error
    parsed = parse_tool_calls("x" * (MAX_PARSE_CHARS + 1))
    assert parsed.tool_calls == [] and "longer" in parsed.parse_error


def test_json_bomb_does_not_raise():
    deep = "[" * 100_000 + "]" * 100_000
    assert parse_tool_calls(deep).tool_calls == []
    assert parse_tool_calls("<tool_call>" + deep + "</tool_call>").tool_calls == []
    assert parse_tool_calls("f(x=" + "[" * 50_000 + "]" * 50_000 + ")").tool_calls == []


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text):
    parsed = parse_tool_calls(text)
    assert isinstance(parsed.content, str)
    for call in parsed.tool_calls:
        assert isinstance(json.loads(call["function"]["arguments"]), dict)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda children: st.lists(children, max_size=3)
                    | st.dictionaries(st.text(max_size=5), children, max_size=3)),
       st.sampled_from(["<tool_call>{}</tool_call>", "{}", "[{}]"]))
def test_never_raises_on_json_shaped_text(value, frame):
    text = frame.replace("{}", json.dumps(value), 1) if frame != "[{}]" else json.dumps([value])
    parsed = parse_tool_calls(text)
    assert isinstance(parsed.content, str)
    for call in parsed.tool_calls:  # whatever comes out is a well-formed call with object arguments
        assert call["function"]["name"] and isinstance(json.loads(call["function"]["arguments"]), dict)
    if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].isidentifier() \
            and isinstance(value.get("arguments"), dict) and set(value) == {"name", "arguments"}:
        assert [c["function"]["name"] for c in parsed.tool_calls] == [value["name"]]  # a call shape is read
