"""Issue 11's guarantee, checked by an attacker that combines a whole year of
downloads: every monthly release as downloaded on its day, both scopes
(national and every organisation's), every table and period, durations and
the case-level export (`lp_attack`, independent of the engine's code).

A caseload is generated with the clock pinned after the year (so the year's
months are complete), then the clock walks through the year: on the first
day after each month, the releases are published (`publish_statistics`,
when the command exists) and every user who may download statistics
downloads everything they may that day (the rapporteur the national figures
and, from the first day of the next year, the case-level export; every
organisation's supervisor their organisation's). The attacker then runs over
the union. On the smallest caseload the walk downloads every ended period on
every release day and on two extra days (the last day of a quarter, of the
year), so any change between releases shows; the bigger caseloads download
each release's new periods on its day and everything on the last day.
Organisations that registered nothing (all zeros) are downloaded on the last
day only.

Runtime (the module, on a loaded 2-core machine, 2026-11-30): 3 min 20 s to
4 min with five caseloads (100, 100, 500, 2,000, 20,000), so four are kept;
each caseload's walk, publishing and attack are reported on stderr
(`-s`). `STATISTICS_ATTACK_DUMP=/tmp/x` also writes each walk's downloads
(aggregates only) with the true values, for `python -m
tests.statistics.lp_attack /tmp/x-100-1.json`.

Synthetic data only; no test name, fixture or message holds a personal value.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command, get_commands
from django.utils import timezone
from rest_framework.test import APIClient

from nrm import services as nrm_services
from nrm.demo import load_directory
from nrm.models import Membership, Organisation, User
from nrm.roles import Role
from referral.models import Case
from tests.statistics.lp_attack import Attack
from tests.support.auth import signed_in

REPORT = "/api/v1/statistics/"
CASE_LEVEL = "/api/v1/statistics/case-level/"
YEAR = 2025
GENERATED_ON = date(YEAR + 1, 1, 1)
"""The caseload is generated on this day (06:00, the mechanism's time zone):
every month of the year has ended and its milestones are recorded."""
RELEASE_DAYS = [date(YEAR, m, 1) for m in range(2, 13)] + [date(YEAR + 1, 1, 1)]
"""The first day after each month of the year: a release day."""
CHECK_DAYS = [date(YEAR, 3, 31), date(YEAR, 12, 31)]
"""The last day of a month and a quarter, and of the year: no release, the
same cells (the release days are the first days of months, quarters and
the next year)."""
CASELOADS = [
    # (cases, seed, download everything every day): small caseloads with
    # several seeds, big ones with one. A light walk downloads each release's
    # new periods on its day and everything on the last release day.
    pytest.param(100, 1, True, id="100-cases-seed-1-every-download"),
    pytest.param(100, 2, False, id="100-cases-seed-2"),
    pytest.param(1000, 3, False, id="1000-cases-seed-3"),
    pytest.param(20000, 1, False, id="20000-cases-seed-1"),
]


def _moment(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def publish_available() -> bool:
    return "publish_statistics" in get_commands()


def ended_periods(day: date) -> list[str]:
    """Every period of YEAR that has ended by `day`."""
    if day.year > YEAR:
        months = 12
    elif day.year < YEAR:
        months = 0
    else:
        months = day.month - 1
    periods = [f"{YEAR}-{m:02d}" for m in range(1, months + 1)]
    periods += [f"{YEAR}-Q{q}" for q in range(1, months // 3 + 1)]
    if months == 12:
        periods.append(str(YEAR))
    return periods


class Downloads:
    """Everything each user could download, day by day."""

    def __init__(self):
        self.reports: list[tuple[date, dict]] = []
        self.exports: list[tuple[date, dict]] = []
        self.requests = 0
        self.absent = 0  # 404s: organisations without a release
        self.seconds = 0.0
        self.timings: dict[str, float] = {}


def _supervisors() -> dict[str, User]:
    """A supervisor for every organisation (made where it has none)."""
    supervisors: dict[str, User] = {}
    for membership in Membership.objects.filter(
        role=Role.SUPERVISOR, is_active=True
    ).select_related("user"):
        supervisors.setdefault(str(membership.organisation_id), membership.user)
    for n, organisation in enumerate(Organisation.objects.order_by("name"), start=1):
        if str(organisation.pk) in supervisors:
            continue
        user = nrm_services.user_create(
            username=f"attack_supervisor_{n}", password="a-long-test-password-1234"
        )
        nrm_services.membership_create(
            user=user, organisation=organisation, role=Role.SUPERVISOR
        )
        supervisors[str(organisation.pk)] = user
    return supervisors


def _get(
    client: APIClient, url: str, params: dict, downloads: Downloads, *, absent=False
) -> dict | None:
    """The JSON document; None for a 404 where `absent` allows one (an
    organisation with nothing registered has no release)."""
    began = time.monotonic()
    response = client.get(url, params)
    if absent and response.status_code == 404:
        downloads.absent += 1
        return None
    assert response.status_code == 200, (url, params, response.status_code)
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    downloads.requests += 1
    downloads.seconds += time.monotonic() - began
    return json.loads(body)


def check_csv(client: APIClient, downloads: Downloads) -> None:
    """The CSV of the year's national report holds the JSON's cells."""
    params = {"scope": "national", "period": str(YEAR)}
    document = _get(client, REPORT, params, downloads)
    response = client.get(REPORT, {**params, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    cells = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["table"] != "about":
            value = None if row["status"] == "suppressed" else float(row["value"])
            cells[(row["table"], row["row"], row["column"])] = value
    expected = {
        (table["name"], row["key"], column): value
        for table in document["tables"]
        for row in table["rows"]
        for column, value in row["values"].items()
    }
    assert cells == expected, "the CSV and the JSON disagree"


def _periods_to_download(day: date, everything: bool) -> list[str]:
    """Every ended period of the year; on a light walk, on a release day only
    the periods it released (the month, and the quarter and the year that
    ended with it), and everything on the last release day."""
    periods = ended_periods(day)
    if everything or day == max(RELEASE_DAYS):
        return periods
    if day not in RELEASE_DAYS:
        return []
    month = day.month - 1  # the month just ended (a light walk is in YEAR)
    released = [f"{YEAR}-{month:02d}"]
    if month % 3 == 0:
        released.append(f"{YEAR}-Q{month // 3}")
    return [p for p in periods if p in released]


def _has_release(scope: str) -> bool:
    """Whether the organisation has any release of the year (test plumbing:
    an organisation that registered nothing has none and answers 404)."""
    from referral.models import StatisticsRelease

    return StatisticsRelease.objects.filter(scope=scope, year=YEAR).exists()


def download_day(
    day: date,
    clients: dict[str, APIClient],
    downloads: Downloads,
    everything: bool,
    idle: set[str],
):
    """On `day`: the periods of the year each client may download. `idle`
    organisations (nothing registered: their figures are zeros) are
    downloaded on the last release day only, to keep the walk short."""
    for scope, client in clients.items():
        params = (
            {"scope": "national"}
            if scope == "national"
            else {
                "scope": "organisation",
                "organisation": scope,
            }
        )
        if scope in idle and day != max(RELEASE_DAYS):
            continue
        periods = _periods_to_download(day, everything)
        if scope != "national" and periods and not _has_release(scope):
            periods = periods[-1:]  # one request: a 404, checked below
        for period in periods:
            document = _get(
                client,
                REPORT,
                {**params, "period": period},
                downloads,
                absent=scope != "national",
            )
            if document is not None:
                downloads.reports.append((day, document))
    if day == max(RELEASE_DAYS):
        check_csv(clients["national"], downloads)
    if day.year > YEAR:
        export = _get(clients["national"], CASE_LEVEL, {"period": YEAR}, downloads)
        downloads.exports.append((day, export))


def walk_the_year(count: int, seed: int, everything: bool) -> tuple[Downloads, dict]:
    """Generate, then publish and download on every release and check day.
    Returns the downloads and the public directory."""
    load_directory()
    began = time.monotonic()
    with time_machine.travel(_moment(GENERATED_ON, 6), tick=False):
        call_command(
            "generate_caseload",
            count=count,
            seed=seed,
            start=date(YEAR, 1, 1),
            stdout=StringIO(),
        )
    timings = {"generate": time.monotonic() - began, "publish": 0.0}
    users = {"national": User.objects.get(username="rapporteur"), **_supervisors()}
    directory = {
        str(o.pk): (str(o.kind), str(o.region)) for o in Organisation.objects.all()
    }
    downloads = Downloads()
    registering = {
        str(o)
        for o in Case.objects.order_by()
        .values_list("organisation", flat=True)
        .distinct()
    }
    idle = set(directory) - registering
    for day in sorted(RELEASE_DAYS + (CHECK_DAYS if everything else [])):
        with time_machine.travel(_moment(day, 1 if day in RELEASE_DAYS else 23)):
            if day in RELEASE_DAYS and publish_available():
                began = time.monotonic()
                call_command("publish_statistics", stdout=StringIO())
                timings["publish"] += time.monotonic() - began
            # Until `publish_statistics` lands, the API computes on request:
            # the downloads below are then what the engine answered that day.
            # Signed in on the day (a session is not carried across the walk).
            clients = {
                s: signed_in(APIClient(), u)
                for s, u in users.items()
                if s not in idle or day == max(RELEASE_DAYS)
            }
            download_day(day, clients, downloads, everything, idle)
    downloads.timings = timings
    return downloads, directory


def attack(downloads: Downloads, directory: dict, **options):
    attacker = Attack(year=YEAR, organisations=directory, **options)
    for day, document in downloads.reports:
        attacker.add_report(document, day=day)
    for day, document in downloads.exports:
        attacker.add_case_level(document, day=day)
    return attacker.run()


def homogeneous_classes(export: dict) -> list[tuple[int, int]]:
    """(size, distinct statuses) of every class of the export (records equal
    on every published attribute but TraffickingStatus) with fewer than k
    records or fewer than l distinct TraffickingStatus values (l-diversity;
    the document's l, never below 2)."""
    classes: dict[tuple, Counter] = defaultdict(Counter)
    for record in export["records"]:
        key = tuple(
            sorted((k, v) for k, v in record.items() if k != "TraffickingStatus")
        )
        classes[key][record["TraffickingStatus"]] += 1
    return [
        (sum(statuses.values()), len(statuses))
        for statuses in classes.values()
        if sum(statuses.values()) < export["k"]
        or len(statuses) < max(2, export.get("l", 2))
    ]


def _truth() -> list[list]:
    """The true value of every cell, as [attacker's cell name, value], to check
    the attacker's findings against; diagnostics only (it reads the engine's
    internals, and the attacker never sees it)."""
    from referral.models import ReleaseCounts
    from referral.statistics import releases

    stored = ReleaseCounts.objects.filter(year=YEAR, month=12).latest("version")
    display = stored.counts["display"]
    cells = releases.YearCells(YEAR, 12, dict(stored.counts["months"]), display)
    other = "other[" + ",".join(sorted(display["citizenship"])) + "]"
    out = []
    for family in cells.families.values():
        for full, value in family.values.items():
            parts = full.split("|")
            if len(parts) != 5:
                continue  # the engine's auxiliary cells
            scope, table, row, column, period = parts
            if table == "overview":
                out.append([[scope, table, period, column], value])
                continue
            if table == "referrals-declined":
                column = "declined"
            elif table == "deadline-compliance":
                row, column = row.split(".")
            elif table == "by-citizenship" and row == "other":
                row = other
            out.append([[scope, table, row, column, period], value])
    return out


@pytest.mark.parametrize(("count", "seed", "everything"), CASELOADS)
def test_a_year_of_releases_withstands_the_attacker(db, count, seed, everything):
    began = time.monotonic()
    downloads, directory = walk_the_year(count, seed, everything)
    walked = time.monotonic() - began
    if dump := os.environ.get("STATISTICS_ATTACK_DUMP"):
        # For studying an engine offline: the downloads (aggregates only).
        with open(f"{dump}-{count}-{seed}.json", "w") as out:
            json.dump(
                {
                    "directory": directory,
                    "reports": [(d.isoformat(), doc) for d, doc in downloads.reports],
                    "exports": [(d.isoformat(), doc) for d, doc in downloads.exports],
                    "truth": _truth(),
                },
                out,
            )
    result = attack(downloads, directory)
    timing = (
        f"{count} cases, seed {seed}: walk {walked:.1f} s "
        f"(generate {downloads.timings['generate']:.1f} s, "
        f"publish {downloads.timings['publish']:.1f} s), "
        f"({downloads.requests} requests, {downloads.absent} absent, "
        f"{downloads.seconds:.1f} s), "
        f"attack {time.monotonic() - began - walked:.1f} s, {result.summary()}"
    )
    sys.stderr.write(timing + "\n")
    assert downloads.exports, "the case-level export was downloaded"
    assert result.suppressed > 0 or count < 500, timing
    assert not result.small, ("counts from 1 to threshold - 1", result.small[:5])
    assert not result.changed, ("cells changed between downloads", result.changed[:5])
    assert not result.flipped, ("published once, suppressed once", result.flipped[:3])
    assert not result.display_groups_changed, result.display_groups_changed
    assert not result.duration_problems, result.duration_problems[:5]
    assert not result.share_problems, result.share_problems[:5]
    assert not result.export_problems, result.export_problems
    assert not result.exact, ("recovered exactly", result.exact[:5])
    assert not result.narrow, ("intervals narrower than the rule", result.narrow[:5])
    for _day, export in downloads.exports:
        assert not homogeneous_classes(export), "a class without l-diversity"
