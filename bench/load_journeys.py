"""Bounded load: mixed journeys through gunicorn (2 workers) on loopback.

    .venv/bin/python bench/load_journeys.py [--users 8] [--duration 180]

Sets up a throwaway PostgreSQL database (bench/_django.py) with the demo
directory and a synthetic caseload, starts gunicorn with 2 sync workers (the
test settings, persistent connections), and drives it with locust
(bench/locustfile.py): reads (who am I, case list, case detail with its
audited decryption, deadlines) and whole journeys (register, screen,
consent, refer, accept, suspend, resume). Prints per endpoint the count, the
failures, p50 and p95 in milliseconds, the 5xx count, and the ratio of a
transition's p50 to the trivial authenticated GET's (`/auth/me/`) in the
same run. Exit status 1 when any answer was a 5xx or unexpected. No timing is
asserted anywhere: the figures are for the reader.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _django import ROOT, setup

TRANSITION = "POST /cases/{id}/transitions/{name}/"
TRIVIAL = "GET /auth/me/"


def prepare(caseload: int) -> dict:
    from django.core.management import call_command

    from nrm import auth
    from nrm.demo import load_directory
    from nrm.models import Organisation, User
    from referral.models import Case
    from tests.support.mechanism import presumed_adult_codes

    load_directory()
    call_command("generate_caseload", count=caseload, verbosity=0)
    reception = User.objects.get(username="reception")
    worker = User.objects.get(username="idworker")
    authority = Organisation.objects.get(name="National Identification Authority")
    from referral import selectors

    # Cases the officer may open (the journeys add their own as they go).
    visible = list(selectors.case_list(reception).values_list("pk", flat=True)[:50])
    return {
        "reception_token": auth.token_issue(user=reception, otp_verified=True)[1],
        "worker_token": auth.token_issue(user=worker, otp_verified=True)[1],
        "authority_id": str(authority.pk),
        "presumed_codes": presumed_adult_codes(),
        "case_ids": [str(pk) for pk in visible],
        "cases": Case.objects.count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--spawn-rate", type=float, default=4)
    parser.add_argument("--duration", type=int, default=180, help="seconds")
    parser.add_argument("--caseload", type=int, default=2000)
    args = parser.parse_args()
    setup()
    sys.path.insert(0, str(ROOT))
    from tests.support.gunicorn import gunicorn

    config = prepare(args.caseload)
    workdir = Path(tempfile.mkdtemp(prefix="nrm-load-"))
    (workdir / "config.json").write_text(json.dumps(config))
    print(
        f"caseload: {config['cases']} cases; users: {args.users}; "
        f"duration: {args.duration} s; gunicorn: 2 sync workers"
    )
    with gunicorn(workers=2) as server:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{args.duration}s",
                "--host",
                f"http://{server.host}:{server.port}",
                "--csv",
                str(workdir / "load"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            env={**os.environ, "NRM_LOAD_CONFIG": str(workdir / "config.json")},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "locust.log").open("w"),
        )
        server_errors = server.output().count("Traceback")
    return report(workdir, server_errors)


def report(workdir: Path, server_errors: int) -> int:
    with (workdir / "load_stats.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    with (workdir / "load_failures.csv").open() as handle:
        failures = list(csv.DictReader(handle))
    fives = sum(int(f["Occurrences"]) for f in failures if f["Error"].endswith("5xx"))
    others = sum(int(f["Occurrences"]) for f in failures) - fives
    print(
        f"\n{'endpoint':44} {'count':>7} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>6}"
    )
    p50 = {}
    for row in rows:
        name = row["Name"]
        p50[row["Name"]] = float(row["50%"] or 0)
        print(
            f"{name:44} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{row['50%']:>7} {row['95%']:>7} {float(row['Requests/s']):6.1f}"
        )
    print(
        f"\n5xx answers: {fives}; other unexpected answers: {others}; "
        f"tracebacks in the server log: {server_errors}"
    )
    if p50.get(TRIVIAL):
        print(
            f"ratio p50 transition / p50 GET /auth/me/: "
            f"{p50[TRANSITION] / p50[TRIVIAL]:.1f}"
        )
    for failure in failures:
        print(
            f"failure: {failure['Method']} {failure['Name']}: {failure['Error']} "
            f"x{failure['Occurrences']}"
        )
    return 1 if fives or others or server_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
