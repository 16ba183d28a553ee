"""The statistics API and dashboard on a generated caseload of a few thousand
cases: disclosure control in every cell, access, periods, audit, exports."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from nrm.audit import Event
from nrm.models import AuditEvent
from nrm.selectors import active_profile
from referral.models import Case, Milestone, ReleaseCounts
from referral.statistics import milestones, releases, tables
from referral.statistics.periods import Period, local_midnight, year_bounds
from referral.statistics.protection import intervals
from tests.support.auth import signed_in

REPORT = "/api/v1/statistics/"
CASE_LEVEL = "/api/v1/statistics/case-level/"
WRONG_ROLES = ("reception", "caseworker", "decider", "guardian", "admin")


def _year() -> int:
    return timezone.localdate().year - 1


def _periods() -> list[str]:
    year = _year()
    return [
        str(year),
        *[f"{year}-Q{q}" for q in range(1, 5)],
        *[f"{year}-{m:02d}" for m in range(1, 13)],
        str(year - 1),
    ]


def api(data, username: str) -> APIClient:
    return signed_in(APIClient(), data.users[username])


def _count_cells(report: dict):
    for table in report["tables"]:
        counts = [c["key"] for c in table["columns"] if c["kind"] == "count"]
        for row in table["rows"]:
            for key in counts:
                yield table["name"], row["key"], key, row["values"][key]


def _assert_no_small_counts(report: dict, threshold: int) -> int:
    seen = 0
    for name, row, column, value in _count_cells(report):
        assert value is None or value == 0 or value >= threshold, (name, row, column)
        seen += 1
    return seen


def test_no_response_publishes_a_count_below_the_threshold(data):
    threshold = active_profile().statistics_threshold
    cells = 0
    suppressed = 0
    for username in ("rapporteur", "supervisor"):
        client = api(data, username)
        for period in _periods():
            response = client.get(REPORT, {"period": period})
            assert response.status_code == 200, response.content
            report = response.json()
            assert report["threshold"] == threshold
            assert report["rule"] and report["definitions"]["presumed_victim"]
            cells += _assert_no_small_counts(report, threshold)
            suppressed += sum(1 for *_k, v in _count_cells(report) if v is None)
    assert cells > 1000 and suppressed > 100  # the scan saw real tables


def test_no_csv_export_publishes_a_count_below_the_threshold(data):
    threshold = active_profile().statistics_threshold
    response = api(data, "rapporteur").get(
        REPORT, {"period": str(_year()), "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    assert {r["table"] for r in rows} == {"about", *tables.TABLE_NAMES}
    assert rows[0]["row"] == "rule" and "suppressed" in rows[0]["row_label"]
    for row in rows:
        if row["unit"] in ("days", "share", "rule", "definition"):
            continue
        if row["status"] == "suppressed":
            assert row["value"] == ""
        else:
            assert int(row["value"]) == 0 or int(row["value"]) >= threshold, row


def test_every_suppressed_cell_keeps_an_interval_as_wide_as_the_threshold(data):
    """The engine's own check, re-run on the stored releases: for every
    family of every year (all scopes, periods and tables at once), the
    linear program over what was published leaves every suppressed cell at
    least `threshold` possible values. (The independent attacker, which reads
    only what the API serves, is in test_release_attack.py.)"""
    threshold = active_profile().statistics_threshold
    checked = 0
    for counts in ReleaseCounts.objects.filter(month=12):
        for family in releases.stored_families(counts):
            suppressed = {c for c in family.values if not counts.status[c]}
            for cell, (low, high) in intervals(family, suppressed).items():
                if high != float("inf"):
                    wide = math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1
                    assert wide >= threshold, (cell, low, high)
                checked += 1
    assert checked > 100


def test_published_months_add_up_to_the_quarter(data):
    report = api(data, "rapporteur").get(REPORT, {"period": str(_year())}).json()
    overview = next(t for t in report["tables"] if t["name"] == "overview")
    values = {row["key"]: row["values"] for row in overview["rows"]}
    checked = 0
    for quarter in range(1, 5):
        months = [f"{_year()}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]
        for measure in releases.MEASURES:
            published = [values[m][measure] for m in months]
            total = values[f"{_year()}-Q{quarter}"][measure]
            if None not in published and total is not None:
                assert sum(published) == total
                checked += 1
    assert checked >= 12


def test_the_sql_and_the_portable_milestones_agree(data):
    fields = [f.name for f in Milestone._meta.fields if f.name not in ("id",)]

    def row(m):
        values = [getattr(m, f) for f in fields]
        return tuple(round(v, 6) if isinstance(v, float) else v for v in values)

    stored = sorted(row(m) for m in Milestone.objects.all())
    portable = sorted(row(m) for m in milestones._rows_python(None))
    assert stored == portable and len(stored) > 3000


@pytest.mark.parametrize("username", WRONG_ROLES)
def test_other_roles_are_refused(data, username):
    client = api(data, username)
    for url in (REPORT, f"{REPORT}by-sex/", CASE_LEVEL):
        response = client.get(url, {"period": str(_year())})
        assert response.status_code == 403, (url, response.content)
        assert response.json()["code"] == "forbidden"
    page = signed_in(Client(), data.users[username]).get("/statistics/")
    assert page.status_code == 403


def test_anonymous_callers_are_refused(data):
    assert APIClient().get(REPORT).status_code in (401, 403)
    assert Client().get("/statistics/").status_code == 302


def test_a_supervisor_sees_only_their_organisation(data):
    organisation = data.org["North Reception Centre"]
    year = _year()
    report = api(data, "supervisor").get(REPORT, {"period": str(year)}).json()
    assert report["scope"] == {
        "level": "organisation",
        "organisation": str(organisation.pk),
    }
    by_name = {t["name"]: t for t in report["tables"]}
    registered = Case.objects.filter(
        organisation=organisation,
        registered_at__gte=local_midnight(Period("year", year).first_day),
        registered_at__lt=local_midnight(Period("year", year).end),
    ).count()
    assert by_name["overview"]["rows"][-1]["values"]["registered"] in (registered, None)
    published = [
        row["values"]["registered"]
        for row in by_name["overview"]["rows"]
        if row["values"]["registered"] is not None
    ]
    assert published and sum(published) <= 3 * registered
    # Breakdowns are national only: one organisation's cases by sex, age or
    # citizenship are the smallest groups there are.
    assert not set(by_name) & set(tables.NATIONAL_TABLES)
    refused = api(data, "supervisor").get(f"{REPORT}by-sex/", {"period": str(year)})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    national = api(data, "rapporteur").get(REPORT, {"period": str(year)}).json()
    national_total = national["tables"][0]["rows"][-1]["values"]["registered"]
    assert national_total is None or national_total > registered
    south = api(data, "south_supervisor").get(REPORT, {"period": str(year)}).json()
    assert south["scope"]["organisation"] == str(data.org["South Reception Centre"].pk)
    client = api(data, "supervisor")
    assert client.get(REPORT, {"scope": "national"}).status_code == 403
    assert client.get(CASE_LEVEL).status_code == 403


def test_the_rapporteur_reaches_no_case(data):
    client = api(data, "rapporteur")
    listing = client.get("/api/v1/cases/")
    assert listing.status_code == 200
    body = listing.json()
    assert (body["count"] if isinstance(body, dict) else len(body)) == 0
    case = Case.objects.first()
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert client.get(f"/api/v1/cases/{case.pk}/history/").status_code == 404


@pytest.mark.parametrize(
    ("url", "period"),
    [
        (REPORT, "2026-13"),
        (REPORT, "2026-Q0"),
        (REPORT, "last year"),
        (REPORT, "2026-03-01"),
        (REPORT, "1999"),
        (REPORT, "2999"),
        (REPORT, "current"),
        (f"{REPORT}by-sex/", "{year}-03"),
        (CASE_LEVEL, "{year}-Q1"),
        (CASE_LEVEL, "{year}-03"),
        (f"{REPORT}overview/", "{this_year}"),
    ],
)
def test_bad_periods_are_refused_with_a_message(data, url, period):
    period = period.format(year=_year(), this_year=timezone.localdate().year)
    response = api(data, "rapporteur").get(url, {"period": period})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["message"] and "period" in body["detail"]


def test_bad_scope_and_unknown_tables(data):
    client = api(data, "rapporteur")
    assert client.get(REPORT, {"scope": "world"}).status_code == 400
    assert client.get(f"{REPORT}by-shoe-size/").status_code == 404
    response = client.get(REPORT, {"period": "nope", "format": "csv"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"  # errors are JSON, always


def test_every_response_is_audited(data):
    client = api(data, "rapporteur")
    year = str(_year())
    before = AuditEvent.objects.filter(action=Event.STATISTICS_EXPORTED).count()
    client.get(REPORT, {"period": year})
    client.get(f"{REPORT}by-age-group/", {"period": f"{year}-Q2", "format": "csv"})
    signed_in(Client(), data.users["rapporteur"]).get("/statistics/", {"period": year})
    events = list(
        AuditEvent.objects.filter(action=Event.STATISTICS_EXPORTED).order_by("id")[
            before:
        ]
    )
    assert [
        (e.extra["table"], e.extra["period"], e.extra["format"]) for e in events
    ] == [
        ("report", year, "json"),
        ("by-age-group", f"{year}-Q2", "csv"),
        ("dashboard", year, "html"),
    ]
    assert all(
        e.actor == data.users["rapporteur"] and e.role == "rapporteur" for e in events
    )
    assert all(e.extra["scope"] == "national" for e in events)
    client.get(CASE_LEVEL, {"period": year, "format": "csv"})
    exported = AuditEvent.objects.filter(action=Event.CASE_LEVEL_EXPORTED).latest("id")
    assert exported.extra["period"] == year and exported.extra["k"] == 11
    assert set(exported.extra) >= {"records_published", "records_dropped", "levels"}


def test_csv_by_accept_header(data):
    response = api(data, "rapporteur").get(
        f"{REPORT}durations/", {"period": str(_year())}, HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == ",".join(tables.CSV_HEADER)
    cells = [line for line in lines[1:] if line.startswith("durations,")]
    assert len(cells) == 3 * 6  # three intervals, six columns


def test_the_case_level_export_is_k_anonymous(data):
    k = active_profile().k_anonymity
    year = _year()
    client = api(data, "rapporteur")
    response = client.get(CASE_LEVEL, {"period": str(year), "format": "csv"})
    assert response.status_code == 200
    reader = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
    header, *rows = list(reader)
    assert header[:3] == ["RegistrationPeriod", "Gender", "AgeGroup"]
    assert "Nationality" in header and "TypeOfExploitation" in header
    classes = Counter(tuple(r) for r in rows)
    status = header.index("TraffickingStatus")
    quasi = Counter(tuple(r[:status] + r[status + 1 :]) for r in rows)
    assert quasi and min(quasi.values()) >= k
    diverse = {}
    for r in rows:
        diverse.setdefault(tuple(r[:status] + r[status + 1 :]), set()).add(r[status])
    assert min(len(v) for v in diverse.values()) >= active_profile().l_diversity
    published, dropped = (
        int(response["X-Records-Published"]),
        int(response["X-Records-Dropped"]),
    )
    assert published == len(rows)
    start, end = year_bounds(year)
    registered = Case.objects.filter(
        registered_at__gte=start, registered_at__lt=end
    ).count()
    assert published + dropped == registered
    assert dropped <= 0.05 * registered or all(v == "*" for v in rows[0])

    as_json = client.get(CASE_LEVEL, {"period": str(year)})
    body = json.loads(b"".join(as_json.streaming_content))
    assert body["k"] == k and body["records_published"] == published
    assert len(body["records"]) == published
    assert {f["name"]: f["source"] for f in body["fields"]}["Gender"] == "HTCDS"
    assert Counter(tuple(r.values()) for r in body["records"]) == classes


def test_the_dashboard(data):
    page = signed_in(Client(), data.users["rapporteur"]).get(
        "/statistics/", {"period": str(_year())}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") == 4 and html.count("<desc") == 4
    assert 'role="img"' in html and "<table" in html and "suppressed" in html
    assert "format=csv" in html and "<script" not in html.split("</head>")[1]
    month = signed_in(Client(), data.users["supervisor"]).get(
        "/statistics/", {"period": f"{_year()}-05"}
    )
    assert month.status_code == 200 and month.content.decode().count("<svg") == 2
    bad = signed_in(Client(), data.users["rapporteur"]).get(
        "/statistics/", {"period": "2026-14"}
    )
    assert bad.status_code == 400


def test_the_schema_documents_the_statistics(data):
    response = api(data, "rapporteur").get("/api/v1/schema/")
    if response.status_code != 200:
        pytest.skip("the schema view is not served to this user")
    text = response.content.decode()
    assert "/api/v1/statistics/case-level/" in text


def test_an_ended_period_not_yet_published_is_a_404_with_a_message(data):
    """Nothing is computed per request: a period no release covers is absent."""
    client = api(data, "rapporteur")
    year = str(data.today.year - 5)  # ended, before the caseload began
    for url in (REPORT, f"{REPORT}overview/", CASE_LEVEL):
        response = client.get(url, {"period": year})
        assert response.status_code == 404, (url, response.content)
        assert (
            response.json()["code"] == "not_found"
            and year in response.json()["message"]
        )
