"""Read a dataset the way a practitioner does before training on it, and put numbers on what they'd see.

``audit_dataset`` re-checks every kept row (faithfulness, state consistency), measures where argument
values came from (the spec's own ``enum``/``examples``/``default``/``const`` vs generated), exact and
near-duplicate requests, the lexical diversity of user turns (distinct 4-grams per 1,000 words), and the
share of rows with template artefacts (parenthesised ``key: value`` lists, markup, placeholders), and the share
of rows whose values a reader believes: none built from its field's name (``created-at-59``), no number or time
past what its unit allows (a metric high of 80, a start after its end), no result contradicting its own call
(a post to one channel answered for another), no read contradicting a write; it also
renders a few random rows for reading. ``inftool-hf audit <dataset>`` prints it and writes
``audit.json`` / ``audit.md``; the dataset card carries the same numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from inftool_hf.synth.values import (
    BOUNDING_BOX_FIELD,
    CITIES,
    COMMA_LIST,
    COUNT_FIELD,
    COUNTRY_PLACES,
    EXONYMS,
    FIELD_WORDS,
    HAPPENED_WORDS,
    JSON_OBJECT_FIELD,
    OFFICE_SUBJECTS,
    PERSON_FIELD_WORDS,
    PLACE_THINGS,
    QUERY_SUBJECTS,
    RAILWAY_NUMBER_FIELD,
    STATE_CITIES,
    STATE_CODE_FIELD,
    STATE_KEYS,
    STATE_ZIP_PREFIXES,
    TAG_WORDS,
    TASK_CONTEXT,
    TAX_NUMBER,
    TEMPERATURE_NAMES,
    TODAY,
    TODO_TITLES,
    ZIP_KEYS,
    as_instant,
    byline_people,
    country_places,
    described_values,
    query_subject,
    snake_name,
    spelled_values,
    subject_queries,
    zip_in_state,
)
from inftool_hf.verify import gates

ARTEFACTS = {
    "key: value list": re.compile(r"\((?:[\w ]+: [^;()]+;\s*)+[\w ]+: [^;()]+\)|\b\w+: [^;,.]+; \w+: "),
    "markup": re.compile(r"\[[^\]]+\]\([^)]+\)|</?[a-z_]+>|`|\*\*|#{2,}"),
    "placeholder": re.compile(r"\{[a-z_ ]*\}|\$\{|%s|<[A-Z_]+>"),
    "doubled punctuation": re.compile(r"\.\.(?!\.)|\?\?|,,"),
}


def _user_texts(row: dict[str, Any]) -> list[str]:
    return [m.get("content") or "" for m in row["messages"] if m["role"] == "user"]


def artefacts(row: dict[str, Any]) -> list[str]:
    """Which template artefacts a row's user and assistant text shows."""
    texts = [m.get("content") or "" for m in row["messages"] if m["role"] in ("user", "assistant")]
    return [name for name, pattern in ARTEFACTS.items() if any(pattern.search(t) for t in texts)]


def _field_slug(name: str) -> str:
    """``created_at`` / ``createdAt`` / ``created-at`` → ``created-at``."""
    return re.sub(r"[_\s]+", "-", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)).strip("-").casefold()


def _strings(value: Any, key: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
    elif isinstance(value, str) and key:
        yield key, value


# a code whose prefix starts with punctuation: the field's own name cut to letters (``_id`` → ``_I-37941``)
_PUNCTUATION_CODE = re.compile(r"[_\W]+[A-Za-z]*-\d+")


def placeholder_values(row: dict[str, Any]) -> list[str]:
    """Values built from their own field's name and a number (``created_at: "created-at-59"``, ``scope:
    "scope-value-92"``) in the row's calls and tool results: what no reader believes, whatever the spec."""
    found: list[str] = []
    for message in row["messages"]:
        payloads = []
        for call in message.get("tool_calls") or []:
            payloads.append(call["function"].get("arguments") or "{}")
        if message["role"] == "tool":
            payloads.append(message.get("content") or "")
        for payload in payloads:
            try:
                data = json.loads(payload)
            except (ValueError, TypeError, RecursionError):
                continue
            for key, value in _strings(data):
                slug = _field_slug(key)
                if slug and re.fullmatch(rf"{re.escape(slug)}(?:-[a-z]+)*-\d+", value.casefold()) or \
                        _PUNCTUATION_CODE.fullmatch(value):
                    found.append(f"{key}: {value}")
    return found


def _calls_and_results(row: dict[str, Any], with_defaults: bool = False):
    """Each call of the row with its decoded arguments (``with_defaults``: the schema's defaults for the ones it
    left out, e.g. ``units: metric``) and the decoded result answering it (None if unreadable)."""
    results = {m.get("tool_call_id"): m.get("content") for m in row["messages"] if m["role"] == "tool"}
    defaults: dict[str, dict[str, Any]] = {}
    if with_defaults:
        for tool in json.loads(row.get("tools") or "[]"):
            properties = ((tool.get("function") or {}).get("parameters") or {}).get("properties") or {}
            defaults[tool["function"]["name"]] = {k: v["default"] for k, v in properties.items()
                                                  if isinstance(v, dict) and "default" in v}
    for message in row["messages"]:
        for call in message.get("tool_calls") or []:
            try:
                arguments = json.loads(call["function"].get("arguments") or "{}")
                result = json.loads(results.get(call.get("id")) or "null")
            except (ValueError, TypeError, RecursionError):
                continue
            if isinstance(arguments, dict):
                name = call["function"]["name"]
                yield name, {**defaults.get(name, {}), **arguments}, result


# Bounds no real value crosses, by field name (the whole name, or its last word).
_HARD_BOUNDS = {"latitude": (-90, 90), "lat": (-90, 90), "longitude": (-180, 180), "lon": (-180, 180),
                "lng": (-180, 180), "humidity": (0, 100), "month": (1, 12), "hour": (0, 23),
                "rating": (0, 10), "stars": (0, 10), "uv_index": (0, 20), "aqi": (0, 500),
                "rain_chance": (0, 100), "precipitation_chance": (0, 100)}
_TEMPERATURE_KEYS = TEMPERATURE_NAMES | {"high", "low"}  # the names values.py draws as temperatures
_CURRENT_KEYS = ("current", "temperature", "temp", "now", "current_temp")
_PAIRS = (("low", "high"), ("min", "max"), ("start", "end"), ("begin", "end"), ("from", "to"), ("earliest", "latest"),
          ("since", "until"), ("from", "till"))
_NUMBER_PAIRS = (("low", "high"), ("min", "max"))  # the others order times: a conversion's from/to amounts need not


def _last_word(key: str) -> str:
    return _field_slug(key).rsplit("-", 1)[-1]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _time(value: Any) -> Any:
    """An ISO date or date-time string as a comparable instant (``values.as_instant``), else None."""
    return as_instant(value) if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value) else None


def _dicts(value: Any):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _dicts(item)


def _keyed_dicts(value: Any, key: str = ""):
    """Each object inside ``value`` with the key it sits under (``headline`` for ``{"headline": {"main": ..}}``)."""
    if isinstance(value, dict):
        yield key, value
        for k, item in value.items():
            yield from _keyed_dicts(item, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _keyed_dicts(item, key)


def _paired(node: dict[str, Any], low: str, high: str):
    """(low key, high key) pairs of one object: ``low``/``high``, ``temp_min``/``temp_max``, ``min_price``/..."""
    slugs = {_field_slug(k): k for k in node}
    for slug, key in slugs.items():
        if slug == low or slug.endswith(f"-{low}") or slug.startswith(f"{low}-"):
            twin = high if slug == low else (slug[: -len(low)] + high if slug.endswith(f"-{low}")
                                             else high + slug[len(low):])
            if twin in slugs:
                yield key, slugs[twin]


def range_absurdities(row: dict[str, Any]) -> list[str]:
    """Numbers and times no reader believes, in calls and results: past a bound no real value crosses (a latitude
    of 120, humidity 140%), a time of what happened after the world's today (``created_date: 2027-01-08``), a
    temperature impossible in the units the call asked for (metric 59.5), a low above
    its high or a start after its end, a current value outside that day's low and high."""
    found: list[str] = []
    for name, arguments, result in _calls_and_results(row, with_defaults=True):
        asked = " ".join(str(v).casefold() for v in arguments.values() if isinstance(v, str))
        hottest = 60 if re.search(r"\b(metric|celsius|c)\b", asked) else 140
        for node in [arguments, *_dicts(result)]:
            for key, value in node.items():
                number = _number(value)
                when = as_instant(value) if isinstance(value, str) and number is None else None
                if isinstance(when, dt.datetime) and when.date() > TODAY + dt.timedelta(days=1) and \
                        HAPPENED_WORDS & set(snake_name(key).split("_")):
                    found.append(f"{name}: {key} {value} (after the world's today, {TODAY}: it has not happened)")
                if number is None:
                    continue
                bounds = _HARD_BOUNDS.get(_field_slug(key).replace("-", "_")) or _HARD_BOUNDS.get(_last_word(key))
                if bounds and not bounds[0] <= number <= bounds[1]:
                    found.append(f"{name}: {key} {value} (outside {bounds[0]}..{bounds[1]})")
                elif _field_slug(key).replace("-", "_") in _TEMPERATURE_KEYS and not -90 <= number <= hottest:
                    found.append(f"{name}: {key} {value} (impossible as a temperature in the asked units)")
            for low_word, high_word in _PAIRS:
                for low_key, high_key in _paired(node, low_word, high_word):
                    low, high = node[low_key], node[high_key]
                    low_number, high_number = _number(low), _number(high)
                    low_time, high_time = _time(low), _time(high)
                    reversed_numbers = (low_word, high_word) in _NUMBER_PAIRS and low_number is not None \
                        and high_number is not None and low_number > high_number
                    reversed_times = low_time is not None and high_time is not None and low_time > high_time
                    if reversed_numbers or reversed_times:
                        found.append(f"{name}: {low_key} {low} > {high_key} {high}")
                    elif low_word == "low" and low_number is not None and high_number is not None:
                        for current in _CURRENT_KEYS:
                            value = _number(node.get(current))
                            if value is not None and not low_number <= value <= high_number:
                                found.append(f"{name}: {current} {node[current]} outside {low_key} {low} .. "
                                             f"{high_key} {high}")
    return found



@lru_cache(maxsize=1)
def _person_names() -> tuple[frozenset[str], frozenset[str]]:
    from faker.providers.person.en_US import Provider

    return frozenset(Provider.first_names), frozenset(Provider.last_names)


def misplaced_person_names(row: dict[str, Any]) -> list[str]:
    """A person's full name in a field that holds no person (``slice: "Jason Daniel"``, ``concept: "Travis
    West"``): what a provider for names gives a field it mistook for a person's, in calls and results."""
    found: list[str] = []
    for name, arguments, result in _calls_and_results(row):
        for node in [arguments, *_dicts(result)]:
            for key, value in node.items():
                words = set(_field_slug(key).split("-"))
                if not isinstance(value, str) or words & PERSON_FIELD_WORDS:
                    continue
                if _is_person(value):
                    found.append(f"{name}: {key} {value!r}")
    return found


# What a field's description or name says it holds, and what such a value must look like.
_QUERY_LANGUAGE = re.compile(r"\b(?:sparql|sql|graphql|cypher|xpath|jsonpath)\b")
_QUERY_SYNTAX = re.compile(r"\b(?:select|where|ask|construct|describe|match|from)\b|[{}=<>()*?$]", re.IGNORECASE)
_FIELD_NAME = re.compile(r"[A-Za-z_$][\w.$]*(?:\s+(?:asc|desc))?", re.IGNORECASE)
_SIGNATURE_WORDS = {"sign", "signature", "hmac", "checksum", "digest"}
_CRYPTO = re.compile(r"deposit|wallet|crypto|coin|bitcoin|btc|ethereum|blockchain")
_PLACE_WORDS = {"province", "region", "country", "county", "city"}
_STATUS_WORDS = {"active", "inactive", "completed", "pending", "open", "closed", "draft", "archived", "cancelled",
                 "failed", "running", "done", "enabled", "disabled"}
_CODE_SHAPE = re.compile(r"[A-Z]{2}\d{3}|[A-Z]{2}-\d{5}|ID-\d{3,}")  # a neutral code or an id naming no resource
_TEXT_WORDS = {"headline", "title", "abstract", "summary", "snippet", "paragraph", "description", "text", "body",
               "content", "message", "comment", "caption", "keyword", "keywords", "query", "search", "byline", "terms"}
_SEARCH_TOOL = re.compile(r"\b(?:search|suggest|autocomplete|find|query|lookup)")


@cache
def _sentences(kind: str) -> re.Pattern[str]:
    """The sentences values.py writes into a free-text field of ``kind``, as one pattern."""
    from inftool_hf.synth.values import sentence_templates

    parts = [re.sub(r"\\\{[a-z]+\\\}", ".+?", re.escape(t)) for t in sentence_templates(kind)]
    return re.compile(rf"(?:{'|'.join(parts)})")


_KNOWN_CITIES = frozenset(CITIES).union(*STATE_CITIES.values(), *(cities for _, _, cities, _ in COUNTRY_PLACES))
_CITIES_LONGEST_FIRST = sorted(_KNOWN_CITIES, key=lambda c: (-len(c), c))  # a place names one city, the same each run
_PLACE_KEYS = {"city", "town", "location", "place", "destination", "origin", "address", "geo-facet"}
_STORY_WORDS = {"abstract", "synopsis", "summary", "snippet", "plot", "overview", "lead", "paragraph", "blurb",
                "excerpt", "tagline"}
_REPEATED_WORD = re.compile(r"\b([a-z]{3,})\s+\1\b", re.IGNORECASE)


def _city_outside_state(node: dict[str, Any]) -> str | None:
    """A city the value factory knows, or a ZIP code, beside a US state's code it does not lie in (``city: Oslo,
    state: CO``; ``city: Tampa, state: FL, zipCode: 97589``)."""
    state = next((v for k, v in node.items() if _field_slug(k).replace("-", "_") in STATE_KEYS and v in STATE_CITIES),
                 "")
    for key, value in node.items() if state else ():
        if _field_slug(key) in ("city", "town") and value in _KNOWN_CITIES and value not in STATE_CITIES[state]:
            return f"{key} {value!r}: a city outside its state ({state})"
        if snake_name(key) in ZIP_KEYS and isinstance(value, str) and not zip_in_state(value, state):
            low, high = STATE_ZIP_PREFIXES[state]
            return f"{key} {value!r}: a ZIP code outside its state ({state}: {low:03d}-{high:03d})"
    return None


def _place_outside_country(slug: str, value: str, context: str) -> str | None:
    """A city of another country where the tool's API names its own (a Deutsche Bahn station in Nairobi)."""
    if not (slug.rsplit("-", 1)[-1] in _PLACE_KEYS or slug in _PLACE_KEYS
            or (slug.endswith("name") and PLACE_THINGS.search(context))):
        return None
    named = country_places(context)
    city = next((c for c in _CITIES_LONGEST_FIRST
                 if value == c or value.startswith(f"{c} ") or value.endswith(f", {c}")), None)
    if named and city and EXONYMS.get(city, city) not in named[1]:
        return f"a place in {city}, outside the API's country ({named[0]})"
    return None


# the subject each search phrase the value factory writes belongs to ("" for its general phrases)
_PHRASE_SUBJECTS = {phrase: "" for phrase in subject_queries(None)} | {
    phrase: name for name, _, phrases in QUERY_SUBJECTS for phrase in phrases}
_QUERY_WORDS = {"query", "q", "search", "keyword", "keywords", "term", "terms", "phrase"}


def _query_off_subject(words: set[str], value: str, context: str) -> str | None:
    """A search phrase the factory writes for another subject than its tool's (an ice data centre asked about
    Agatha Christie); silent where the tool names no subject or the phrase is not one of the factory's."""
    if not words & _QUERY_WORDS or value not in _PHRASE_SUBJECTS:
        return None
    subject = query_subject(context)
    if subject is None or value in subject_queries(subject):
        return None
    return f"a search about {_PHRASE_SUBJECTS[value] or 'another subject'} sent to a service about {subject}"


def _kind_problem(key: str, value: str, description: str, context: str) -> str | None:
    """Why ``value`` is not the kind of value field ``key`` (with ``description``) holds; None when it may be."""
    slug = _field_slug(key)
    words, hint = set(slug.split("-")), f"{slug.replace('-', ' ')} {description.lower()}"
    blank = value.strip()
    listed = described_values({"type": "string", "description": description}) if description else []
    chosen = [item.strip() for item in value.split(",")] if COMMA_LIST.search(description.lower()) else [value]
    if listed and any(item not in listed for item in chosen):
        return f"not one of the values its description lists ({', '.join(listed[:4])})"
    described = description.lower()
    spelled = spelled_values(key, description)
    if spelled and blank not in spelled:
        return f"not the value its description spells ({', '.join(f'{key}={v}' for v in spelled)})"
    if STATE_CODE_FIELD.search(described) and not re.fullmatch(r"[A-Z]{2}", blank):
        return "a US state that is no state code"
    if COUNT_FIELD.search(described) and not re.fullmatch(r"\d{1,9}", blank):
        return "a count that is no number"
    if JSON_OBJECT_FIELD.search(described) and not isinstance(_json_or_none(unquote(blank)), dict):
        return "a JSON object that is no JSON object"
    if BOUNDING_BOX_FIELD.search(described) and not re.fullmatch(r"\s*(?:-?\d+(?:\.\d+)?\s*,\s*){3}-?\d+(?:\.\d+)?\s*",
                                                                   blank):
        return "a bounding box that is not four numbers"
    if TAX_NUMBER.search(hint) and not re.fullmatch(r"[\d\- ]{6,}", blank):
        return "a tax number that is not a number"
    language = _QUERY_LANGUAGE.search(hint)
    if language and "query" in hint and not _QUERY_SYNTAX.search(blank):
        return f"a {language.group(0).upper()} query with no query syntax"
    if COMMA_LIST.search(description.lower()):
        items = [item.strip() for item in blank.split(",")]
        if TAG_WORDS.search(hint):  # "Comma separated list of hashtags and @mentions"
            if not all(item[:1] in ("#", "@") and len(item) > 1 for item in items):
                return "a list of hashtags with no # or @"
        elif FIELD_WORDS.search(hint) and not all(
                _FIELD_NAME.fullmatch(item) and re.search("[a-z]", item) for item in items):
            return "a list of field names that names no field"
    if (words & _SIGNATURE_WORDS or description.lower().startswith("signature")) and (
            re.search(r"\s", blank) or len(blank) < 16):
        return "a signature that is a word, not a digest"
    if slug.endswith("address") and _CRYPTO.search(f"{hint} {context}") and re.search(r"\s", blank):
        return "a payment address that is a street address"
    if (words & {"callback", "jsonp"} or "callback" in description.lower()[:40]) and \
            not re.fullmatch(r"[A-Za-z_$][\w.$]*", blank):
        return "a callback that is no function name"
    if words & _PLACE_WORDS and blank.casefold() in _STATUS_WORDS:
        return "a place given a status word"
    is_reference = slug.rsplit("-", 1)[-1] in {"id", "ids", "key", "token", "number", "code", "ref", "handle"}
    texty = words & _TEXT_WORDS or (slug == "result" and _SEARCH_TOOL.search(context))
    if _CODE_SHAPE.fullmatch(blank) and not is_reference and texty:
        return "a code where text belongs"
    if _sentences("description").fullmatch(blank) and not TASK_CONTEXT.search(f"{hint} {context}"):
        return "a to-do sentence outside any task"
    if words & {"title", "headline"} and blank in TODO_TITLES and not TASK_CONTEXT.search(f"{hint} {context}"):
        return "a to-do title outside any task"  # a news story headlined "Dentist visit"
    if slug.endswith("-code") and re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*", blank):
        return "a place's name where its code belongs"  # a station's locationCode "Paris"
    if words & _STORY_WORDS and any(subject in blank for subject in OFFICE_SUBJECTS) and \
            not TASK_CONTEXT.search(f"{hint} {context}"):
        return "an office matter in a story's synopsis"  # an article's abstract about "next week's offsite"
    outside = _place_outside_country(slug, blank, context)
    if outside:
        return outside
    if RAILWAY_NUMBER_FIELD.search(hint) and not re.fullmatch(r"\d{2,8}", blank):
        return "a UIC station number that is no number"
    if words & {"tweet", "tweets", "post"} and _sentences("message").fullmatch(blank):
        return "a chat message to a colleague where a social post belongs"  # a tweet asking for the slides
    if words & {"caption", "alt"} and _sentences("message").fullmatch(blank):
        return "a chat message where a caption belongs"  # a photo captioned "Running 8 minutes late, sorry!"
    if (words & {"identifier", "id"} or is_reference) and re.fullmatch(r"[A-Z][a-z]+(?: [a-z]+)+", blank):
        return "a title where an identifier belongs"  # a subject identified as "Quarterly planning"
    if slug == "name" and PLACE_THINGS.search(context) and _is_person(blank):
        return "a person's name as the name of a place"  # a station called "Mark Grant"
    return _query_off_subject(words, blank, context)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _is_person(value: str) -> bool:
    firsts, lasts = _person_names()
    parts = value.split()
    return len(parts) == 2 and parts[0] in firsts and parts[1] in lasts


def _byline_disagrees(parent: str, node: dict[str, Any]) -> str | None:
    """A byline whose printed credit names none of the people it lists (``original: By Connor Soto`` beside
    ``person: [Scott Williams, ...]``)."""
    names = byline_people(node) if parent == "byline" else []
    credit = node.get("original")
    if names and isinstance(credit, str) and not any(n.casefold() in credit.casefold() for n in names):
        return f"byline {credit!r} names none of its people ({', '.join(names)})"
    return None


def wrong_kind_values(row: dict[str, Any]) -> list[str]:
    """Values of the wrong kind for their field, read from what the field's description or name says it holds: a
    value its description's list does not offer (``index: orders-2026`` where ``collectionsonline`` and
    ``cenotaph`` are possible), a company name as an EIN, a topic phrase as a SPARQL query, a code as a headline,
    a street address as a crypto deposit address, a to-do sentence as an article's abstract. Calls are read with
    their parameters' descriptions, results by their field names and the tool's description."""
    tools = {t["function"]["name"]: t["function"] for t in json.loads(row.get("tools") or "[]")
             if isinstance(t, dict) and isinstance(t.get("function"), dict)}
    found: list[str] = []
    for name, arguments, result in _calls_and_results(row):
        tool: dict[str, Any] = tools.get(name) or {}
        context = f"{name} {tool.get('description') or ''} {row.get('domain') or ''}".lower()
        properties: dict[str, Any] = (tool.get("parameters") or {}).get("properties") or {}
        for node in [arguments, *(n for _, n in _keyed_dicts(result))]:
            outside = _city_outside_state(node)
            if outside:
                found.append(f"{name}: {outside}")
        for key, value in arguments.items():
            spec: dict[str, Any] = properties[key] if isinstance(properties.get(key), dict) else {}
            if isinstance(value, str) and not spec.get("enum") and not spec.get("format"):
                problem = _kind_problem(key, value, str(spec.get("description") or ""), context)
                if problem:
                    found.append(f"{name}: {key} {value!r}: {problem}")
        for text in (v for _, v in _strings(result) if isinstance(v, str)):
            repeated = _REPEATED_WORD.search(text)
            if repeated:  # a template that glued a word onto text that already ended with it
                found.append(f"{name} result: {repeated.group(0)!r}: a word said twice")
        for parent, node in _keyed_dicts(result):
            credit = _byline_disagrees(parent, node)
            if credit:
                found.append(f"{name} result: {credit}")
            for key, value in node.items():
                if isinstance(value, str) and key != "error":  # a headline's "main" is the headline's text
                    problem = _kind_problem(f"{parent}_{key}" if parent else key, value, "", context)
                    if problem:
                        found.append(f"{name} result: {key} {value[:60]!r}: {problem}")
    return found


_ECHO_PREFIXES = ("starting", "initial", "opening", "new")


def _echo_key(key: str) -> str:
    """The result field an argument is echoed under: ``starting_cash`` → ``cash``, ``message_id`` as is."""
    slug = _field_slug(key)
    for prefix in _ECHO_PREFIXES:
        if slug.startswith(f"{prefix}-"):
            return slug.removeprefix(f"{prefix}-")
    return slug


def _same_value(a: Any, b: Any) -> bool:
    if _number(a) is not None and _number(b) is not None:
        return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))
    if isinstance(a, str) and isinstance(b, str):
        a_text, b_text = a.strip().casefold(), b.strip().casefold()
        if a_text == b_text or a_text.startswith(b_text) or b_text.startswith(a_text):
            return True
        times = _time(a), _time(b)
        return None not in times and times[0] == times[1]
    return a == b


def _reads_answered_as_writes(row: dict[str, Any]) -> list[str]:
    """A final answer that opens as a write does ("Done, it's taken care of.") after calls that all read (their
    kind by name and description, ``tool_pool.operation_kind``)."""
    from inftool_hf.synth.realize import WRITE_OPENERS
    from inftool_hf.synth.tool_pool import operation_kind

    descriptions = {t["function"]["name"]: t["function"].get("description") or ""
                    for t in json.loads(row.get("tools") or "[]") if isinstance(t, dict) and "function" in t}
    found: list[str] = []
    called: list[str] = []
    for message in row.get("messages") or []:
        if message.get("role") == "user":
            called = []
        for call in message.get("tool_calls") or []:
            called.append(call["function"]["name"])
        text = message.get("content") or ""
        if message.get("role") == "assistant" and text and called and not message.get("tool_calls"):
            if text.startswith(WRITE_OPENERS) and all(
                    operation_kind(name, descriptions.get(name, "")) == "read" for name in called):
                found.append(f"{called[-1]}: a read answered as a write ({text.split('.')[0]}.)")
            called = []
    return found


def echo_mismatches(row: dict[str, Any]) -> list[str]:
    """Results and answers that contradict their own call: a read answered "Done, it's taken care of.", a post to
    channel CH-40892 answered for ``#design``, a read of message MS-11111 returning MS-22222, an account opened
    with 850.33 reporting cash 37.55, a 5-day forecast of 3 days. Compared: the call's scalar arguments with the
    same-named fields of the result object and of the objects directly inside it (not inside lists: a search's
    hits need not repeat its filters), and a count with the same-named list (never longer; a forecast exactly as
    long)."""
    found = _reads_answered_as_writes(row)
    for name, arguments, result in _calls_and_results(row):
        if not isinstance(result, dict) or "error" in result:
            continue
        objects = [result] + [v for v in result.values() if isinstance(v, dict)]
        for key, value in arguments.items():
            if isinstance(value, (dict, list)) or value is None:
                continue
            wanted = _echo_key(key)
            listed = next((v for k, v in result.items() if _field_slug(k) == wanted and isinstance(v, list)), None)
            if listed is not None and _number(value) is not None and value >= 0 and (
                    len(listed) > value or ("forecast" in name and len(listed) != value)):
                found.append(f"{name}: {key} {value!r} answered with {len(listed)} {wanted}")
                continue
            for node in objects:
                echoed = next((k for k in node if _field_slug(k) == wanted), None)
                if echoed is not None and not isinstance(node[echoed], (dict, list)) and node[echoed] is not None \
                        and not _same_value(value, node[echoed]):
                    found.append(f"{name}: {key} {value!r} answered as {echoed} {node[echoed]!r}")
                    break
    return found


def _spec_values(schema: dict[str, Any]) -> list[Any]:
    values = list(schema.get("enum") or []) + list(schema.get("examples") or [])
    values += [schema[k] for k in ("default", "const", "example") if k in schema]
    return values


def value_sources(row: dict[str, Any]) -> Counter:
    """Planned argument values by origin: ``spec`` (enum/examples/default/const), ``flow`` (an earlier call's
    result) or ``generated``."""
    tools = {t["function"]["name"]: t["function"].get("parameters") or {} for t in json.loads(row["tools"])}
    blueprint = json.loads(row["blueprint"])
    counts: Counter = Counter()
    for call in blueprint.get("calls") or []:
        properties = tools.get(call["name"], {}).get("properties") or {}
        for name, value in call["arguments"].items():
            if name in (call.get("sources") or {}):
                counts["flow"] += 1
            elif value in _spec_values(properties.get(name) or {}) and not isinstance(value, bool):
                counts["spec"] += 1
            else:
                counts["generated"] += 1
    return counts


def _normalise(text: str) -> str:
    text = re.sub(r"\b[A-Z]{2,5}-\d+\b|\d+(?:\.\d+)?", "#", text)
    return " ".join(text.casefold().split())


def near_duplicate_rate(texts: list[str], threshold: float = 0.9) -> float:
    """Share of texts with an earlier text of TF-IDF cosine ≥ ``threshold`` (ids and numbers masked)."""
    if len(texts) < 2:
        return 0.0
    from sklearn.feature_extraction.text import TfidfVectorizer

    normalised = [_normalise(t) for t in texts]
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(normalised)
    duplicates = 0
    for start in range(0, len(texts), 2048):  # blocks of rows against all rows: memory stays bounded
        block = (matrix[start:start + 2048] @ matrix.T).tocsr()
        for offset in range(block.shape[0]):
            i = start + offset
            row = block.getrow(offset)
            if any(j < i and value >= threshold for j, value in zip(row.indices, row.data, strict=True)):
                duplicates += 1
    return duplicates / len(texts)


def distinct_4grams_per_1000_words(texts: list[str]) -> float:
    words_total, grams = 0, set[tuple[str, ...]]()
    for text in texts:
        words = re.findall(r"[\w'-]+", text.casefold())
        words_total += len(words)
        grams.update(tuple(words[i:i + 4]) for i in range(len(words) - 3))
    return 1000 * len(grams) / words_total if words_total else 0.0


def render_row(row: dict[str, Any]) -> str:
    """A row as a reader sees it."""
    lines = [f"**{row['id']}** · {row['category']} · {row['domain']}"]
    for message in row["messages"][1:]:
        if message["role"] == "tool":
            lines.append(f"- tool `{message.get('name')}` → {message['content'][:300]}")
        elif message.get("tool_calls"):
            calls = ", ".join(f"{c['function']['name']}({c['function']['arguments'][:200]})"
                              for c in message["tool_calls"])
            lines.append(f"- assistant calls {calls}")
        else:
            lines.append(f"- {message['role']}: {(message.get('content') or '')[:400]}")
    return "\n".join(lines)


def audit_dataset(dataset: Any, sample: int = 20, seed: int = 0) -> dict[str, Any]:
    """Numbers a careful reader would want, for the kept rows of ``dataset`` (a ``DatasetDict`` with ``train``,
    a ``Dataset``, or a folder / Hub id)."""
    if isinstance(dataset, (str, Path)):
        from inftool_hf.verify.trajectories import load_hub_folder

        dataset = load_hub_folder(dataset)
    kept = dataset["train"] if hasattr(dataset, "keys") and "train" in dataset else dataset
    rows = list(kept)
    faithful = state_ok = 0
    examples: dict[str, list[str]] = {"faithfulness": [], "state": []}
    artefact_rows: Counter = Counter()
    any_artefact = placeholder_rows = absurd_rows = mismatch_rows = misplaced_rows = wrong_kind_rows = implausible = 0
    for kind in ("placeholder values", "range", "echo", "person name", "wrong kind"):
        examples[kind] = []
    sources: Counter = Counter()
    answers: Counter = Counter()
    exact: set[str] = set()
    exact_dupes = 0
    users = []
    regated: Counter = Counter()
    for row in rows:
        view = gates.RowView(row)
        # every row gate of the registry again: a kept row that fails one was edited after verification or kept by
        # another generator's rules
        regated[gates.first_failure(view)[0]] += 1
        problems = view.unfaithful
        faithful += not problems
        if problems and len(examples["faithfulness"]) < 5:
            examples["faithfulness"].append(f"{row['id']}: {problems[0]}")
        inconsistent = view.inconsistencies
        state_ok += not inconsistent
        if inconsistent and len(examples["state"]) < 5:
            examples["state"].append(f"{row['id']}: {inconsistent[0]}")
        found = artefacts(row)
        artefact_rows.update(found)
        any_artefact += bool(found)
        placeholders = placeholder_values(row)
        placeholder_rows += bool(placeholders)
        if placeholders and len(examples["placeholder values"]) < 5:
            examples["placeholder values"].append(f"{row['id']}: {', '.join(placeholders[:3])}")
        absurd, mismatched, misplaced = range_absurdities(row), echo_mismatches(row), misplaced_person_names(row)
        wrong_kind = wrong_kind_values(row)
        wrong_kind_rows += bool(wrong_kind)
        absurd_rows += bool(absurd)
        mismatch_rows += bool(mismatched)
        misplaced_rows += bool(misplaced)
        implausible += bool(placeholders or absurd or mismatched or misplaced or wrong_kind or inconsistent)
        for kind, found_here in (("range", absurd), ("echo", mismatched), ("person name", misplaced),
                                 ("wrong kind", wrong_kind)):
            if found_here and len(examples[kind]) < 5:
                examples[kind].append(f"{row['id']}: {found_here[0]}")
        sources.update(value_sources(row))
        answers.update(json.loads(row.get("episode") or "{}").get("answer_sources") or [])
        text = " ".join(_user_texts(row))
        key = _normalise(text) + json.dumps([c["function"] for m in row["messages"] for c in m.get("tool_calls") or []])
        exact_dupes += key in exact
        exact.add(key)
        users.append(text)
    count = len(rows) or 1
    planned = sum(sources.values()) or 1
    picked = random.Random(seed).sample(rows, min(sample, len(rows)))
    return {
        "rows": len(rows),
        "gate_failures_on_recheck": {gate.name: regated[gate.name] for gate in gates.GATES if gate.check is not None},
        "faithfulness_rate": faithful / count,
        "state_consistency_rate": state_ok / count,
        "artefact_rate": any_artefact / count,
        "artefacts": dict(artefact_rows),
        "placeholder_value_rate": placeholder_rows / count,
        # unit/range absurdities, results contradicting their own call
        "range_absurdity_rate": absurd_rows / count, "echo_mismatch_rate": mismatch_rows / count,
        "misplaced_person_name_rate": misplaced_rows / count, "wrong_kind_rate": wrong_kind_rows / count,
        # none of these: no placeholder, no absurd number or time, no contradicted call, no person's name where no
        # person belongs, no read against a write
        "plausible_value_rate": 1 - implausible / count if rows else 0.0,
        "value_sources": {k: sources[k] / planned for k in ("spec", "generated", "flow")},
        "answers": {k: answers[k] for k in sorted(answers)},
        "exact_duplicate_rate": exact_dupes / count,
        "near_duplicate_rate": near_duplicate_rate(users),
        "distinct_4grams_per_1000_words": distinct_4grams_per_1000_words(users),
        "examples": examples,
        "sample": [render_row(row) for row in picked],
    }


def audit_markdown(report: dict[str, Any]) -> str:
    lines = ["| measure | value |", "| --- | ---: |",
             f"| kept rows | {report['rows']} |",
             "| kept rows failing a gate when re-checked ("
             f"{' → '.join(report.get('gate_failures_on_recheck') or {})}) | "
             f"{sum((report.get('gate_failures_on_recheck') or {}).values())} |",
             f"| faithfulness (answers say only what results and user support) | "
             f"{100 * report['faithfulness_rate']:.1f}% |",
             f"| state consistency (reads agree with writes) | {100 * report['state_consistency_rate']:.1f}% |",
             f"| rows with template artefacts | {100 * report['artefact_rate']:.1f}% |",
             f"| rows with a placeholder value (its field's name and a number: `created-at-59`) | "
             f"{100 * report.get('placeholder_value_rate', 0.0):.1f}% |",
             f"| numbers and times past what their unit allows (latitude 120, metric high 80, start after end) | "
             f"{100 * report.get('range_absurdity_rate', 0.0):.1f}% |",
             f"| results contradicting their own call (channel CH-40892 answered as #design, 5 days as 3) | "
             f"{100 * report.get('echo_mismatch_rate', 0.0):.1f}% |",
             f"| a person's name in a field that holds no person (`slice: Jason Daniel`) | "
             f"{100 * report.get('misplaced_person_name_rate', 0.0):.1f}% |",
             f"| a value of the wrong kind for its field (a topic as a SPARQL query, a company as an EIN, a code as "
             f"a headline) | {100 * report.get('wrong_kind_rate', 0.0):.1f}% |",
             f"| **plausible values** (none of: placeholder, absurd number or time, contradicted call, misplaced "
             f"name, wrong kind, read against a write) | {100 * report.get('plausible_value_rate', 1.0):.1f}% |",
             f"| argument values from the spec (enum/examples/default) | "
             f"{100 * report['value_sources']['spec']:.1f}% |",
             f"| argument values generated / from earlier results | {100 * report['value_sources']['generated']:.1f}% "
             f"/ {100 * report['value_sources']['flow']:.1f}% |",
             f"| exact / near-duplicate requests | {100 * report['exact_duplicate_rate']:.1f}% / "
             f"{100 * report['near_duplicate_rate']:.1f}% |",
             f"| distinct 4-grams per 1,000 words of user turns | {report['distinct_4grams_per_1000_words']:.0f} |"]
    if report["answers"]:
        lines.append("| final answers written by the model / realized from results | "
                     f"{report['answers'].get('model', 0)} / {report['answers'].get('realized', 0)} |")
    return "\n".join(lines)
