"""Sentences a person would write, made from tool specs and values, with no model.

The default path has no capable LLM to write the user's requests or to summarise results, so these are
realized from each tool's description and parameters: a verb phrase from the description, the
planned values put into it where the description names them ("a city" → "Lisbon") and verbalized as
clauses otherwise (booleans, lists, dates, units), several sentence shapes, no parenthesised
``key: value`` dumps and no raw markup. Answers are realized from the tool results only, so they are
faithful by construction (``faithfulness.unsupported_claims`` holds them to that like any answer).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Set as AbstractSet
from typing import Any

_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|<[^<>]*>|`+")
_UNITS = {"celsius": "°C", "fahrenheit": "°F", "kph": "km/h", "km": "km", "mm": "mm", "minutes": "minutes",
          "percent": "%", "kwh": "kWh", "g": "g", "m": "m", "usd": "USD", "eur": "EUR", "hours": "hours",
          "days": "days", "seconds": "seconds", "kg": "kg"}
_DETERMINERS = {"a", "an", "the", "all", "each", "every", "one", "some", "any", "its", "their", "your", "this",
                "these", "those", "multiple", "several", "new", "current", "existing", "given", "specified"}
_VERBS = {"get", "search", "list", "find", "create", "add", "book", "cancel", "check", "look", "start", "move",
          "register", "pay", "set", "turn", "lock", "save", "run", "take", "send", "reply", "comment", "rate",
          "change", "invite", "accept", "delete", "choose", "order", "log", "verify", "ask", "open", "buy",
          "convert", "request", "reserve", "play", "recommend", "make", "update", "temporarily", "show", "fetch",
          "retrieve", "remove", "upload", "download", "post", "put", "submit", "return", "read", "write",
          "edit", "modify", "rename", "schedule", "reschedule", "subscribe", "unsubscribe", "enable", "disable",
          "publish", "share", "translate", "calculate", "compute", "estimate", "generate", "describe", "lookup",
          "query", "count", "track", "transfer", "freeze", "activate", "deactivate", "approve", "reject", "assign",
          "mark", "archive", "restore", "replace", "apply", "close", "join", "leave", "follow", "unfollow", "like",
          "perform", "execute", "invoke", "export", "import", "stop", "associate", "disassociate", "attach", "detach",
          "terminate", "allocate", "release", "provision", "purchase", "tag", "untag", "deregister", "transact",
          "purge", "receive", "insert", "patch", "clear", "watch", "copy", "stage", "commit", "diff", "reset"}
_VERB_OPENERS = ["Hi! Could you {x}?", "Please {x}.", "I need you to {x}.", "Can you {x}?",
                 "Hello, I'd like you to {x}.", "Would you {x}, please?", "Quick one: {x}.", "Hey, can you {x}?"]
_NOUN_OPENERS = ["Hi! I'd like the {x}.", "Please get me the {x}.", "Can you tell me the {x}?", "I need the {x}.",
                 "What's the {x}?", "Could you look up the {x}?"]
_ARTICLE = re.compile(r"\b(?:a|an|the|one|some|given|specific)\s+")


def clean_description(text: str) -> str:
    """A tool description as prose: markdown links → their text, placeholders and markup dropped, first
    sentence only."""
    text = _MARKDOWN_LINK.sub(r"\1", text or "")
    text = _PLACEHOLDER.sub("", text)
    text = re.sub(r"[*_#>]{2,}|\s+", " ", text).strip()
    first = re.split(r"(?<=[a-z0-9)])[.;:!?](?:\s|$)|\n", text, maxsplit=1)[0].strip().rstrip(".")
    return first[:160].rsplit(" ", 1)[0] if len(first) > 160 else first


_ALIASES = {"to": "recipients", "cc": "people in copy", "bcc": "people in blind copy", "q": "search", "from": "sender"}


def label(name: str) -> str:
    """``passenger_names`` → ``passenger names``; ``dateTime`` → ``date time``; ``to`` → ``recipients``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)  # QueueOwnerAWSAccountId
    words = words.replace("_", " ").replace("-", " ").lower().strip()
    return _ALIASES.get(words, words) or name


def _entity(name: str) -> str:
    """``booking_id`` → ``booking``; ``session_token`` → ``session token``."""
    text = label(name)
    return re.sub(r"\s+(id|number|ref|reference)$", "", text) or text


def _unit(name: str) -> tuple[str, str]:
    words = label(name).split()
    if len(words) > 1 and words[-1] in _UNITS:
        return " ".join(words[:-1]), _UNITS[words[-1]]
    if len(words) == 1 and words[0] in _UNITS:  # a field named by its unit alone ("kwh", "hours")
        return ("duration" if words[0] in ("minutes", "hours", "days", "seconds") else "total"), _UNITS[words[0]]
    return " ".join(words), ""


def value_text(value: Any, name: str = "") -> str:
    """A value as words: lists joined with "and", numbers with their unit, ISO dates as dates."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        items = [value_text(v, name) for v in value]
        if not items:
            return "none"
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, dict):
        return ", ".join(f"{label(k)} {value_text(v, k)}" for k, v in value.items()) or "empty"
    if isinstance(value, (int, float)):
        _, unit = _unit(name)
        return f"{value} {unit}".strip() if unit not in ("%", "°C", "°F") else f"{value}{unit}"
    if isinstance(value, str) and re.fullmatch(r"[a-z]+(?:_[a-z]+)+", value):
        return value.replace("_", " ")  # an enum value read aloud: in_progress → in progress
    return str(value)


_ADJECTIVES = ("on", "off", "public", "private", "urgent", "optional", "open", "active", "visible", "archived")


# a filter named by its test (``subject_contains``, ``name_starts_with``): the name already has its verb
_FILTER_VERBS = ("contains", "includes", "matches", "equals", "with")


def _plural(base: str) -> bool:
    word = base.split()[-1] if base.split() else base
    return word in ("people", "children", "data") or word.endswith("s") and not word.endswith(("ss", "us", "is", "os"))


def clause(name: str, value: Any, rng: random.Random) -> str:
    """One argument as a clause a person would write."""
    base, unit = _unit(name)
    if name.endswith(("_id", "_token", "_number", "Id")) or name in ("id", "token"):
        return rng.choice([f"the {_entity(name)} is {value}", f"it's {_entity(name)} {value}"])
    if isinstance(value, bool):
        if name == "on":
            return f"it should be turned {'on' if value else 'off'}"
        if base.endswith("ed") or base in _ADJECTIVES:
            return f"it should {'' if value else 'not '}be {base}".replace("  ", " ")
        return f"with {base}" if value else f"without {base}"
    if base.split()[-1] in _FILTER_VERBS and isinstance(value, str):  # subject_contains: no "the subject contains are"
        return f'the {base} "{value}"'
    if isinstance(value, list):
        verb = "are" if len(value) > 1 or _plural(base) else "is"
        return f"the {base} {verb} {value_text(value, name)}"
    if isinstance(value, str) and (len(value.split()) > 3 or value.endswith((".", "!", "?"))):  # pasted text
        if base.split()[-1] in ("text", "body", "message", "note", "comment", "reply", "memo", "description"):
            return rng.choice([f'the {base} should say "{value}"', f'for the {base}, "{value}"'])
        return f'the {base} is "{value}"'
    return f"the {base} {'are' if _plural(base) else 'is'} {value_text(value, name)}"


def describe(name: str, value: Any) -> str:
    """One argument as a short noun phrase, for lists of items ("room RO-47718", "with breakfast")."""
    base, _ = _unit(name)
    if name.endswith(("_id", "_number")):
        return f"{_entity(name)} {value}"
    if isinstance(value, bool):
        return f"with {base}" if value else f"without {base}"
    if isinstance(value, str) and len(value.split()) > 3:
        return f'{base} "{value}"'
    if any(k in name for k in ("name", "city", "location", "symbol", "query", "title")):
        return value_text(value, name)
    return f"{base} {value_text(value, name)}"


def join_clauses(parts: list[str]) -> str:
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# What an API reference says about an operation before (or instead of) what it does: "This operation allows you
# to ...", "The GetItem operation returns ...", "You can use SendMessageBatch to ..."
_ABOUT_OPERATION = re.compile(
    r"^(?:(?:the|this)\s+(?:\w+\s+)?(?:api\s+)?(?:operation|action|method|api|command|endpoint)\s+"
    r"(?:(?:allows|enables|lets)\s+you\s+to\s+)?|you\s+can\s+use\s+(?:this\s+\w+|\w+)\s+to\s+)",
    re.IGNORECASE)
# A first sentence that is a note, not the action ("This operation is not supported for directory buckets",
# "This action is deprecated", "We recommend ...", "End of support notice: ...")
_NOTE = re.compile(r"^(?:this|these|that|it|you|we|our|end|note|important|if|when|for|in|with|to|as|after|before|"
                   r"although|because|by|using|deprecated|is|are|was|supports|does|must|should|can)\b", re.IGNORECASE)


def _name_phrase(name: str) -> str:
    """A tool's name as an action when its description does not give one: ``s3_abort_multipart_upload`` → "abort
    multipart upload"; ``tasks_tasklists_patch`` → "patch tasklists" (the service prefix dropped)."""
    words = label(name).split()
    words = words[1:] if len(words) > 2 else words
    if words and words[0] not in _VERBS and words[-1] in _VERBS:
        words = [words[-1], *words[:-1]]
    return " ".join(words)


def verb_phrase(description: str, name: str) -> tuple[str, bool]:
    """The tool's action as a phrase, and whether it starts with a verb. Where the description's first sentence
    is a note or a definition ("This action is deprecated", "X is a synchronous operation that ..."), the
    tool's name says the action instead."""
    text = _ABOUT_OPERATION.sub("", re.sub(r"^\[[^\]]*\]\s*", "", clean_description(description))).strip()
    if not text or _NOTE.match(text):
        return _action(_name_phrase(name), name)
    phrase, is_verb = _action(text, name)
    if not is_verb and re.search(r"\b(?:is|are)\b", " ".join(text.split()[:8])):
        return _action(_name_phrase(name), name)
    return phrase, is_verb


_SECOND_VERB = re.compile(r"\b(and|or|then)\s+([a-z]{3,}s)(?=\s+(?:it|them|a|an|the|its|their|this|that|all)\b)")


def _base_form(verb: str) -> str:
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zes")):
        return verb[:-2]
    return verb[:-1]


def _action(text: str, name: str) -> tuple[str, bool]:
    first, _, rest = text.partition(" ")
    base = first.lower()
    unknown_verb = False
    named_verb = _name_phrase(name).split(" ", 1)[0]  # AWS names start with the action: dynamodb_export_table_...
    for ending, replacement in (("ies", "y"), ("es", ""), ("s", "")):  # "Creates a backup" → "create a backup"
        stem = base[: -len(ending)] + replacement
        if base.endswith(ending) and (stem in _VERBS or stem == named_verb):
            first = stem
            unknown_verb = stem not in _VERBS
            break
    else:
        # a verb we do not list, known by its shape: "Unstages all staged changes", "Clones the repository"
        next_word = rest.split(" ", 1)[0].lower()
        if base == named_verb and next_word in _DETERMINERS:
            unknown_verb = True  # "Allocate a CIDR from an IPAM pool" (ec2_allocate_ipam_pool_cidr)
        elif re.fullmatch(r"[a-z]{3,}[^s]s", base) and next_word in _DETERMINERS:
            unknown_verb = True
            first = _base_form(base)
    if first.lower() != base:  # "Creates a list and adds it to ..." → "... and add it to ..."
        rest = _SECOND_VERB.sub(lambda m: f"{m.group(1)} {_base_form(m.group(2))}", rest)
    text = f"{first} {rest}".strip()
    text = text[:1].lower() + text[1:]
    word = re.sub(r"[^a-z]", "", text.split(" ", 1)[0].lower())
    is_verb = unknown_verb or word in _VERBS or word.rstrip("s") in _VERBS
    return text, is_verb


# after these the field is what changes, not its value: "change the status, assignee or due date of a task" is not
# "change blocked, assignee or due date" (each verb alone: lookbehinds have one width)
_NOT_AFTER_SETTING = "".join(f"(?<!\\b{verb} )" for verb in ("change", "set", "update", "modify", "adjust", "edit",
                                                             "rename"))


def substitute(phrase: str, arguments: dict[str, Any], skip: set[str]) -> tuple[str, set[str]]:
    """Put values into the phrase where it names their parameter: "forecast for a city" → "forecast for Lisbon"."""
    used: set[str] = set()
    for name, value in arguments.items():
        if name in skip or isinstance(value, (bool, dict)) or (isinstance(value, str) and len(value.split()) > 4):
            continue
        words = label(name)
        entity = _entity(name)
        # a number stands for "a quantity" ("add 4 of product PR-1"), not for "the visibility timeout" ("change 4
        # of a specified message"): that one is said as a clause
        determiners = "a|an|one|some" if isinstance(value, (int, float)) else "a|an|the|one|some|given|specific"
        for target in dict.fromkeys([words, entity]):
            pattern = re.compile(rf"{_NOT_AFTER_SETTING}\b(?:{determiners})\s+{re.escape(target)}s?\b",
                                 re.IGNORECASE)
            if pattern.search(phrase):
                shown = f"{entity} {value}" if name.endswith(("_id", "_number")) else value_text(value, name)
                phrase = pattern.sub(shown.replace("\\", "\\\\"), phrase, count=1)
                used.add(name)
                break
    return phrase, used


def request_parts(description: str, tool_name: str, arguments: dict[str, Any], rng: random.Random,
                  skip: AbstractSet[str] = frozenset()) -> tuple[str, bool, str]:
    """(the action with the values it names, whether it starts with a verb, the other values as clauses)."""
    phrase, is_verb = verb_phrase(description, tool_name)
    phrase, used = substitute(phrase, arguments, set(skip))
    rest = [clause(k, v, rng) for k, v in arguments.items() if k not in used and k not in skip]
    return phrase, is_verb, join_clauses(rest)


_DOUBLED_STOP = re.compile(r"(?<![.])([.!?])([\"'”)]?)\.(?!\.)")


def tidy(text: str) -> str:
    """One full stop where a quoted sentence or a value already ended one: ``"...9:00.".`` → ``"...9:00."``."""
    return _DOUBLED_STOP.sub(r"\1\2", text)


def details_sentence(details: str, rng: random.Random) -> str:
    if not details:
        return ""
    return rng.choice([f"{details[:1].upper()}{details[1:]}.", f"Just so you know, {details}.",
                       f"For reference, {details}."])


def request_sentence(description: str, tool_name: str, arguments: dict[str, Any], rng: random.Random,
                     skip: AbstractSet[str] = frozenset()) -> str:
    """One user request for one call: the action with its values, then what is left as clauses."""
    phrase, is_verb, details = request_parts(description, tool_name, arguments, rng, skip)
    opening = rng.choice(_VERB_OPENERS if is_verb else _NOUN_OPENERS).format(x=phrase)
    return tidy(f"{opening} {details_sentence(details, rng)}".strip())


def also_sentence(description: str, tool_name: str, arguments: dict[str, Any], rng: random.Random,
                  lead: str, skip: AbstractSet[str] = frozenset()) -> str:
    """A further request in the same message ("Also, ...", "Then ..."), with its own values."""
    phrase, is_verb, details = request_parts(description, tool_name, arguments, rng, skip)
    body = phrase if is_verb else f"get me the {phrase}"
    return tidy(f"{lead} {body}{attach(details)}.")


def attach(details: str) -> str:
    """Details after an action: ", where the x is y" or ", with z"."""
    if not details:
        return ""
    return f", {details}" if details.startswith(("with", "it ", "it's")) else f", where {details}"


def parallel_sentence(description: str, tool_name: str, calls: list[dict[str, Any]], rng: random.Random) -> str:
    """One request for the same action on several sets of values."""
    phrase, is_verb = verb_phrase(description, tool_name)
    keys = list(dict.fromkeys(k for c in calls for k in c))
    varying = [k for k in keys if len({json.dumps(c.get(k), sort_keys=True) for c in calls}) > 1]
    shared = {k: v for k, v in calls[0].items() if k not in varying and all(k in c for c in calls)}
    phrase, used = substitute(phrase, shared, set())
    items = []
    for call in calls:
        parts = [value_text(call[k], k) if len(varying) == 1 and len(call) == 1 + len(shared) else
                 describe(k, call[k]) for k in call if k in varying or (k not in shared and k not in used)]
        items.append(join_clauses(parts) or "the usual")
    rest = [clause(k, v, rng) for k, v in shared.items() if k not in used]
    what = rng.choice(["for each of these: {i}", "for {i}, all at once", "for {i}"]).format(
        i="; ".join(items) if len(varying) > 1 else join_clauses(items))
    opening = rng.choice(_VERB_OPENERS if is_verb else _NOUN_OPENERS).format(x=f"{phrase} {what}")
    return tidy(f"{opening} In every case, {join_clauses(rest)}." if rest else opening)


# --- answers ---------------------------------------------------------------------------------------

_READ_OPENERS = ["Here's what I found.", "Sure, here you go.", "I looked that up for you.", "Here are the details."]
# what a final answer after a write opens with (the audit reads them to see a read answered as a write)
WRITE_OPENERS = ("Done.", "All set.", "That went through.", "Done, it's taken care of.")
_LABEL_FIELDS = ("name", "title", "full_name", "label", "nickname", "subject", "summary", "description", "city",
                 "symbol")


# Fields that are API plumbing, not what the user asked about (Google's etag/kind/selfLink, paging and
# idempotency tokens, checksums): an answer that reads them out reads like a log.
_PLUMBING = {"etag", "kind", "selflink", "nextpagetoken", "nextsynctoken", "nexttoken", "pagetoken", "synctoken",
             "clienttoken", "clientrequesttoken", "requestid", "responsemetadata"}


def is_plumbing(key: str) -> bool:
    """A paging/idempotency token, etag, kind or checksum field: nothing a person states or wants read out."""
    flat = key.lower().replace("_", "")
    return flat in _PLUMBING or flat.startswith("md5of")


_FAILURE_LIST = re.compile(r"^(failed|failures|errors|failed_?entries|unprocessed.*)$")


def is_failure_list(key: str) -> bool:
    """A batch call's list of the entries that did not go through (SQS ``Failed``, DynamoDB ``UnprocessedItems``)."""
    return bool(_FAILURE_LIST.match(key.lower()))


def _fact(key: str, value: Any, flags_unset: bool = True) -> str | None:
    """One field as a clause. ``flags_unset=False`` leaves out flags that are not set ("it was not deleted" among
    a task's fields is its default, not news; ``{"locked": false}`` alone is the answer)."""
    base, unit = _unit(key)
    if value is None or value == "" or isinstance(value, dict) or is_plumbing(key):
        return None
    if isinstance(value, str) and value[:1] in "{[" and value[-1:] in "}]":  # a JSON document in a string (an
        return None  # SQS policy): data, not something to read out
    if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value) and unit:
        value = int(value)  # AWS maps hold numbers as strings: "DelaySeconds": "5" is 5 seconds
    if isinstance(value, bool):
        if key.endswith("_allowed"):
            return f"{base.removesuffix(' allowed')} {'are' if value else 'are not'} allowed"
        if key == "in_stock":
            return "it is in stock" if value else "it is out of stock"
        if key.endswith("ed") or key in ("hidden", "frozen", "broken", "written", "taken", "chosen", "forbidden"):
            return None if value or not flags_unset else f"it was not {base}"
        return f"{base}: {'yes' if value else 'no'}"
    if isinstance(value, list):
        if not value:
            return f"there are no {base}"
        if all(isinstance(v, (str, int, float)) for v in value):
            shown = [_quoted(v) for v in value[:5]]
            return f"the {base} {'are' if len(value) > 1 or _plural(base) else 'is'} {join_clauses(shown)}"
        return None
    if key.endswith("_ts"):  # a message's timestamp (chat APIs), not a plural
        return f"the {label(key[:-3])} timestamp is {value}"
    if key.endswith(("_id", "_token", "_number")):
        return f"the {_entity(key)} reference is {value}" if key.endswith("_id") else f"the {base} is {value}"
    if key.endswith("_at"):
        return f"it was {base} {value}"
    if re.fullmatch(r"[a-z]+ed", base) and isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d", value):
        return f"it was {base} on {value}"  # Google's "updated": "the updated is 2026-12-11..." read oddly
    return f"the {base} {'are' if _plural(base) else 'is'} {_quoted(value, key)}"


def _quoted(value: Any, key: str = "") -> str:
    """Free text from a result is quoted (it is the server's words, not the assistant's)."""
    if isinstance(value, str) and (len(value.split()) > 3 or value.endswith((".", "!", "?"))):
        return f'"{value}"'
    return value_text(value, key)


def count_noun(key: str, count: int) -> str:
    """The noun a count of listed items takes: ``ExportSummaries`` 1 → "export summary" (not "summarie"),
    ``ImportSummaryList`` 3 → "import summaries"."""
    noun = label(key)
    if noun.endswith(" list"):
        noun = noun[:-5]
        noun = noun[:-1] + "ies" if re.search(r"[^aeiou]y$", noun) else noun if noun.endswith("s") else noun + "s"
    if count != 1:
        return noun
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("sses", "xes", "ches", "shes")):
        return noun[:-2]
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def _naming_field(items: list[Any]) -> str | None:
    """The field that tells listed items apart: a name or title, else the first text field whose values differ,
    else their ids (three devices in the garden are not "garden and more")."""
    rows = [{k: v for k, v in item.items() if not is_plumbing(k)} for item in items if isinstance(item, dict)]
    if len(rows) < 2:
        return None
    keys = list(dict.fromkeys(k for row in rows for k in row))
    ordered = [k for k in _LABEL_FIELDS if k in keys] + \
        [k for k in keys if k not in _LABEL_FIELDS and not k.endswith(("_url", "_id"))] + \
        [k for k in keys if k.endswith("_id") or k in ("id", "Id")]
    for key in ordered:
        values = [row.get(key) for row in rows]
        if all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return key
    return None


def _item_summary(item: dict[str, Any], naming: str | None = None) -> str:
    item = {k: v for k, v in item.items() if not is_plumbing(k)}  # "etag-94" names nothing
    name = item.get(naming) if naming and isinstance(item.get(naming), str) else None
    if name is None:
        name = next((item[k] for k in _LABEL_FIELDS if isinstance(item.get(k), str)), None)
    if name is None:
        name = next((v for k, v in item.items() if isinstance(v, str) and not k.endswith(("_url", "_id"))), None)
    extra = next(((k, v) for k, v in item.items() if isinstance(v, (int, float)) and not isinstance(v, bool)), None)
    if name is None and extra is None:
        return ""
    if extra is None:
        return _quoted(name)
    number = value_text(extra[1], extra[0])
    base = _unit(extra[0])[0]
    name = _quoted(name) if name is not None else None
    return f"{name} ({base} {number})" if name is not None else f"{base} {number}"


def result_sentences(result: Any, limit: int = 4) -> list[str]:
    """What one tool result says, as short sentences."""
    if not isinstance(result, dict):
        return [f"The result is {value_text(result)}."] if result not in (None, "") else []
    if "error" in result:
        return [f"It did not work: {value_text(result['error'])}."]
    facts, out = [], []
    flags_unset = sum(not is_plumbing(k) for k in result) <= 2
    for key, value in result.items():
        if is_plumbing(key) or (is_failure_list(key) and not value):  # nothing failed: nothing to say
            continue
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            naming = _naming_field(value[:3])
            summaries = list(dict.fromkeys(s for s in (_item_summary(v, naming) for v in value[:3]) if s))
            noun = count_noun(key, len(value))
            if summaries:
                out.append(f"I found {len(value)} {noun}: {join_clauses(summaries)}"
                           f"{' and more' if len(value) > len(summaries) else ''}.")  # (or alike: two "Work" lists)
            else:
                out.append(f"I found {len(value)} {noun}.")
        elif isinstance(value, dict):
            about, inner = key, [f for f in (_fact(k, v, False) for k, v in value.items()) if f]
            for wrapped, content in value.items():  # AWS wraps twice: {"BackupDescription": {"BackupDetails": ..}}
                if not inner and isinstance(content, dict):
                    about, inner = wrapped, [f for f in (_fact(k, v, False) for k, v in content.items()) if f]
            if inner:
                facts.append(f"for {label(about)}, " + join_clauses(inner[:3]))
        else:
            fact = _fact(key, value, flags_unset)
            if fact:
                facts.append(fact)
    if facts:
        text = join_clauses(facts[:limit])
        out.insert(0, text[:1].upper() + text[1:] + ".")
    return out


def answer_text(calls: list[str], results: list[Any], kinds: list[str],
                rng: random.Random) -> str:
    """A final answer that states what the results say, and nothing else."""
    writes = any(kind != "read" for kind in kinds)
    sentences = [rng.choice(WRITE_OPENERS if writes else _READ_OPENERS)]
    for result in results:
        sentences += result_sentences(result, limit=4 if len(results) == 1 else 2)
    return tidy(" ".join(dict.fromkeys(sentences)))  # two identical results are reported once
