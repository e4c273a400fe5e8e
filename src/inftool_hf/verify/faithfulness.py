"""Does the assistant's prose say only what the conversation supports?

A deterministic check, fast enough to run on every row on CPU: each number, id, date, name and status
word in an assistant's text turn must come from the user's messages, the tool calls or the tool
results; a turn after successful calls may not claim a failure (nor claim success after a failed
one); and an answer after calls must report at least one thing the results said, so filler such as
"The results above provide a clear and concise answer to your question" fails. The LLM judge
(``verify.llm_judge``) adds a semantic check when a capable model is configured; this check must carry
the CPU default alone.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as _STOP_WORDS

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)",
                  re.IGNORECASE)
_MONTH_DAY = re.compile(r"\b(" + "|".join(m[:3] for m in _MONTHS) + r")[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?\b|"
                        r"\b(\d{1,2})(?:st|nd|rd|th)? (" + "|".join(m[:3] for m in _MONTHS) + r")[a-z]*\b",
                        re.IGNORECASE)
_ID = re.compile(r"\b(?:[A-Z]{2,5}-\d{3,}|tok_[a-z0-9]{6,}|"
                 r"[A-Za-z]*\d[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*\d[A-Za-z0-9]*)\b")
_NUMBER = re.compile(r"(?<![\w.\-/#:])[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w-])|"
                     r"(?<![\w.\-/#:])[-+]?\d+(?:\.\d+)?(?![\w-]|\.\d)")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ '-][A-Z][a-z]+)+\b")
_FAILURE = re.compile(r"\b(not supported|unsupported|failed|failure|unable|couldn't|could not|can't|cannot|"
                      r"wasn't able|was not able|not possible|not available|unavailable|an error|unfortunately|"
                      r"did not work|didn't work|no results?|nothing (?:was )?found|not found|does not exist)\b",
                      re.IGNORECASE)
_SUCCESS = re.compile(r"\b(done|successfully|all set|booked|confirmed|is ready|has been|have been|completed)\b",
                      re.IGNORECASE)
# How a turn says that no tool fits: what a decline (irrelevance, miss_func) must say in some words.
_DECLINE = re.compile(r"\b(can't|cannot|can not|unable|not able|don't have|do not have|doesn't have|no (?:available |"
                      r"suitable |matching )?(?:tool|function)s?\b|none of (?:the|my) (?:tools|functions)|"
                      r"(?:isn't|is not|not) (?:possible|available|supported)|unfortunately|sorry)", re.IGNORECASE)
_FILLER = re.compile(r"\b(the (?:results|information|data|output) (?:above|provided|shown)|(?:above|provided) "
                     r"(?:results|information)|clear and concise|as an ai|i hope this helps|based on the (?:tool|"
                     r"function) (?:call|output|results?))\b", re.IGNORECASE)
# Status words that state a fact about a resource: said only when a result or the user said them.
STATUS_WORDS = ("cancelled", "canceled", "confirmed", "delayed", "pending", "declined", "rejected", "approved",
                "delivered", "shipped", "refunded", "expired", "suspended", "completed", "failed", "boarded",
                "checked in", "on time", "overdue", "out of stock", "in stock", "sold out", "frozen", "locked",
                "unlocked")
# Capitalised words any answer may use without a source.
_COMMON_CAPITALISED = {
    "i", "the", "your", "you", "here", "sure", "sorry", "thanks", "thank", "hello", "hi", "done", "okay", "ok",
    "it", "this", "that", "there", "they", "we", "my", "a", "an", "and", "but", "so", "all", "unfortunately",
    "great", "please", "let", "if", "yes", "no", "as", "for", "on", "in", "at", "to", "of", "with", "by", "from",
    "utc", "am", "pm", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", *_MONTHS, "today", "tomorrow", "also", "then", "now", "note", "its", "is", "one",
}


# Words any answer may use without a source (besides English stop words): how answers are framed.
_FRAMING = set("""here found details sure done went through taken care looked reference result results information
following currently current please thanks thank help sorry tool tools function functions available unfortunately
need like know want anything else glad happy able request requested asked moment right okay great perfect exactly
also just shows says according would should could ready about approximately around value values item items returned
return returns list listed looks seems call called calls successfully success complete completed set today tomorrow
there their they them your yours what when where which with have been will that this these those into onto from
check checked look lookup give gives show here's it's that's i've i'll you're don't can't couldn't isn't wasn't
went going doing made make makes taken take took find finding search searched searching gave get got lets total
duration
degrees percent minutes hours seconds days weeks months years kilometres kilometers miles meters metres
""".split()) | set(_MONTHS) | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_STEM = re.compile(r"(?:'s|ies|es|s|ed|ing|y)$")  # summary and summaries meet


@lru_cache(maxsize=1 << 16)  # the same few thousand words come back in every row
def _stem(word: str) -> str:
    return _STEM.sub("", word) if len(word) > 4 else word


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for key, item in value.items() for v in [key, *_walk(item)]]
    if isinstance(value, list):
        return [len(value), *[v for item in value for v in _walk(item)]]
    return [value]


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None


def _split_fields(text: str) -> str:
    """Field names as words: nextSyncToken → next sync token, message_ts → message ts."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).casefold().replace("_", " ")


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z][a-z'-]+", text)}


@lru_cache(maxsize=256)  # a row's tools come back at every turn, and rows share them
def _tool_vocabulary(dumped: str) -> tuple[str, frozenset[str]]:
    """The tools' text as the checks read it, and the stemmed words of it (field names split too)."""
    text = dumped.casefold().replace("_", " ")
    return text, frozenset(_stems(_split_fields(dumped)) | _stems(text))


class Context:
    """Everything the assistant may state: the user's words, its calls' arguments, the tools' results."""

    def __init__(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None):
        texts, values, results = [], [], []
        self.recent: list[Any] = []  # results since the last user message: what this answer is about
        for message in messages:
            role, content = message.get("role"), message.get("content") or ""
            if role == "user":
                texts.append(content)
                self.recent = []
            elif role == "tool":
                texts.append(content)
                data = _loads(content)
                results.append(data)
                self.recent.append(data)
                values += _walk(data)
            elif role == "assistant":
                for call in message.get("tool_calls") or []:
                    data = _loads(call["function"].get("arguments") or "{}")
                    values += _walk(data)
                    texts.append(json.dumps(data, ensure_ascii=False))
        self.results = results
        # string values the results report (a status of "FAILED" is the server's word, not a failure claim)
        self.result_words = {str(v).casefold().replace("_", " ") for r in results for v in _values(r)
                             if isinstance(v, str)}
        self.text = " ".join(texts).casefold()
        self.numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        self.numbers += [float(n.replace(",", "")) for n in _NUMBER.findall(" ".join(texts))]
        self.numbers += [float(len(results))]
        self.dates = {(int(m[1]), int(m[2])) for m in _ISO.findall(self.text)}
        self.dates |= {(_month(a or d), int(b or c)) for a, b, c, d in _MONTH_DAY.findall(self.text)}
        # tool names, descriptions and parameter names may be named, never counted on for values
        dumped = json.dumps(tools or [], ensure_ascii=False)
        tool_text, tool_words = _tool_vocabulary(dumped)
        self.vocabulary = self.text + " " + tool_text
        # words of the conversation and the tools; field names split too (nextSyncToken → next sync token)
        said = " ".join(texts)
        self.words = set(tool_words) | _stems(_split_fields(said)) | _stems(self.text)
        if re.search(r'(?:_|")ts"', said) or re.search(r'(?:_|")ts"', dumped):  # chat APIs' message_ts: "the
            self.words.add(_stem("timestamp"))  # message timestamp is 1764472302.315889"
        self.tool_names = [t["function"]["name"] for t in tools or [] if "_" in t["function"]["name"]]

    def supports_number(self, token: str) -> bool:
        value = float(token.replace(",", ""))
        decimals = len(token.split(".")[1]) if "." in token else 0
        return any(abs(n - value) < 1e-9 or round(n, decimals) == value or abs(n - value) <= 0.005 * abs(n)
                   for n in self.numbers)

    @property
    def any_error(self) -> bool:
        return any(isinstance(r, dict) and "error" in r for r in self.results)

    @property
    def any_negative(self) -> bool:
        """A result that itself reports a no: an empty list, a false flag, a zero count."""
        values = [v for r in self.results for v in _walk(r)]
        return any(v is False or v == 0 or v == [] for v in values) or any(
            isinstance(r, dict) and any(isinstance(v, list) and not v for v in r.values()) for r in self.results)

    def reportable(self, results: list[Any] | None = None) -> list[str]:
        """What a useful answer could repeat from the results: strings and numbers (not keys, not flags)."""
        out = []
        for result in self.recent if results is None else results:
            for value in _values(result):
                if isinstance(value, bool) or value is None:
                    continue
                if isinstance(value, (int, float)) or (isinstance(value, str) and len(value.strip()) >= 2):
                    out.append(str(value))
        return out


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return [value]


def _month(name: str) -> int:
    return next(i + 1 for i, month in enumerate(_MONTHS) if month.startswith(name.lower()[:3]))


def decline_problems(text: str) -> list[str]:
    """Why ``text`` is no decline where no tool fits: it must say so in some words. Read in model-written rows
    that passed every gate: "The task TA-73100 is done, please check the dashboard", "Sure, I can create a calendar
    event for you. The title is ...", "I'm ready to start a new shopping cart."."""
    return [] if _DECLINE.search(text) else ["does not say that no tool fits"]


def unsupported_claims(text: str, context: Context, after_calls: bool) -> list[str]:
    """What ``text`` (one assistant turn) states without support; empty when faithful."""
    problems: list[str] = []
    # text quoted verbatim from a result or the user (a review, a message body) is theirs, not a claim
    said = text.casefold()
    text = re.sub(r'"([^"]+)"', lambda m: '" "' if m.group(1).casefold() in context.text else m.group(0), text)
    lowered = text.casefold()
    for match in _ISO.finditer(text):
        if (int(match[2]), int(match[3])) not in context.dates:
            problems.append(f"date {match[0]} is not in the conversation")
    for a, b, c, d in _MONTH_DAY.findall(text):
        if (_month(a or d), int(b or c)) not in context.dates:
            problems.append(f"date {' '.join(x for x in (a, b, c, d) if x)} is not in the conversation")
    scrubbed = _MONTH_DAY.sub(" ", _ISO.sub(" ", text))
    scrubbed = re.sub(r"\b\d{1,2}:\d{2}\b", " ", scrubbed)  # clock times: checked with their dates
    for token in _ID.findall(scrubbed):
        if token.casefold() not in context.text:
            problems.append(f"id {token} is not in the conversation")
    for token in _NUMBER.findall(_ID.sub(" ", scrubbed)):
        if not context.supports_number(token):
            problems.append(f"number {token} is not in the conversation")
    for name in _NAME.findall(text):
        words = [w for w in re.split(r"[ '-]", name) if w.casefold() not in _COMMON_CAPITALISED]
        if words and name.casefold() not in context.vocabulary and \
                any(w.casefold() not in context.vocabulary for w in words):
            problems.append(f"name {name!r} is not in the conversation")
    for word in re.findall(r"(?<=[a-z,;:] )[A-Z][a-z]{2,}\b", text):  # a capitalised word mid-sentence: a name
        if word.casefold() not in _COMMON_CAPITALISED and word.casefold() not in context.vocabulary:
            problems.append(f"name {word!r} is not in the conversation")
    for word in re.findall(r"\b[A-Z]{2,}\d*\b", text):  # an acronym or code: USD, PM10
        if word.casefold() not in context.text and word not in ("I", "OK", "AM", "PM", "UTC"):
            problems.append(f"{word!r} is not in the conversation")
    novel = sorted({w for w in re.findall(r"[a-z][a-z'-]{3,}", lowered) if w not in _STOP_WORDS and w not in _FRAMING
                    and _stem(w) not in context.words and w not in context.words})
    if novel:  # a content word nothing in the conversation says: an embellishment the 135M model makes up
        problems.append(f"says things the conversation does not: {', '.join(novel[:6])}")
    sentences = [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+|\n+", said) if len(s.split()) >= 3]
    if len(sentences) != len(set(sentences)):
        problems.append("repeats itself")
    if any(name in text for name in context.tool_names) or re.search(r"[{}\[\]]|```|\n\s*[-*] ", text):
        problems.append("answers with function names, raw data or markup instead of prose")
    stock = re.findall(r'"in_stock": (true|false)', context.text)
    for word in STATUS_WORDS:
        if not re.search(rf"\b{word}\b", lowered) or re.search(rf"\b(?:out of|not) {word}\b", lowered):
            continue
        if word in ("in stock", "out of stock") and stock:  # an ``in_stock`` flag says which one is true
            supported = ("true" if word == "in stock" else "false") in stock
        else:
            supported = word in context.text or word.replace(" ", "_") in context.text
        if not supported:
            problems.append(f"says {word!r}, which no result or user message says")
    if after_calls:
        failure = next((m[0] for m in _FAILURE.finditer(text) if m[0].casefold() not in context.result_words), None)
        if failure and not context.any_error and not context.any_negative:
            problems.append(f"claims a failure ({failure!r}) though every call succeeded")
        if context.any_error and not _FAILURE.search(text) and _SUCCESS.search(text):
            problems.append("reports success though a call failed")
        if filler := _FILLER.search(text):
            problems.append(f"talks about the results instead of reporting them ({filler[0]!r})")
        reportable = context.reportable()
        if reportable and not any(_mentions(said, value) for value in reportable):
            problems.append("reports nothing the results say")
        elif len(context.recent) > 1:  # several results (parallel calls): each one is reported, none merged away
            for number, result in enumerate(context.recent):
                own = context.reportable([result])
                if own and not any(_mentions(said, value) for value in own):
                    problems.append(f"says nothing about result {number + 1} of {len(context.recent)}")
    return problems


def _word_char(text: str, index: int) -> bool:
    """Whether ``text[index]`` is what the regex ``\\w`` matches (out of range: no)."""
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _whole(form: str, text: str) -> bool:
    """``form`` in ``text`` with no word character right before or after it: the regex
    ``(?<!\\w)form(?!\\w)`` without compiling one pattern per value (thousands a dataset)."""
    start = text.find(form)
    while start >= 0:
        if not _word_char(text, start - 1) and not _word_char(text, start + len(form)):
            return True
        start = text.find(form, start + 1)
    return False


def _mentions(lowered: str, value: str) -> bool:
    value = value.casefold().strip()
    for form in {value, value.replace("_", " ")}:
        if form and _whole(form, lowered):
            return True
    try:
        number = float(value)
    except ValueError:
        return False
    return any(abs(float(t.replace(",", "")) - number) <= 0.005 * max(abs(number), 1e-9)
               for t in _NUMBER.findall(lowered))


def faithfulness_problems(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> list[str]:
    """Every unsupported claim in the assistant's text turns of a conversation, each naming its turn."""
    problems = []
    for index, message in enumerate(messages):
        if message.get("role") != "assistant" or message.get("tool_calls") or not (message.get("content") or ""):
            continue
        before = messages[:index]
        after_calls = bool(before) and before[-1].get("role") == "tool"
        for problem in unsupported_claims(message["content"], Context(before, tools), after_calls):
            problems.append(f"turn {index}: {problem}")
    return problems
