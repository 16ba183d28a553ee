"""Frozen statistics releases: publish a month, protect a year, serve the
stored documents.

When a month ends, `publish_due()` (the `publish_statistics` command, run by
the periodic job) publishes that month's release: it counts the month's
milestones (one indexed read of one month), adds them to the year's true
counts kept privately (`ReleaseCounts`), builds the year's cells so far
(months, and the quarter or the year that ended with it), protects every
family of linked cells with the cells of earlier releases held fixed
(`protection.protect`), and stores one document per scope: the national
one, one per organisation (its own figures), and, when the year ends, the
case-level export. The API, the CSV and the dashboard serve these documents
and compute nothing.

What is published (all scopes share one family per measure, so national
minus an organisation is covered):
    national       overview (months, quarters, year), every breakdown
                   (quarters, year), referrals declined and deadline
                   compliance (quarters, year), durations
    organisation   overview, referrals declined, deadline compliance, and
                   durations of all its cases (no breakdowns: one
                   organisation's cases by sex, age or citizenship are the
                   smallest groups there are)

Display groups are fixed once per year, at its first release: a citizenship
stands on its own when the previous calendar year registered at least four
times the threshold of it; regions are the directory's.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from nrm.choices import AgeGroup, ExploitationForm, Sex
from nrm.models import Organisation
from nrm.selectors import active_profile
from referral.models import (
    DeclineReason,
    Milestone,
    MilestoneKind,
    ReceptionStage,
    ReleaseCounts,
    StatisticsRelease,
)
from referral.statistics import definitions as d
from referral.statistics import export as case_export
from referral.statistics.milestones import MULTIPLE_FORMS
from referral.statistics.periods import month_key, quarter_key
from referral.statistics.protection import Family, protect

__all__ = [
    "BREAKDOWN_TABLES",
    "MEASURES",
    "NATIONAL",
    "publish_due",
    "publish_month",
]

NATIONAL = "national"
MEASURES = (
    MilestoneKind.REGISTERED.value,
    MilestoneKind.SCREENED.value,
    MilestoneKind.REFERRED.value,
    MilestoneKind.PRESUMED_VICTIM.value,
    MilestoneKind.RECOGNISED.value,
    MilestoneKind.NOT_IDENTIFIED.value,
    MilestoneKind.TRANSFERRED.value,
)
BREAKDOWN_TABLES = {
    "by-sex": "sex",
    "by-age-group": "age_group",
    "by-citizenship": "citizenship",
    "by-exploitation-form": "form",
    "by-reception-stage": "reception_stage",
    "by-organisation-kind": "organisation_kind",
    "by-region": "region",
}
_CASE_BREAKDOWNS = ("sex", "age_group", "citizenship", "form", "reception_stage")
COMPLIANCE_KINDS = {
    MilestoneKind.REFERRAL_ANSWERED.value: "referral_answer",
    MilestoneKind.RG_DECIDED.value: "rg_decision",
}
OUTCOMES = ("on_time", "late")
INTERVALS = {
    "registration_to_referral": MilestoneKind.REFERRED.value,
    "referral_to_presumed_victim": MilestoneKind.PRESUMED_VICTIM.value,
    "referral_to_recognised": MilestoneKind.RECOGNISED.value,
}
GROUPS = ("all", "child", "adult")
TOTAL = "total"

_CHILD_BANDS = ("0-11", "12-14", "15-17", "unknown_child")
_ADULT_BANDS = ("18-24", "25-34", "35-49", "50+")


# --- Periods -------------------------------------------------------------------


def ended_periods(year: int, month: int) -> tuple[list[str], list[str], list[str]]:
    """The months, quarters and year published by the release of `month`."""
    months = [month_key(year, m) for m in range(1, month + 1)]
    quarters = [quarter_key(year, q) for q in range(1, month // 3 + 1)]
    years = [str(year)] if month == 12 else []
    return months, quarters, years


def _quarter_months(year: int, quarter: str) -> list[str]:
    q = int(quarter.rsplit("Q", 1)[1])
    return [month_key(year, m) for m in range(3 * q - 2, 3 * q + 1)]


# --- Dimensions of the breakdowns ------------------------------------------------


def dimension(breakdown: str, display: dict) -> tuple[list[str], dict[str, list[str]]]:
    """A breakdown's rows in display order and its sums (parent -> parts);
    every row but `total` is a part of exactly one parent."""
    if breakdown == "age_group":
        children = {
            TOTAL: ["child", "adult", AgeGroup.UNKNOWN.value],
            "child": list(_CHILD_BANDS),
            "adult": list(_ADULT_BANDS),
        }
        rows = [TOTAL, "child", *_CHILD_BANDS, "adult", *_ADULT_BANDS, "unknown"]
        return rows, children
    if breakdown == "sex":
        parts = [str(v) for v in Sex.values]
    elif breakdown == "form":
        parts = [str(v) for v in ExploitationForm.values] + [MULTIPLE_FORMS]
    elif breakdown == "reception_stage":
        parts = [str(v) for v in ReceptionStage.values]
    elif breakdown == "citizenship":
        parts = [*display["citizenship"], "other", "stateless", "unknown"]
    else:  # organisation_kind, region
        parts = list(display[breakdown])
    return [TOTAL, *parts], {TOTAL: parts}


def category(breakdown: str, raw: str, display: dict) -> str:
    """The row a recorded value is counted in."""
    if breakdown == "citizenship":
        if raw == "XX":
            return "stateless"
        if raw == "":
            return "unknown"
        return raw if raw in display["citizenship"] else "other"
    return raw


def _levels(breakdown: str, display: dict) -> dict[str, int]:
    rows, children = dimension(breakdown, display)
    level = {TOTAL: 0}
    for parent in rows:
        for part in children.get(parent, ()):
            level[part] = level[parent] + 1
    return level


# --- Counting a month (the one read of milestones) --------------------------------

_MONTH_SQL = """
SELECT measure, organisation_id, detail, sex, age_group, citizenship, form,
       reception_stage,
       GROUPING(organisation_id, sex, age_group, citizenship, form,
                reception_stage) AS g,
       count(*)
FROM referral_milestone
WHERE year = %s AND month = %s
GROUP BY GROUPING SETS (
    (measure, organisation_id, detail), (measure, sex), (measure, age_group),
    (measure, citizenship), (measure, form), (measure, reception_stage))
"""
_GROUPED = ("organisation_id", *_CASE_BREAKDOWNS)


def month_counts(year: int, month: int) -> dict:
    """The month's counts: per organisation (measure, detail) and, nationally,
    per breakdown category."""
    counts: dict = {"org": {}, "cat": {b: {} for b in _CASE_BREAKDOWNS}}

    def add_org(measure, organisation, detail, n):
        per = counts["org"].setdefault(str(organisation), {})
        key = f"{measure}|{detail}"
        per[key] = per.get(key, 0) + n

    def add_cat(measure, breakdown, raw, n):
        per = counts["cat"][breakdown].setdefault(raw, {})
        per[measure] = per.get(measure, 0) + n

    if connection.vendor == "postgresql":
        full = (1 << len(_GROUPED)) - 1
        with connection.cursor() as cursor:
            cursor.execute(_MONTH_SQL, [year, month])
            for measure, org, detail, *values, grouping, n in cursor.fetchall():
                if grouping == full - (1 << (len(_GROUPED) - 1)):
                    add_org(measure, org, detail, n)
                    continue
                for position, name in enumerate(_GROUPED[1:], start=1):
                    bit = 1 << (len(_GROUPED) - 1 - position)
                    if not grouping & bit and measure in MEASURES:
                        add_cat(measure, name, values[position - 1], n)
    else:
        rows = (
            Milestone.objects.filter(year=year, month=month)
            .values_list("measure", "organisation_id", "detail", *_CASE_BREAKDOWNS)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for measure, org, detail, *values, n in rows:
            add_org(measure, org, detail, n)
            if measure in MEASURES:
                for name, raw in zip(_CASE_BREAKDOWNS, values, strict=True):
                    add_cat(measure, name, raw, n)
    # Every organisation of the directory has a scope (its supervisor's
    # figures are zeros until it registers a case).
    counts["orgs"] = {str(o.pk): [o.kind, o.region] for o in Organisation.objects.all()}
    return counts


# --- The year's cells from its months' counts ---------------------------------------


def _key(*parts: object) -> str:
    return "|".join(str(p) for p in parts)


class YearCells:
    """Every cell of the year so far for every scope, with its true value,
    and the families of equalities that tie them."""

    def __init__(self, year: int, month: int, months: dict, display: dict):
        self.year, self.month, self.display = year, month, display
        self.orgs = sorted({o for counts in months.values() for o in counts["orgs"]})
        self.months, self.quarters, self.years = ended_periods(year, month)
        self.families: dict[str, Family] = {}
        self.priority: dict[str, int] = {}
        self.scope_of: dict[str, str] = {}
        scopes = [NATIONAL, *self.orgs]
        for measure in MEASURES:
            family = self.families.setdefault(measure, Family())
            self._overview(family, measure, months, scopes)
            self._breakdowns(family, measure, months)
        self._declines(months, scopes)
        self._compliance(months, scopes)

    def cell(self, family: Family, scope: str, key: str, value: int, level: int):
        full = _key(scope, key)
        family.add(full, value)
        self.scope_of[full] = scope
        self.priority[full] = level + (2 if scope == NATIONAL else 0)
        return full

    def _periods(self) -> list[tuple[str, int]]:
        return [
            *((m, 0) for m in self.months),
            *((q, 1) for q in self.quarters),
            *((y, 2) for y in self.years),
        ]

    def _add_time(self, family: Family, scope: str, stem: str, monthly: bool):
        """quarter = its months (where months are cells), year = quarters."""
        for quarter in self.quarters:
            if monthly:
                family.equal(
                    _key(scope, stem, quarter),
                    [_key(scope, stem, m) for m in _quarter_months(self.year, quarter)],
                )
        for year in self.years:
            family.equal(
                _key(scope, stem, year), [_key(scope, stem, q) for q in self.quarters]
            )

    def _org_month(self, months: dict, org: str, month: str, prefix: str) -> dict:
        per = months.get(month, {}).get("org", {}).get(org, {})
        return {k.split("|", 1)[1]: n for k, n in per.items() if k.startswith(prefix)}

    def _overview(self, family, measure, months, scopes):
        stem = _key("overview", TOTAL, measure)
        for scope in scopes:
            for period, level in self._periods():
                value = 0
                for m in self._months_of(period):
                    orgs = [scope] if scope != NATIONAL else list(self.orgs)
                    for org in orgs:
                        value += sum(
                            self._org_month(months, org, m, f"{measure}|").values()
                        )
                self.cell(family, scope, _key(stem, period), value, level)
            self._add_time(family, scope, stem, monthly=True)
        for period, _level in self._periods():
            family.equal(
                _key(NATIONAL, stem, period),
                [_key(org, stem, period) for org in self.orgs],
            )

    def _months_of(self, period: str) -> list[str]:
        return [month_key(self.year, m) for m in _months_of_period(period)]

    def _breakdowns(self, family, measure, months):
        periods = [(q, 1) for q in self.quarters] + [(y, 2) for y in self.years]
        if not periods:
            return
        overview = _key("overview", TOTAL, measure)
        for table, breakdown in BREAKDOWN_TABLES.items():
            rows, children = dimension(breakdown, self.display)
            levels = _levels(breakdown, self.display)
            stem = _key(table, "{row}", measure)
            for period, level in periods:
                leaf = Counter()
                for m in self._months_of(period):
                    leaf.update(self._leaf_counts(months, m, measure, breakdown))
                values = _aggregate(rows, children, leaf)
                for row in rows:
                    if row == TOTAL:
                        continue  # the overview's cell
                    self.cell(
                        family,
                        NATIONAL,
                        _key(table, row, measure, period),
                        values[row],
                        level + 3 - levels[row],
                    )
                for parent, parts in children.items():
                    total = (
                        _key(NATIONAL, overview, period)
                        if parent == TOTAL
                        else _key(NATIONAL, table, parent, measure, period)
                    )
                    family.equal(
                        total,
                        [_key(NATIONAL, table, p, measure, period) for p in parts],
                    )
            for row in rows:
                if row != TOTAL:
                    self._add_time(
                        family, NATIONAL, stem.format(row=row), monthly=False
                    )
            if breakdown in ("organisation_kind", "region"):
                position = 0 if breakdown == "organisation_kind" else 1
                for quarter in self.quarters:
                    by_value = defaultdict(list)
                    for m in _quarter_months(self.year, quarter):
                        for org, attributes in months[m]["orgs"].items():
                            by_value[attributes[position]].append(
                                _key(org, overview, m)
                            )
                    for value in rows[1:]:
                        family.equal(
                            _key(NATIONAL, table, value, measure, quarter),
                            by_value.get(value, []),
                        )

    def _leaf_counts(self, months, month, measure, breakdown) -> Counter:
        leaf: Counter = Counter()
        if breakdown in ("organisation_kind", "region"):
            position = 0 if breakdown == "organisation_kind" else 1
            for org, attributes in months.get(month, {}).get("orgs", {}).items():
                n = sum(self._org_month(months, org, month, f"{measure}|").values())
                leaf[attributes[position]] += n
            return leaf
        per = months.get(month, {}).get("cat", {}).get(breakdown, {})
        for raw, by_measure in per.items():
            leaf[category(breakdown, raw, self.display)] += by_measure.get(measure, 0)
        return leaf

    def _quarterly(self, name, rows, parents, months, scopes, value_of):
        family = self.families.setdefault(name, Family())
        periods = [(q, 1) for q in self.quarters] + [(y, 2) for y in self.years]
        for scope in scopes:
            for period, level in periods:
                orgs = [scope] if scope != NATIONAL else list(self.orgs)
                for row in rows:
                    value = sum(
                        value_of(months, org, m, row)
                        for org in orgs
                        for m in self._months_of(period)
                    )
                    self.cell(
                        family,
                        scope,
                        _key(name, row, "count", period),
                        value,
                        level + (1 if row in parents else 0),
                    )
                for parent, parts in parents.items():
                    family.equal(
                        _key(scope, name, parent, "count", period),
                        [_key(scope, name, p, "count", period) for p in parts],
                    )
            for row in rows:
                self._add_time(family, scope, _key(name, row, "count"), monthly=False)
        for period, _level in periods:
            for row in rows:
                family.equal(
                    _key(NATIONAL, name, row, "count", period),
                    [_key(org, name, row, "count", period) for org in self.orgs],
                )

    def _declines(self, months, scopes):
        reasons = [str(r) for r in DeclineReason.values]
        measure = MilestoneKind.REFERRAL_DECLINED.value

        def value_of(months, org, m, row):
            per = self._org_month(months, org, m, f"{measure}|")
            if row == TOTAL:
                return sum(per.values())
            if row == str(DeclineReason.OTHER):
                return sum(n for r, n in per.items() if r not in reasons or r == row)
            return per.get(row, 0)

        self._quarterly(
            "referrals-declined",
            [TOTAL, *reasons],
            {TOTAL: reasons},
            months,
            scopes,
            value_of,
        )

    def _compliance(self, months, scopes):
        rows, parents = [], {}
        for kind in COMPLIANCE_KINDS.values():
            parts = [f"{kind}.{o}" for o in OUTCOMES]
            rows += [f"{kind}.met", *parts]
            parents[f"{kind}.met"] = parts
        measure_of = {v: k for k, v in COMPLIANCE_KINDS.items()}

        def value_of(months, org, m, row):
            kind, outcome = row.split(".")
            per = self._org_month(months, org, m, f"{measure_of[kind]}|")
            if outcome == "met":
                return sum(per.get(o, 0) for o in OUTCOMES)
            return per.get(outcome, 0)

        self._quarterly("deadline-compliance", rows, parents, months, scopes, value_of)


def _aggregate(rows, children, leaf: Counter) -> dict[str, int]:
    values: dict[str, int] = {}

    def value(row: str) -> int:
        if row not in values:
            parts = children.get(row)
            values[row] = sum(value(p) for p in parts) if parts else leaf.get(row, 0)
        return values[row]

    for row in rows:
        value(row)
    return values


# --- Durations -----------------------------------------------------------------------

_DURATIONS_SQL = """
SELECT measure, organisation_id, age,
       GROUPING(organisation_id, age) AS g,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY days)
FROM (
    SELECT measure, organisation_id, days,
           CASE WHEN age_group IN %(children)s THEN 'child'
                WHEN age_group IN %(adults)s THEN 'adult' ELSE 'unknown' END AS age
    FROM referral_milestone
    WHERE year = %(year)s AND month IN %(months)s AND measure IN %(measures)s
      AND days IS NOT NULL
) AS rows
GROUP BY GROUPING SETS ((measure), (measure, organisation_id), (measure, age))
"""


def _percentile(values: list[float], fraction: float) -> float:
    position = fraction * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def durations(year: int, months: list[int]) -> dict[tuple[str, str, str], tuple]:
    """(measure, scope, group) -> (median, 90th percentile) in days for the
    milestones of the given months; group is all, child or adult."""
    measures = tuple(INTERVALS.values())
    result: dict[tuple[str, str, str], tuple] = {}
    if connection.vendor == "postgresql":
        params = {
            "year": year,
            "months": tuple(months),
            "measures": measures,
            "children": _CHILD_BANDS,
            "adults": _ADULT_BANDS,
        }
        with connection.cursor() as cursor:
            cursor.execute(_DURATIONS_SQL, params)
            for measure, org, age, grouping, median, p90 in cursor.fetchall():
                if grouping == 3:
                    key = (measure, NATIONAL, "all")
                elif grouping == 1:
                    key = (measure, str(org), "all")
                else:
                    key = (measure, NATIONAL, age)
                result[key] = (median, p90)
        return result
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    rows = Milestone.objects.filter(
        year=year, month__in=months, measure__in=measures, days__isnull=False
    ).values_list("measure", "organisation_id", "age_group", "days")
    for measure, org, age, days in rows.iterator(chunk_size=5000):
        group = (
            "child"
            if age in _CHILD_BANDS
            else ("adult" if age in _ADULT_BANDS else "unknown")
        )
        for key in (
            (measure, NATIONAL, "all"),
            (measure, str(org), "all"),
            (measure, NATIONAL, group),
        ):
            values[key].append(days)
    for key, days in values.items():
        days.sort()
        result[key] = (_percentile(days, 0.5), _percentile(days, 0.9))
    return result


def _duration_count_cell(scope: str, measure: str, group: str, period: str) -> str:
    if group == "all":
        return _key(scope, "overview", TOTAL, measure, period)
    return _key(NATIONAL, "by-age-group", group, measure, period)


# --- The case-level export -------------------------------------------------------------


def _bound(cells: YearCells, export: dict | None) -> None:
    """Add the lower bounds the export's classes put on the national
    registered cells to the families (the attacker has the export too)."""
    if export is None:
        return
    bounds = case_export.lower_bounds(
        export, cells.display, key=_key, national=NATIONAL
    )
    for family in cells.families.values():
        for cell, bound in bounds.items():
            if cell in family.values:
                family.lower[cell] = max(family.lower.get(cell, 0), bound)


def stored_families(counts: ReleaseCounts) -> list[Family]:
    """The families of a stored release as its attacker sees them (for the
    checks that re-run the protection's linear programs)."""
    cells = YearCells(
        counts.year, counts.month, counts.counts["months"], counts.counts["display"]
    )
    if counts.month == 12:
        release = (
            StatisticsRelease.objects.filter(scope=case_export.SCOPE, year=counts.year)
            .order_by("-version")
            .first()
        )
        _bound(cells, release.document if release else None)
    return list(cells.families.values())


# --- Publishing ------------------------------------------------------------------------


def _display(year: int, threshold: int) -> dict:
    previous = Counter(
        dict(
            Milestone.objects.filter(year=year - 1, measure=MilestoneKind.REGISTERED)
            .values_list("citizenship")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    kept = sorted(
        (
            c
            for c, n in previous.items()
            if c not in ("", "XX") and n >= d.CITIZENSHIP_FACTOR * threshold
        ),
        key=lambda c: (-previous[c], c),
    )
    organisations = Organisation.objects.order_by()
    return {
        "citizenship": kept,
        "organisation_kind": sorted({o.kind for o in organisations}),
        "region": sorted({o.region for o in organisations if o.region}),
    }


def _canonical(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _document(
    scope: str,
    cells: YearCells,
    status: dict[str, bool],
    family_of: dict,
    spans: dict,
    threshold: int,
    now,
) -> dict:
    values = {}
    for full, owner in cells.scope_of.items():
        if owner != scope:
            continue
        key = full.split("|", 1)[1]
        published = status[full]
        values[key] = family_of[full].values[full] if published else None
    periods = cells.months + cells.quarters + cells.years
    return {
        "scope": scope,
        "year": cells.year,
        "month": cells.month,
        "threshold": threshold,
        "rule": d.rule_text(threshold),
        "published_at": now.isoformat(timespec="seconds"),
        "periods": periods,
        "display": cells.display,
        "cells": values,
        "durations": spans.get(scope, {}),
    }


@transaction.atomic
def publish_month(year: int, month: int, *, threshold: int | None = None) -> int:
    """Publish the release of a month that has ended; returns the number of
    documents stored (0 when it was already published)."""
    if ReleaseCounts.objects.filter(year=year, month=month).exists():
        return 0
    profile = active_profile()
    if threshold is None:
        threshold = profile.statistics_threshold
    previous = (
        ReleaseCounts.objects.select_for_update()
        .filter(year=year, month=month - 1)
        .order_by("-version")
        .first()
    )
    if month > 1 and previous is None:
        raise ValueError(f"publish {month_key(year, month - 1)} first")
    months = dict(previous.counts["months"]) if previous else {}
    display = previous.counts["display"] if previous else _display(year, threshold)
    held: dict[str, bool] = dict(previous.status) if previous else {}
    months[month_key(year, month)] = month_counts(year, month)
    cells = YearCells(year, month, months, display)
    export = None
    if month == 12:
        organisations = {
            (int(m[5:]), org): tuple(attributes)
            for m, counts in months.items()
            for org, attributes in counts["orgs"].items()
        }
        export = case_export.build(
            year,
            k=profile.k_anonymity,
            l=profile.l_diversity,
            organisations=organisations,
        )
    _bound(cells, export)
    status: dict[str, bool] = {}
    family_of: dict[str, Family] = {}
    for family in cells.families.values():
        suppressed = protect(
            family,
            threshold=threshold,
            held={c: held[c] for c in family.values if c in held},
            priority=cells.priority,
        )
        for cell in family.values:
            status[cell] = cell not in suppressed
            family_of[cell] = family
    spans = _spans(year, month, cells, status, family_of, threshold)
    now = timezone.now()
    counts = {"months": months, "display": display}
    ReleaseCounts.objects.create(
        year=year, month=month, counts=counts, status=status, created_at=now
    )
    scopes = [NATIONAL, *cells.orgs]
    stored = 0
    for scope in scopes:
        document = _document(scope, cells, status, family_of, spans, threshold, now)
        _store(scope, year, month, document, threshold, now)
        stored += 1
    if export is not None:
        _store(case_export.SCOPE, year, month, export, threshold, now)
        stored += 1
    return stored


def _store(scope, year, month, document, threshold, now) -> None:
    text = _canonical(document)
    StatisticsRelease.objects.create(
        scope=scope,
        year=year,
        month=month,
        published_at=now,
        threshold=threshold,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        document=document,
    )


def _spans(year, month, cells, status, family_of, threshold) -> dict:
    """Durations of the periods this release adds, rounded to whole days,
    where the count cell is published and holds at least twice the
    threshold."""
    new_periods = [month_key(year, month)]
    if month % 3 == 0:
        new_periods.append(quarter_key(year, month // 3))
    if month == 12:
        new_periods.append(str(year))
    spans: dict[str, dict] = {}
    # Earlier periods' durations are carried from the previous documents.
    for release in StatisticsRelease.objects.filter(year=year, month=month - 1).exclude(
        scope=case_export.SCOPE
    ):
        spans[release.scope] = dict(release.document.get("durations", {}))
    for period in new_periods:
        numbers = _months_of_period(period)
        found = durations(year, numbers)
        for scope in [NATIONAL, *cells.orgs]:
            mine = spans.setdefault(scope, {})
            monthly = "-" in period and "Q" not in period
            groups = GROUPS if scope == NATIONAL and not monthly else ("all",)
            for interval, measure in INTERVALS.items():
                for group in groups:
                    cell = _duration_count_cell(scope, measure, group, period)
                    family = family_of.get(cell)
                    value = found.get((measure, scope, group))
                    publish = (
                        family is not None
                        and status.get(cell)
                        and family.values[cell] >= 2 * threshold
                        and value is not None
                    )
                    for stat, index in (("median", 0), ("p90", 1)):
                        mine[_key(interval, group, stat, period)] = (
                            round(value[index]) if publish else None
                        )
    return spans


def _months_of_period(period: str) -> list[int]:
    if "Q" in period:
        q = int(period.rsplit("Q", 1)[1])
        return list(range(3 * q - 2, 3 * q + 1))
    if "-" in period:
        return [int(period.split("-")[1])]
    return list(range(1, 13))


def first_month() -> tuple[int, int] | None:
    first = Milestone.objects.order_by("year", "month").values("year", "month").first()
    return (first["year"], first["month"]) if first else None


def publish_due(
    *, today: date | None = None, progress: Callable[[str], None] | None = None
) -> list[str]:
    """Publish, in order, every month that has ended and is not published
    (resumable: each month is one transaction)."""
    today = today or timezone.localdate()
    last = ReleaseCounts.objects.order_by("-year", "-month").first()
    if last is not None:
        year, month = (
            (last.year, last.month + 1) if last.month < 12 else (last.year + 1, 1)
        )
    else:
        start = first_month()
        if start is None:
            return []
        year, month = start[0], 1  # a year's releases start in January
    done = []
    while (year, month) < (today.year, today.month):
        stored = publish_month(year, month)
        key = month_key(year, month)
        if progress:
            progress(f"{key}: {stored} documents")
        done.append(key)
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return done
