"""Statistics at scale on PostgreSQL, in a database of its own (created, then
dropped at exit):

1. generate a synthetic caseload (`generate_caseload`, COPY in batches);
2. time the full statistics response (GET /api/v1/statistics/?period=<the
   last complete year>, every table, disclosure control included) against
   the equivalent hand-written SQL GROUP BY statements, in the same run;
3. measure the peak Python memory (tracemalloc) of streaming the CSV
   exports: the statistics report and the k-anonymised case-level export.

    .venv/bin/python bench/bench_statistics.py [--count 1000000] [--runs 3]

DATABASE_URL names the server (default: what scripts/find_postgres.sh finds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# One statement per measure (the same unpivot the app uses, by month and each
# breakdown), plus durations, declined referrals and deadline compliance: the
# raw counts the response is built from, without any disclosure control.
MEASURE_SQL = """
SELECT extract(month FROM m.at AT TIME ZONE %(tz)s) AS month,
       p.sex, p.age_group, p.citizenship, coalesce(f.form, 'unknown') AS form,
       c.reception_stage, o.kind, c.region, count(*)
FROM referral_case c
JOIN referral_person p ON p.id = c.person_id
JOIN nrm_organisation o ON o.id = c.organisation_id
LEFT JOIN (SELECT case_id, CASE WHEN count(*) > 1 THEN 'multiple' ELSE min(form) END
           AS form FROM referral_caseexploitationform GROUP BY case_id) f
       ON f.case_id = c.id
CROSS JOIN LATERAL (SELECT {expression} AS at) m
WHERE m.at >= %(start)s AND m.at < %(end)s
GROUP BY GROUPING SETS ((1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (1, 8))
"""
MEASURES = {
    "registered": "c.registered_at",
    "screened": "c.first_screened_at",
    "referred": "c.referred_at",
    "presumed_victim": "CASE WHEN c.recovery_ends_on IS NOT NULL "
    "THEN c.rg_decided_at END",
    "recognised": "CASE WHEN EXISTS (SELECT 1 FROM referral_decision d "
    "LEFT JOIN referral_decision r ON r.id = d.reconsiders_id WHERE d.case_id = c.id "
    "AND d.positive AND (d.kind = 'conclusive_grounds' OR (d.kind = 'reconsideration' "
    "AND r.kind = 'conclusive_grounds'))) THEN c.cg_decided_at END",
    "not_identified": "(SELECT min(d.decided_at) FROM referral_decision d "
    "WHERE d.case_id = c.id AND NOT d.positive "
    "AND d.kind IN ('reasonable_grounds', 'conclusive_grounds'))",
    "transferred": "c.transferred_at",
}
OTHER_SQL = [
    """SELECT d.kind, percentile_cont(0.5) WITHIN GROUP (ORDER BY
       extract(epoch FROM d.decided_at - c.referred_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY
       extract(epoch FROM d.decided_at - c.referred_at))
       FROM referral_decision d JOIN referral_case c ON c.id = d.case_id
       WHERE d.kind IN ('reasonable_grounds', 'conclusive_grounds')
       AND d.decided_at >= %(start)s AND d.decided_at < %(end)s GROUP BY 1""",
    """SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY
       extract(epoch FROM referred_at - registered_at)) FROM referral_case
       WHERE referred_at >= %(start)s AND referred_at < %(end)s""",
    """SELECT decline_reason, extract(month FROM answered_at), count(*)
       FROM referral_referral WHERE state = 'declined'
       AND answered_at >= %(start)s AND answered_at < %(end)s GROUP BY 1, 2""",
    """SELECT kind, met_at <= due_at, extract(month FROM met_at), count(*)
       FROM referral_deadline WHERE kind = 'referral_answer'
       AND met_at >= %(start)s AND met_at < %(end)s GROUP BY 1, 2, 3""",
    """SELECT d.decided_at <= dl.due_at, extract(month FROM d.decided_at), count(*)
       FROM referral_decision d JOIN referral_deadline dl
       ON dl.referral_id = d.referral_id AND dl.kind = 'rg_decision'
       WHERE d.kind = 'reasonable_grounds'
       AND d.decided_at >= %(start)s AND d.decided_at < %(end)s GROUP BY 1, 2""",
]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "scripts" / "find_postgres.sh")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _setup() -> tuple:
    """Django on a database of this run's own, migrated; returns the handle
    to drop it."""
    os.environ["DATABASE_URL"] = _database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment

    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = f"nrm_bench_statistics_{os.getpid()}"
    setup_test_environment()
    return setup_databases(verbosity=0, interactive=False)


def _drop(handle) -> None:
    from django.db import connections
    from django.test.utils import teardown_databases

    for connection in connections.all():
        connection.close()
    teardown_databases(handle, verbosity=0)


def _timed(function, runs: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def _stream_peak(client, url: str, params: dict) -> tuple[int, int, float]:
    """Bytes streamed, peak traced Python memory and seconds for one export."""
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size, peak, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    handle = _setup()
    try:
        run(args)
    finally:
        _drop(handle)


def run(args) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from nrm.demo import load_directory
    from nrm.models import User
    from referral.statistics import caseload, queries
    from referral.statistics.periods import year_bounds

    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor})")
    load_directory()
    start = time.perf_counter()
    summary = caseload.generate(
        args.count,
        seed=1,
        batch_size=args.batch_size,
        workers=args.workers,
        progress=lambda n: print(f"  {n} cases, {time.perf_counter() - start:.0f} s"),
    )
    generated = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"generated {summary.cases} cases, {summary.referrals} referrals, "
        f"{summary.decisions} decisions, {summary.deadlines} deadlines in "
        f"{generated:.1f} s ({summary.cases / generated:,.0f} cases/s)"
    )

    year = timezone.localdate().year - 1
    begin, end = year_bounds(year)
    client = Client()
    client.force_login(
        User.objects.get(username="rapporteur"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    url = "/api/v1/statistics/"

    def full_response():
        response = client.get(url, {"period": str(year)})
        assert response.status_code == 200, response.content[:300]

    def hand_written_sql():
        params = {"start": begin, "end": end, "tz": settings.TIME_ZONE}
        with connection.cursor() as cursor:
            for expression in MEASURES.values():
                cursor.execute(MEASURE_SQL.format(expression=expression), params)
                cursor.fetchall()
            for sql in OTHER_SQL:
                cursor.execute(sql, params)
                cursor.fetchall()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM referral_case WHERE registered_at >= %s "
            "AND registered_at < %s",
            [begin, end],
        )
        in_year = cursor.fetchone()[0]
    print(f"period {year}: {in_year} cases registered in it")

    def app_statements():
        """The app's own GROUP BY statements alone (queries.py), no
        disclosure control, no tables, no HTTP."""
        scope = queries.Scope()
        queries.case_counts(scope, begin, end)
        queries.duration_summaries(scope, begin, end)
        queries.decline_counts(scope, begin, end)
        queries.compliance_counts(scope, begin, end)

    response_s, response_runs = _timed(full_response, args.runs)
    sql_s, sql_runs = _timed(hand_written_sql, args.runs)
    floor_s, floor_runs = _timed(app_statements, args.runs)
    for label, median, runs in (
        ("full statistics response (HTTP, every table)", response_s, response_runs),
        ("hand-written SQL GROUP BY, one per measure", sql_s, sql_runs),
        ("the app's own GROUP BY statements alone", floor_s, floor_runs),
    ):
        shown = ", ".join(f"{t:.2f}" for t in runs)
        print(f"{label}: median {median:.2f} s (runs {shown})")
    print(f"ratio response / hand-written SQL: {response_s / sql_s:.2f}")
    print(f"ratio response / the app's statements: {response_s / floor_s:.2f}")

    size, peak, elapsed = _stream_peak(
        client, url, {"period": str(year), "format": "csv"}
    )
    print(
        f"statistics CSV: {size:,} bytes in {elapsed:.2f} s, "
        f"peak traced memory {peak / 2**20:.1f} MiB"
    )
    size, peak, elapsed = _stream_peak(
        client, f"{url}case-level/", {"period": str(year), "format": "csv"}
    )
    print(
        f"case-level CSV ({year}): {size:,} bytes in {elapsed:.2f} s (under "
        f"tracemalloc), peak traced memory {peak / 2**20:.1f} MiB"
    )


if __name__ == "__main__":
    main()
