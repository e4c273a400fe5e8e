"""Real-world spec sources at scale: every AWS service model botocore ships and every Google discovery document
google-api-python-client ships, loaded into tools; then the tool tree on all of them (exact dedup, vectorised
near-duplicate grouping, dependency edges per domain). Prints counts, seconds and peak memory; writes
benchmarks/results/spec_sources.json.

    .venv/bin/python benchmarks/spec_sources.py            # all of both sources, all tools into the pool
    .venv/bin/python benchmarks/spec_sources.py --quick    # 20 services / APIs each
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from common import write_result  # noqa: E402

from inftool_hf.sources.botocore import botocore_services, load_botocore  # noqa: E402
from inftool_hf.sources.googleapis import googleapis_documents, load_googleapis  # noqa: E402
from inftool_hf.sources.specs import SpecError  # noqa: E402
from inftool_hf.synth.tool_pool import build_tool_pool, pool_report  # noqa: E402


def load_all(names, loader) -> tuple[list, int, int, float]:
    started = time.monotonic()
    tools, warnings, failed = [], 0, 0
    for name in names:
        try:
            part = loader(name)
        except SpecError:
            failed += 1
            continue
        tools += part.tools
        warnings += len(part.warnings)
    return tools, warnings, failed, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 services / APIs of each source")
    parser.add_argument("--pool-sample", type=int, default=0,
                        help="tools given to the tool pool, spread evenly over the load (0: all of them)")
    args = parser.parse_args()
    services = botocore_services()
    apis = sorted(googleapis_documents())
    if args.quick:
        services, apis = services[:20], apis[:20]
    aws, aws_warnings, aws_failed, aws_seconds = load_all(services, load_botocore)
    google, google_warnings, google_failed, google_seconds = load_all(apis, load_googleapis)
    everything = aws + google
    sample = everything[:: max(1, len(everything) // args.pool_sample)][: args.pool_sample] if args.pool_sample \
        else everything
    started = time.monotonic()
    pool = build_tool_pool(sample)
    pool_seconds = time.monotonic() - started
    tree = pool_report(sample, pool)
    most_merged = sorted(tree["domains"].items(), key=lambda item: item[1]["kept"] - item[1]["distinct"])[:10]
    result = {
        "aws": {"services": len(services), "services_without_usable_operation": aws_failed, "tools": len(aws),
                "skipped_operations": aws_warnings, "seconds": round(aws_seconds, 1)},
        "google": {"documents": len(apis), "documents_without_usable_method": google_failed, "tools": len(google),
                   "skipped_methods": google_warnings, "seconds": round(google_seconds, 1)},
        "pool": {"tools_in": len(sample), "distinct": tree["distinct"], "tools_kept": len(pool.tools),
                 "merged": tree["merged"], "domains": len(pool.domains), "dependency_edges": len(pool.dependencies),
                 "renamed_dependency_edges": tree["renamed_dependency_edges"],
                 "seconds": round(pool_seconds, 1),
                 "most_merged_domains": {name: row for name, row in most_merged if row["kept"] < row["distinct"]},
                 "merge_examples": dict(list(tree["merges"].items())[:10]),
                 "taxonomy": tree["taxonomy"]},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "quick": args.quick,
    }
    import json

    print(json.dumps(result, indent=2))
    write_result("spec_sources", result)


if __name__ == "__main__":
    main()
