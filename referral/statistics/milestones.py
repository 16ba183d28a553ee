"""The statistics' only writer of milestones: one row per case per milestone.

`sync(case_id)` is called by the workflow's services at the end of every step
that can reach a milestone, inside the step's transaction: it inserts the
rows the case has reached and does not have yet (a unique constraint on
subject and measure makes it idempotent), with the coarse attributes the case
has at that moment. `backfill()` does the same for every case at once (an
existing mechanism upgrading, or a bulk-generated caseload).

What each measure means is in `referral/statistics/definitions.py`; this is
the one place that turns the case's rows into those measures. On PostgreSQL
each call is one INSERT ... SELECT; on other databases (the SQLite demo) the
same rows are computed in Python (`_rows_python`), and
`tests/statistics/test_milestones.py` checks that the two agree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.utils import timezone

from referral.models import (
    Case,
    DeadlineKind,
    DecisionKind,
    Milestone,
    MilestoneKind,
    ReferralState,
)

__all__ = ["MULTIPLE_FORMS", "NO_FORM", "backfill", "sync"]

MULTIPLE_FORMS = "multiple"
NO_FORM = "unknown"
ON_TIME, LATE = "on_time", "late"

_SQL = """
WITH c AS (
    SELECT c.id, c.organisation_id, p.sex, p.age_group, p.is_child, p.citizenship, c.reception_stage,
           coalesce(f.form, %(no_form)s) AS form,
           c.registered_at, c.first_screened_at, c.referred_at, c.rg_decided_at,
           c.recovery_ends_on, c.cg_decided_at, c.transferred_at
    FROM referral_case c
    JOIN referral_person p ON p.id = c.person_id
    LEFT JOIN LATERAL (
        SELECT CASE WHEN count(*) > 1 THEN %(multiple)s ELSE min(x.form) END AS form
        FROM referral_caseexploitationform x WHERE x.case_id = c.id
    ) f ON TRUE
    WHERE {where}
), events AS (
    SELECT id AS subject, %(registered)s AS measure, registered_at AS at,
           '' AS detail, NULL::float AS days, {attrs}
    FROM c
  UNION ALL
    SELECT id, %(screened)s, first_screened_at, '', NULL, {attrs}
    FROM c WHERE first_screened_at IS NOT NULL
  UNION ALL
    SELECT id, %(referred)s, referred_at, '',
           extract(epoch FROM referred_at - registered_at) / 86400.0, {attrs}
    FROM c WHERE referred_at IS NOT NULL
  UNION ALL
    SELECT id, %(presumed)s, rg_decided_at, '',
           extract(epoch FROM rg_decided_at - referred_at) / 86400.0, {attrs}
    FROM c WHERE recovery_ends_on IS NOT NULL AND rg_decided_at IS NOT NULL
  UNION ALL
    SELECT c.id, %(recognised)s, c.cg_decided_at, '',
           extract(epoch FROM c.cg_decided_at - c.referred_at) / 86400.0, {attrs}
    FROM c WHERE c.cg_decided_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM referral_decision d
        WHERE d.case_id = c.id AND d.positive AND (
            d.kind = %(cg)s OR (d.kind = %(recon)s AND EXISTS (
                SELECT 1 FROM referral_decision r
                WHERE r.id = d.reconsiders_id AND r.kind = %(cg)s))))
  UNION ALL
    SELECT c.id, %(not_identified)s, n.at, '', NULL, {attrs}
    FROM c JOIN LATERAL (
        SELECT min(d.decided_at) AS at FROM referral_decision d
        WHERE d.case_id = c.id AND NOT d.positive AND d.kind IN (%(rg)s, %(cg)s)
    ) n ON n.at IS NOT NULL
  UNION ALL
    SELECT id, %(transferred)s, transferred_at, '', NULL, {attrs}
    FROM c WHERE transferred_at IS NOT NULL
  UNION ALL
    SELECT r.id, %(declined)s, r.answered_at,
           coalesce(nullif(r.decline_reason, ''), 'other'), NULL, {attrs}
    FROM c JOIN referral_referral r ON r.case_id = c.id
    WHERE r.state = %(declined_state)s AND r.answered_at IS NOT NULL
  UNION ALL
    SELECT d.id, %(answered)s, d.met_at,
           CASE WHEN d.met_at <= d.due_at THEN %(on_time)s ELSE %(late)s END, NULL,
           {attrs}
    FROM c JOIN referral_deadline d ON d.case_id = c.id
    WHERE d.kind = %(answer_kind)s AND d.met_at IS NOT NULL
  UNION ALL
    SELECT x.id, %(rg_decided)s, x.decided_at,
           CASE WHEN x.decided_at <= dl.due_at THEN %(on_time)s ELSE %(late)s END,
           NULL, {attrs}
    FROM c JOIN referral_decision x ON x.case_id = c.id AND x.kind = %(rg)s
    JOIN LATERAL (
        SELECT d.due_at FROM referral_deadline d
        WHERE d.referral_id = x.referral_id AND d.kind = %(rg_kind)s
        ORDER BY d.due_at LIMIT 1
    ) dl ON TRUE
)
INSERT INTO referral_milestone (
    subject, measure, occurred_at, year, month, organisation_id, sex, age_group, is_child, citizenship, form,
    reception_stage, detail, days)
SELECT e.subject, e.measure, e.at,
       CAST(extract(year FROM e.at AT TIME ZONE %(tz)s) AS integer),
       CAST(extract(month FROM e.at AT TIME ZONE %(tz)s) AS integer),
       e.organisation_id, e.sex, e.age_group, e.is_child,
       e.citizenship, e.form, e.reception_stage, e.detail, e.days
FROM events e
ON CONFLICT (subject, measure) DO NOTHING
"""

_PARAMS = {
    "no_form": NO_FORM,
    "multiple": MULTIPLE_FORMS,
    "registered": MilestoneKind.REGISTERED.value,
    "screened": MilestoneKind.SCREENED.value,
    "referred": MilestoneKind.REFERRED.value,
    "presumed": MilestoneKind.PRESUMED_VICTIM.value,
    "recognised": MilestoneKind.RECOGNISED.value,
    "not_identified": MilestoneKind.NOT_IDENTIFIED.value,
    "transferred": MilestoneKind.TRANSFERRED.value,
    "declined": MilestoneKind.REFERRAL_DECLINED.value,
    "answered": MilestoneKind.REFERRAL_ANSWERED.value,
    "rg_decided": MilestoneKind.RG_DECIDED.value,
    "rg": DecisionKind.REASONABLE_GROUNDS.value,
    "cg": DecisionKind.CONCLUSIVE_GROUNDS.value,
    "recon": DecisionKind.RECONSIDERATION.value,
    "declined_state": ReferralState.DECLINED.value,
    "answer_kind": DeadlineKind.REFERRAL_ANSWER.value,
    "rg_kind": DeadlineKind.RG_DECISION.value,
    "on_time": ON_TIME,
    "late": LATE,
}


def sync(case_id: UUID) -> None:
    """Record the milestones this case has reached and not yet recorded."""
    _insert([case_id])


BATCH = 100_000


def backfill(case_ids: Iterable[UUID] | None = None) -> int:
    """Record the milestones of every case (or of `case_ids`), in batches of
    cases; returns how many rows were added."""
    before = Milestone.objects.count()
    if case_ids is None:
        case_ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    ids = iter(case_ids)
    while batch := list(itertools.islice(ids, BATCH)):
        _insert(batch)
    return Milestone.objects.count() - before


def _insert(case_ids: list[UUID]) -> None:
    if connection.vendor == "postgresql":
        params = {**_PARAMS, "tz": settings.TIME_ZONE}
        where = "c.id IN (SELECT unnest(%(ids)s::uuid[]))"
        params["ids"] = [str(i) for i in case_ids]
        attrs = (
            "c.organisation_id, c.sex, c.age_group, c.is_child, c.citizenship, "
            "c.form, c.reception_stage"
        )
        with connection.cursor() as cursor:
            cursor.execute(_SQL.format(where=where, attrs=attrs), params)
        return
    Milestone.objects.bulk_create(_rows_python(case_ids), ignore_conflicts=True)


def _days(later, earlier) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds() / 86400.0


def _adder(rows: list[Milestone], common: dict):
    def add(subject, measure, at, detail="", days=None) -> None:
        if at is None:
            return
        local = timezone.localtime(at)
        rows.append(
            Milestone(
                subject=subject,
                measure=measure,
                occurred_at=at,
                year=local.year,
                month=local.month,
                detail=detail,
                days=days,
                **common,
            )
        )

    return add


def _rows_python(case_ids: list[UUID] | None) -> list[Milestone]:
    """The same rows as `_SQL`, through the ORM (any database)."""
    cases = Case.objects.select_related("person").prefetch_related(
        "forms", "decisions", "referrals", "deadlines"
    )
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    rows: list[Milestone] = []
    for case in cases.iterator(chunk_size=500):
        person = case.person
        forms = sorted(f.form for f in case.forms.all())
        form = (
            NO_FORM if not forms else (forms[0] if len(forms) == 1 else MULTIPLE_FORMS)
        )
        decisions = list(case.decisions.all())
        by_id = {d.pk: d for d in decisions}
        deadlines = list(case.deadlines.all())

        common = {
            "organisation_id": case.organisation_id,
            "sex": person.sex,
            "age_group": person.age_group,
            "is_child": person.is_child,
            "citizenship": person.citizenship,
            "form": form,
            "reception_stage": case.reception_stage,
        }
        add = _adder(rows, common)
        K = MilestoneKind
        add(case.pk, K.REGISTERED, case.registered_at)
        add(case.pk, K.SCREENED, case.first_screened_at)
        add(
            case.pk,
            K.REFERRED,
            case.referred_at,
            days=_days(case.referred_at, case.registered_at),
        )
        if case.recovery_ends_on is not None:
            add(
                case.pk,
                K.PRESUMED_VICTIM,
                case.rg_decided_at,
                days=_days(case.rg_decided_at, case.referred_at),
            )
        recognising = any(
            d.positive
            and (
                d.kind == DecisionKind.CONCLUSIVE_GROUNDS
                or (
                    d.kind == DecisionKind.RECONSIDERATION
                    and d.reconsiders_id in by_id
                    and by_id[d.reconsiders_id].kind == DecisionKind.CONCLUSIVE_GROUNDS
                )
            )
            for d in decisions
        )
        if recognising:
            add(
                case.pk,
                K.RECOGNISED,
                case.cg_decided_at,
                days=_days(case.cg_decided_at, case.referred_at),
            )
        negative = [
            d.decided_at
            for d in decisions
            if not d.positive
            and d.kind
            in (DecisionKind.REASONABLE_GROUNDS, DecisionKind.CONCLUSIVE_GROUNDS)
        ]
        if negative:
            add(case.pk, K.NOT_IDENTIFIED, min(negative))
        add(case.pk, K.TRANSFERRED, case.transferred_at)
        for referral in case.referrals.all():
            if referral.state == ReferralState.DECLINED:
                add(
                    referral.pk,
                    K.REFERRAL_DECLINED,
                    referral.answered_at,
                    detail=referral.decline_reason or "other",
                )
        rg_due: dict[object, object] = {}
        for deadline in sorted(deadlines, key=lambda d: d.due_at):
            if deadline.kind == DeadlineKind.REFERRAL_ANSWER and deadline.met_at:
                on_time = deadline.met_at <= deadline.due_at
                add(
                    deadline.pk,
                    K.REFERRAL_ANSWERED,
                    deadline.met_at,
                    detail=ON_TIME if on_time else LATE,
                )
            if deadline.kind == DeadlineKind.RG_DECISION:
                rg_due.setdefault(deadline.referral_id, deadline.due_at)
        for decision in decisions:
            if decision.kind != DecisionKind.REASONABLE_GROUNDS:
                continue
            due = rg_due.get(decision.referral_id)
            if due is not None:
                add(
                    decision.pk,
                    K.RG_DECIDED,
                    decision.decided_at,
                    detail=ON_TIME if decision.decided_at <= due else LATE,
                )
    return rows
