#!/usr/bin/env python3
"""scripts/faults-report.py DIR — the table of a scripts/faults run (RESILIENCE.md).

Reads DIR/faults.csv (fault, start and end in Unix ms, loadgen's JSON summary) and each
DIR/timeline-<fault>.csv (Unix ms, operation, outcome), and prints one Markdown row per fault:
operations, failures from the fault's start on (by outcome), time from the fault's start to
the last failure, and the committed writes lost by loadgen's end-of-run check.
"""

import csv
import json
import sys
from collections import Counter
from pathlib import Path


def row(directory: Path, fault: str, start: int, end: int, summary: dict) -> str:
    with open(directory / f"timeline-{fault}.csv", newline="") as f:
        events = [(int(r["unix_ms"]), r["operation"], r["outcome"]) for r in csv.DictReader(f)]
    before = [e for e in events if e[0] < start]
    after = [e for e in events if e[0] >= start]
    failed_before = sum(1 for e in before if e[2] != "ok")
    failures = Counter(f"{op} {outcome}" for _, op, outcome in after if outcome != "ok")
    last_failure = max((t for t, _, o in after if o != "ok"), default=None)
    recovered = "—" if last_failure is None else f"{(last_failure - start) / 1000:.1f} s"
    lasted = f"{(end - start) / 1000:.1f} s"
    listed = ", ".join(f"{n}× {what}" for what, n in failures.most_common()) or "none"
    ok_after = sum(1 for e in after if e[2] == "ok" and (last_failure is None or e[0] > last_failure))
    lost = summary.get("writes_lost", "?")
    chains = f"{summary.get('chains_valid', '?')}/{summary.get('chains', '?')} valid"
    revoked = summary.get("chains_revoked_by_rule", 0)
    if revoked:
        chains += f", {revoked} revoked by the reuse rule"
    return (
        f"| {fault} | {lasted} | {len(events)} | {failed_before} | {listed} | {recovered} "
        f"| {ok_after} | {chains} | **{lost}** |"
    )


def main() -> None:
    directory = Path(sys.argv[1])
    print(
        "| Fault | Lasted | Operations | Failed before | Failed from the fault on "
        "| Last failure after the fault | OK after it | Refresh chains at the end "
        "| Writes lost |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with open(directory / "faults.csv", newline="") as f:
        for r in csv.DictReader(f):
            summary = json.loads(r["summary"].replace(";", ",")) if r["summary"] else {}
            print(row(directory, r["fault"], int(r["start_ms"]), int(r["end_ms"]), summary))


if __name__ == "__main__":
    main()
