"""A verified row as data: loading, the held-out split, and the decisions it holds.

Below both training and evaluation, so the two never import each other: a row (see ``roleplay.to_row``) is
loaded here, split by a hash of its id (the same rows are held out in every stage and every run), and cut into
*decision points* — the conversation up to one assistant turn and the action that turn must take — which GRPO
rewards, held-out scoring measures, and environments start from.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from inftool_hf.configs import ConfigError
from inftool_hf.synth.tool_pool import is_minted


def release_configs(source: str | os.PathLike[str]) -> list[str]:
    """The configs of a released dataset (one per loop iteration, and ``dev``): the folders under ``data/`` of a
    local release, or the configs a Hub repo's card lists; [] for a one-config folder."""
    path = Path(source)
    if path.is_dir():
        names = [d.name for d in (path / "data").glob("*/") if d.is_dir() and any(d.glob("*-of-*.parquet"))]
        return sorted(names, key=_config_order)
    from datasets import get_dataset_config_names

    names = get_dataset_config_names(str(source))
    return [] if names == ["default"] else sorted(names, key=_config_order)


def _config_order(name: str) -> tuple[int, str]:
    digits = re.fullmatch(r"iter(\d+)", name)
    return (int(digits.group(1)), "") if digits else (10**9, name)


def load_hub_folder(source: str | os.PathLike[str], split: str | None = None, config: str | None = None):
    """A dataset folder in Hub layout (or a Hub id) → its ``DatasetDict``, or one split as a ``Dataset``;
    ``config`` picks one iteration of a released loop run (see ``release_configs``), else the default one.
    Rows come back in the stored form (``tools`` and call arguments as JSON strings), whichever form was published.

    ``datasets.load_dataset(folder)`` keys its cache by the folder's name and the card's ``configs`` only
    (datasets 5.2): a regenerated folder, or another folder of the same name, silently reads the rows cached
    for the first one. A local folder is therefore read through its parquet files, whose paths and
    modification times are part of the cache key."""
    from datasets import load_dataset

    path = Path(source)
    if not path.exists():
        if path.is_absolute() or not re.fullmatch(r"[\w.-]+/[\w.-]+", str(source)):
            raise FileNotFoundError(f"dataset {str(source)!r}: no such folder, and not a Hub id (owner/name)")
        return to_stored_form(load_dataset(str(source), config, split=split))
    data = path / "data"
    if config is None and not any(data.glob("*-of-*.parquet")) and (configs := release_configs(path)):
        config = ([c for c in configs if c != "dev"] or configs)[-1]  # the last iteration, as the card's default
    if config is not None:
        if not (data / config).is_dir():
            raise FileNotFoundError(f"dataset {str(path)!r}: no config {config!r} (data/ holds "
                                    f"{release_configs(path)})")
        data = data / config
    files: dict[str, list[str]] = {}
    for file in sorted(data.glob("*-of-*.parquet")):
        files.setdefault(file.name.split("-")[0], []).append(str(file))
    if not files:
        return load_dataset(str(path), split=split)  # not our layout: let datasets find the files
    if split is not None and split not in files:
        raise FileNotFoundError(f"dataset {str(path)!r}: no split {split!r} ({data.relative_to(path)}/ holds "
                                f"{sorted(files)})")
    # train (the verified rows) first, as the Hub shows them; the file names alone would put "rejected" first
    files = {name: files[name] for name in sorted(files, key=lambda name: (name != "train", name))}
    return to_stored_form(load_dataset("parquet", data_files=files, split=split))


def _json_columns(features: Any, form: Any) -> Any:
    """``features`` with ``tools`` and every call's ``arguments`` of type ``form``."""
    import copy

    from datasets import Features

    features = copy.deepcopy(features)
    if "tools" in features:
        features["tools"] = form
    message = getattr(features.get("messages"), "feature", None)
    calls = getattr(message.get("tool_calls"), "feature", None) if isinstance(message, dict) else None
    if isinstance(calls, dict) and isinstance(calls.get("function"), dict) and "arguments" in calls["function"]:
        calls["function"]["arguments"] = form
    return Features(features)


def _convert_json(row: dict[str, Any], convert: Any) -> dict[str, Any]:
    row["tools"] = convert(row["tools"])
    for message in row["messages"]:
        for call in message.get("tool_calls") or []:
            call["function"]["arguments"] = convert(call["function"]["arguments"])
    return row


def _dumps(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def to_release_form(dataset: Any) -> Any:
    """Rows as TRL's ``SFTTrainer`` reads them for tool calling with no user code: ``tools`` a list of schemas and
    each call's ``arguments`` an object, as ``datasets.Json`` columns. A plain Arrow struct would merge every call's
    argument names into one type and fill the ones a call lacks with nulls, which chat templates then render."""
    from datasets import Json

    if "tools" not in dataset.column_names or "messages" not in dataset.column_names:
        return dataset
    return dataset.map(_convert_json, fn_kwargs={"convert": _loads},
                       features=_json_columns(dataset.features, Json()), desc="release form")


def to_stored_form(dataset: Any) -> Any:
    """The inverse of ``to_release_form`` (a no-op on rows already stored as JSON strings)."""
    from datasets import DatasetDict, Json, Value

    if isinstance(dataset, DatasetDict):
        return DatasetDict({name: to_stored_form(split) for name, split in dataset.items()})
    if "tools" not in dataset.column_names or not isinstance(dataset.features["tools"], Json):
        return dataset
    return dataset.map(_convert_json, fn_kwargs={"convert": _dumps},
                       features=_json_columns(dataset.features, Value("string")), desc="stored form")


def load_trajectories(source: Any, split: str = "train"):
    """A Dataset, a local folder in Hub layout, or a Hub id → the verified split."""
    from datasets import Dataset, DatasetDict

    if isinstance(source, Dataset):
        return source
    if isinstance(source, DatasetDict):
        return source[split]
    path = Path(str(source))
    if not path.exists() and "/" not in str(source):
        raise ConfigError(f"dataset {source!r}: no such folder, and not a Hub id (owner/name)")
    return load_hub_folder(str(source), split=split)


def is_heldout(row_id: str, fraction: float) -> bool:
    digest = hashlib.sha256(row_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def split_heldout(dataset, fraction: float):
    train = dataset.filter(lambda r: not is_heldout(r["id"], fraction))
    heldout = dataset.filter(lambda r: is_heldout(r["id"], fraction))
    return train, heldout


def _minted_values(value: Any, found: list[tuple[str, Any]], key: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _minted_values(v, found, k)
    elif isinstance(value, list):
        for item in value:
            _minted_values(item, found, key)
    elif key and (is_minted(key) or key == "id") and isinstance(value, str):  # Google's ``id`` too (→ ``eventId``)
        found.append((key, value))


# Categories whose first right decision is not to call: decline (nothing fits), or ask for a missing value.
DECLINE_CATEGORIES = ("irrelevance", "miss_func", "miss_param")


def decision_points(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The verifiable assistant decisions of one row: calling turns, and the first reply where the right
    action is not to call (no-call categories, asking for a missing value)."""
    messages = row["messages"]
    points = []
    text_turn_seen = False
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        calls = message.get("tool_calls") or []
        if not calls and text_turn_seen:
            continue
        if not calls:
            text_turn_seen = True
            if row["category"] not in DECLINE_CATEGORIES:
                continue
        prefix = messages[:index]
        known: list[tuple[str, Any]] = []
        for earlier in prefix:
            if earlier["role"] == "tool":
                try:
                    _minted_values(json.loads(earlier["content"]), known)
                except (ValueError, TypeError, RecursionError):
                    pass
        try:
            expected = [[c["function"]["name"], json.loads(c["function"]["arguments"] or "{}")] for c in calls]
        except (ValueError, TypeError, RecursionError):
            continue  # undecodable gold arguments (never in a verified row): no target to reward against
        if any(not isinstance(args, dict) for _, args in expected):
            continue
        for _, args in expected:
            _minted_values(args, known)  # ids the user stated
            # and ids named another way (``tasklist``, "Task list identifier."): the reward's server knows them
            known += [(k, v) for k, v in args.items() if isinstance(v, str) and not is_minted(k)]
        points.append({"prefix": prefix, "expected": {"calls": expected}, "known_ids": known})
    return points


# Gates a rejected row fails when the assistant decided wrong (what it called, or that it called at all).
DECISION_GATES = ("parse", "schema", "blueprint")


def failure_decision_points(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The first decision of a row the assistant got wrong, with the gold action from its blueprint: the
    conversation up to the first assistant turn, and the first planned step (or no call, where nothing fits or
    a value is missing). Empty for rows rejected for anything but the assistant's decisions."""
    if (row.get("verification") or {}).get("failed_gate") not in DECISION_GATES:
        return []
    messages = row["messages"]
    first = next((i for i, m in enumerate(messages) if m["role"] == "assistant"), len(messages))
    prefix = messages[:first]
    if not any(m["role"] == "user" for m in prefix):
        return []
    try:
        blueprint = json.loads(row["blueprint"])
        calls = [c for c in blueprint.get("calls") or [] if c.get("turn", 0) == 0]
    except (ValueError, TypeError, AttributeError):
        return []
    if row["category"] == "miss_param" or not calls:
        expected: list[list[Any]] = []  # ask for the missing value / decline: no call
    else:
        step = min(c.get("step", 0) for c in calls)
        expected = [[c["name"], c["arguments"]] for c in calls if c.get("step", 0) == step]
    known: list[tuple[str, Any]] = []
    for _, args in expected:
        _minted_values(args, known)
    return [{"prefix": prefix, "expected": {"calls": expected}, "known_ids": known}]


def rejected_rows(dataset: Any) -> list[dict[str, Any]]:
    """The ``rejected`` split of a dataset folder (or ``DatasetDict``), [] where there is none."""
    from datasets import DatasetDict

    if isinstance(dataset, DatasetDict):
        return list(dataset["rejected"]) if "rejected" in dataset else []
    if not isinstance(dataset, (str, Path)) or not Path(dataset).is_dir():
        return []
    try:
        return list(load_trajectories(dataset, split="rejected"))
    except FileNotFoundError:
        return []
