"""Realistic argument values that satisfy a JSON schema.

Blueprints are sampled before any dialogue, so every gold argument must already be valid (enums,
formats, ranges, patterns) and look like something a person would say. Faker supplies people, places,
dates and text; rstr turns ``pattern`` regexes into matching strings; the parameter name picks the
Faker provider. Everything is driven by one seeded :class:`random.Random`, so a scenario seed
reproduces the same values. Tool-minted ids (``booking_id``...) get a recognisable, unique form.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import string
from typing import Any

_CITIES = ["Paris", "Lisbon", "Toronto", "Osaka", "Nairobi", "Melbourne", "Denver", "Oslo", "Seville", "Hanoi",
           "Edinburgh", "Bogota", "Krakow", "Austin", "Cape Town", "Vancouver", "Munich", "Porto"]
_TOPICS = {
    "query": ["dune", "agatha christie", "ocean life", "space history", "italian cooking", "jazz piano"],
    "keyword": ["oat milk", "sourdough bread", "dish soap", "green tea", "basmati rice", "olive oil"],
    "title": ["Quarterly planning", "Dentist visit", "Team retro", "Fix login bug", "Book club",
              "Update onboarding docs"],
    "artist_name": ["Nina Simone", "Daft Punk", "Miles Davis", "Adele", "Radiohead", "Fela Kuti"],
    "playlist_name": ["Morning run", "Deep focus", "Road trip", "Sunday chill"],
    "project_name": ["Website relaunch", "Mobile app v2", "Office move", "Data migration"],
    "scene_name": ["Movie night", "Good morning", "Away mode", "Dinner party"],
    "portfolio_name": ["Retirement test", "Tech picks", "Dividend ideas"],
    "pharmacy": ["Main Street Pharmacy", "Riverside Drugs", "CityCare Pharmacy"],
    "merchant": ["Corner Cafe", "FreshMart", "City Transit"],
}
_SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "VOO", "AMZN", "KO", "SAP"]
_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CAD", "CHF"]
_AIRPORTS = ["LHR", "CDG", "JFK", "LIS", "NRT", "YYZ", "SFO", "MAD", "FRA", "DXB"]
# Argument pairs that name the two ends of one range (matched with the same prefix/suffix around them).
_RANGE_ENDS = [("start", "end"), ("check_in", "check_out"), ("departure", "return"), ("from", "to"),
               ("min", "max"), ("begin", "finish")]


def _as_instant(value: Any) -> Any:
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


def order_ranges(args: dict[str, Any], keep: set[str] = frozenset()) -> dict[str, Any]:
    """Independently sampled range ends can come out reversed (an event ending before it starts, a
    check-out before the check-in): swap such pairs; equal dates move the end one day later. Values in
    ``keep`` (given by the plan, e.g. from an earlier call) are left alone."""
    for low, high in _RANGE_ENDS:
        for key in list(args):
            if low not in key:
                continue
            other = key.replace(low, high, 1)
            if other == key or other not in args or key in keep or other in keep:
                continue
            first, last = _as_instant(args[key]), _as_instant(args[other])
            if first is None or last is None or type(first) is not type(last):
                continue
            if last < first:
                args[key], args[other] = args[other], args[key]
            elif last == first and isinstance(args[key], str) and len(args[key]) == 10:
                args[other] = (dt.date.fromisoformat(args[key]) + dt.timedelta(days=1)).isoformat()
    return args


class ValueFactory:
    """Schema-valid, realistic values from one seed."""

    def __init__(self, seed: int):
        from faker import Faker

        self.rng = random.Random(seed)
        self.faker = Faker()
        self.faker.seed_instance(seed)
        self.today = dt.date(2026, 11, 24)

    def minted_id(self, name: str) -> str:
        """An id a tool hands out, e.g. ``booking_id`` → ``BK-48213``."""
        stem = re.sub(r"(_id|_token|_number|_ts)$", "", name) or name
        if name.endswith("_token") or name == "token":
            return "tok_" + "".join(self.rng.choices(string.ascii_lowercase + string.digits, k=16))
        prefix = "".join(part[0] for part in stem.split("_") if part)[:3].upper() or "ID"
        if len(prefix) == 1:
            prefix = stem[:2].upper()
        return f"{prefix}-{self.rng.randint(10000, 99999)}"

    def for_schema(self, schema: dict[str, Any], name: str = "", depth: int = 0) -> Any:
        if "enum" in schema and schema["enum"]:
            return self.rng.choice(schema["enum"])
        if "const" in schema:
            return schema["const"]
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
            items = [self.for_schema(item_schema, singular, depth + 1) for _ in range(self.rng.randint(low, high))]
            if schema.get("uniqueItems"):
                items = list(dict.fromkeys(items))
            return items
        if kind == "object":
            if depth > 4:
                return {}
            props = schema.get("properties") or {}
            required = set(schema.get("required", []))
            return order_ranges({key: self.for_schema(sub, key, depth + 1) for key, sub in props.items()
                                 if key in required or self.rng.random() < 0.5})
        return None

    def _number(self, schema: dict[str, Any], name: str, integer: bool) -> int | float:
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + (5000 if "amount" in name or "price" in name
                                                                           or "cash" in name else 100)))
        if "latitude" in name:
            low, high = max(low, -60), min(high, 70)
        if integer:
            low_i = int(low) + (1 if "exclusiveMinimum" in schema and low == int(low) else 0)
            high_i = int(high) - (1 if "exclusiveMaximum" in schema and high == int(high) else 0)
            value = self.rng.randint(low_i, max(low_i, high_i))
            if "default" in schema and value == schema["default"]:
                value = min(high_i, value + 1) if value + 1 <= high_i else value
            return value
        value = round(self.rng.uniform(float(low), float(high)), 2)
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            value = round(float(schema["exclusiveMinimum"]) + 1.0, 2)
        return value

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date":
            return (self.today + dt.timedelta(days=self.rng.randint(-30, 90))).isoformat()
        if fmt == "date-time":
            day = self.today + dt.timedelta(days=self.rng.randint(0, 60))
            hour, minute = self.rng.choice([8, 9, 10, 13, 14, 16, 18]), self.rng.choice([0, 30])
            return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00Z"  # RFC 3339 needs the offset
        if fmt == "email":
            return self.faker.email()
        if fmt in ("uri", "url"):
            return self.faker.url()
        if schema.get("pattern"):
            return self._from_pattern(schema["pattern"], name, schema)
        text = self._by_name(name)
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10_000)
        if len(text) < low:
            if "password" in name:
                text = self.faker.password(length=max(low, 12))
            else:
                text = text + "x" * (low - len(text))
        return text[:high]

    def _from_pattern(self, pattern: str, name: str, schema: dict[str, Any]) -> str:
        if "A-Z]{3}$" in pattern and "airport" in (schema.get("description", "") + name).lower():
            return self.rng.choice(_AIRPORTS)
        if pattern in ("^[A-Z]{3}$",) and "currency" in name:
            return self.rng.choice(_CURRENCIES)
        if "symbol" in name:
            return self.rng.choice(_SYMBOLS)
        import rstr

        return rstr.Rstr(self.rng).xeger(pattern)

    def _by_name(self, name: str) -> str:
        lowered = name.lower()
        if lowered in _TOPICS:
            return self.rng.choice(_TOPICS[lowered])
        if lowered.endswith(("_id", "_token", "_number")) or lowered in ("token",):
            return self.minted_id(lowered)
        if any(k in lowered for k in ("city", "location", "region", "destination_city")):
            return self.rng.choice(_CITIES)
        if lowered in ("origin", "destination"):
            return f"{self.faker.street_address()}, {self.rng.choice(_CITIES)}"
        if "address" in lowered:
            return f"{self.faker.street_address()}, {self.rng.choice(_CITIES)}"
        if "postcode" in lowered or "zip" in lowered:
            return self.faker.postcode()
        if lowered in ("guest_name", "full_name", "name", "payee_name") or lowered.endswith("_name"):
            return self.faker.name()
        if "assignee" in lowered or "reviewer" in lowered:
            return self.faker.first_name().lower()
        if "password" in lowered:
            return self.faker.password(length=12)
        if "language" in lowered:
            return self.rng.choice(["en", "es", "fr", "de", "pt"])
        if "currency" in lowered:
            return self.rng.choice(_CURRENCIES)
        if any(k in lowered for k in ("text", "body", "comment", "message", "note", "memo", "reason",
                                      "description", "special_requests")):
            return self.faker.sentence(nb_words=8).rstrip(".")
        if "subject" in lowered:
            return self.faker.sentence(nb_words=5).rstrip(".")
        if "ingredient" in lowered:
            return self.rng.choice(["chickpeas", "spinach", "salmon", "tomatoes", "rice", "tofu", "lentils"])
        if "channel" in lowered:
            return "#" + self.rng.choice(["general", "release", "support", "design"])
        if "coupon" in lowered:
            return "SAVE" + str(self.rng.randint(5, 30))
        if "seat" in lowered:
            return f"{self.rng.randint(1, 40)}{self.rng.choice('ABCDEF')}"
        return self.faker.word()
