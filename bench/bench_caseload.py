"""How long the synthetic caseload takes to generate, on PostgreSQL, in a
database of its own (created, then dropped at exit): the simulation alone
(in memory, no database) and the whole of `caseload.generate` (simulation,
COPY, milestones), best of `--runs`, each run on an emptied caseload.

    .venv/bin/python bench/bench_caseload.py [--count 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import time

import _django


def _simulation_only(caseload, count: int) -> float:
    """The same generation with nothing written: the rows are dropped at each
    flush and no milestones are recorded."""
    flush, backfill = caseload._Rows.flush, caseload.milestones.backfill
    caseload._Rows.flush = lambda rows: rows.rows.clear()
    caseload.milestones.backfill = lambda: None
    try:
        began = time.perf_counter()
        caseload.generate(count, seed=1)
        return time.perf_counter() - began
    finally:
        caseload._Rows.flush, caseload.milestones.backfill = flush, backfill


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--module", default="referral.caseload")
    args = parser.parse_args()
    _django.setup()

    import importlib

    from django.db import connection

    from nrm.demo import load_directory

    caseload = importlib.import_module(args.module)
    load_directory()
    tables = (
        "referral_milestone",
        "referral_deadline",
        "referral_decision",
        "referral_referral",
        "referral_caseexploitationform",
        "referral_casegroupobjectpermission",
        "referral_case",
        "referral_person",
    )
    whole, simulated = [], []
    for _ in range(args.runs):
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # noqa: S608
        began = time.perf_counter()
        summary = caseload.generate(args.count, seed=1)
        whole.append(time.perf_counter() - began)
        simulated.append(_simulation_only(caseload, args.count))
    print(
        f"cases: {summary.cases}, referrals: {summary.referrals}, "
        f"decisions: {summary.decisions}, deadlines: {summary.deadlines}"
    )
    print(
        f"generate (best of {args.runs}): {min(whole):6.2f} s  runs: "
        + " ".join(f"{t:.2f}" for t in whole)
    )
    print(
        f"simulate (best of {args.runs}): {min(simulated):6.2f} s  runs: "
        + " ".join(f"{t:.2f}" for t in simulated)
    )


if __name__ == "__main__":
    main()
