"""Publish a synthesized dataset: a folder in Hub repo layout, and optionally the Hub itself.

The folder holds ``data/{split}-00000-of-00001.parquet`` and a ``README.md`` dataset card rendered from
``data_cards/dataset_card.md.jinja`` with the real statistics; ``trajectories.load_hub_folder`` reads it back and
``HfApi.upload_folder`` publishes exactly the same content. Files are written to a
temporary name and renamed, so a crash never leaves a half-written split behind.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from inftool_hf.atomic import atomic_write
from inftool_hf.hub import hub_upload, redact


def dataset_stats(dataset_dict) -> dict[str, Any]:
    """Counts per category, domain and failed gate, from the ``train`` and ``rejected`` splits."""
    train: Any = dataset_dict["train"] if "train" in dataset_dict else []
    rejected: Any = dataset_dict["rejected"] if "rejected" in dataset_dict else []
    verified = Counter(train["category"]) if len(train) else Counter()
    failed = Counter(rejected["category"]) if len(rejected) else Counter()
    categories = []
    for name in sorted(set(verified) | set(failed)):
        attempted = verified[name] + failed[name]
        categories.append({"name": name, "attempted": attempted, "verified": verified[name],
                           "yield_rate": verified[name] / attempted if attempted else 0.0})
    gates: dict[str, list[str]] = {}
    for row in rejected:
        gates.setdefault(row["verification"]["failed_gate"], []).append("; ".join(row["verification"]["reasons"]))
    rejections = [{"gate": gate, "count": len(reasons), "example": reasons[0][:120].replace("|", "/")}
                  for gate, reasons in sorted(gates.items(), key=lambda item: -len(item[1]))]
    attempted = len(train) + len(rejected)
    generators: dict[str, str] = {}
    for row in list(train)[:1] or list(rejected)[:1]:
        generators = dict(row.get("generator") or {})
    return {
        "attempted": attempted, "verified": len(train), "yield_rate": len(train) / attempted if attempted else 0.0,
        "categories": categories, "domains": sorted(Counter(train["domain"]).items() if len(train) else [],
                                                    key=lambda item: (-item[1], item[0])),
        "rejections": rejections, "generators": generators,
    }


def _write_parquet(split: Any, path: Path) -> None:
    split.to_parquet(str(path))


def _card_template() -> str:
    return (resources.files("inftool_hf") / "data_cards" / "dataset_card.md.jinja").read_text(encoding="utf-8")


def render_card(dataset_dict, title: str, iteration: int, sources: list[str], license: str = "apache-2.0",
                load_path: str = ".", judged: bool = False, shortfall: dict[str, dict[str, Any]] | None = None) -> str:
    import jinja2
    from huggingface_hub import DatasetCard, DatasetCardData

    from inftool_hf.verify.audit import audit_dataset, audit_markdown
    from inftool_hf.verify.gates import GATES

    stats = dataset_stats(dataset_dict)
    splits = [{"name": name, "rows": len(split)} for name, split in dataset_dict.items() if len(split)]
    quality = audit_markdown(audit_dataset(dataset_dict, sample=0)) if "train" in dataset_dict else ""
    # the Hub's own card data: the YAML header the Hub reads (license, tags, the splits' files)
    card_data = DatasetCardData(
        license=license, language=["en"], task_categories=["text-generation"],
        tags=["tool-use", "function-calling", "synthetic", "inftool-hf"],
        configs=[{"config_name": "default",
                  "data_files": [{"split": s["name"], "path": f"data/{s['name']}-*.parquet"} for s in splits]}])
    template = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False).from_string(_card_template())
    body = template.render(card_data=card_data.to_yaml(), title=title, iteration=iteration, sources=sources,
                           license=license, splits=splits, load_path=load_path, judged=judged, quality=quality,
                           shortfall=shortfall or {}, gates=[g for g in GATES if judged or not g.optional], **stats)
    return str(DatasetCard(body))


def save_hub_folder(dataset_dict, folder: str | os.PathLike[str], title: str, iteration: int = 0,
                    sources: list[str] | None = None, license: str = "apache-2.0", judged: bool = False,
                    shortfall: dict[str, dict[str, Any]] | None = None) -> Path:
    """Write ``dataset_dict`` as a Hub-layout folder with its dataset card; returns the folder."""
    folder = Path(folder)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    # An empty split cannot be loaded back (datasets finds "no data"), so only non-empty ones are written.
    written = {name: split for name, split in dataset_dict.items() if len(split)}
    for stale in data.glob("*.parquet"):
        if stale.name.split("-")[0] not in written:
            stale.unlink()
    for name, split in written.items():
        atomic_write(data / f"{name}-00000-of-00001.parquet", partial(_write_parquet, split))
    card = render_card(dataset_dict, title, iteration, sources or [], license, str(folder), judged, shortfall)
    atomic_write(folder / "README.md", lambda tmp: tmp.write_text(card, encoding="utf-8"))
    stats = {**dataset_stats(dataset_dict), "category_shortfall": shortfall or {}}
    atomic_write(folder / "stats.json", lambda tmp: tmp.write_text(json.dumps(stats, indent=2), encoding="utf-8"))
    return folder


def push_to_hub(folder: str | os.PathLike[str], repo_id: str, token: str | None = None, private: bool = False,
                api: Any = None) -> str:
    """Upload a Hub-layout folder as a dataset repo; the token comes from the argument or ``HF_TOKEN``.

    The token is handed to :class:`huggingface_hub.HfApi` and never printed or stored.
    """
    from huggingface_hub import HfApi

    api = api or HfApi(token=token)

    def upload() -> Any:
        api.create_repo(repo_id=repo_id, repo_type="dataset", private=private, exist_ok=True)
        return api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                 commit_message="Upload inftool-hf dataset",
                                 allow_patterns=["data/*.parquet", "README.md"])

    info = hub_upload(upload, token)
    return redact(str(getattr(info, "commit_url", info)), token)
