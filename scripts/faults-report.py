#!/usr/bin/env python3
"""scripts/faults-report.py DIR — the table of a scripts/faults run (RESILIENCE.md).

Reads DIR/faults.csv (fault, start and end in Unix ms, loadgen's JSON summary, the script's
checks) and each DIR/timeline-<fault>.csv (Unix ms, operation, outcome), and prints one
Markdown row per fault: operations, failures from the fault's start on (by outcome), time from
the fault's start to the last failure, and the committed writes lost — refresh chains,
messages and files (loadgen's end-of-run check), access-journal rows (200 answers without
their row), notices the outbox recorded as sent that never reached the SMTP sink.
"""

import csv
import json
import sys
from collections import Counter
from pathlib import Path


def messaging(summary: dict, checks: dict, previous: dict) -> tuple[str, str, str, int]:
    """The messaging columns (kept, journal, outbox) and the writes they lost."""
    kept = (
        f"{summary.get('messages_acknowledged', 0)} messages, "
        f"{summary.get('files_acknowledged', 0)} files"
    )
    if summary.get("threads_unchecked"):
        kept += f" (**{summary['threads_unchecked']} threads unchecked**)"
    expected, rows = summary.get("journal_expected", 0), checks.get("journal_rows", -1)
    journal_lost = max(0, expected - rows) if rows >= 0 else 0
    journal = f"{rows} rows for {expected} reads" if rows >= 0 else "not checked (Postgres away)"
    delta = {k: checks.get(k, 0) - previous.get(k, 0) for k in ("outbox_recorded", "mail_files", "mail_distinct")}
    mail_lost = max(0, delta["outbox_recorded"] - delta["mail_distinct"])
    duplicates = delta["mail_files"] - delta["mail_distinct"]
    outbox = f"{delta['outbox_recorded']} sent, {checks.get('outbox_queued', 0)} queued"
    if checks.get("outbox_recorded", -1) < 0:
        outbox = "not checked (Postgres away)"
    elif delta["outbox_recorded"] == 0:
        outbox += " (nothing to check: no notice went)"
    if duplicates:
        outbox += f", {duplicates} resent (same Message-ID)"
    return kept, journal, outbox, journal_lost + mail_lost


def row(directory: Path, fault: str, start: int, end: int, summary: dict, checks: dict, previous: dict) -> str:
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
    kept, journal, outbox, messaging_lost = messaging(summary, checks, previous)
    lost = summary.get("writes_lost", 0) + messaging_lost
    unchecked = summary.get("threads_unchecked", 0) + summary.get("chains_unchecked", 0)
    if unchecked:
        lost = f"{lost} (+ {unchecked} unchecked)"
    chains = f"{summary.get('chains_valid', '?')}/{summary.get('chains', '?')} valid"
    revoked = summary.get("chains_revoked_by_rule", 0)
    if revoked:
        chains += f", {revoked} revoked by the reuse rule"
    return (
        f"| {fault} | {lasted} | {len(events)} | {failed_before} | {listed} | {recovered} "
        f"| {ok_after} | {chains} | {kept} | {journal} | {outbox} | **{lost}** |"
    )


def main() -> None:
    directory = Path(sys.argv[1])
    print(
        "| Fault | Lasted | Operations | Failed before | Failed from the fault on "
        "| Last failure after the fault | OK after it | Refresh chains at the end "
        "| Acknowledged and found | Access journal | Notices | Writes lost |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    previous: dict = {}
    with open(directory / "faults.csv", newline="") as f:
        for r in csv.DictReader(f):
            summary = json.loads(r["summary"].replace(";", ",")) if r["summary"] else {}
            checks = json.loads(r["checks"].replace(";", ",")) if r.get("checks") else {}
            print(row(directory, r["fault"], int(r["start_ms"]), int(r["end_ms"]), summary, checks, previous))
            previous = checks


if __name__ == "__main__":
    main()
