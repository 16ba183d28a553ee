"""Statistics at scale on PostgreSQL, in a database of its own (created, then
dropped at exit):

1. generate a synthetic caseload (`generate_caseload`: COPY in batches, then
   the milestones in one INSERT ... SELECT);
2. publish every ended month (`publish_statistics`), timing each month: the
   count of the month (one read of the milestone table) against the fastest
   hand-written SQL for the same counts, in the same run, and the
   protection (linear programming) reported separately;
3. time serving a stored release: GET /api/v1/statistics/?period=<the last
   complete year> (every table, national scope) and one organisation's,
   through Django's test client, signed in.

    .venv/bin/python bench/bench_statistics.py [--count 1000000] [--runs 20]
        [--workers 2]

DATABASE_URL names the server (default: what scripts/find_postgres.sh finds).
"""

from __future__ import annotations

import argparse
import statistics
import time

import _django

# The baselines, the faster of two in each month: (1) one pass over the
# month's milestones at the finest grouping (every column the tables break
# down by), the marginals added up by the client; (2) the app's own
# GROUPING SETS statement run bare through the cursor, with nothing around
# it. Same rows, same counts as releases.month_counts.
BASELINE_SQL = """
SELECT measure, organisation_id, detail, sex, age_group, citizenship, form,
       reception_stage, count(*)
FROM referral_milestone WHERE year = %s AND month = %s
GROUP BY measure, organisation_id, detail, sex, age_group, citizenship, form,
         reception_stage
"""


def _grouping_sets(year: int, month: int) -> int:
    """The app's own statement, run bare: no Python around it."""
    from django.db import connection

    from referral.statistics.releases import _MONTH_SQL

    with connection.cursor() as cursor:
        cursor.execute(_MONTH_SQL, [year, month])
        return len(cursor.fetchall())


def _baseline(year: int, month: int) -> int:
    from collections import Counter

    from django.db import connection

    marginals: Counter = Counter()
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, [year, month])
        for measure, org, detail, *values, n in cursor.fetchall():
            marginals[(measure, org, detail)] += n
            for position, value in enumerate(values):
                marginals[(measure, position, value)] += n
    return len(marginals)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--existing",
        action="store_true",
        help="Use DATABASE_URL's caseload as it is (no generation, no throwaway "
        "database); its releases are deleted and published again.",
    )
    args = parser.parse_args()
    _django.setup(existing=args.existing)

    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.utils import timezone
    from rest_framework.test import APIClient

    from nrm.demo import load_directory
    from nrm.models import Membership, User
    from referral.models import Milestone, ReleaseCounts
    from referral.statistics import releases
    from tests.support.auth import signed_in

    load_directory()
    began = time.monotonic()
    if args.existing:
        from referral.models import ReleaseCounts, StatisticsRelease

        StatisticsRelease.objects.all().delete()
        ReleaseCounts.objects.all().delete()
        if not Milestone.objects.exists():
            from referral.statistics import milestones

            milestones.backfill()
    else:
        call_command(
            "generate_caseload",
            count=args.count,
            seed=1,
            workers=args.workers,
            batch_size=20_000,
            verbosity=0,
        )
    print(
        f"generated {args.count:,} cases and {Milestone.objects.count():,} "
        f"milestones in {time.monotonic() - began:.0f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # Publish month by month, timing the count and the whole publication.
    today = timezone.localdate()
    start = releases.first_month()
    year, month = start[0], 1  # as publish_due: a year starts in January
    rows = []
    while (year, month) < (today.year, today.month):
        t0 = time.perf_counter()
        releases.month_counts(year, month)
        counted = time.perf_counter() - t0
        t0 = time.perf_counter()
        _baseline(year, month)
        finest = time.perf_counter() - t0
        t0 = time.perf_counter()
        _grouping_sets(year, month)
        bare = time.perf_counter() - t0
        baseline = min(finest, bare)  # the fastest hand-written SQL of the two
        t0 = time.perf_counter()
        releases.publish_month(year, month)
        published = time.perf_counter() - t0
        rows.append((f"{year}-{month:02d}", counted, baseline, published))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    print("month     count ms  baseline ms  ratio  publish s  protection s")
    for key, counted, baseline, published in rows:
        print(
            f"{key}  {counted * 1000:8.1f}  {baseline * 1000:11.1f}  "
            f"{counted / baseline:5.2f}  {published:9.2f}  {published - counted:12.2f}"
        )
    ratios = [c / b for _k, c, b, _p in rows]
    print(
        f"count/baseline median {statistics.median(ratios):.2f} over {len(rows)} months;"
        f" publication median {statistics.median(p for *_r, p in rows):.2f} s, "
        f"max {max(p for *_r, p in rows):.2f} s"
    )

    # Serving a stored release.
    rapporteur = User.objects.get(username="rapporteur")
    supervisor = User.objects.get(username="supervisor")
    period = str(today.year - 1)
    assert ReleaseCounts.objects.filter(year=today.year - 1, month=12).exists()
    for label, user in (("national", rapporteur), ("organisation", supervisor)):
        client = signed_in(APIClient(), user)
        client.get("/api/v1/statistics/", {"period": period})  # warm
        times = []
        for _ in range(args.runs):
            reset_queries()
            t0 = time.perf_counter()
            response = client.get("/api/v1/statistics/", {"period": period})
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.content[:200]
        print(
            f"serve {label} {period}: median {statistics.median(times) * 1000:.1f} ms,"
            f" max {max(times) * 1000:.1f} ms over {args.runs} requests"
        )
    del Membership


if __name__ == "__main__":
    main()
