"""Read a dataset the way a practitioner does before training on it, and put numbers on what they'd see.

``audit_dataset`` re-checks every kept row (faithfulness, state consistency), measures where argument
values came from (the spec's own ``enum``/``examples``/``default``/``const`` vs generated), exact and
near-duplicate requests, the lexical diversity of user turns (distinct 4-grams per 1,000 words), and the
share of rows with template artefacts (parenthesised ``key: value`` lists, markup, placeholders); it also
renders a few random rows for reading. ``inftool-hf audit <dataset>`` prints it and writes
``audit.json`` / ``audit.md``; the dataset card carries the same numbers.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .consistency import state_inconsistencies
from .faithfulness import faithfulness_problems

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
                if slug and re.fullmatch(rf"{re.escape(slug)}(?:-[a-z]+)*-\d+", value.casefold()):
                    found.append(f"{key}: {value}")
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
        from .trajectories import load_hub_folder

        dataset = load_hub_folder(dataset)
    kept = dataset["train"] if hasattr(dataset, "keys") and "train" in dataset else dataset
    rows = list(kept)
    faithful = state_ok = 0
    examples: dict[str, list[str]] = {"faithfulness": [], "state": []}
    artefact_rows: Counter = Counter()
    any_artefact = placeholder_rows = 0
    examples["placeholder values"] = []
    sources: Counter = Counter()
    answers: Counter = Counter()
    exact: set[str] = set()
    exact_dupes = 0
    users = []
    for row in rows:
        tools = json.loads(row["tools"])
        problems = faithfulness_problems(row["messages"], tools)
        faithful += not problems
        if problems and len(examples["faithfulness"]) < 5:
            examples["faithfulness"].append(f"{row['id']}: {problems[0]}")
        inconsistent = state_inconsistencies(row["messages"])
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
        "faithfulness_rate": faithful / count,
        "state_consistency_rate": state_ok / count,
        "artefact_rate": any_artefact / count,
        "artefacts": dict(artefact_rows),
        "placeholder_value_rate": placeholder_rows / count,
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
             f"| faithfulness (answers say only what results and user support) | "
             f"{100 * report['faithfulness_rate']:.1f}% |",
             f"| state consistency (reads agree with writes) | {100 * report['state_consistency_rate']:.1f}% |",
             f"| rows with template artefacts | {100 * report['artefact_rate']:.1f}% |",
             f"| rows with a placeholder value (its field's name and a number: `created-at-59`) | "
             f"{100 * report.get('placeholder_value_rate', 0.0):.1f}% |",
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


def main(args: Any) -> int:
    from rich.console import Console
    from rich.markdown import Markdown

    from .atomic import atomic_write_text
    from .trajectories import load_hub_folder

    path = Path(args.dataset)
    dataset = load_hub_folder(args.dataset)
    report = audit_dataset(dataset, sample=args.rows, seed=args.seed)
    markdown = audit_markdown(report) + "\n\n## Random rows\n\n" + "\n\n".join(report["sample"]) + "\n"
    console = Console()
    console.print(Markdown(audit_markdown(report)))
    for row in report["sample"][: args.show]:
        console.print(Markdown(row))
    if path.is_dir():
        atomic_write_text(path / "audit.json", json.dumps(report, indent=2))
        atomic_write_text(path / "audit.md", markdown)
        console.print(f"wrote {path / 'audit.json'} and {path / 'audit.md'}")
    return 0
