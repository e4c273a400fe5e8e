"""Placeholder values by kind of source: the share of verified rows whose calls or tool results carry a value built
from its own field's name and a number (``created-at-59``; ``inftool_hf.verify.audit.placeholder_values``), on the pack,
the real-world sources and the held-out public specs of tests/data/public_specs (SOURCE.md), beside the audit's
other value checks: numbers and times past what their unit allows, results contradicting their own call, values of
the wrong kind for their field, and the
share of rows with none of those nor a read against a write ("plausible values"). Rows are blueprint
rows (a scripted assistant, template user, schema server: no model), so the figure measures the values alone.
Writes benchmarks/results/placeholder_values.json (``--label`` names the code measured, e.g. a commit).

    .venv/bin/python benchmarks/placeholder_values.py --label "$(git rev-parse --short HEAD)"
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from common import write_result  # noqa: E402

from inftool_hf.generate import GenerateConfig, build_pool  # noqa: E402
from inftool_hf.synth.roleplay import RolePlayConfig, role_play  # noqa: E402
from inftool_hf.synth.scenarios import ScenarioConfig, sample_scenarios  # noqa: E402
from inftool_hf.verify.audit import audit_dataset, placeholder_values  # noqa: E402
from inftool_hf.verify.gates import verify_trajectories  # noqa: E402
from tests.fakes import ScriptedBackend  # noqa: E402

SOURCES = {
    "pack": ["pack"],
    "real-world (AWS, Google)": ["botocore:dynamodb", "botocore:sqs", "googleapis:calendar", "googleapis:tasks"],
    "public specs (held out)": [str(Path(__file__).parent.parent / "tests" / "data" / "public_specs")],
}


def measure(specs: list[str], scenarios: int, seed: int) -> dict:
    pool = build_pool(GenerateConfig(specs=specs, decontaminate=False))
    plans = sample_scenarios(pool, ScenarioConfig(num_scenarios=scenarios, seed=seed))
    verified = verify_trajectories(role_play(plans, pool, RolePlayConfig(), ScriptedBackend("ok"), progress=False))
    report = audit_dataset(verified, sample=0)
    fields: Counter = Counter(found.split(":", 1)[0] for row in verified["train"] for found in placeholder_values(row))
    return {"rows": len(plans), "verified": report["rows"], "placeholder_value_rate": report["placeholder_value_rate"],
            "fields": dict(fields.most_common(12)), "examples": report["examples"]["placeholder values"],
            "range_absurdity_rate": report["range_absurdity_rate"], "echo_mismatch_rate": report["echo_mismatch_rate"],
            "state_consistency_rate": report["state_consistency_rate"],
            "plausible_value_rate": report["plausible_value_rate"],
            "wrong_kind_rate": report["wrong_kind_rate"], "wrong_kind_examples": report["examples"]["wrong kind"],
            "range_examples": report["examples"]["range"], "echo_examples": report["examples"]["echo"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=150)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--label", default="working tree")
    parser.add_argument("--name", default="placeholder_values", help="results file name (without .json)")
    args = parser.parse_args()
    started = time.perf_counter()
    results = {}
    for source, specs in SOURCES.items():
        results[source] = measure(specs, args.scenarios, args.seed)
        r = results[source]
        print(f"{source:28s} {r['verified']:4d}/{r['rows']} verified, placeholder values in "
              f"{100 * r['placeholder_value_rate']:.1f}% of rows {r['fields'] or ''}; absurd numbers/times "
              f"{100 * r['range_absurdity_rate']:.1f}%, contradicted calls {100 * r['echo_mismatch_rate']:.1f}%, "
              f"wrong kinds {100 * r['wrong_kind_rate']:.1f}%, "
              f"plausible values {100 * r['plausible_value_rate']:.1f}%")
    write_result(args.name, {"code": args.label, "scenarios": args.scenarios, "seed": args.seed,
                             "seconds": round(time.perf_counter() - started, 1), "sources": results})


if __name__ == "__main__":
    main()
