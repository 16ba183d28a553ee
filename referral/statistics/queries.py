"""The statistics' reads: counts computed in the database from the coarse,
clear columns only (never a sealed column, never the vault).

On PostgreSQL each family of counts is one statement (one scan of the
cases, unpivoted by milestone and grouped by GROUPING SETS); on other
databases (the SQLite demo) the same definitions are evaluated in Python
over the same columns. `tests/statistics` checks that the two agree.

The counting definitions are in `referral/statistics/definitions.py`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from nrm.models import Organisation
from referral.models import (
    Case,
    CaseExploitationForm,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionKind,
    Person,
    Referral,
    ReferralState,
)

__all__ = [
    "BREAKDOWN_COLUMNS",
    "MEASURES",
    "Scope",
    "case_counts",
    "compliance_counts",
    "decline_counts",
    "duration_summaries",
]

MEASURES = (
    "registered",
    "screened",
    "referred",
    "presumed_victim",
    "recognised",
    "not_identified",
    "transferred",
)
# Breakdown -> the coarse column it reads (from the case, its person or its
# registering organisation).
BREAKDOWN_COLUMNS = {
    "sex": "sex",
    "age_group": "age_group",
    "citizenship": "citizenship",
    "exploitation_form": "form",
    "reception_stage": "reception_stage",
    "organisation_kind": "organisation_kind",
    "region": "region",
}
MULTIPLE_FORMS = "multiple"
NO_FORM = "unknown"
INTERVALS = (
    "registration_to_referral",
    "referral_to_reasonable_grounds",
    "referral_to_conclusive_grounds",
)


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole mechanism, or the cases one organisation
    registered (a supervisor's own figures)."""

    organisation_id: UUID | None = None

    @property
    def national(self) -> bool:
        return self.organisation_id is None

    @property
    def code(self) -> str:
        return "national" if self.national else "organisation"

    def cases(self, queryset: QuerySet, prefix: str = "") -> QuerySet:
        if self.national:
            return queryset
        return queryset.filter(**{f"{prefix}organisation_id": self.organisation_id})


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


STATISTICS_WORK_MEM = "64MB"
"""Memory for the sorts and hashes of one statistics statement (for its
transaction only): with the default 4MB, PostgreSQL's hash aggregates spill
to disk and, misestimated, can take minutes on a million cases."""


def _analytical(cursor) -> None:
    cursor.execute(f"SET LOCAL work_mem = '{STATISTICS_WORK_MEM}'")


def _month(value: datetime) -> tuple[int, int]:
    local = timezone.localtime(value)
    return local.year, local.month


# --- Case milestones ---------------------------------------------------------

_CASE_SQL = """
WITH forms AS (
    SELECT {f_case} AS case_id,
           CASE WHEN count(*) > 1 THEN %(multiple)s ELSE min({f_form}) END AS form
    FROM {forms} GROUP BY {f_case}
), negative AS (
    SELECT {d_case} AS case_id, min({d_at}) AS decided_at FROM {decisions}
    WHERE NOT {d_positive} AND {d_kind} IN (%(rg)s, %(cg)s)
    GROUP BY {d_case}
), facts AS (
    SELECT p.{p_sex} AS sex, p.{p_age} AS age_group, p.{p_cit} AS citizenship,
           coalesce(forms.form, %(no_form)s) AS form,
           c.{c_stage} AS reception_stage, o.{o_kind} AS organisation_kind,
           c.{c_region} AS region,
           c.{c_registered} AS registered,
           c.{c_screened} AS screened,
           c.{c_referred} AS referred,
           CASE WHEN c.{c_recovery} IS NOT NULL THEN c.{c_rg} END AS presumed_victim,
           CASE WHEN c.{c_cg} IS NOT NULL AND EXISTS (
               SELECT 1 FROM {decisions} d
               WHERE d.{d_case} = c.{c_pk} AND d.{d_positive} AND (
                   d.{d_kind} = %(cg)s OR (d.{d_kind} = %(recon)s AND EXISTS (
                       SELECT 1 FROM {decisions} r
                       WHERE r.{d_pk} = d.{d_reconsiders} AND r.{d_kind} = %(cg)s)))
           ) THEN c.{c_cg} END AS recognised,
           negative.decided_at AS not_identified,
           c.{c_transferred} AS transferred
    FROM {cases} c
    JOIN {persons} p ON p.{p_pk} = c.{c_person}
    JOIN {organisations} o ON o.{o_pk} = c.{c_org}
    LEFT JOIN forms ON forms.case_id = c.{c_pk}
    LEFT JOIN negative ON negative.case_id = c.{c_pk}
    WHERE ({scope}) AND (
        (c.{c_registered} >= %(start)s AND c.{c_registered} < %(end)s)
        OR (c.{c_screened} >= %(start)s AND c.{c_screened} < %(end)s)
        OR (c.{c_referred} >= %(start)s AND c.{c_referred} < %(end)s)
        OR (c.{c_rg} >= %(start)s AND c.{c_rg} < %(end)s)
        OR (c.{c_cg} >= %(start)s AND c.{c_cg} < %(end)s)
        OR (c.{c_transferred} >= %(start)s AND c.{c_transferred} < %(end)s)
        OR (negative.decided_at >= %(start)s AND negative.decided_at < %(end)s)
    )
)
SELECT m.measure,
       CAST(extract(month FROM m.at AT TIME ZONE %(tz)s) AS integer) AS month,
       GROUPING(sex, age_group, citizenship, form, reception_stage,
                organisation_kind, region) AS g,
       sex, age_group, citizenship, form, reception_stage, organisation_kind, region,
       count(*) AS n
FROM facts CROSS JOIN LATERAL (VALUES {unpivot}) AS m(measure, at)
WHERE m.at >= %(start)s AND m.at < %(end)s
GROUP BY GROUPING SETS (
    (m.measure, month), (m.measure, month, sex), (m.measure, month, age_group),
    (m.measure, month, citizenship), (m.measure, month, form),
    (m.measure, month, reception_stage), (m.measure, month, organisation_kind),
    (m.measure, month, region)
)
"""

_GROUPED = (
    "sex",
    "age_group",
    "citizenship",
    "form",
    "reception_stage",
    "organisation_kind",
    "region",
)


def _columns() -> dict[str, str]:
    qn = connection.ops.quote_name

    def col(model, name: str) -> str:
        return qn(model._meta.get_field(name).column)

    return {
        "forms": qn(CaseExploitationForm._meta.db_table),
        "f_case": col(CaseExploitationForm, "case"),
        "f_form": col(CaseExploitationForm, "form"),
        "decisions": qn(Decision._meta.db_table),
        "d_pk": col(Decision, "id"),
        "d_case": col(Decision, "case"),
        "d_at": col(Decision, "decided_at"),
        "d_positive": col(Decision, "positive"),
        "d_kind": col(Decision, "kind"),
        "d_reconsiders": col(Decision, "reconsiders"),
        "cases": qn(Case._meta.db_table),
        "c_pk": col(Case, "id"),
        "c_person": col(Case, "person"),
        "c_org": col(Case, "organisation"),
        "c_stage": col(Case, "reception_stage"),
        "c_region": col(Case, "region"),
        "c_registered": col(Case, "registered_at"),
        "c_screened": col(Case, "first_screened_at"),
        "c_referred": col(Case, "referred_at"),
        "c_rg": col(Case, "rg_decided_at"),
        "c_recovery": col(Case, "recovery_ends_on"),
        "c_cg": col(Case, "cg_decided_at"),
        "c_transferred": col(Case, "transferred_at"),
        "persons": qn(Person._meta.db_table),
        "p_pk": col(Person, "id"),
        "p_sex": col(Person, "sex"),
        "p_age": col(Person, "age_group"),
        "p_cit": col(Person, "citizenship"),
        "organisations": qn(Organisation._meta.db_table),
        "o_pk": col(Organisation, "id"),
        "o_kind": col(Organisation, "kind"),
    }


CaseCounts = dict[str, dict[str, Counter]]
"""measure -> breakdown ("" for the totals) -> Counter[(category, year, month)]."""


def _empty_counts() -> CaseCounts:
    return {
        m: {"": Counter(), **{b: Counter() for b in BREAKDOWN_COLUMNS}}
        for m in MEASURES
    }


def case_counts(scope: Scope, start: datetime, end: datetime) -> CaseCounts:
    """Cases reaching each milestone in [start, end), by calendar month of
    the milestone, in total and by each breakdown's raw category."""
    if _is_postgresql():
        return _case_counts_sql(scope, start, end)
    return case_counts_python(scope, start, end)


def _case_counts_sql(scope: Scope, start: datetime, end: datetime) -> CaseCounts:
    names = _columns()
    unpivot = ", ".join(f"('{m}', facts.{m})" for m in MEASURES)
    scope_sql = "TRUE" if scope.national else f"c.{names['c_org']} = %(organisation)s"
    sql = _CASE_SQL.format(**names, unpivot=unpivot, scope=scope_sql)
    params = {
        "multiple": MULTIPLE_FORMS,
        "no_form": NO_FORM,
        "rg": DecisionKind.REASONABLE_GROUNDS.value,
        "cg": DecisionKind.CONCLUSIVE_GROUNDS.value,
        "recon": DecisionKind.RECONSIDERATION.value,
        "start": start,
        "end": end,
        "tz": settings.TIME_ZONE,
        "organisation": scope.organisation_id,
    }
    year = timezone.localtime(start).year
    counts = _empty_counts()
    with transaction.atomic(), connection.cursor() as cursor:
        _analytical(cursor)
        cursor.execute(sql, params)
        for measure, month, grouping, *values, n in cursor.fetchall():
            if grouping == (1 << len(_GROUPED)) - 1:
                counts[measure][""][("total", year, month)] += n
                continue
            for position, column in enumerate(_GROUPED):
                if not grouping & (1 << (len(_GROUPED) - 1 - position)):
                    breakdown = _BREAKDOWN_OF_COLUMN[column]
                    counts[measure][breakdown][(values[position], year, month)] += n
    return counts


_BREAKDOWN_OF_COLUMN = {column: b for b, column in BREAKDOWN_COLUMNS.items()}


def _case_facts(scope: Scope, start: datetime, end: datetime):
    """The same facts as the SQL's `facts`, through the ORM (any database)."""

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    negative = Decision.objects.filter(
        case=OuterRef("pk"),
        positive=False,
        kind__in=[DecisionKind.REASONABLE_GROUNDS, DecisionKind.CONCLUSIVE_GROUNDS],
    )
    recognising = Decision.objects.filter(case=OuterRef("pk"), positive=True).filter(
        Q(kind=DecisionKind.CONCLUSIVE_GROUNDS)
        | Q(
            kind=DecisionKind.RECONSIDERATION,
            reconsiders__kind=DecisionKind.CONCLUSIVE_GROUNDS,
        )
    )
    forms = CaseExploitationForm.objects.filter(case=OuterRef("pk")).order_by()
    queryset = (
        scope.cases(Case.objects.all())
        .annotate(
            not_identified_at=Subquery(
                negative.order_by()
                .values("case")
                .annotate(at=Min("decided_at"))
                .values("at")[:1]
            ),
            is_recognised=Exists(recognising),
            form_count=Subquery(
                forms.values("case").annotate(n=Count("pk")).values("n")[:1]
            ),
            first_form=Subquery(
                forms.values("case").annotate(f=Min("form")).values("f")[:1]
            ),
        )  # fmt: skip
        .filter(
            within("registered_at")
            | within("first_screened_at")
            | within("referred_at")
            | within("rg_decided_at")
            | within("cg_decided_at")
            | within("transferred_at")
            | within("not_identified_at")
        )
        .order_by()
    )
    return queryset.values_list(
        "person__sex",
        "person__age_group",
        "person__citizenship",
        "form_count",
        "first_form",
        "reception_stage",
        F("organisation__kind"),
        "region",
        "registered_at",
        "first_screened_at",
        "referred_at",
        "rg_decided_at",
        "recovery_ends_on",
        "cg_decided_at",
        "is_recognised",
        "not_identified_at",
        "transferred_at",
    )


def case_counts_python(scope: Scope, start: datetime, end: datetime) -> CaseCounts:
    counts = _empty_counts()
    for row in _case_facts(scope, start, end).iterator(chunk_size=5000):
        (sex, age, citizenship, form_count, first_form, stage, kind, region,
         registered, screened, referred, rg, recovery, cg, is_recognised,
         not_identified, transferred) = row  # fmt: skip
        if not form_count:
            form = NO_FORM
        elif form_count > 1:
            form = MULTIPLE_FORMS
        else:
            form = first_form
        categories = {
            "sex": sex,
            "age_group": age,
            "citizenship": citizenship,
            "exploitation_form": form,
            "reception_stage": stage,
            "organisation_kind": kind,
            "region": region,
        }
        milestones = {
            "registered": registered,
            "screened": screened,
            "referred": referred,
            "presumed_victim": rg if recovery is not None else None,
            "recognised": cg if is_recognised else None,
            "not_identified": not_identified,
            "transferred": transferred,
        }
        for measure, at in milestones.items():
            if at is None or not start <= at < end:
                continue
            year, month = _month(at)
            counts[measure][""][("total", year, month)] += 1
            for breakdown, category in categories.items():
                counts[measure][breakdown][(category, year, month)] += 1
    return counts


# --- Referrals declined, deadline compliance ----------------------------------


def _month_of(field: str):
    tz = timezone.get_current_timezone()
    return ExtractYear(field, tzinfo=tz), ExtractMonth(field, tzinfo=tz)


def decline_counts(scope: Scope, start: datetime, end: datetime) -> Counter:
    """Referrals (any purpose) declined in [start, end), by reason and month
    of the answer."""
    year, month = _month_of("answered_at")
    rows = (
        scope.cases(
            Referral.objects.filter(
                state=ReferralState.DECLINED,
                answered_at__gte=start,
                answered_at__lt=end,
            ),
            prefix="case__",
        )
        .annotate(y=year, m=month)
        .values("decline_reason", "y", "m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: Counter = Counter()
    for row in rows:
        counts[(row["decline_reason"] or "other", row["y"], row["m"])] += row["n"]
    return counts


def compliance_counts(scope: Scope, start: datetime, end: datetime) -> Counter:
    """Answers to referrals and reasonable-grounds decisions given in
    [start, end), by kind, on time or late, and month.

    A referral's answer is its `referral_answer` deadline met (accepted or
    declined); a reasonable-grounds decision is a Decision of that kind,
    compared with the `rg_decision` deadline of the referral it answers."""
    counts: Counter = Counter()
    year, month = _month_of("met_at")
    answers = (
        scope.cases(
            Deadline.objects.filter(
                kind=DeadlineKind.REFERRAL_ANSWER, met_at__gte=start, met_at__lt=end
            ),
            prefix="case__",
        )
        .annotate(y=year, m=month, on_time=Q(met_at__lte=F("due_at")))
        .values("y", "m", "on_time")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in answers:
        outcome = "on_time" if row["on_time"] else "late"
        counts[(DeadlineKind.REFERRAL_ANSWER.value, outcome, row["y"], row["m"])] += (
            row["n"]
        )
    due = Deadline.objects.filter(
        referral=OuterRef("referral"), kind=DeadlineKind.RG_DECISION
    ).order_by("due_at")
    year, month = _month_of("decided_at")
    decisions = (
        scope.cases(
            Decision.objects.filter(
                kind=DecisionKind.REASONABLE_GROUNDS,
                decided_at__gte=start,
                decided_at__lt=end,
            ),
            prefix="case__",
        )
        .annotate(due_at=Subquery(due.values("due_at")[:1]))
        .filter(due_at__isnull=False)
        .annotate(y=year, m=month, on_time=Q(decided_at__lte=F("due_at")))
        .values("y", "m", "on_time")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in decisions:
        outcome = "on_time" if row["on_time"] else "late"
        counts[(DeadlineKind.RG_DECISION.value, outcome, row["y"], row["m"])] += row[
            "n"
        ]
    return counts


# --- Durations -----------------------------------------------------------------

_DURATIONS_SQL = """
SELECT interval, is_child, GROUPING(is_child) AS g, count(*) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90
FROM (
    SELECT 'registration_to_referral' AS interval, p.{p_child} AS is_child,
           extract(epoch FROM c.{c_referred} - c.{c_registered}) / 86400.0 AS days
    FROM {cases} c JOIN {persons} p ON p.{p_pk} = c.{c_person}
    WHERE c.{c_referred} >= %(start)s AND c.{c_referred} < %(end)s AND ({scope})
  UNION ALL
    SELECT CASE WHEN d.{d_kind} = %(rg)s THEN 'referral_to_reasonable_grounds'
                ELSE 'referral_to_conclusive_grounds' END,
           p.{p_child},
           extract(epoch FROM d.{d_at} - c.{c_referred}) / 86400.0
    FROM {decisions} d JOIN {cases} c ON c.{c_pk} = d.{d_case}
    JOIN {persons} p ON p.{p_pk} = c.{c_person}
    WHERE d.{d_kind} IN (%(rg)s, %(cg)s) AND c.{c_referred} IS NOT NULL
      AND d.{d_at} >= %(start)s AND d.{d_at} < %(end)s AND ({scope})
) AS durations
GROUP BY GROUPING SETS ((interval), (interval, is_child))
"""


@dataclass(frozen=True)
class DurationSummary:
    count: int
    median: float
    p90: float


def duration_summaries(
    scope: Scope, start: datetime, end: datetime
) -> dict[tuple[str, str], DurationSummary]:
    """(interval, group) -> size, median and 90th percentile in days, for the
    milestones reached in [start, end); groups: all, child, adult."""
    if not _is_postgresql():
        return duration_summaries_python(scope, start, end)
    names = _columns()
    names["p_child"] = connection.ops.quote_name(
        Person._meta.get_field("is_child").column
    )
    scope_sql = "TRUE" if scope.national else f"c.{names['c_org']} = %(organisation)s"
    sql = _DURATIONS_SQL.format(**names, scope=scope_sql)
    params = {
        "start": start,
        "end": end,
        "rg": DecisionKind.REASONABLE_GROUNDS.value,
        "cg": DecisionKind.CONCLUSIVE_GROUNDS.value,
        "organisation": scope.organisation_id,
    }
    result = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _analytical(cursor)
        cursor.execute(sql, params)
        for interval, is_child, grouping, n, median, p90 in cursor.fetchall():
            group = "all" if grouping else ("child" if is_child else "adult")
            result[(interval, group)] = DurationSummary(n, float(median), float(p90))
    return result


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, as percentile_cont."""
    if not sorted_values:
        raise ValueError("no values")
    position = fraction * (len(sorted_values) - 1)
    low, high = math.floor(position), math.ceil(position)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86400.0


def duration_summaries_python(
    scope: Scope, start: datetime, end: datetime
) -> dict[tuple[str, str], DurationSummary]:
    values: dict[tuple[str, str], list[float]] = {}

    def add(interval: str, is_child: bool, days: float) -> None:
        for group in ("all", "child" if is_child else "adult"):
            values.setdefault((interval, group), []).append(days)

    referred = scope.cases(
        Case.objects.filter(referred_at__gte=start, referred_at__lt=end)
    ).values_list("person__is_child", "referred_at", "registered_at")
    for is_child, referred_at, registered_at in referred.iterator(chunk_size=5000):
        add("registration_to_referral", is_child, _days(referred_at, registered_at))
    decisions = scope.cases(
        Decision.objects.filter(
            kind__in=[DecisionKind.REASONABLE_GROUNDS, DecisionKind.CONCLUSIVE_GROUNDS],
            decided_at__gte=start,
            decided_at__lt=end,
            case__referred_at__isnull=False,
        ),
        prefix="case__",
    ).values_list("kind", "case__person__is_child", "decided_at", "case__referred_at")
    for kind, is_child, decided_at, referred_at in decisions.iterator(chunk_size=5000):
        interval = (
            "referral_to_reasonable_grounds"
            if kind == DecisionKind.REASONABLE_GROUNDS
            else "referral_to_conclusive_grounds"
        )
        add(interval, is_child, _days(decided_at, referred_at))
    result = {}
    for key, days in values.items():
        days.sort()
        result[key] = DurationSummary(
            len(days), percentile(days, 0.5), percentile(days, 0.9)
        )
    return result


def registered_citizenships(counts: CaseCounts) -> Counter:
    """Registered cases per raw citizenship over the counted months."""
    per_code: Counter = Counter()
    for (code, _year, _month), n in counts["registered"]["citizenship"].items():
        per_code[code] += n
    return per_code


def regions_in(counts: CaseCounts) -> list[str]:
    regions: set[str] = set()
    for measure in MEASURES:
        regions |= {code for code, _y, _m in counts[measure]["region"]}
    return sorted(regions)


def months_of(values: Iterable[tuple[str, int, int]]) -> set[tuple[int, int]]:
    return {(y, m) for _c, y, m in values}
