"""A domain taxonomy: the hundreds of fine domains real sources bring (one per AWS service, Google API or MCP
server) under a dozen top-level areas, so a pool of 45k tools can be read, balanced and reported like the pack's.

Each domain is placed by the words of its name and of its tools' names and descriptions, scored against a keyword
list per area (TF-IDF weighted, so a word every domain uses counts for little); a domain whose best score is weak
goes to ``other``. Keyword lists, not a model: the pool is built before any engine starts, and a capable model's
judgement can replace this where one is configured.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from inftool_hf.sources.specs import ToolSpec

AREAS: dict[str, tuple[str, ...]] = {
    "travel": ("flight", "flights", "hotel", "hotels", "booking", "trip", "airport", "seat", "itinerary", "travel",
               "reservation", "fare", "check-in"),
    "finance": ("bank", "banking", "account", "payment", "invoice", "billing", "transfer", "balance", "stock",
                "portfolio", "invest", "investing", "trade", "budget", "currency", "tax", "ledger", "pricing"),
    "commerce": ("order", "cart", "product", "checkout", "shop", "ecommerce", "store", "merchant", "catalog",
                 "inventory", "coupon", "bookstore", "shopping", "retail"),
    "health": ("health", "healthcare", "patient", "doctor", "clinic", "appointment", "medical", "prescription",
               "fhir", "fitness", "dicom"),
    "media": ("music", "song", "playlist", "video", "audio", "photo", "image", "movie", "podcast", "stream",
              "youtube", "media", "album", "artist", "transcoder", "speech"),
    "communication": ("message", "messaging", "email", "mail", "chat", "sms", "notification", "channel", "contact",
                      "call", "meeting", "gmail", "conversation", "queue", "sqs", "sns", "pubsub", "topic"),
    "productivity": ("calendar", "event", "task", "tasks", "project", "document", "docs", "sheet", "spreadsheet",
                     "drive", "note", "slides", "forms", "workspace", "project_management", "todo", "classroom"),
    "places": ("map", "maps", "place", "places", "route", "directions", "location", "geocode", "weather",
               "forecast", "address", "travel_time", "time", "timezone"),
    "home": ("smart_home", "device", "thermostat", "light", "lock", "home", "sensor", "iot", "cooking", "recipe"),
    "data": ("database", "table", "query", "dynamodb", "sql", "bigquery", "dataset", "analytics", "warehouse",
             "index", "search", "stream", "kinesis", "athena", "glue", "datastore", "firestore", "spanner"),
    "storage": ("bucket", "storage", "object", "file", "files", "backup", "s3", "volume", "snapshot", "archive",
                "glacier", "filesystem"),
    "compute": ("instance", "instances", "cluster", "container", "function", "lambda", "compute", "job", "node",
                "kubernetes", "vm", "ec2", "batch", "autoscaling", "run", "deployment", "pipeline", "build"),
    "network": ("network", "dns", "vpc", "subnet", "firewall", "load", "balancer", "gateway", "route53", "cdn",
                "endpoint", "certificate", "domain"),
    "security": ("iam", "policy", "role", "permission", "key", "secret", "identity", "auth", "token", "kms",
                 "encryption", "audit", "security", "access", "guardduty"),
    "developer": ("git", "repository", "repo", "commit", "branch", "code", "fetch", "url", "api", "log", "logging",
                  "monitoring", "metric", "alarm", "trace", "debug", "source", "artifact"),
    "advertising": ("ad", "ads", "campaign", "advertiser", "creative", "adexchange", "dfareporting", "marketing",
                    "audience", "bid", "bidder", "displayvideo"),
    "machine_learning": ("model", "training", "prediction", "endpoint", "sagemaker", "aiplatform", "ml", "dataset",
                         "translate", "vision", "language", "dialogflow", "comprehend", "rekognition", "inference"),
}
MIN_SCORE = 0.05  # below this best score a domain is "other"


def _words(text: str) -> list[str]:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))


def classify_domains(tools: Iterable[ToolSpec]) -> dict[str, str]:
    """Each tool domain → its area (a key of :data:`AREAS`, or ``other``)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts: dict[str, list[str]] = defaultdict(list)
    for tool in tools:
        texts[tool.domain] += [tool.domain, tool.domain, tool.name, tool.description[:200]]
    if not texts:
        return {}
    domains = sorted(texts)
    documents = [" ".join(_words(" ".join(texts[d]))) for d in domains]
    areas = sorted(AREAS)
    vocabulary = sorted({w for words in AREAS.values() for keyword in words for w in _words(keyword)})
    matrix = TfidfVectorizer(vocabulary=vocabulary, sublinear_tf=True).fit_transform(documents)
    index = {word: i for i, word in enumerate(vocabulary)}
    keywords = np.zeros((len(vocabulary), len(areas)))  # how often each word stands in an area's keyword list
    for column, area in enumerate(areas):
        for keyword in AREAS[area]:
            for word in _words(keyword):
                keywords[index[word], column] += 1
    scores = np.asarray(matrix @ keywords)  # domains x areas
    best = scores.argmax(axis=1)  # the first in name order on a tie
    return {domain: areas[best[row]] if scores[row, best[row]] >= MIN_SCORE else "other"
            for row, domain in enumerate(domains)}


def taxonomy_report(tools: Iterable[ToolSpec]) -> dict[str, Any]:
    """Areas with their domains and tool counts (what the tool-tree report shows)."""
    tools = list(tools)
    placed = classify_domains(tools)
    counts: dict[str, int] = defaultdict(int)
    for tool in tools:
        counts[tool.domain] += 1
    areas: dict[str, dict[str, Any]] = {}
    for domain, area in sorted(placed.items()):
        entry = areas.setdefault(area, {"domains": [], "tools": 0})
        entry["domains"].append(domain)
        entry["tools"] += counts[domain]
    return dict(sorted(areas.items(), key=lambda item: -item[1]["tools"]))
