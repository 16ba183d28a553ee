"""The published tables: counts from `queries`, protected by `disclosure`,
cut for a period from the calendar year's protected tables.

For one scope and calendar year, `year_statistics` builds, for every
measure, a family of linked tables (the totals by month, quarter and year,
and each breakdown by the same periods) and protects it as a whole; then the
referrals declined, and the deadline compliance. Any table of any period of
that year is a slice of these, so every answer agrees with every other on
what is suppressed. Durations are not additive; they are computed for the
period asked, and published only for groups of at least the threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.choices import AgeGroup, ExploitationForm, OrganisationKind, Sex
from nrm.selectors import active_profile
from referral.models import DeadlineKind, DeclineReason, ReceptionStage
from referral.statistics import definitions as d
from referral.statistics import queries
from referral.statistics.disclosure import (
    TOTAL,
    Dimension,
    Protection,
    Table,
    protect,
    protect_family,
)
from referral.statistics.periods import (
    MONTH,
    YEAR,
    Period,
    ended_months,
    local_midnight,
    month_key,
    quarter_key,
    quarter_of,
    year_dimension,
)
from referral.statistics.queries import MEASURES, Scope

__all__ = [
    "BREAKDOWN_TABLES",
    "TABLE_NAMES",
    "YearStatistics",
    "report",
    "year_statistics",
]

BREAKDOWN_TABLES = {
    "by-sex": "sex",
    "by-age-group": "age_group",
    "by-citizenship": "citizenship",
    "by-exploitation-form": "exploitation_form",
    "by-reception-stage": "reception_stage",
    "by-organisation-kind": "organisation_kind",
    "by-region": "region",
}
TABLE_NAMES = (
    "overview",
    *BREAKDOWN_TABLES,
    "durations",
    "deadline-compliance",
    "referrals-declined",
)
MONTHLY_TABLES = ("overview", "durations")
"""Tables published for a month; the others are published by quarter and
year only (monthly breakdowns would be mostly suppressed)."""
COUNT, DAYS, SHARE = "count", "days", "share"

_AGE_CHILDREN = (
    AgeGroup.CHILD_0_11,
    AgeGroup.CHILD_12_14,
    AgeGroup.CHILD_15_17,
    AgeGroup.UNKNOWN_PRESUMED_CHILD,
)
_AGE_ADULTS = (
    AgeGroup.ADULT_18_24,
    AgeGroup.ADULT_25_34,
    AgeGroup.ADULT_35_49,
    AgeGroup.ADULT_50_PLUS,
)


def _flat(name: str, codes: list[str]) -> Dimension:
    return Dimension(name, (TOTAL, *codes), {TOTAL: tuple(codes)} if codes else {})


@dataclass(frozen=True)
class Breakdown:
    dimension: Dimension
    category: Mapping[str, str]  # raw value -> leaf node
    default: str

    def node(self, raw: str) -> str:
        return self.category.get(raw, self.default)


def _age_breakdown() -> Breakdown:
    children = [str(a) for a in _AGE_CHILDREN]
    adults = [str(a) for a in _AGE_ADULTS]
    unknown = str(AgeGroup.UNKNOWN)
    dimension = Dimension(
        "age_group",
        (TOTAL, "child", *children, "adult", *adults, unknown),
        {TOTAL: ("child", "adult", unknown), "child": tuple(children),
         "adult": tuple(adults)},
    )  # fmt: skip
    return Breakdown(dimension, {c: c for c in (*children, *adults)}, unknown)


def _codes(choices) -> list[str]:
    return [str(value) for value in choices.values]


def _breakdowns(counts: queries.CaseCounts, threshold: int) -> dict[str, Breakdown]:
    result = {
        "sex": Breakdown(
            _flat("sex", _codes(Sex)), {c: c for c in _codes(Sex)}, str(Sex.UNKNOWN)
        ),
        "age_group": _age_breakdown(),
        "exploitation_form": Breakdown(
            _flat("exploitation_form", [*_codes(ExploitationForm), "multiple"]),
            {c: c for c in [*_codes(ExploitationForm), "multiple"]},
            str(ExploitationForm.UNKNOWN),
        ),
        "reception_stage": Breakdown(
            _flat("reception_stage", _codes(ReceptionStage)),
            {c: c for c in _codes(ReceptionStage)},
            str(ReceptionStage.REGISTRATION),
        ),
        "organisation_kind": Breakdown(
            _flat("organisation_kind", _codes(OrganisationKind)),
            {c: c for c in _codes(OrganisationKind)},
            str(OrganisationKind.RECEPTION_CENTRE),
        ),
    }
    regions = queries.regions_in(counts)
    region_nodes = {r: (r if r != TOTAL else f"{r} (region)") for r in regions}
    result["region"] = Breakdown(
        _flat("region", list(region_nodes.values())), region_nodes, "unknown"
    )
    registered = queries.registered_citizenships(counts)
    kept = sorted(
        (
            code
            for code, n in registered.items()
            if code not in ("", "XX") and n >= d.CITIZENSHIP_FACTOR * threshold
        ),
        key=lambda code: (-registered[code], code),
    )
    citizenship = {code: code for code in kept}
    citizenship.update({"": "unknown", "XX": "stateless"})
    result["citizenship"] = Breakdown(
        _flat("citizenship", [*kept, "other", "stateless", "unknown"]),
        citizenship,
        "other",
    )
    return result


@dataclass
class YearStatistics:
    scope: Scope
    year: int
    threshold: int
    time: Dimension
    breakdowns: dict[str, Breakdown]
    totals: dict[str, Protection]
    by: dict[str, dict[str, Protection]]
    declines: Protection
    compliance: Protection


def _time_leaf(year: int, month: int, time: Dimension) -> str | None:
    """The leaf of the time dimension a month's count goes to: the month, or
    its quarter where months are not published (None: not published)."""
    key = month_key(year, month)
    if key in time.nodes:
        return key
    key = quarter_key(year, quarter_of(month))
    return key if key in time.nodes and time.is_leaf(key) else None


def year_statistics(
    scope: Scope, year: int, *, today: date, threshold: int | None = None
) -> YearStatistics:
    """Every count of the calendar year's ended months, protected."""
    if threshold is None:
        threshold = active_profile().statistics_threshold
    time = year_dimension(year, today)
    quarters = year_dimension(year, today, months=False)
    months = ended_months(year, today)
    start = local_midnight(date(year, 1, 1))
    end = local_midnight(
        date(year + 1, 1, 1) if months == 12 else date(year, months + 1, 1)
    )
    counts = (
        queries.case_counts(scope, start, end)
        if months
        else {m: {"": Counter()} for m in MEASURES}
    )
    for measure in MEASURES:
        counts[measure].setdefault("", Counter())
        for breakdown in queries.BREAKDOWN_COLUMNS:
            counts[measure].setdefault(breakdown, Counter())
    breakdowns = _breakdowns(counts, threshold)
    total_dimension = Dimension(TOTAL, (TOTAL,))
    totals: dict[str, Protection] = {}
    by: dict[str, dict[str, Protection]] = {}
    for measure in MEASURES:
        leaves: Counter = Counter()
        for (_c, y, m), n in counts[measure][""].items():
            leaf = _time_leaf(y, m, time)
            if leaf:
                leaves[(TOTAL, leaf)] += n
        base = Table([total_dimension, time], leaves)
        parts = {}
        for name, breakdown in breakdowns.items():
            leaves = Counter()
            for (raw, y, m), n in counts[measure][name].items():
                leaf = _time_leaf(y, m, quarters)
                if leaf:
                    leaves[(breakdown.node(raw), leaf)] += n
            parts[name] = Table([breakdown.dimension, quarters], leaves)
        totals[measure], by[measure] = protect_family(base, parts, threshold=threshold)

    reasons = _codes(DeclineReason)
    declines: Counter = Counter()
    if months:
        for (reason, y, m), n in queries.decline_counts(scope, start, end).items():
            leaf = _time_leaf(y, m, quarters)
            if leaf:
                node = reason if reason in reasons else str(DeclineReason.OTHER)
                declines[(node, leaf)] += n
    declines_table = Table([_flat("decline_reason", reasons), quarters], declines)

    kinds = Dimension(
        "deadline_kind", (DeadlineKind.REFERRAL_ANSWER, DeadlineKind.RG_DECISION)
    )
    outcomes = Dimension(
        "outcome", ("met", "on_time", "late"), {"met": ("on_time", "late")}
    )
    compliance: Counter = Counter()
    if months:
        for (kind, outcome, y, m), n in queries.compliance_counts(
            scope, start, end
        ).items():
            leaf = _time_leaf(y, m, quarters)
            if leaf:
                compliance[(kind, outcome, leaf)] += n
    compliance_table = Table([kinds, outcomes, quarters], compliance)
    return YearStatistics(
        scope=scope,
        year=year,
        threshold=threshold,
        time=time,
        breakdowns=breakdowns,
        totals=totals,
        by=by,
        declines=protect(declines_table, threshold=threshold),
        compliance=protect(compliance_table, threshold=threshold),
    )


# --- Slicing a period ------------------------------------------------------------


def _columns(keys, labels, kind: str) -> list[dict]:
    return [{"key": k, "label": str(labels[k]), "kind": kind} for k in keys]


def _depth(dimension: Dimension, node: str) -> int:
    depth, current = 0, dimension.parent(node)
    while current is not None:
        depth, current = depth + 1, dimension.parent(current)
    return depth


def _table(name: str, unit: str, columns: list[dict], rows: list[dict]) -> dict:
    return {
        "name": name,
        "title": str(d.TABLE_TITLES[name]),
        "unit": unit,
        "columns": columns,
        "rows": rows,
    }


def overview_table(stats: YearStatistics, period: Period) -> dict:
    """The totals by month (and by quarter, for a year), then the period."""
    keys = [month_key(period.year, m) for m in period.month_numbers]
    if period.kind == YEAR:
        keys += [quarter_key(period.year, q) for q in range(1, 5)]
    if period.kind != MONTH:
        keys.append(period.key)
    rows = [
        {
            "key": key,
            "label": key,
            "level": 0 if key == period.key else (2 if "Q" not in key else 1),
            "values": {m: stats.totals[m].published((TOTAL, key)) for m in MEASURES},
        }
        for key in keys
    ]
    columns = _columns(MEASURES, d.MEASURE_LABELS, COUNT)
    return _table("overview", "cases", columns, rows)


def breakdown_table(stats: YearStatistics, period: Period, name: str) -> dict:
    breakdown = BREAKDOWN_TABLES[name]
    dimension = stats.breakdowns[breakdown].dimension
    rows = [
        {
            "key": node,
            "label": d.label(breakdown, node),
            "level": _depth(dimension, node),
            "values": {
                m: stats.by[m][breakdown].published((node, period.key))
                for m in MEASURES
            },
        }
        for node in dimension.nodes
    ]
    columns = _columns(MEASURES, d.MEASURE_LABELS, COUNT)
    return _table(name, "cases", columns, rows)


def declines_table(stats: YearStatistics, period: Period) -> dict:
    dimension = stats.declines.table.dimensions[0]
    rows = [
        {
            "key": node,
            "label": d.label("decline_reason", node),
            "level": _depth(dimension, node),
            "values": {"declined": stats.declines.published((node, period.key))},
        }
        for node in dimension.nodes
    ]
    columns = [{"key": "declined", "label": _("Referrals declined"), "kind": COUNT}]
    return _table("referrals-declined", "referrals", columns, rows)


def compliance_table(stats: YearStatistics, period: Period) -> dict:
    rows = []
    for kind in stats.compliance.table.dimensions[0].nodes:
        values = {
            outcome: stats.compliance.published((kind, outcome, period.key))
            for outcome in ("on_time", "late", "met")
        }
        share = None
        if None not in values.values() and values["met"]:
            share = round(values["on_time"] / values["met"], 3)
        rows.append(
            {
                "key": str(kind),
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


def durations_table(scope: Scope, period: Period, threshold: int) -> dict:
    start = local_midnight(period.first_day)
    end = local_midnight(period.end)
    summaries = queries.duration_summaries(scope, start, end)
    rows = []
    for interval in queries.INTERVALS:
        values: dict[str, float | None] = {}
        for group in ("all", "child", "adult"):
            summary = summaries.get((interval, group))
            publish = summary is not None and summary.count >= threshold
            values[f"{group}_median"] = round(summary.median, 1) if publish else None
            values[f"{group}_p90"] = round(summary.p90, 1) if publish else None
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


def _envelope(scope: Scope, period: Period, threshold: int, tables: list) -> dict:
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
        "threshold": threshold,
        "rule": d.rule_text(threshold),
        "definitions": {k: str(v) for k, v in d.DEFINITIONS.items()},
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "tables": tables,
    }


def report(
    scope: Scope,
    period: Period,
    *,
    today: date,
    names: tuple[str, ...] = TABLE_NAMES,
    threshold: int | None = None,
) -> dict:
    """The named tables for a period, with the rule and the definitions."""
    if threshold is None:
        threshold = active_profile().statistics_threshold
    if period.kind == MONTH:
        names = tuple(n for n in names if n in MONTHLY_TABLES)
    needs_year = any(n != "durations" for n in names)
    stats = (
        year_statistics(scope, period.year, today=today, threshold=threshold)
        if needs_year
        else None
    )
    tables = []
    for name in names:
        if name == "overview":
            tables.append(overview_table(stats, period))
        elif name in BREAKDOWN_TABLES:
            tables.append(breakdown_table(stats, period, name))
        elif name == "durations":
            tables.append(durations_table(scope, period, threshold))
        elif name == "deadline-compliance":
            tables.append(compliance_table(stats, period))
        elif name == "referrals-declined":
            tables.append(declines_table(stats, period))
        else:
            raise KeyError(name)
    return _envelope(scope, period, threshold, tables)


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
    yield ("about", scope, period, "rule", data["rule"], "threshold", "rule",
           data["threshold"], "published")  # fmt: skip
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
