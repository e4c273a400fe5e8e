"""The house guard: a fixed-seed generation run (scripted assistant turns, template user, schema server) must
produce byte-identical rows before and after a refactor that only moves code. The golden rows were written by
the code at commit 1d49cff; regenerate them (``python -m tests.test_golden_rows``) only for a change that is
meant to alter rows, and say so in the commit."""

import json
import sys
import tempfile
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "data" / "golden_rows"
RUNS = {"pack": ["pack"], "realworld": ["googleapis:tasks", "botocore:sqs"]}


def _rows(specs: list[str]) -> list[str]:
    from inftool_hf.generate import GenerateConfig, generate
    from inftool_hf.synth.roleplay import RolePlayConfig
    from inftool_hf.synth.scenarios import ScenarioConfig
    from tests.fakes import ScriptedBackend

    with tempfile.TemporaryDirectory() as folder:
        config = GenerateConfig(name="guard", output_dir=folder, specs=specs, decontaminate=False,
                                scenarios=ScenarioConfig(num_scenarios=24, seed=7),
                                roleplay=RolePlayConfig(shard_size=24))
        out = generate(config, backend=ScriptedBackend(), progress=False)
        return [json.dumps({"split": split, **row}, sort_keys=True, default=str)
                for split in sorted(out) for row in out[split]]


@pytest.mark.parametrize("run", sorted(RUNS))
def test_rows_are_byte_identical_to_the_golden_run(run):
    golden = (GOLDEN / f"{run}.jsonl").read_text().splitlines()
    made = _rows(RUNS[run])
    assert len(made) == len(golden), f"{run}: {len(made)} rows, golden has {len(golden)}"
    for i, (new, old) in enumerate(zip(made, golden, strict=True)):
        assert new == old, f"{run}: row {i} differs from tests/data/golden_rows/{run}.jsonl"


def _verdicts() -> list[str]:
    from inftool_hf.verify.gates import check_trajectory
    from tests.golden_mutations import mutated_rows

    rows = [json.loads(line) for run in sorted(RUNS) for line in (GOLDEN / f"{run}.jsonl").read_text().splitlines()]
    for row in rows:
        row.pop("split")
    return [json.dumps({"id": r["id"], "verdict": list(check_trajectory(r))}, sort_keys=True)
            for r in mutated_rows(rows)]


def test_gate_verdicts_on_mutated_rows_are_unchanged():
    """The golden runs keep every row, so they never reach a rejection: ten mutations of each golden row, each
    aimed at one gate, must get the same failed gate and reasons as the code before the gates became a registry
    (tests/data/golden_rows/verdicts.jsonl, written by the code at commit 9d60059)."""
    golden = (GOLDEN / "verdicts.jsonl").read_text().splitlines()
    made = _verdicts()
    assert {json.loads(v)["verdict"][0] for v in golden} >= {None, "parse", "schema", "blueprint", "grounded",
                                                              "state", "faithful"}
    assert len(made) == len(golden)
    for new, old in zip(made, golden, strict=True):
        assert new == old


if __name__ == "__main__":  # rewrite the golden rows (only for a change meant to alter rows)
    for name in sys.argv[1:] or sorted(RUNS):
        (GOLDEN / f"{name}.jsonl").write_text("\n".join(_rows(RUNS[name])) + "\n")
