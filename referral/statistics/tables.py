"""The published tables, cut from the stored releases (`releases`).

A request reads the newest stored document of its scope and calendar year
and formats the period's cells as tables; nothing is counted or protected
per request. A period that has ended but is not in a stored release yet
answers 404 (the monthly job has not published it).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from core.errors import InvalidInput, NotVisible
from referral.models import DeclineReason, StatisticsRelease
from referral.statistics import definitions as d
from referral.statistics import releases as r
from referral.statistics.access import Scope
from referral.statistics.periods import MONTH, YEAR, Period

__all__ = ["NATIONAL_TABLES", "TABLE_NAMES", "csv_rows", "latest_release", "report"]

BREAKDOWN_TABLES = r.BREAKDOWN_TABLES
TABLE_NAMES = (
    "overview",
    *BREAKDOWN_TABLES,
    "durations",
    "deadline-compliance",
    "referrals-declined",
)
MONTHLY_TABLES = ("overview", "durations")
"""Tables published for a month; the others by quarter and year only."""
NATIONAL_TABLES = tuple(BREAKDOWN_TABLES)
"""Tables published for the national scope only."""
COUNT, DAYS, SHARE = "count", "days", "share"
MEASURES = r.MEASURES
_BREAKDOWN_LABEL_KIND = {
    "sex": "sex",
    "age_group": "age_group",
    "citizenship": "citizenship",
    "form": "exploitation_form",
    "reception_stage": "reception_stage",
    "organisation_kind": "organisation_kind",
    "region": "region",
}


def scope_key(scope: Scope) -> str:
    return r.NATIONAL if scope.national else str(scope.organisation_id)


def latest_release(scope: str, year: int) -> StatisticsRelease | None:
    return (
        StatisticsRelease.objects.filter(scope=scope, year=year)
        .order_by("-month", "-version")
        .first()
    )


def _columns(keys, labels, kind: str) -> list[dict]:
    return [{"key": k, "label": str(labels[k]), "kind": kind} for k in keys]


def _table(name: str, unit: str, columns: list[dict], rows: list[dict]) -> dict:
    return {
        "name": name,
        "title": str(d.TABLE_TITLES[name]),
        "unit": unit,
        "columns": columns,
        "rows": rows,
    }


def _cell(doc: dict, *parts) -> int | None:
    return doc["cells"].get("|".join(str(p) for p in parts))


def overview_table(doc: dict, period: Period) -> dict:
    keys = [r.month_key(period.year, m) for m in period.month_numbers]
    if period.kind == YEAR:
        keys += [r.quarter_key(period.year, q) for q in range(1, 5)]
    if period.kind != MONTH:
        keys.append(period.key)
    rows = [
        {
            "key": key,
            "label": key,
            "level": 0 if key == period.key else (2 if "Q" not in key else 1),
            "values": {m: _cell(doc, "overview", "total", m, key) for m in MEASURES},
        }
        for key in keys
    ]
    return _table(
        "overview", "cases", _columns(MEASURES, d.MEASURE_LABELS, COUNT), rows
    )


def breakdown_table(doc: dict, period: Period, name: str) -> dict:
    breakdown = BREAKDOWN_TABLES[name]
    rows, children = r.dimension(breakdown, doc["display"])
    level = {r.TOTAL: 0}
    for parent in rows:
        for part in children.get(parent, ()):
            level[part] = level[parent] + 1
    kind = _BREAKDOWN_LABEL_KIND[breakdown]
    table_rows = []
    for row in rows:
        source = ("overview", "total") if row == r.TOTAL else (name, row)
        table_rows.append(
            {
                "key": row,
                "label": d.label(kind, row),
                "level": level[row],
                "values": {m: _cell(doc, *source, m, period.key) for m in MEASURES},
            }
        )
    columns = _columns(MEASURES, d.MEASURE_LABELS, COUNT)
    return _table(name, "cases", columns, table_rows)


def declines_table(doc: dict, period: Period) -> dict:
    reasons = [str(x) for x in DeclineReason.values]
    rows = [
        {
            "key": row,
            "label": d.label("decline_reason", row),
            "level": 0 if row == r.TOTAL else 1,
            "values": {
                "declined": _cell(doc, "referrals-declined", row, "count", period.key)
            },
        }
        for row in [r.TOTAL, *reasons]
    ]
    columns = [{"key": "declined", "label": _("Referrals declined"), "kind": COUNT}]
    return _table("referrals-declined", "referrals", columns, rows)


def compliance_table(doc: dict, period: Period) -> dict:
    rows = []
    for kind in r.COMPLIANCE_KINDS.values():
        values = {
            outcome: _cell(
                doc, "deadline-compliance", f"{kind}.{outcome}", "count", period.key
            )
            for outcome in ("on_time", "late", "met")
        }
        share = None
        if None not in values.values() and values["met"]:
            share = round(values["on_time"] / values["met"], 3)
        rows.append(
            {
                "key": kind,
                "label": d.label("deadline_kind", kind),
                "level": 1,
                "values": {**values, "share_on_time": share},
            }
        )
    columns = [
        {"key": "on_time", "label": _("On time"), "kind": COUNT},
        {"key": "late", "label": _("Late"), "kind": COUNT},
        {"key": "met", "label": _("Answered or decided"), "kind": COUNT},
        {"key": "share_on_time", "label": _("Share on time"), "kind": SHARE},
    ]
    return _table("deadline-compliance", "answers and decisions", columns, rows)


def durations_table(doc: dict, period: Period) -> dict:
    spans = doc.get("durations", {})
    rows = []
    for interval in r.INTERVALS:
        values = {}
        for group in r.GROUPS:
            for stat in ("median", "p90"):
                values[f"{group}_{stat}"] = spans.get(
                    f"{interval}|{group}|{stat}|{period.key}"
                )
        rows.append(
            {
                "key": interval,
                "label": d.label("interval", interval),
                "level": 1,
                "values": values,
            }
        )
    columns = []
    for group, group_label in (
        ("all", _("All")),
        ("child", _("Children")),
        ("adult", _("Adults")),
    ):
        columns.append(
            {
                "key": f"{group}_median",
                "label": _("%(group)s: median") % {"group": group_label},
                "kind": DAYS,
            }
        )
        columns.append(
            {
                "key": f"{group}_p90",
                "label": _("%(group)s: 90th percentile") % {"group": group_label},
                "kind": DAYS,
            }
        )
    return _table("durations", "days", columns, rows)


def report(
    scope: Scope, period: Period, *, names: tuple[str, ...] = TABLE_NAMES
) -> dict:
    """The named tables for a period from the stored release, with the rule,
    the definitions and the release's identity."""
    release = latest_release(scope_key(scope), period.year)
    if release is None or period.key not in release.document["periods"]:
        raise NotVisible(
            _("The statistics of %(period)s have not been published yet.")
            % {"period": period.key}
        )
    doc = release.document
    if period.kind == MONTH:
        names = tuple(n for n in names if n in MONTHLY_TABLES)
    if not scope.national:
        names = tuple(n for n in names if n not in NATIONAL_TABLES)
    tables = []
    for name in names:
        if name == "overview":
            tables.append(overview_table(doc, period))
        elif name in BREAKDOWN_TABLES:
            tables.append(breakdown_table(doc, period, name))
        elif name == "durations":
            tables.append(durations_table(doc, period))
        elif name == "deadline-compliance":
            tables.append(compliance_table(doc, period))
        elif name == "referrals-declined":
            tables.append(declines_table(doc, period))
        else:
            raise InvalidInput(_("There is no such statistics table."))
    return {
        "period": period.key,
        "period_start": period.first_day.isoformat(),
        "period_end": period.last_day.isoformat(),
        "scope": {
            "level": scope.code,
            "organisation": str(scope.organisation_id)
            if scope.organisation_id
            else None,
        },
        "threshold": doc["threshold"],
        "rule": doc["rule"],
        "definitions": {k: str(v) for k, v in d.DEFINITIONS.items()},
        "generated_at": doc["published_at"],
        "release": {
            "id": str(release.pk),
            "month": r.month_key(release.year, release.month),
            "version": release.version,
            "published_at": doc["published_at"],
            "content_hash": release.content_hash,
        },
        "tables": tables,
    }


CSV_HEADER = (
    "table",
    "scope",
    "period",
    "row",
    "row_label",
    "column",
    "unit",
    "value",
    "status",
)


def csv_rows(data: dict) -> Iterator[tuple]:
    """The report as long-format rows: one cell a row; a suppressed cell has
    no value and the status `suppressed`. The first rows (table `about`)
    state the rule applied and the definitions."""
    yield CSV_HEADER
    scope, period = data["scope"]["level"], data["period"]
    yield (
        "about",
        scope,
        period,
        "rule",
        data["rule"],
        "threshold",
        "rule",
        data["threshold"],
        "published",
    )
    for key, text in data["definitions"].items():
        yield ("about", scope, period, key, text, "", "definition", "", "published")
    for table in data["tables"]:
        unit = table["unit"]
        for row in table["rows"]:
            for column in table["columns"]:
                value = row["values"].get(column["key"])
                yield (
                    table["name"],
                    data["scope"]["level"],
                    data["period"],
                    row["key"],
                    row["label"],
                    column["key"],
                    unit if column["kind"] != SHARE else "share",
                    "" if value is None else value,
                    "suppressed" if value is None else "published",
                )
