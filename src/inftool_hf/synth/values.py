"""Realistic argument values that satisfy a JSON schema.

Blueprints are sampled before any dialogue, so every gold argument must already be valid (enums,
formats, ranges, patterns) and look like something a person would say. Faker supplies people, places,
dates and text; rstr turns ``pattern`` regexes into matching strings; the parameter name picks the
Faker provider. Everything is driven by one seeded :class:`random.Random`, so a scenario seed
reproduces the same values. Tool-minted ids (``booking_id``...) get a recognisable, unique form.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import re
import string
from collections.abc import Set as AbstractSet
from typing import Any
from urllib.parse import quote

_CITIES = ["Paris", "Lisbon", "Toronto", "Osaka", "Nairobi", "Melbourne", "Denver", "Oslo", "Seville", "Hanoi",
           "Edinburgh", "Bogota", "Krakow", "Austin", "Cape Town", "Vancouver", "Munich", "Porto"]
CITIES = tuple(_CITIES)  # the cities values are drawn from (the audit reads them)
# the titles a to-do or calendar entry gets (the audit reads them to see one outside any task)
TODO_TITLES = ("Quarterly planning", "Dentist visit", "Team retro", "Fix login bug", "Book club",
               "Update onboarding docs")
# words of a tool or field about tasks, notes or events: where a to-do sentence or title belongs
TASK_CONTEXT = re.compile(r"\b(?:tasks?|todos?|to-dos?|issues?|tickets?|reminders?|checklists?|projects?|cards?|"
                          r"assignments?|notes?|events?|calendars?|meetings?|schedules?)\b")
_TOPICS = {
    "query": ["dune", "agatha christie", "ocean life", "space history", "italian cooking", "jazz piano"],
    "keyword": ["oat milk", "sourdough bread", "dish soap", "green tea", "basmati rice", "olive oil"],
    "title": list(TODO_TITLES),
    "artist_name": ["Nina Simone", "Daft Punk", "Miles Davis", "Adele", "Radiohead", "Fela Kuti"],
    "playlist_name": ["Morning run", "Deep focus", "Road trip", "Sunday chill"],
    "project_name": ["Website relaunch", "Mobile app v2", "Office move", "Data migration"],
    "scene_name": ["Movie night", "Good morning", "Away mode", "Dinner party"],
    "portfolio_name": ["Retirement test", "Tech picks", "Dividend ideas"],
    "pharmacy": ["Main Street Pharmacy", "Riverside Drugs", "CityCare Pharmacy"],
    "merchant": ["Corner Cafe", "FreshMart", "City Transit"],
}
# What a search sends, by what the service is about: the words of its tool's name, domain and description pick
# the subject with the most of them, and a query to a snow and ice data centre asks about sea ice, not about Agatha
# Christie. A service of none of these subjects gets the general phrases (_TOPICS["query"]). The audit reads this
# table to see a query of one subject sent to a service of another.
QUERY_SUBJECTS: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = (
    ("snow and ice", frozenset({"snow", "ice", "arctic", "antarctic", "antarctica", "glacier", "glaciers", "polar",
                                "permafrost", "cryosphere", "greenland"}),
     ("sea ice extent", "greenland ice sheet", "snow cover", "permafrost", "glacier retreat", "antarctic sea ice")),
    ("oceans", frozenset({"ocean", "oceans", "marine", "tide", "tides", "fisheries", "coral"}),
     ("coral reefs", "sea surface temperature", "tide gauge", "kelp forests")),
    ("museums", frozenset({"museum", "museums", "heritage", "artwork", "artworks", "gallery", "galleries",
                          "exhibition", "exhibitions", "artefact", "artefacts", "artifact", "artifacts"}),
     ("maori cloak", "botanical illustration", "war medals", "portrait photograph", "ceramic teapot", "shipwreck")),
    ("news", frozenset({"news", "newspaper", "newspapers", "headline", "headlines", "nytimes", "journalism"}),
     ("climate summit", "election results", "housing prices", "school funding", "world cup final")),
    ("books", frozenset({"book", "books", "library", "libraries", "novel", "novels", "isbn", "bookstore"}),
     ("dune", "agatha christie", "poetry anthology", "space history")),
    ("food", frozenset({"recipe", "recipes", "cooking", "cuisine", "meal", "meals", "restaurant", "restaurants",
                        "dish", "dishes"}),
     ("italian cooking", "vegan curry", "sourdough", "ramen")),
    ("music", frozenset({"music", "song", "songs", "album", "albums", "playlist", "playlists", "musician"}),
     ("jazz piano", "nina simone", "lofi beats", "bossa nova")),
    ("jobs", frozenset({"job", "jobs", "career", "careers", "hiring", "recruiting", "vacancy", "vacancies"}),
     ("data analyst", "registered nurse", "remote frontend developer", "electrician apprentice")),
    ("charities", frozenset({"charity", "charities", "nonprofit", "nonprofits", "donation", "donations",
                           "philanthropy", "ngo"}),
     ("animal shelter", "food bank", "literacy program", "disaster relief")),
    ("buildings and energy", frozenset({"energy", "buildings", "solar", "renewable", "efficiency", "retrofit"}),
     ("net zero office", "solar panels", "heat pump retrofit", "daylighting")),
    ("consumer finance", frozenset({"mortgage", "mortgages", "loan", "loans", "complaint", "complaints", "banking",
                                    "lender", "lenders"}),
     ("mortgage servicing", "credit card late fee", "student loan", "overdraft fees")),
    ("movies", frozenset({"movie", "movies", "film", "films", "cinema", "tv", "episode", "episodes"}),
     ("space opera", "heist movie", "nature documentary", "korean drama")),
    ("travel", frozenset({"hotel", "hotels", "flight", "flights", "travel", "trip", "trips", "resort"}),
     ("beach hotel", "lisbon weekend", "ski resort", "city break")),
)


def query_subject(text: str) -> str | None:
    """The subject (``QUERY_SUBJECTS``) whose words ``text`` holds most often; None where it holds none."""
    words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower())
    best, best_count = None, 0
    for name, keys, _ in QUERY_SUBJECTS:
        count = sum(word in keys for word in words)
        if count > best_count:
            best, best_count = name, count
    return best


def subject_queries(subject: str | None) -> tuple[str, ...]:
    """The search phrases of a subject, or the general ones."""
    for name, _, phrases in QUERY_SUBJECTS:
        if name == subject:
            return phrases
    return tuple(_TOPICS["query"])


_SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "VOO", "AMZN", "KO", "SAP"]
_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CAD", "CHF"]
_AIRPORTS = ["LHR", "CDG", "JFK", "LIS", "NRT", "YYZ", "SFO", "MAD", "FRA", "DXB"]
# the day the generated world lives in: plans lie after it, what happened before it
TODAY = dt.date(2026, 11, 24)
# Argument pairs that name two different things of one kind: converting from a time zone to the same one, or
# between one currency and itself, is no request a person makes
_DISTINCT_ENDS = [("source", "target"), ("from", "to"), ("origin", "destination")]
_DISTINCT_ENDS += [(first.title(), second.title()) for first, second in _DISTINCT_ENDS]  # SourceArn / TargetArn
# the fields that name a listed thing: several listed things have different ones
_TEXT_VARIANTS = ("main", "original", "default", "short", "long", "display", "print_headline")
_NAMING_KEYS = ("title", "name", "subject", "headline", "summary", "label")
# map keys that name what a server reports, never what a request sets
_SERVER_SET = re.compile(r"^(?:approximate|created|last_modified)_|_(?:arn|timestamp)$")
# the keys of a tags or labels map, and the short words they hold
_TAG_VALUES = {"env": ["prod", "staging", "dev"], "team": ["billing", "platform", "data", "growth"],
               "project": ["checkout", "onboarding", "search", "reporting"],
               "cost_center": ["cc-1042", "cc-2210", "cc-3307"]}
# a string map entry that holds a number (SQS queue attributes: sizes, periods, timeouts in seconds)
_NUMERIC_KEY = re.compile(r"(?:^|_)(?:number_of|size|count|seconds|period|timeout|delay|retention)(?:_|$)")


def snake_name(name: str) -> str:
    """``VisibilityTimeout`` / ``visibility-timeout`` → ``visibility_timeout``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")
# Argument pairs that name the two ends of one range (matched with the same prefix/suffix around them).
_RANGE_ENDS = [("start", "end"), ("check_in", "check_out"), ("departure", "arrival"), ("departure", "return"),
               ("from", "to"),
               ("min", "max"), ("begin", "finish"), ("begin", "end"), ("low", "high"), ("earliest", "latest"),
               ("since", "until"), ("from", "till")]


def as_instant(value: Any) -> Any:
    """A comparable form of an ISO date / date-time string or a number; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def range_pairs(node: dict[str, Any]) -> list[tuple[str, str]]:
    """The (low end, high end) key pairs of one object: ``start``/``end``, ``timeMin``/``timeMax``, ..."""
    camel = [(low.title().replace("_", ""), high.title().replace("_", "")) for low, high in _RANGE_ENDS]
    pairs = []
    for low, high in _RANGE_ENDS + camel:
        for key in node:
            other = key.replace(low, high, 1)
            if low in key and other != key and other in node:
                pairs.append((key, other))
    return pairs


def order_ranges(args: dict[str, Any], keep: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    """Independently sampled range ends can come out reversed (an event ending before it starts, a
    check-out before the check-in): swap such pairs; equal dates move the end one day later. Values in
    ``keep`` (given by the plan, e.g. from an earlier call) are left alone."""
    camel = [(low.title().replace("_", ""), high.title().replace("_", "")) for low, high in _RANGE_ENDS]
    for low, high in _RANGE_ENDS + camel:  # due_min / due_max, and Google's dueMin / dueMax
        for key in list(args):
            if low not in key:
                continue
            other = key.replace(low, high, 1)
            if other == key or other not in args or key in keep or other in keep:
                continue
            first, last = as_instant(args[key]), as_instant(args[other])
            if first is None or last is None or type(first) is not type(last):
                continue
            if last < first:
                args[key], args[other] = args[other], args[key]
                first, last = last, first
            elif last == first and isinstance(args[key], str) and len(args[key]) == 10:
                args[other] = (dt.date.fromisoformat(args[key]) + dt.timedelta(days=1)).isoformat()
            if (low, high) == ("departure", "arrival") and isinstance(args[key], str) and len(args[key]) > 10 \
                    and isinstance(first, dt.datetime) \
                    and not dt.timedelta(minutes=45) <= last - first <= dt.timedelta(hours=16):
                # a flight lands hours after it leaves, not minutes or weeks: 1-14 h, fixed by the departure itself
                hours = 1 + sum(map(ord, args[key])) % 14
                landing = first + dt.timedelta(hours=hours, minutes=30 * (len(args[key]) % 2))
                args[other] = landing.isoformat() + ("Z" if str(args[other]).endswith("Z") else "")
    return args


def byline_people(byline: dict[str, Any]) -> list[str]:
    """The people a byline object lists (NYT's ``person``: names, or objects of first and last name)."""
    people = byline.get("person")
    names = []
    for person in people if isinstance(people, list) else []:
        if isinstance(person, str):
            names.append(person)
        elif isinstance(person, dict):
            names.append(" ".join(str(person[k]) for k in ("firstname", "middlename", "lastname") if person.get(k)))
    return [n for n in names if n.strip()]


def credit_people(byline: dict[str, Any]) -> dict[str, Any]:
    """A byline's printed credit (``original``) names the people it lists: "By Connor Soto" above three other
    writers was one article credited to four people (the ninth reading, docs/values.md)."""
    names = byline_people(byline)
    if names and isinstance(byline.get("original"), str):
        byline["original"] = "By " + (names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}")
    return byline


class ValueFactory:
    """Schema-valid, realistic values from one seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self._faker: Any = None
        self.today = TODAY
        # the tool (name, domain) a value is for: a "title" is a book's in a bookstore, a dish's in a recipe app
        self.context = ""
        # what the tool says it is about (its description): a bare ``name`` is a station's in a tool about stations
        self.about = ""
        # what the tool's whole API says it is (ToolSpec.api), where the tool's own words name no subject
        self.api = ""

    @property
    def faker(self) -> Any:
        """Faker, made on first use: building one costs ~2 ms (26 providers), 90% of a gated reward call whose
        simulated tool never asks it for a name. Its own seeded generator, so when it is made changes nothing."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            self._faker.seed_instance(self.seed)
        return self._faker

    def country(self) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
        """The country the tool or its API names (``country_places``), if any."""
        return country_places(f"{self.context} {self.about} {self.api}")

    def city(self) -> str:
        """A city of the country the tool's API names, else one of the factory's cities."""
        named = self.country()
        return self.rng.choice(named[1] if named else _CITIES)

    def search_phrase(self) -> str:
        """What a person types into this tool's search: a phrase of the tool's subject (``query_subject``)."""
        subject = query_subject(f"{self.context} {self.about}") or query_subject(self.api)
        return self.rng.choice(subject_queries(subject))

    def minted_id(self, name: str) -> str:
        """An id a tool hands out, e.g. ``booking_id`` → ``BK-48213``."""
        name = name.strip("_") or name  # MongoDB's ``_id`` (NYT's articles) is an ``id``, not an ``_I`` code
        stem = re.sub(r"(_id|_token|_number|_ts)$", "", name) or name
        if name.endswith("_ts") or name == "ts":  # a message timestamp as chat APIs hand it out: epoch.micros
            return f"{self.rng.randint(1_764_000_000, 1_766_000_000)}.{self.rng.randint(0, 999_999):06d}"
        if name.endswith("_token") or name == "token":
            return "tok_" + "".join(self.rng.choices(string.ascii_lowercase + string.digits, k=16))
        if stem in ("id", "ts"):  # a bare ``id`` names the tool's resource: getCollectionById hands out CO-48213
            stem = _resource_word(self.context) or stem
        prefix = "".join(part[0] for part in stem.split("_") if part)[:3].upper() or "ID"
        if len(prefix) == 1:
            prefix = stem[:2].upper()
        return f"{prefix}-{self.rng.randint(10000, 99999)}"

    def for_schema(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
        if "enum" in schema and schema["enum"]:
            return self.rng.choice(schema["enum"])
        if "const" in schema:
            return schema["const"]
        listed = described_values(schema)
        if listed:
            return self.rng.choice(listed)
        examples = spec_examples(schema)
        if examples and self.rng.random() < 0.8:  # the spec's own examples read best; keep some variety
            return self.rng.choice(examples)
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
                return self.for_schema(self.rng.choice(options), name, depth + 1)
        kind = schema.get("type", "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "string":
            return self._string(schema, name)
        if kind == "integer":
            return self._number(schema, name, integer=True)
        if kind == "number":
            return self._number(schema, name, integer=False)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "array":
            low = schema.get("minItems", 1)
            high = max(low, min(schema.get("maxItems", 3), 3))
            item_schema = schema.get("items") or {"type": "string"}
            singular = name[:-1] if name.endswith("s") else name
            items: list[Any] = []
            for _ in range(self.rng.randint(low, high)):
                item = self.for_schema(item_schema, singular, depth + 1)
                for _ in range(5):  # listed things have different titles (not "2 items: Fix login bug")
                    if not isinstance(item, dict) or not any(
                            isinstance(item.get(k), str) and item[k] in {i.get(k) for i in items if isinstance(i, dict)}
                            for k in item if k in _NAMING_KEYS or k.endswith("_name")):
                        break
                    item = self.for_schema(item_schema, singular, depth + 1)
                items.append(item)
            distinct = list(dict.fromkeys(items)) if all(isinstance(i, (str, int)) for i in items) else items
            if schema.get("uniqueItems") or len(distinct) >= low:  # nobody lists "SendMessage and SendMessage"
                items = distinct
            return items
        if kind == "object":
            if depth > 4:
                return {}
            if not schema.get("properties") and isinstance(schema.get("additionalProperties"), dict):
                return self._map(schema, name)
            props = schema.get("properties") or {}
            required = set(schema.get("required", []))
            optional = [k for k in props if k not in required and self.rng.random() < 0.5][: 3 if depth else 6]
            # a headline's "main" and "original" are the headline itself (NYT's {"headline": {"main": ...}})
            texty = name in (*_NAMING_KEYS, "byline")
            values = {key: self.for_schema(sub, name if texty and key in _TEXT_VARIANTS else key, depth + 1)
                      for key, sub in props.items() if key in required or key in optional}
            self.separate_ends(values, props, depth=depth)
            if name == "byline":
                credit_people(values)
            # an optional field is left out rather than sent empty (a stubbed structure gives ``{}``)
            return order_ranges({k: v for k, v in values.items() if k in required or v not in ({}, [], "")})
        return None

    def separate_ends(self, values: dict[str, Any], properties: dict[str, Any], keep: AbstractSet[str] = frozenset(),
                      depth: int = 0) -> dict[str, Any]:
        """Draw the second of two ends again while it equals the first: a conversion from Asia/Tokyo to
        Asia/Tokyo, or from USD to USD, is no request a person makes. A city beside a US state's code is one of
        that state's (not Oslo in CO), and so is a ZIP code. Values in ``keep`` stay."""
        state = next((str(values[k]) for k in values if snake_name(k) in STATE_KEYS and values[k] in STATE_CITIES),
                     "")
        for key in [k for k in values if snake_name(k) in ("city", "town") and k not in keep] if state else []:
            if isinstance(values[key], str) and values[key] not in STATE_CITIES[state]:
                values[key] = self.rng.choice(STATE_CITIES[state])
        for key in [k for k in values if snake_name(k) in ZIP_KEYS and k not in keep] if state else []:
            if isinstance(values[key], str) and not zip_in_state(values[key], state):
                low, high = STATE_ZIP_PREFIXES[state]
                values[key] = f"{self.rng.randint(low, high):03d}{self.rng.randint(0, 99):02d}"
        for first, second in _DISTINCT_ENDS:
            for key in list(values):
                other = key.replace(first, second, 1)
                if other == key or other in keep or other not in properties or isinstance(values[key], bool):
                    continue
                for _ in range(5):
                    if values.get(other) != values[key]:
                        break
                    values[other] = self.for_schema(properties[other], other, depth + 1)
        return values

    def _map(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        """A map's entries under keys it can have: the listed keys (SQS queue attributes), or tag keys for tags and
        labels; ``{}`` where neither is known (a required ``Attributes`` map was sent empty: "the attributes are
        empty")."""
        keys = [k for k in ((schema.get("propertyNames") or {}).get("enum") or []) if k != "All"]
        if not keys and re.search(r"(?:^|_)(?:tags?|labels?)$", snake_name(name)):
            keys = list(_TAG_VALUES)
        # a person sets a timeout or a flag in a request; a JSON policy document pasted in reads like no request,
        # and counts, creation times and ARNs are the server's to report (SetQueueAttributes cannot set them)
        keys = [k for k in keys if not snake_name(k).endswith("policy") and not _SERVER_SET.search(snake_name(k))] \
            or keys
        chosen = self.rng.sample(keys, min(len(keys), self.rng.randint(1, 2)))
        return {key: self.map_entry(key, schema["additionalProperties"]) for key in chosen}

    def map_entry(self, key: str, schema: dict[str, Any]) -> Any:
        """One map entry's value by its key: AWS sends numbers and flags in string maps
        (``"VisibilityTimeout": "30"``), tags hold short words (``env: staging``)."""
        lowered = snake_name(key)
        if schema.get("type", "string") != "string" or schema.get("enum"):
            return self.for_schema(schema, key)
        if lowered in _TAG_VALUES:
            return self.rng.choice(_TAG_VALUES[lowered])
        if lowered.endswith("timestamp"):
            return str(self.rng.randint(1_764_000_000, 1_766_000_000))  # epoch seconds
        if _NUMERIC_KEY.search(lowered):  # values inside SQS's own limits (a delay is 0-900 s, a wait 0-20 s)
            if "size" in lowered:
                return str(self.rng.choice([1024, 65536, 262144]))
            if "retention" in lowered or "period" in lowered:
                return str(self.rng.choice([3600, 86400, 345600, 1209600]))
            if "delay" in lowered or "wait" in lowered:
                return str(self.rng.choice([0, 5, 10, 20]))
            if "number_of" in lowered or "count" in lowered:
                return str(self.rng.randint(0, 500))
            return str(self.rng.choice([30, 60, 300, 900]))
        if lowered.endswith(("_enabled", "_deduplication")) or lowered.startswith("is_") or lowered == "fifo_queue":
            return self.rng.choice(["true", "false"])
        if lowered.endswith("_arn") or lowered == "arn":
            return _arn(self)
        if lowered == "redrive_policy":  # policies are JSON documents in a string, not "policy-85"
            return json.dumps({"deadLetterTargetArn": _arn(self), "maxReceiveCount": str(self.rng.randint(3, 10))})
        if lowered == "redrive_allow_policy":
            return json.dumps({"redrivePermission": self.rng.choice(["allowAll", "denyAll"])})
        if lowered.endswith("policy"):
            service = _arn(self).split(":")[2]
            return json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": str(self.rng.randint(10**11, 10**12 - 1))},
                 "Action": f"{service}:*", "Resource": _arn(self)}]})
        return self.for_schema(schema, key)

    def _number(self, schema: dict[str, Any], name: str, integer: bool) -> int | float:
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
        typical = _typical_range(f"{words} {schema.get('description', '')}".lower(), integer)
        context = getattr(self, "context", "").lower()
        if re.search(r"weather|forecast|climate|temperature", context) and \
                snake_name(name) in TEMPERATURE_NAMES | {"high", "low", "min", "max"}:
            # a day's high and low are temperatures, in the units the call asked for
            typical = (23, 90, 0 if integer else 1) if re.search(r"imperial|fahrenheit", context) else \
                (-5, 32, 0 if integer else 1)
        bound_low = schema.get("minimum", schema.get("exclusiveMinimum"))
        bound_high = schema.get("maximum", schema.get("exclusiveMaximum"))
        t_low: float
        t_high: float
        t_low, t_high, digits = typical if typical is not None else (0, 100, 2)
        # a plausible value by unit, kept inside the schema's own bounds; the bounds alone where they exclude it
        low: float = t_low if bound_low is None else max(bound_low, t_low)
        high: float = t_high if bound_high is None else min(bound_high, t_high)
        if low > high:
            low = bound_low if bound_low is not None else t_low
            high = bound_high if bound_high is not None else max(low + 100, t_high)
        if integer:
            low_i = int(low) + (1 if "exclusiveMinimum" in schema and low == int(low) else 0)
            high_i = int(high) - (1 if "exclusiveMaximum" in schema and high == int(high) else 0)
            whole = self.rng.randint(low_i, max(low_i, high_i))
            if "default" in schema and whole == schema["default"]:
                whole = min(high_i, whole + 1) if whole + 1 <= high_i else whole
            return whole
        value = round(self.rng.uniform(float(low), float(high)), digits)
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            value = round(float(schema["exclusiveMinimum"]) + 1.0, digits)
        return value

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            if "birth" in name or "dob" in name:
                year, month, day = self.rng.randint(1948, 2004), self.rng.randint(1, 12), self.rng.randint(1, 28)
                return dt.date(year, month, day).isoformat()
            if _PAST_WORDS & set(snake_name(name).split("_")):  # what happened lies before today
                return (self.today - dt.timedelta(days=self.rng.randint(0, 30))).isoformat()
            if any(k in name for k in ("since", "history", "created", "past", "from", "observed", "last")):
                return (self.today + dt.timedelta(days=self.rng.randint(-30, 20))).isoformat()
            return (self.today + dt.timedelta(days=self.rng.randint(1, 90))).isoformat()  # plans are ahead
        if fmt == "date-time":
            when = self.today + dt.timedelta(days=self.rng.randint(0, 60))
            if re.search(r"created|updated|modified|sent|posted|received|completed|last|started", name.lower()):
                when = self.today - dt.timedelta(days=self.rng.randint(0, 20))  # what happened: not next month
            hour, minute = self.rng.choice([8, 9, 10, 13, 14, 16, 18]), self.rng.choice([0, 30])
            return f"{when.isoformat()}T{hour:02d}:{minute:02d}:00Z"  # RFC 3339 needs the offset
        if fmt == "email":
            return self.faker.email()
        if fmt in ("uri", "url"):
            return self.faker.url()
        if fmt == "uuid":
            return str(self.faker.uuid4())
        if fmt in ("ipv4", "ip"):
            return self.faker.ipv4()
        if fmt == "hostname":
            return self.faker.domain_name()
        if fmt == "time" or re.search(r"\bHH:MM\b", str(schema.get("description") or "")):
            return f"{self.rng.choice([8, 9, 10, 13, 14, 16, 18]):02d}:{self.rng.choice([0, 15, 30, 45]):02d}"
        if schema.get("pattern"):
            # a field-aware value when the pattern allows it ("orders-prod" for a table name), else one made
            # from the pattern itself
            candidate = self._by_name(name, str(schema.get("description") or ""))
            fits = schema.get("minLength", 0) <= len(candidate) <= schema.get("maxLength", 10_000)
            try:
                if fits and re.fullmatch(schema["pattern"].removeprefix("^").removesuffix("$"), candidate):
                    return candidate
            except re.error:
                pass
            return self._from_pattern(schema["pattern"], name, schema)
        text = self._by_name(name, str(schema.get("description") or ""))
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10_000)
        if len(text) < low:
            if "password" in name:
                text = self.faker.password(length=max(low, 12))
            else:  # a reference of the length asked for, not padding a reader would notice
                text = f"{text}-{''.join(self.rng.choices(string.digits, k=max(1, low - len(text) - 1)))}"
        return text[:high]

    def _from_pattern(self, pattern: str, name: str, schema: dict[str, Any]) -> str:
        if "A-Z]{3}$" in pattern and "airport" in (schema.get("description", "") + name).lower():
            return self.rng.choice(_AIRPORTS)
        if pattern in ("^[A-Z]{3}$",) and "currency" in name:
            return self.rng.choice(_CURRENCIES)
        if "symbol" in name:
            return self.rng.choice(_SYMBOLS)
        import rstr

        generator = rstr.Rstr(self.rng)
        value = ""
        for _ in range(10):  # "." in a pattern can yield tabs and newlines; a person would type printable text
            value = generator.xeger(pattern)
            if value.isprintable() and not re.search(r"[\\\"'`<>{}|]", value):
                return value
        return value

    def _by_name(self, name: str, description: str = "") -> str:
        lowered = snake_name(name)
        hint = f"{lowered} {description.lower()}"
        spelled = spelled_values(name, description)
        if spelled:
            return self.rng.choice(spelled)
        kind = self._by_kind(lowered, description)
        if kind is not None:
            return kind
        if lowered == "identifier" or lowered.endswith("_identifier"):  # "The identifier path of the `subject`"
            of = re.search(r"\bof (?:the |a |an )?`?([a-z]+)`?", description.lower())
            return self.minted_id(f"{of.group(1)}_id" if of else "id")
        place = PLACE_THINGS.search(f"{self.context} {self.about}".lower()) if lowered == "name" else None
        if place:  # a station's name is a place's, not a person's
            country = self.country()
            if country and place.group(1) in ("station", "stop"):  # "Leipzig Hbf", not "Leipzig North Station"
                return f"{self.rng.choice(country[1])} {self.rng.choice(country[2])}"
            return f"{self.city()} {self.rng.choice(_PLACE_QUALIFIERS)} {place.group(1).capitalize()}"
        themed = self._themed(lowered)
        if themed is not None:
            return themed
        if lowered == "query":
            return self.search_phrase()
        if lowered in _TOPICS:
            return self.rng.choice(_TOPICS[lowered])
        if {"md5", "sha1", "sha256", "checksum", "digest"} & set(lowered.split("_")):  # MD5OfMessageBody is no text
            return "".join(self.rng.choices("0123456789abcdef", k=64 if "sha256" in lowered else 32))
        if lowered in ("action", "action_name") and "aws_" in self.context:  # SQS AddPermission: "SendMessage"
            return self.rng.choice(_aws_hints()["actions"].get(_aws_service(self.context), ["*"]))
        if re.search(r"account_?ids?$", lowered) and "aws" in f"{lowered} {self.context}":
            return str(self.rng.randint(10**11, 10**12 - 1))  # an AWS account id is 12 digits, not "AW-15914"
        if lowered.endswith(("_id", "_token", "_number", "_ts", "_handle")) or lowered in ("token", "id", "ts") or \
                _IDENTIFIER.search(description.strip().lower()):  # "Parent task identifier."
            return self.minted_id(lowered)  # (an SQS ReceiptHandle is an opaque reference, not a username)
        if lowered in ("day_of_week", "weekday", "day_of_the_week"):
            return (self.today + dt.timedelta(days=self.rng.randint(0, 6))).strftime("%A")
        head = lowered.rsplit("_", 1)[-1]
        if head == "code" and lowered.split("_")[0] in ("region", "country"):  # CLDR region codes: "US", "FR"
            return self.rng.choice(_COUNTRY_CODES)
        if head == "code" and lowered.split("_")[0] in _PLACE_CODE_OWNERS:  # a station's locationCode: no "Paris"
            return "".join(self.rng.choices(string.ascii_uppercase, k=3)) + str(self.rng.randint(10, 99))
        if head == "kicker":  # the label above a headline
            return self.rng.choice(["The Morning", "Analysis", "Opinion", "The Upshot", "Well"])
        if head in ("facet", "facets") and "_" in lowered:  # an article's index terms: des_facet, geo_facet...
            return self._facet(lowered.split("_"))
        if head in ("progress", "percent", "percentage"):  # ReplicaStatusPercentProgress is no status word
            return f"{self.rng.randint(5, 95)}%"
        if head == "expression":  # ConditionExpression is no weather condition
            return self.rng.choice(_EXPRESSIONS)
        if head in ("difference", "offset"):  # a time difference is hours, not a date
            return f"{self.rng.choice(['+', '-'])}{self.rng.choice([1, 2, 3, 5, 8, 9])}.0h"
        if lowered.endswith(("status_description", "exception_description")):  # DynamoDB's ReplicaStatusDescription
            return self.sentence("status")
        if lowered == "byline":
            return f"By {self.faker.first_name()} {self.faker.last_name()}"
        if "comment" in self.context and lowered in ("text", "body", "content"):  # a task comment, not a chat line
            return self.sentence("comment")
        for kind, keys in _FREE_TEXT_KEYS:
            if any(_word_in(k, lowered) for k in keys):
                if kind == "description" and not TASK_CONTEXT.search(f"{self.context} {self.about}".lower()):
                    kind = "remark"  # an order's or a service's description is no to-do
                return self.sentence(kind)
        words = lowered.split("_")
        owner = words[words.index("name") - 1] if "name" in words[1:] else ""
        if owner and owner not in _PERSON_WORDS and not any(_word_in(k, owner) for keys, _ in _PROVIDERS for k in keys):
            # the name of a thing, not a person (AttributeName, ExceptionName); a TableName has its provider
            if owner in ("attribute", "column", "field", "key"):
                return self.rng.choice(["order_id", "customer_id", "created_at", "status", "email", "sku"])
            if owner in ("exception", "error", "fault"):  # what a service raises: ThrottlingException
                return self.rng.choice(["ThrottlingException", "ResourceNotFoundException", "ValidationException",
                                        "AccessDeniedException", "TimeoutError"])
            return f"{self.rng.choice(_OWNER_WORDS)} {owner}".capitalize()  # "North sensor", not "sensor-12"
        happened = _PAST_WORDS & set(words) and {"date", "day", "time", "timestamp", "datetime"} & set(words)
        meant = self._by_meaning(lowered, description) if happened else None
        if meant is not None:  # a created_date happened: not the date provider's plans
            return meant
        for keys, provider in _PROVIDERS:
            if any(_word_in(k, lowered) for k in keys):
                return provider(self)
        meant = self._by_meaning(lowered, description)
        if meant is not None:
            return meant
        # nothing in the name: try the description's words, then a neutral code (never the field's name)
        described = description.lower()
        if lowered in ("short", "abbrev", "abbr") or re.search(r"\babbrev|\bshort (?:name|code|form)", described):
            return "".join(self.rng.choices(string.ascii_uppercase, k=self.rng.randint(2, 4)))  # a station's "FFM"
        named = re.search(r"\bname of (?:the |a |an )?([a-z]+)", described)
        if named and named.group(1) not in _PEOPLE_HEADS.union(_PERSON_KEYS):  # "Name of slice": no person's
            return f"{self.rng.choice(_NAME_WORDS)}_{named.group(1)}"
        for keys, provider in _PROVIDERS:
            if any(_word_in(k, description.lower()) for k in keys):
                return provider(self)
        for kind, keys in _FREE_TEXT_KEYS:
            if any(_word_in(k, description.lower()) for k in keys):
                return self.sentence(kind)
        if "name" in hint:
            return f"{self.faker.first_name()} {self.faker.last_name()}"
        return f"{''.join(self.rng.choices(string.ascii_uppercase, k=2))}{self.rng.randint(100, 999)}"

    def _by_kind(self, lowered: str, description: str) -> str | None:
        """A value of the kind a field's description says it holds, where the kind has a shape of its own: the
        examples it quotes ("(ex: 'CO', 'AZ')", "like `_search` or `_suggest`"), a tax number, a query in the
        language it names, a list of field names, a signature, a crypto payment address."""
        described = description.lower()
        hint = f"{lowered.replace('_', ' ')} {described}"
        quoted = re.search(r"\((?:ex|e\.g\.|eg)[:.]\s*((?:['\"`][^'\"`]{1,30}['\"`][,\s]*(?:or\s+)?)+)\)|\blike\s+"
                           r"((?:`[^`]{1,30}`[,\s]*(?:or\s+)?)+)", description, re.IGNORECASE)
        if quoted:
            return self.rng.choice(re.findall(r"['\"`]([^'\"`]{1,30})['\"`]", quoted.group(1) or quoted.group(2)))
        if STATE_CODE_FIELD.search(described):
            return self.rng.choice(sorted(STATE_CITIES))
        if RAILWAY_NUMBER_FIELD.search(hint):  # a UIC station number: country code, then five digits
            named = self.country()
            prefix = _UIC_COUNTRY_CODES.get(named[0]) if named else None
            return f"{prefix or self.rng.randint(10, 99)}{self.rng.randint(10000, 99999)}"
        if COUNT_FIELD.search(described):
            default = re.search(r"\bdefault(?: value)?\s*(?:=|:|is)\s*(\d{1,4})\b", described)
            return default.group(1) if default else str(self.rng.choice([0, 10, 20, 50]))
        if BOUNDING_BOX_FIELD.search(described):  # west, south, east, north in degrees
            west, south = self.rng.randint(-170, 150), self.rng.randint(-80, 60)
            return f"{west},{south},{west + self.rng.randint(5, 20)},{south + self.rng.randint(5, 20)}"
        if JSON_OBJECT_FIELD.search(described):
            keyed = re.search(r"\bkeys are the names of (?:the |a )?([a-z]+)", described)
            text = json.dumps({(keyed.group(1) if keyed else "filter"): [self.search_phrase()]})
            return quote(text, safe="") if "url-encoded" in described or "url encoded" in described else text
        tax = TAX_NUMBER.search(hint)
        if tax and tax.group(0) == "ssn":
            return f"{self.rng.randint(100, 899)}-{self.rng.randint(10, 99)}-{self.rng.randint(1000, 9999)}"
        if tax:
            return f"{self.rng.randint(10, 99)}-{self.rng.randint(1_000_000, 9_999_999)}"
        if "sparql" in hint and "query" in hint:
            topic = self.search_phrase()
            return f'SELECT ?item WHERE {{ ?item rdfs:label ?label . FILTER(CONTAINS(LCASE(?label), "{topic}")) }} ' \
                   f"LIMIT {self.rng.choice([10, 20, 50])}"
        if "sql" in hint and ("where" in hint or "condition" in hint):
            return self.rng.choice(["year = 2025", "loan_amount > 100000", "state = 'CO'", "status = 'approved'"])
        if COMMA_LIST.search(described):
            if TAG_WORDS.search(hint):  # "Comma separated list of hashtags and @mentions"
                tags = self.rng.sample(["#tvtonight", "#finale", "#latenight", "#newepisode", "#sports"], k=2)
                return ",".join(tags + (["@" + self.faker.user_name()] if "mention" in hint else []))
            if FIELD_WORDS.search(hint):
                fields = self.rng.sample(["id", "name", "date", "status", "amount", "year", "state", "type"], k=2)
                return ",".join(fields)
        words = set(lowered.split("_"))
        if words & {"callback", "jsonp"} or "callback" in described[:40]:  # JSONP: a JavaScript function's name
            return self.rng.choice(["handleResponse", "onResults", "renderData", "jsonpCallback"])
        if words & {"sign", "signature", "hmac"} or described.startswith("signature"):
            return "".join(self.rng.choices("0123456789abcdef", k=64))
        if lowered.endswith("address") and re.search(r"deposit|wallet|crypto|coin|bitcoin|btc|ethereum",
                                                     f"{hint} {self.context.lower()}"):
            return "bc1q" + "".join(self.rng.choices("023456789acdefghjklmnpqrstuvwxyz", k=38))
        return None

    def _by_meaning(self, lowered: str, description: str) -> str | None:
        """A value from what a field is where no provider knows its name (a user's own spec): a time for
        ``created_at`` / ``start``, a number for ``lat`` / ``kilometers`` / ``value``, a word for ``severity`` /
        ``type``, a key or code in the style such things have, the description's own examples; None where the
        name says nothing."""
        words = [w for w in lowered.split("_") if w]
        if not words:
            return None
        head = words[-1]
        said = _examples_in(description)
        if said:  # "the kind of place, e.g. cafe, museum or park"
            return self.rng.choice(said)
        if _TIME_WORDS & set(words) or (head in ("at", "on") and len(words) > 1):
            if "epoch" in words:
                return str(self.rng.randint(1_764_000_000, 1_766_000_000))
            past = bool(_PAST_WORDS & set(words))
            when = self.today + dt.timedelta(days=-self.rng.randint(0, 30) if past else self.rng.randint(1, 30))
            if head in ("date", "day", "on") or words[0] in ("released", "published"):
                return when.isoformat()
            return f"{when.isoformat()}T{self.rng.choice([8, 9, 10, 13, 14, 16, 18]):02d}:" \
                   f"{self.rng.choice([0, 15, 30, 45]):02d}:00Z"
        if "mime" in words or words[-2:] == ["content", "type"]:  # mimeType is a media type, not a category
            return self.rng.choice(["application/pdf", "image/png", "text/plain", "application/json", "text/csv"])
        if head in ("recurrence", "rrule", "repeat", "recurring"):  # RFC 5545, as calendars write it
            return self.rng.choice(["RRULE:FREQ=WEEKLY;BYDAY=MO", "RRULE:FREQ=DAILY;COUNT=5",
                                    "RRULE:FREQ=MONTHLY;BYMONTHDAY=1", "RRULE:FREQ=WEEKLY;BYDAY=TU,TH"])
        if head in ("position", "rank", "index", "order", "sequence", "ordinal"):
            return str(self.rng.randint(1, 20))
        if words[0] in ("total", "num", "number", "count") or head in _COUNT_WORDS:  # totalSeasons, imdbVotes
            return str(self.rng.randint(2, 40 if head in ("seasons", "episodes", "pages") else 5000))
        typical = _typical_range(" ".join(words), integer=False)
        if typical is not None or _QUANTITY_WORDS & set(words):
            low, high, digits = typical if typical is not None else (0.5, 500, 2)
            number = round(self.rng.uniform(low, high), digits)
            return str(int(number) if digits == 0 else number)
        for heads, options in _CATEGORY_WORDS:
            if head in heads:
                return self.rng.choice(options)
        if head in ("slug", "key", "handle", "permalink"):  # in the style keys have: lowercase words and dashes
            return f"{self.rng.choice(_NAME_WORDS)}-{self.rng.choice(_KEY_NOUNS)}"
        if head in ("uid", "uuid", "guid", "hash", "etag", "fingerprint", "nonce", "checksum"):
            return "".join(self.rng.choices("0123456789abcdef", k=32))
        if head in ("code", "serial", "sku", "ref", "reference", "barcode", "pnr"):
            return "".join(self.rng.choices(string.ascii_uppercase + string.digits, k=6))
        if set(words) & {"image", "poster", "photo", "picture", "thumbnail", "icon", "avatar", "logo", "src", "banner",
                         "img", "thumb"}:
            return f"https://{self.faker.domain_name()}/images/{self.rng.choice(_KEY_NOUNS)}-" \
                   f"{self.rng.randint(100, 999)}.jpg"
        if head in _PEOPLE_HEADS:
            count = 3 if head.endswith("s") else 1
            return ", ".join(f"{self.faker.first_name()} {self.faker.last_name()}" for _ in range(count))
        if head in ("plot", "synopsis", "overview", "abstract", "tagline", "blurb", "excerpt", "summary", "snippet",
                    "paragraph", "lede"):  # what a piece is about, not a to-do
            return self.sentence("synopsis")
        if head in ("phrase", "words", "text", "sentence"):
            return self.search_phrase()
        if head in ("credit", "credits", "copyright", "attribution"):
            return f"© {self.today.year - self.rng.randint(0, 3)} {self.faker.company()}"
        if head in ("license", "licence"):
            return self.rng.choice(["CC BY 4.0", "MIT", "Apache-2.0", "CC0 1.0"])
        if head in ("success", "ok", "available", "enabled", "active"):
            return self.rng.choice(["true", "false"])
        if head in ("ip", "host", "server") or words[-2:] == ["server", "ip"]:
            return self.faker.ipv4()
        return None

    def _facet(self, words: list[str]) -> str:
        """An index term of the kind its facet names, as news archives write them."""
        if "geo" in words:
            return self.city()
        if "per" in words or "person" in words:
            return f"{self.faker.last_name()}, {self.faker.first_name()}"
        if "org" in words or "organization" in words:
            return self.faker.company()
        if "material" in words or "type" in words:
            return self.rng.choice(["News", "Op-Ed", "Review", "Interview", "Obituary"])
        return self.rng.choice(["Education and Schools", "Weather", "Real Estate and Housing", "Elections",
                                "Computers and the Internet", "Art", "Restaurants", "Public Transit"])

    def _themed(self, field: str) -> str | None:
        """Titles, names and texts that fit the tool's domain."""
        if field not in ("title", "name", "artist", "lyrics", "author", "text", "album", "dish", "item", "kind",
                         "review", "headline"):
            return None
        context = self.context.lower()
        for keys, values in _THEMES:
            if any(k in context for k in keys) and field in values:
                options = values[field]
                return options(self) if callable(options) else self.rng.choice(options)
        return None

    def sentence(self, kind: str) -> str:
        """A sentence a person would write into a free-text field of this kind (never lorem-ipsum words)."""
        template = self.rng.choice(_FREE_TEXT[kind])
        day = self.today + dt.timedelta(days=self.rng.randint(1, 20))
        # a story's synopsis is about what news is about, not an office's to-dos ("A look back at next week's
        # offsite"); the audit flags an office subject in one
        topics = STORY_TOPICS if kind == "synopsis" else _SUBJECTS
        show = self.rng.choice(_SHOWS) if "{show}" in template else ""  # drawn only where a post names one
        return template.format(show=show, tag=re.sub(r"\W", "", show), first=self.faker.first_name(),
                               day=day.strftime("%A"), city=self.city(), n=self.rng.randint(2, 9),
                               time=f"{self.rng.choice([9, 10, 11, 14, 15, 16])}:00",
                               item=self.rng.choice(_ITEMS), topic=self.rng.choice(topics))


# what a field whose name says only what it is gets (values.ValueFactory._by_meaning)
_TIME_WORDS = {"created", "updated", "modified", "deleted", "released", "published", "occurred", "started", "ended",
               "finished", "expired", "reported", "closed", "opened", "seen", "start", "end", "since", "until",
               "begin", "finish", "epoch", "date", "when"}
_PAST_WORDS = {"created", "updated", "modified", "deleted", "released", "published", "occurred", "started", "ended",
               "finished", "expired", "reported", "closed", "opened", "seen", "last", "since", "pub", "posted"}
HAPPENED_WORDS = frozenset(_PAST_WORDS)  # a time so named lies before the world's today (the audit reads them)
# words of quantities that _typical_range does not know: a string field so named holds a number ("value": "65.5")
_QUANTITY_WORDS = {"value", "magnitude", "diameter", "velocity", "speed", "ratio", "score", "factor", "height",
                   "width", "length", "depth", "number", "ele", "elevation", "altitude", "runtime", "duration",
                   "population", "area", "pressure", "humidity"}
_CATEGORY_WORDS: list[tuple[tuple[str, ...], list[str]]] = [
    (("severity",), ["low", "moderate", "high", "critical"]),
    (("priority", "urgency"), ["low", "normal", "high", "urgent"]),
    (("phase", "stage"), ["planning", "in progress", "review", "complete"]),
    (("level", "tier", "plan", "grade"), ["basic", "standard", "premium"]),
    (("mode",), ["automatic", "manual", "scheduled"]),
    (("scope", "visibility", "privacy", "access"), ["public", "private", "team"]),
    (("source", "origin", "channel", "medium"), ["web", "mobile app", "email", "partner feed"]),
    (("role", "permission"), ["admin", "editor", "viewer"]),
    (("format", "encoding"), ["json", "csv", "xml"]),
    (("sector", "industry"), ["technology", "healthcare", "energy", "financials", "consumer goods", "utilities"]),
    (("type", "kind", "category", "class", "classification", "variant", "establishment", "group", "segment",
      "vehicle", "rated"), ["standard", "general", "other", "special", "public", "private"]),
]
_COUNT_WORDS = {"votes", "count", "seasons", "episodes", "pages", "members", "followers", "views", "likes",
                "downloads", "subscribers", "results", "items"}
_NAME_WORDS = ["garden", "kitchen", "north", "main", "office", "spring", "blue", "team", "daily", "river", "summer",
               "city"]
_OWNER_WORDS = ["north", "main", "central", "east", "primary", "backup", "west", "spring", "blue", "team"]
_KEY_NOUNS = ["sensor", "readings", "report", "updates", "board", "notes", "digest", "log", "stream", "monitor"]
_PERSON_KEYS = ("assignee", "reviewer", "owner", "author", "user", "member", "recipient", "sender", "guest",
                "passenger", "customer", "patient", "contact", "person", "attendee", "artist")
_PEOPLE_HEADS = {"director", "directors", "writer", "writers", "actor", "actors", "cast", "producer", "producers",
                 "creator", "creators", "editor", "photographer", "composer", "narrator", "presenter",
                 "illustrator", "translator", "coach", "captain", "founder", "founders", "inventor"}
_VERB_WORDS = {"get", "list", "create", "update", "delete", "post", "put", "patch", "retrieve", "search", "find",
               "fetch", "add", "remove", "set", "by", "all", "for", "of", "the", "id", "version", "format", "v",
               "json", "xml", "browse", "compute", "send", "current", "new"}


def _resource_word(context: str) -> str:
    """The resource a tool's name is about (``getCollectionById`` → ``collection``); "" where none is."""
    name = snake_name(context.split(" ", 1)[0]) if context else ""
    nouns = [w for w in re.split(r"[^a-z]+", name) if len(w) > 2 and w not in _VERB_WORDS]
    return nouns[0].removesuffix("s") if nouns else ""


def _examples_in(description: str) -> list[str]:
    """The examples a description gives for a free-form field: 'e.g. cafe, museum or park' → those three."""
    match = re.search(r"\b(?:e\.g\.|eg\.|such as|for example|for instance|example:)\s*,?\s*([^.;()\n]{2,80})",
                      description, re.IGNORECASE)
    if not match:
        return []
    parts = [p.strip(" '\"`") for p in re.split(r",|\bor\b|\band\b|/", match.group(1))]
    return [p for p in parts if 0 < len(p) <= 30 and not p.lower().startswith(("etc", "the ", "a "))][:6]


# whose name a ``<word>_name`` field holds when it is a person's ("guest_name"; a bare "name" too)
_PERSON_WORDS = {"person", "full", "first", "last", "display", "given", "family", "user", "customer", "guest",
                 "member", "payee", "payer", "passenger", "contact", "owner", "author", "attendee", "patient",
                 "recipient", "sender", "holder", "cardholder", "traveler", "traveller", "student", "employee",
                 "driver", "pet", "child", "manager", "assignee", "reviewer", "organizer", "speaker"}
# Words of a field (its name, or the last words of its description) that say it holds a person: the keys a person's
# name is drawn for, the owners of a ``<word>_name``, the heads of people lists and the audit's own words (a person's
# name in any other field is a misplaced one).
PERSON_FIELD_WORDS = frozenset(_PERSON_KEYS).union(_PERSON_WORDS, _PEOPLE_HEADS, {
    "agent", "authors", "beneficiary", "buyer", "byline", "candidate", "client", "doctor", "friend", "host", "name",
    "nickname", "people", "player", "seller", "signatory", "surname", "teacher", "tenant"})
# what a query or condition expression field holds (DynamoDB's syntax, the common real-world case)
_EXPRESSIONS = ["attribute_exists(id)", "attribute_not_exists(id)", "#status = :status", "price < :max_price",
                "SET #name = :name", "begins_with(title, :prefix)"]


@functools.cache
def _whole_word(key: str) -> re.Pattern[str]:
    """One compiled pattern per word: the factory asks about thousands of words, more than ``re``'s own cache
    of 512 holds, so every search recompiled its pattern (over 90% of a value's time on the real-world specs)."""
    return re.compile(rf"(?:^|[^a-z]){re.escape(key)}(?:$|[^a-z])")


def _word_in(key: str, text: str) -> bool:
    """``key`` as a whole word (or ``_``-separated part) of ``text``."""
    return _whole_word(key).search(text) is not None


# "the list of valid facets:" followed by one name a line
_BARE_LIST = re.compile(r"\blist of (?:the )?(?:valid|possible|allowed|supported|accepted) [a-z ]{1,30}:[ \t]*\n(.*)",
                        re.IGNORECASE | re.DOTALL)
_LISTED_VALUES = re.compile(r"\b(?:possible|acceptable|valid|allowed|supported) values(?: (?:are|include)\b:?|:)(.*)",
                            re.IGNORECASE | re.DOTALL)


# a description that says the field holds a comma list ("Fields to return, separated by commas.")
# kinds a string field's description names that the factory writes and the audit checks: a US state's code ("State
# Name - Two letter state abbreviation"), a count ("Records Per Page"), a JSON object ("A URL-encoded JSON object")
STATE_CODE_FIELD = re.compile(r"\b(?:two[- ]letter state|state (?:abbreviation|code)|u\.?s\.? state)\b")
COUNT_FIELD = re.compile(r"\b(?:per page|number of (?:records|results|rows|items|entries|pages)|start position|"
                         r"how many)\b")
JSON_OBJECT_FIELD = re.compile(r"\bjson object\b")
# NSIDC's "4 comma separated values - W, S, E, N"
BOUNDING_BOX_FIELD = re.compile(r"\b(?:bounding box|bbox|w, ?s, ?e, ?n)\b")


def spelled_values(name: str, description: str) -> list[str]:
    """The values a description spells for its own field ("eligible=1 will return only ..." → ``["1"]``; "sort=asc
    or sort=desc" → both)."""
    if not name:
        return []
    found = re.findall(rf"(?<![\w$]){re.escape(name)}\s*=\s*([\w.-]{{1,30}})", description)
    return list(dict.fromkeys(found))


COMMA_LIST = re.compile(r"\b(?:separated by commas|comma[- ](?:separated|delimited)|fields to (?:return|group|order))")
# what a comma list of field names is called ("fields to return", "columns", "$select"); other lists hold values
FIELD_WORDS = re.compile(r"\b(?:fields?|columns?|attributes?|propert(?:y|ies)|select)\b")
# a comma list of tags: "Comma separated list of hashtags and @mentions"
TAG_WORDS = re.compile(r"hashtag|mention")
# things with a name of their own that is a place's: the tool that reads one names a station, not a person
PLACE_THINGS = re.compile(r"\b(station|stop|airport|terminal|venue|museum|library|stadium)s?\b")
_PLACE_QUALIFIERS = ["Central", "North", "South", "East", "West", "Old Town", "Harbour"]
# a description that says the field is an identifier: "Parent task identifier.", "Optional. Destination task list
# identifier. If set, ...", "Identifier of the channel"
_IDENTIFIER = re.compile(r"(?:^|\.\s+)(?:[\w ]{0,40}\s)?identifier(?:[.,]|\s+of\b|$)")


def described_values(schema: dict[str, Any]) -> list[str]:
    """The values a string field's description lists where the spec has no enum (Google's style: 'Possible values
    are: - "owner" - ... - "reader" - ...', or 'This is always "tasks#task"'), so a simulated server reports
    ``accessRole: "owner"``, not a name."""
    if schema.get("type", "string") != "string" or schema.get("enum"):
        return []
    description = str(schema.get("description") or "")
    constant = re.search(r'\b(?:this|it) is always "([^"\s]{1,60})"', description, re.IGNORECASE)
    if constant:  # Google's "Type of the resource. This is always "tasks#taskList"."
        return [constant.group(1)]
    either = re.search(r'\b(?:this|it) is (?:either|one of)\s+((?:"[^"\s]{1,40}"(?:,\s*|,?\s+or\s+))+"[^"\s]{1,40}")',
                       description, re.IGNORECASE)
    if either:  # Google's "Status of the task. This is either "needsAction" or "completed"."
        return re.findall(r'"([^"]+)"', either.group(1))
    match = _LISTED_VALUES.search(description)
    if match:
        listed = re.findall(r'"([A-Za-z0-9_.:/-]{1,40})"', match.group(1)) or \
            re.findall(r"^\s*[*-]\s+`([^`\s]{1,40})`", match.group(1), re.MULTILINE)  # "Possible values:\n* `a`"
    elif bare := _BARE_LIST.search(description):  # NYT's "Below is the list of valid facets:\n\nsection_name\n\n..."
        listed = re.findall(r"^[ \t]*([a-z][a-z0-9_]{1,40})[ \t]*$", bare.group(1), re.MULTILINE)
    elif mapping := re.findall(r"[(,]\s*(\d{1,6}):\s*'", description):  # "Use integer from mapping (256: '1A'..."
        listed = mapping
    else:  # "local branches ('local'), remote branches ('remote') or all branches('all')"
        listed = re.findall(r"\('([A-Za-z0-9_.:/-]{1,40})'\)", description)
    return list(dict.fromkeys(listed)) if len(listed) >= 2 else []


def spec_examples(schema: dict[str, Any]) -> list[Any]:
    """The spec's own example values for a field (``examples`` / OpenAPI ``example``) that fit its schema."""
    values = list(schema.get("examples") or []) if isinstance(schema.get("examples"), list) else []
    if "example" in schema:
        values.append(schema["example"])
    kind = schema.get("type")
    fits: dict[str, type | tuple[type, ...]] = {
        "string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    out = []
    for value in values:
        if isinstance(kind, str) and kind in fits and not isinstance(value, fits[kind]):
            continue
        if isinstance(value, bool) and kind in ("integer", "number"):
            continue
        if isinstance(value, str) and not value.strip():
            continue
        out.append(value)
    return out


def _typical_range(hint: str, integer: bool) -> tuple[float, float, int] | None:
    """(low, high, decimals) a person would use for a quantity named like this; None when the name says nothing."""
    for keys, low, high, digits in _NUMBER_RANGES:
        if any(_word_in(k, hint) or (len(k) > 5 and k in hint) for k in keys):
            return low, high, 0 if integer else digits
    return None


TEMPERATURE_NAMES = {"temperature", "temp", "feels_like", "temp_min", "temp_max", "high_temp", "low_temp",
                      "min_temp", "max_temp", "current_temp"}

# Plausible ranges by unit or meaning (checked in order: the first match wins).
_NUMBER_RANGES = [
    (("timestamp", "epoch"), 1_764_000_000, 1_766_000_000, 0),  # epoch seconds (AWS StartedTimestamp), not 78
    (("uv_index", "uv"), 1, 11, 1),  # the UV index scale (11+ is extreme), not a percentage
    (("latitude", "lat"), -55, 65, 4), (("longitude", "lon", "lng"), -150, 150, 4),
    (("fahrenheit",), 20, 95, 0), (("celsius", "temperature", "temp"), -5, 32, 1),
    (("change_percent", "daily_change", "change_pct"), -4, 4, 2),
    (("percent", "percentage", "pct"), 1, 60, 1), (("rating", "stars", "star"), 1, 5, 1),
    (("year",), 2020, 2027, 0), (("age",), 18, 80, 0), (("month",), 1, 12, 0), (("hour", "hours"), 1, 12, 0),
    (("minutes", "minute", "min", "mins"), 5, 90, 0), (("seconds", "second", "timeout"), 5, 120, 0),
    (("days", "day", "nights"), 1, 10, 0), (("weeks", "week"), 1, 6, 0),
    (("kwh", "energy"), 1, 40, 1), (("weight", "kg"), 1, 90, 1), (("km", "distance", "miles"), 1, 40, 1),
    (("radius", "meters", "_m"), 200, 5000, 0),
    (("rate", "exchange_rate", "fx_rate"), 0.5, 1.6, 4), (("average", "avg", "average_stars"), 1, 5, 2),
    (("price_per_night", "nightly", "per_night"), 60, 350, 2),
    (("price", "cost", "fee", "subtotal", "refund_amount"), 5, 180, 2),
    (("amount", "cash", "total", "balance", "budget", "salary", "payment", "usd", "eur", "converted"), 20, 900, 2),
    (("quantity", "qty", "count", "guests", "passengers", "people", "servings", "adults", "children", "items",
      "seats", "persons"), 1, 6, 0),
    (("limit", "page_size", "per_page", "max_results", "size", "top"), 5, 50, 0), (("page", "offset"), 1, 5, 0),
    (("level", "volume", "brightness"), 10, 90, 0), (("calories",), 1400, 2800, 0), (("zoom",), 3, 18, 0),
]

_HEADLINES = ["City council approves new bike lanes downtown", "Heat wave expected to break by the weekend",
              "Local bakery wins national bread award", "Museum reopens after a two-year renovation",
              "Researchers map the deep ocean floor", "Transit fares to rise next spring",
              "School board delays vote on later start times"]
# what a field's name or description calls a tax number (the value factory writes one, the audit checks its shape)
TAX_NUMBER = re.compile(r"\b(?:ein|employer identification number|tax (?:id|number)|vat (?:id|number)|ssn)\b")
# cities of the US states a spec's examples name most ("State or Province (ex: 'CO', 'AZ')"), so that a city and
# its state agree; the audit reads them too
STATE_CITIES = {"CO": ("Denver", "Boulder", "Colorado Springs"), "AZ": ("Phoenix", "Tucson", "Flagstaff"),
                "CA": ("San Diego", "Sacramento", "Oakland"), "TX": ("Austin", "Houston", "Dallas"),
                "NY": ("Buffalo", "Albany", "Rochester"), "WA": ("Seattle", "Spokane", "Tacoma"),
                "FL": ("Miami", "Orlando", "Tampa"), "IL": ("Chicago", "Springfield", "Peoria"),
                "MA": ("Boston", "Worcester", "Cambridge"), "OR": ("Portland", "Eugene", "Salem")}
# a railway station's UIC (RICS) number: digits, never letters (the audit reads it)
RAILWAY_NUMBER_FIELD = re.compile(r"\b(?:uic|rics)\b")
_UIC_COUNTRY_CODES = {"Germany": 80, "France": 87}  # the first two digits of a station's UIC number
# the fields that name a US state (snake_case); a city beside one lies in it
STATE_KEYS = frozenset({"state", "province", "state_code", "state_or_province", "us_state"})
# the ZIP codes of those states (their first three digits, USPS): a ZIP beside a state's code lies in it (not
# Tampa, FL 97589, an Oregon code); the audit reads them too
STATE_ZIP_PREFIXES = {"CO": (800, 816), "AZ": (850, 865), "CA": (900, 961), "TX": (750, 799), "NY": (100, 149),
                      "WA": (980, 994), "FL": (320, 349), "IL": (600, 629), "MA": (10, 27), "OR": (970, 979)}
ZIP_KEYS = frozenset({"zip", "zipcode", "zip_code", "postcode", "postal_code", "postalcode"})
# an API that names its country (its domain, title or description) has its places there: a Deutsche Bahn station
# lies in Germany (not "Nairobi North Station"); cue, cities, what a station's name ends with
COUNTRY_PLACES: tuple[tuple[re.Pattern[str], str, tuple[str, ...], tuple[str, ...]], ...] = (
    (re.compile(r"\b(?:deutsche|bahn|germany|german|gmbh)"), "Germany",
     ("Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Leipzig", "Dresden", "Stuttgart"),
     ("Hbf", "Ost", "West", "Süd", "Nord")),
    (re.compile(r"\b(?:sncf|france|french)\b"), "France",
     ("Paris", "Lyon", "Marseille", "Bordeaux", "Lille", "Nantes"), ("Centre", "Nord", "Sud", "Est")),
    (re.compile(r"\b(?:japan|japanese)\b"), "Japan", ("Osaka", "Tokyo", "Kyoto", "Sapporo", "Fukuoka"),
     ("Central", "North", "South", "East", "West")),
    (re.compile(r"\b(?:new zealand|auckland|aotearoa)\b"), "New Zealand",
     ("Auckland", "Wellington", "Christchurch", "Dunedin", "Hamilton"), ("Central", "North", "South")),
)


# English names of cities the table above spells as their country does (the audit reads a city by either)
EXONYMS = {"Munich": "München", "Cologne": "Köln", "Lisbon": "Lisboa"}


def country_places(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """The country ``text`` (a tool's and its API's words) names, with its cities and station endings."""
    lowered = text.lower()
    return next(((country, cities, endings) for cue, country, cities, endings in COUNTRY_PLACES
                 if cue.search(lowered)), None)


def zip_in_state(zip_code: str, state: str) -> bool:
    low, high = STATE_ZIP_PREFIXES[state]
    return not re.fullmatch(r"\d{5}", zip_code) or low <= int(zip_code[:3]) <= high
# CLDR region codes, for a country or a region code
_COUNTRY_CODES = ["US", "GB", "FR", "DE", "JP", "BR", "CA", "ES"]
# the first word of a ``<word>_code`` field that holds a place's code (``location_code``: a code, not a city)
_PLACE_CODE_OWNERS = {"location", "city", "place", "station", "stop", "site", "area", "town", "office", "airport"}
_THEMES: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("book",), {"title": ["The Night Circus", "Piranesi", "The Remains of the Day", "Educated", "Dune Messiah",
                           "A Gentleman in Moscow", "The Overstory", "Circe"],
                 "author": lambda v: f"{v.faker.first_name()} {v.faker.last_name()}",
                 "text": ["Couldn't put it down.", "Slow start, brilliant ending.", "Beautifully written.",
                          "Not my kind of book, but well made."]}),
    (("nytimes", "news", "article", "stories"), {
        "title": _HEADLINES, "headline": _HEADLINES}),
    (("recipe", "cooking", "meal"), {"title": ["Chickpea curry", "Lemon herb salmon", "Mushroom risotto",
                                               "Tomato lentil soup", "Tofu stir-fry", "Spinach and feta pie"]}),
    (("cooking", "recipe", "meal"), {"item": ["2 onions", "400 g chickpeas", "1 bunch of spinach", "500 g rice",
                                              "3 tomatoes", "200 g tofu"],
                                     "kind": ["main", "side", "dessert"]}),
    (("weather", "alert"), {"headline": ["Heat advisory until 8 PM", "Flood watch for low-lying areas",
                                         "High wind warning tonight", "Winter storm warning",
                                         "Dense fog advisory this morning", "Thunderstorm watch until midnight"]}),
    (("home", "device"), {"kind": ["thermostat", "light", "door lock", "camera", "speaker"]}),
    (("traffic", "incident", "maps"), {"kind": ["accident", "roadworks", "lane closure", "congestion"]}),
    # before music: a "tracker" is no "track"
    (("task", "tracker", "project"), {"title": ["Fix login bug", "Update onboarding docs", "Prepare Q3 report",
                                               "Review pricing page", "Migrate the test database"]}),
    (("music", "track", "song", "playlist"), {"title": ["Blue Horizon", "Midnight Train", "Paper Moons", "Golden Hour",
                                                         "Slow Rivers", "Neon Rain"],
                                              "artist": lambda v: f"{v.faker.first_name()} {v.faker.last_name()}",
                                              "album": ["Northern Lights", "Quiet Hours", "City Lines"],
                                              "lyrics": ["I walked along the river, the city lights were low...",
                                                         "We were young and the summer was long...",
                                                         "Hold on to the morning, it's coming back again..."]}),
    (("calendar", "event"), {"title": ["Quarterly planning", "Dentist visit", "Team retro", "Book club",
                                      "Lunch with Sam"]}),
    (("store",), {"name": ["FreshMart Central", "Corner Store Market Street", "City Mall Pickup Point",
                           "Riverside Depot"]}),
    (("shop", "product", "cart"), {"name": ["Wireless earbuds", "Cotton hoodie", "Espresso beans 1 kg",
                                            "Running shoes", "Desk lamp", "Stainless water bottle"]}),
    (("hotel",), {"review": ["Great stay, friendly staff.", "Clean rooms but a noisy street.", "Would come back.",
                             "Breakfast could be better.", "Perfect location near the station."],
                  "name": ["Hotel Miramar", "The Linden House", "Harbour View Inn", "Grand Central Hotel"]}),
    (("maps", "place"), {"name": ["Corner Cafe", "City Museum", "Riverside Park", "Central Library",
                                  "Green Leaf Pharmacy"]}),
    (("clinic", "doctor"), {"name": lambda v: f"Dr. {v.faker.last_name()}"}),
    (("invest", "stock", "company"), {"name": lambda v: v.faker.company()}),
    (("review",), {"text": ["Great stay, friendly staff.", "Clean rooms but a noisy street.",
                            "Would come back again.", "Breakfast could be better."]}),
]
_ITEMS = ["the blue backpack", "two bags of coffee", "the winter jacket", "a birthday cake", "the spare keys",
          "the printer cartridges", "my headphones", "the signed contract"]
_SUBJECTS = ["the budget review", "next week's offsite", "the invoice from March", "the new hire's onboarding",
             "the kitchen renovation", "the team trip", "the quarterly report", "the school fundraiser"]
_SHOWS = ["The Great British Bake Off", "Planet Earth", "Doctor Who", "The Crown", "Saturday Night Live",
          "Jeopardy", "Succession", "Top Chef"]
OFFICE_SUBJECTS = tuple(_SUBJECTS)  # the audit reads them (an office subject in a news synopsis)
STORY_TOPICS = ("the city's new housing plan", "last winter's storms", "the transit strike", "the river clean-up",
                "the school budget vote", "the mayoral race", "the drought in the south", "the new stadium deal")
_FREE_TEXT = {
    "note": ["Please leave it at the front desk if I'm not home.", "Call me when you arrive, the buzzer is broken.",
             "Running {n} minutes late, start without me.", "Remember to bring {item}.",
             "This is for {first}'s birthday, keep it a surprise.", "I'll confirm the final numbers by {day}.",
             "Quiet room away from the elevator, if possible.", "Moved from last week because of the trip to {city}."],
    "message": ["Hi {first}, are we still on for {day} at {time}?", "Running {n} minutes late, sorry!",
                "The deploy is done, please check the dashboard when you can.",
                "Can you send me the slides for {topic} before {day}?", "Thanks for the help today, {first}!",
                "Heads up: the meeting moved to {time}.", "I'm outside the main entrance.",
                "Reminder that rent is due on {day}."],
    "comment": ["Looks good to me, merging after the tests pass.", "Can we split this into two smaller tasks?",
                "Blocked until {first} shares the numbers.", "Great work, the numbers add up now.",
                "I added the missing details from {day}'s call.", "Needs one more review before {day}.",
                "Easy to follow and ready in {n}0 minutes. We loved it.", "Too salty for us, but the sauce was great."],
    "failure": ["Access denied to the destination.", "The destination does not exist.", "The request timed out.",
                "The service quota was exceeded.", "The source was deleted while the task ran."],
    "reason": ["The item arrived damaged.", "I ordered the wrong size.", "My plans changed and I can't travel.",
               "It was delivered {n} days late.", "I found a better option closer to home.",
               "Annual check-up.", "Follow-up on my blood test results.", "Persistent cough for {n} days."],
    "description": ["Prepare the slides for {topic}.", "Collect feedback from the team and summarise it by {day}.",
                    "Update the budget sheet with the latest invoices.", "Book the venue in {city} and send invites.",
                    "Review the contract and flag anything unusual.", "Fix the broken link on the pricing page."],
    "remark": ["Created from the mobile app.", "Imported from the {day} export.", "Second try after a timeout.",
               "For {first}'s team in {city}.", "Paid in two parts, as agreed."],
    "caption": ["Crowds gather in {city} on {day}.", "{first} at the opening of the new library in {city}.",
                "The view from the harbour in {city} at dawn.", "Volunteers sort donations at a food bank in {city}."],
    "synopsis": ["An overview of {topic} and what comes next.", "A report from {city} on {topic}.",
                 "How {topic} came together, step by step.", "What {first} learned from {topic}.",
                 "A look back at {topic}, with figures from {day}.", "Notes from {city}: {topic} in {n} parts."],
    "status": ["Replication to the replica is active.", "The destination is receiving records.",
               "Throttled requests for {n} minutes after a traffic spike.", "Waiting for the table to become ACTIVE.",
               "Sampling of the most accessed keys is running.", "Access to the stream was denied; check the role."],
    "subject": ["Question about {topic}", "Meeting on {day}", "Invoice for {topic}", "Quick update on {topic}",
                "Plans for {day}", "Your order is ready", "Follow-up from {day}"],
    "post": ["Can't wait for tonight's episode of {show}! #{tag}", "Who else is watching {show} right now?",
             "That ending of {show} though. #{tag}", "Catching up on {show} this weekend, no spoilers please!"],
    "request": ["Late check-in, around 11 pm.", "A quiet room on a high floor, please.", "Two extra pillows, please.",
                "Early check-in if possible.", "A cot for a toddler.", "Non-smoking room, please."],
}
_FREE_TEXT_KEYS = [
    ("request", ("special_requests", "requests", "request")),
    ("failure", ("failure_reason", "failure", "error_message")),
    ("reason", ("reason", "cause", "why")),
    ("subject", ("subject", "headline", "summary")),
    ("comment", ("comment", "review", "feedback")),
    ("note", ("note", "notes", "memo", "remark", "instructions")),
    ("caption", ("caption", "alt_text")),  # what a photo shows, not a chat line
    ("post", ("tweet", "tweets")),  # a social post about a show, not a chat line to a colleague
    ("message", ("message", "text", "body", "content", "reply", "greeting", "auto_reply", "sms")),
    ("description", ("description", "details", "bio", "about")),
]


def sentence_templates(kind: str) -> list[str]:
    """The sentences a free-text field of ``kind`` gets ("description": a task's to-do sentences; "message": chat
    lines), with ``{first}``-style holes: the audit reads them to see one in a field of another kind."""
    return list(_FREE_TEXT[kind])


def _aws_hints() -> dict[str, Any]:
    """What the botocore source knows about AWS values (its permission actions, its ARN forms)."""
    from inftool_hf.sources.registry import source

    return source("botocore").value_hints


def _aws_service(context: str) -> str:
    """The AWS service a tool's context names (``"sqs_send_message aws_sqs"`` → ``"sqs"``); "" for none."""
    return next((word[4:] for word in context.split() if word.startswith("aws_")), "")


def _arn(v: ValueFactory) -> str:
    """An ARN of the tool's own service (``aws_sqs`` tools get ``arn:aws:sqs:...``); S3 and IAM ARNs have no
    region, S3 ones no account either."""
    service = _aws_service(v.context) or v.rng.choice(["dynamodb", "sqs", "s3"])
    name = f"{v.rng.choice(['orders', 'customers', 'billing', 'sessions', 'audit'])}-" \
           f"{v.rng.choice(['prod', 'staging', 'dev'])}"
    region = "" if service in ("s3", "iam") else v.rng.choice(["us-east-1", "eu-west-1", "us-west-2"])
    account = "" if service == "s3" else str(v.rng.randint(10**11, 10**12 - 1))
    resource = _aws_hints()["arn_resources"].get(service, "{name}").format(name=name)
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _phone(v: ValueFactory) -> str:
    return f"+1 {v.rng.randint(201, 989)} {v.rng.randint(200, 999)} {v.rng.randint(1000, 9999)}"


_PROVIDERS: list[tuple[tuple[str, ...], Any]] = [
    (("email", "e_mail", "mail"), lambda v: v.faker.email()),
    (("url", "uri", "link", "website", "homepage", "webhook"), lambda v: v.faker.url()),
    (("phone", "mobile", "tel", "telephone"), _phone),
    (("arn",), lambda v: _arn(v)),
    (("table", "bucket", "queue", "stream", "topic", "backup", "index", "cluster", "repository", "function"),
     lambda v: f"{v.rng.choice(['orders', 'customers', 'billing', 'sessions', 'audit', 'inventory'])}-"
               f"{v.rng.choice(['prod', 'staging', 'dev', '2026'])}"),
    (("city", "location", "region", "place", "town", "destination_city"), lambda v: v.city()),
    (("origin", "destination"), lambda v: f"{v.faker.street_address()}, {v.city()}"),
    (("address", "street"), lambda v: f"{v.faker.street_address()}, {v.city()}"),
    (("postcode", "zip", "zipcode", "postal_code"), lambda v: v.faker.postcode()),
    (("country",), lambda v: v.rng.choice(_COUNTRY_CODES)),
    (("currency",), lambda v: v.rng.choice(_CURRENCIES)),
    (("language", "lang", "locale"), lambda v: v.rng.choice(["en", "es", "fr", "de", "pt"])),
    (("timezone", "time_zone", "tz"), lambda v: v.rng.choice(["Europe/Paris", "America/New_York", "Asia/Tokyo"])),
    (("password", "pin", "secret"), lambda v: v.faker.password(length=12)),
    (("username", "user_name", "login", "handle"), lambda v: v.faker.user_name()),
    (("first_name", "firstname", "given_name"), lambda v: v.faker.first_name()),
    (("last_name", "lastname", "surname", "family_name"), lambda v: v.faker.last_name()),
    (("company", "organization", "organisation", "org", "employer", "vendor", "merchant", "brand"),
     lambda v: v.faker.company()),
    (("color", "colour"), lambda v: v.faker.safe_color_name()),
    (("ingredient", "ingredients"),
     lambda v: v.rng.choice(["chickpeas", "spinach", "salmon", "tomatoes", "rice", "tofu", "lentils"])),
    (("channel",), lambda v: "#" + v.rng.choice(["general", "release", "support", "design"])),
    (("coupon", "promo", "voucher"), lambda v: "SAVE" + str(v.rng.randint(5, 30))),
    (("seat",), lambda v: f"{v.rng.randint(1, 40)}{v.rng.choice('ABCDEF')}"),
    (("title", "subject", "headline"), lambda v: v.rng.choice(_TOPICS["title"])),
    (("query", "search", "keyword", "keywords", "q", "term"), lambda v: v.search_phrase()),
    (("tag", "tags", "label", "labels", "category", "genre", "topic"),
     lambda v: v.rng.choice(["travel", "work", "family", "finance", "health", "music", "sports"])),
    (("repo", "repo_path", "directory", "dir", "workdir", "cwd"),  # a git repository is a folder on disk
     lambda v: f"/home/{v.faker.user_name()}/{v.rng.choice(['projects', 'src', 'work'])}/"
               f"{v.rng.choice(['inventory-api', 'billing-service', 'mobile-app', 'website', 'data-pipeline'])}"),
    (("file", "filename", "path"), lambda v: v.rng.choice(["report.pdf", "notes.txt", "photo.jpg", "budget.xlsx"])),
    (tuple(_PERSON_KEYS) + ("name",), lambda v: f"{v.faker.first_name()} {v.faker.last_name()}"),
    (("version",), lambda v: f"{v.rng.randint(1, 4)}.{v.rng.randint(0, 9)}"),
    (("date_time", "datetime", "timestamp", "time", "expiration", "expiry", "expires"),
     lambda v: f"{v.today + dt.timedelta(days=v.rng.randint(1, 30))}T{v.rng.choice([9, 11, 14, 17]):02d}:00:00Z"),
    (("sky", "conditions", "condition", "weather", "forecast"),
     lambda v: v.rng.choice(["clear", "partly cloudy", "overcast", "light rain", "sunny", "snow showers"])),
    (("status", "state"), lambda v: v.rng.choice(["active", "pending", "completed", "confirmed"])),
    (("sort", "order", "direction"), lambda v: v.rng.choice(["asc", "desc"])),
    (("nickname", "alias"), lambda v: v.rng.choice(["Everyday", "Savings", "Holiday fund", "Bills", "Rainy day"])),
    (("room_type",), lambda v: v.rng.choice(["double", "twin", "suite", "single", "family room"])),
    (("room",), lambda v: v.rng.choice(["kitchen", "living room", "bedroom", "office", "garage", "hallway"])),
    (("device", "device_name"), lambda v: v.rng.choice(["Living room speaker", "Phone", "Kitchen display", "Laptop"])),
    (("isbn",), lambda v: v.faker.isbn13()),
    (("step", "steps", "instruction", "instructions"),
     lambda v: v.rng.choice(["Chop the onions and garlic.", "Simmer for 15 minutes.", "Season with salt and pepper.",
                             "Bake at 200 °C for 25 minutes.", "Stir in the spinach and serve."])),
    (("gate",), lambda v: f"{v.rng.choice('ABCD')}{v.rng.randint(1, 40)}"),
    (("date", "day", "since", "until", "deadline", "birthday"),
     lambda v: (v.today + dt.timedelta(days=v.rng.randint(1, 60))).isoformat()),
    (("symbol", "ticker"), lambda v: v.rng.choice(_SYMBOLS)),
    (("airport",), lambda v: v.rng.choice(_AIRPORTS)),
]
