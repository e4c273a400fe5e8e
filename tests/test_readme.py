"""The README is what a newcomer reads first: short, every path and link it names exists, the two places to add a
gate or a source hold the registries it says they hold, and its results table quotes docs/results.md."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_short_and_undated():
    assert len(README.splitlines()) <= 200
    # dates belong to docs/results.md, next to the run they describe
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", README)


def test_every_link_and_package_path_in_the_readme_exists():
    links = re.findall(r"\]\(([^)#\s]+)\)", README)
    assert len(links) > 15
    missing = [link for link in links if not link.startswith("http") and not (ROOT / link).exists()]
    assert not missing
    packages = re.findall(r"`(inftool_hf/[\w/]+/?)`", README)
    assert {"inftool_hf/sources/", "inftool_hf/synth/", "inftool_hf/verify/", "inftool_hf/train/",
            "inftool_hf/evaluate/"} <= set(packages)
    assert all((ROOT / "src" / p).exists() for p in packages)


def test_the_readme_says_where_gates_and_sources_are_added_and_they_are_there():
    from inftool_hf.sources.registry import SOURCES
    from inftool_hf.verify.gates import GATES

    assert "one line in `verify/gates.py`" in README and "one line in `sources/registry.py`" in README
    assert "GATES: tuple[Gate, ...] = (" in (ROOT / "src/inftool_hf/verify/gates.py").read_text()
    assert "SOURCES: tuple[Source, ...] = (" in (ROOT / "src/inftool_hf/sources/registry.py").read_text()
    assert len(GATES) >= 5 and {s.name for s in SOURCES} >= {"pack", "openapi", "botocore", "googleapis", "python",
                                                              "mcp"}


def test_the_readme_results_are_quoted_from_docs_results():
    results = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    table = README.split("## Current results", 1)[1].split("\n## ", 1)[0]
    numbers = re.findall(r"\d+\.\d+%?|\[\d+\.\d+, \d+\.\d+\]", table)
    assert len(numbers) >= 7
    assert [n for n in numbers if n.rstrip("%") not in results] == []
