"""The debrief: what each agency did against what the scenario expected.

Read from the workflow's own rows (screenings, consents, referrals,
decisions, deadlines, notifications) of the exercise's persona cases, and
from the pack (what was expected). Times are exercise times (the workflow
wrote them from the exercise clock), shown as "day N hh:mm". No personal
value is read: personas are named by their key and the pack's synthetic
names.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from core import clock as workflow_clock
from nrm.audit import Event as AuditAction
from nrm.models import AuditEvent
from referral.models import (
    AgeAssessment,
    AnonymousNotification,
    Case,
    Consent,
    Deadline,
    DeadlineKind,
    Decision,
    Referral,
    Screening,
)
from training import packs
from training.models import Exercise


@dataclass
class Event:
    at: datetime
    day: str
    agency: str
    persona: str
    what: str


@dataclass
class ReferralRow:
    to_agency: str
    to_name: str
    purpose: str
    state: str
    sent: str
    consent_before: bool | None  # None: no consent needed (automatic)
    expected: bool


@dataclass
class PersonaReport:
    key: str
    name: str
    arrived: bool
    expected_indicators: list[str]
    ticked: list[str]
    recognised: list[str]
    missed: list[str]
    extra: list[str]
    expected_outcome: str
    outcome: str  # screening outcome, "" if not screened
    expected_decision: str
    decision: str  # reasonable grounds: positive / negative / "none"
    referrals: list[ReferralRow] = field(default_factory=list)
    expected_referrals: list[str] = field(default_factory=list)
    referrals_missing: list[str] = field(default_factory=list)
    deadlines_met: int = 0
    deadlines_missed: int = 0
    notices: int = 0
    # Protection notices of the recovery period sent to the migration
    # authority (its start, and its end or cancellation).
    protection_notices: int = 0
    # An `age_contested` inject fired for the persona: when, and the first
    # age assessment recorded after it (result, agency, when), if any.
    age_contested: str = ""
    age_assessment: str = ""
    age_assessed_by: str = ""
    age_assessed_at: str = ""
    # A `handover_received` inject: when the inbound case opened, and where.
    handover_received: str = ""
    handover_at: str = ""

    @property
    def outcome_matches(self) -> bool:
        return self.outcome == self.expected_outcome

    @property
    def decision_matches(self) -> bool:
        return self.decision == self.expected_decision


@dataclass
class AgencyReport:
    key: str
    name: str
    actions: Counter = field(default_factory=Counter)
    deadlines_met: int = 0
    deadlines_missed: int = 0
    referrals_sent: int = 0
    consent_before_sharing: int = 0
    shared_without_consent: int = 0
    events: list[Event] = field(default_factory=list)

    @property
    def action_total(self) -> int:
        return sum(self.actions.values())


@dataclass
class Debrief:
    exercise: Exercise
    now: datetime
    personas: list[PersonaReport]
    agencies: list[AgencyReport]
    timeline: list[Event]
    injects: list

    def totals(self) -> dict[str, int]:
        p = self.personas
        return {
            "indicators_expected": sum(len(x.expected_indicators) for x in p),
            "indicators_recognised": sum(len(x.recognised) for x in p),
            "indicators_missed": sum(len(x.missed) for x in p),
            "outcomes_matching": sum(1 for x in p if x.outcome_matches),
            "decisions_matching": sum(1 for x in p if x.decision_matches),
            "referrals_sent": sum(len(x.referrals) for x in p),
            "referrals_missing": sum(len(x.referrals_missing) for x in p),
            "consent_before_sharing": sum(
                a.consent_before_sharing for a in self.agencies
            ),
            "shared_without_consent": sum(
                a.shared_without_consent for a in self.agencies
            ),
            "deadlines_met": sum(a.deadlines_met for a in self.agencies),
            "deadlines_missed": sum(a.deadlines_missed for a in self.agencies),
            "notices": sum(x.notices for x in p),
            "protection_notices": sum(x.protection_notices for x in p),
        }

    def chart_rows(self):
        """Bars for the charts: per persona, recognised and missed indicators;
        per agency, actions and deadlines."""
        widest = max([len(x.expected_indicators) for x in self.personas] + [1])
        indicator_rows = [
            {
                "label": x.name,
                "recognised": len(x.recognised),
                "missed": len(x.missed),
                "w_recognised": 260 * len(x.recognised) // widest,
                "w_missed": 260 * len(x.missed) // widest,
                "y": 24 * i,
            }
            for i, x in enumerate(self.personas)
        ]
        most = max([a.action_total for a in self.agencies] + [1])
        agency_rows = [
            {
                "label": a.name,
                "actions": a.action_total,
                "w_actions": 240 * a.action_total // most,
                "met": a.deadlines_met,
                "missed": a.deadlines_missed,
                "y": 24 * i,
            }
            for i, a in enumerate(self.agencies)
        ]
        return indicator_rows, agency_rows


def day_label(exercise: Exercise, moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    day = (local.date() - timezone.localtime(exercise.day_zero).date()).days + 1
    return f"day {day} {local:%H:%M}"


def build(exercise: Exercise, agency_key: str | None = None) -> Debrief:
    pack = packs.load(packs.find(exercise.pack_id))
    now = (
        workflow_clock.now()
        if exercise.state == "running"
        else exercise.anchor_exercise
    )
    agencies = {
        a.organisation_id: a for a in exercise.agencies.select_related("organisation")
    }
    by_key = {a.key: a for a in agencies.values()}
    reports = {
        a.key: AgencyReport(a.key, a.organisation.name) for a in agencies.values()
    }
    personas = list(exercise.personas.order_by("pk"))  # the pack's order
    case_persona = {p.case_id: p.key for p in personas if p.case_id}
    case_ids = list(case_persona)
    timeline: list[Event] = []

    def agency_of(organisation_id) -> str:
        agency = agencies.get(organisation_id)
        return agency.key if agency else ""

    def note(at, organisation_id, case_id, what):
        key = agency_of(organisation_id)
        event = Event(
            at, day_label(exercise, at), key, case_persona.get(case_id, ""), what
        )
        timeline.append(event)
        if key:
            reports[key].events.append(event)

    screenings = defaultdict(list)
    for s in Screening.objects.filter(case_id__in=case_ids).order_by("screened_at"):
        screenings[s.case_id].append(s)
        reports_key = agency_of(s.organisation_id)
        if reports_key:
            reports[reports_key].actions["screening"] += 1
        note(s.screened_at, s.organisation_id, s.case_id, f"screened ({s.outcome})")
    consents = defaultdict(list)
    for c in Consent.objects.filter(case_id__in=case_ids):
        consents[c.case_id].append(c)
        # The consent is recorded by the agency holding the case; its
        # recorder's organisation is the one whose trainee recorded it.
        key = _recorder_agency(c.recorded_by_id, exercise)
        if key:
            reports[key].actions["consent"] += 1
        note(
            c.recorded_at,
            by_key[key].organisation_id if key else None,
            c.case_id,
            f"consent {'given' if c.given else 'refused'} for {c.purpose}",
        )
    referrals = defaultdict(list)
    for r in (
        Referral.objects.filter(case_id__in=case_ids)
        .select_related("to_organisation")
        .order_by("sent_at")
    ):
        referrals[r.case_id].append(r)
        sender = agency_of(r.from_organisation_id)
        automatic = r.consent_id is None
        consent_before = (
            None
            if automatic
            else any(
                c.given
                and c.recorded_at <= r.sent_at
                and c.to_organisation_id == r.to_organisation_id
                for c in consents[r.case_id]
            )
        )
        if sender:
            reports[sender].actions["referral sent"] += 1
            reports[sender].referrals_sent += 1
            if consent_before is True:
                reports[sender].consent_before_sharing += 1
            elif consent_before is False:
                reports[sender].shared_without_consent += 1
        note(
            r.sent_at,
            r.from_organisation_id,
            r.case_id,
            f"referral to {r.to_organisation.name} ({r.purpose})",
        )
        if r.answered_at:
            answerer = agency_of(r.to_organisation_id)
            if answerer:
                reports[answerer].actions["referral answered"] += 1
            note(r.answered_at, r.to_organisation_id, r.case_id, f"referral {r.state}")
    decisions = defaultdict(list)
    for d in Decision.objects.filter(case_id__in=case_ids).order_by("decided_at"):
        decisions[d.case_id].append(d)
        key = agency_of(d.organisation_id)
        if key:
            reports[key].actions["decision"] += 1
        note(
            d.decided_at,
            d.organisation_id,
            d.case_id,
            f"{d.kind.replace('_', ' ')} decision: {'positive' if d.positive else 'negative'}",
        )
    deadline_counts = defaultdict(Counter)
    # The end of a recovery period is a date the workflow waits for, not
    # work an agency owes: not counted as met or missed.
    owed = Deadline.objects.filter(case_id__in=case_ids).exclude(
        kind=DeadlineKind.RECOVERY_PERIOD_END
    )
    for deadline in owed:
        status = deadline.status(now)
        verdict = {"met": "met", "met_late": "missed", "overdue": "missed"}.get(status)
        if verdict is None:
            continue
        deadline_counts[deadline.case_id][verdict] += 1
        key = agency_of(deadline.organisation_id)
        if key:
            if verdict == "met":
                reports[key].deadlines_met += 1
            else:
                reports[key].deadlines_missed += 1
    notices = Counter(
        AnonymousNotification.objects.filter(case_id__in=case_ids).values_list(
            "case_id", flat=True
        )
    )
    protection_notices = Counter(
        AuditEvent.objects.filter(
            case_id__in=case_ids, action=AuditAction.PROTECTION_NOTICE_SENT
        ).values_list("case_id", flat=True)
    )
    for inject in exercise.injects.filter(fired_at__isnull=False):
        timeline.append(
            Event(
                inject.fired_at,
                day_label(exercise, inject.fired_at),
                inject.spec.get("agency", ""),
                inject.spec.get("persona", ""),
                f"inject: {inject.kind} ({inject.key})",
            )
        )

    contested = {}
    for inject in exercise.injects.filter(
        kind="age_contested", fired_at__isnull=False
    ).order_by("fired_at"):
        contested.setdefault(inject.spec.get("persona", ""), inject.fired_at)
    assessments = defaultdict(list)
    for a in AgeAssessment.objects.filter(case_id__in=case_ids).order_by("recorded_at"):
        assessments[a.case_id].append(a)
        note(a.recorded_at, a.organisation_id, a.case_id, f"age assessed: {a.result}")
    handover_cases = {
        c.pk: c
        for c in Case.objects.filter(
            pk__in=[p.handover_case_id for p in personas if p.handover_case_id]
        )
    }

    persona_reports = []
    for persona in personas:
        spec = pack.persona(persona.key)
        expected = spec["expected"]
        ticked: list[str] = []
        outcome = ""
        if persona.case_id and screenings[persona.case_id]:
            last = screenings[persona.case_id][-1]
            ticked, outcome = list(last.indicator_codes), last.outcome
        rg = [d for d in decisions[persona.case_id] if d.kind == "reasonable_grounds"]
        decision = ("positive" if rg[-1].positive else "negative") if rg else "none"
        rows = []
        reached = set()
        for r in referrals[persona.case_id]:
            to_key = agency_of(r.to_organisation_id)
            reached.add(to_key)
            consent_before = (
                None
                if r.consent_id is None
                else any(
                    c.given
                    and c.recorded_at <= r.sent_at
                    and c.to_organisation_id == r.to_organisation_id
                    for c in consents[persona.case_id]
                )
            )
            rows.append(
                ReferralRow(
                    to_key,
                    r.to_organisation.name,
                    r.purpose,
                    r.state,
                    day_label(exercise, r.sent_at),
                    consent_before,
                    to_key in expected.get("referrals", []),
                )
            )
        expected_codes = list(expected["indicators"])
        age = {}
        if persona.key in contested:
            fired = contested[persona.key]
            age["age_contested"] = day_label(exercise, fired)
            after = [a for a in assessments[persona.case_id] if a.recorded_at >= fired]
            if after:
                age["age_assessment"] = after[0].result
                age["age_assessed_by"] = agency_of(after[0].organisation_id)
                age["age_assessed_at"] = day_label(exercise, after[0].recorded_at)
        inbound = handover_cases.get(persona.handover_case_id)
        if inbound is not None:
            age["handover_received"] = agency_of(inbound.organisation_id)
            age["handover_at"] = day_label(exercise, inbound.registered_at)
        persona_reports.append(
            PersonaReport(
                key=persona.key,
                name=f"{spec['given_names']} {spec['family_name']}",
                arrived=persona.case_id is not None,
                expected_indicators=expected_codes,
                ticked=ticked,
                recognised=[c for c in expected_codes if c in ticked],
                missed=[c for c in expected_codes if c not in ticked],
                extra=[c for c in ticked if c not in expected_codes],
                expected_outcome=expected["screening_outcome"],
                outcome=outcome,
                expected_decision=expected.get("reasonable_grounds", "none"),
                decision=decision,
                referrals=rows,
                expected_referrals=list(expected.get("referrals", [])),
                referrals_missing=[
                    k for k in expected.get("referrals", []) if k not in reached
                ],
                deadlines_met=deadline_counts[persona.case_id]["met"],
                deadlines_missed=deadline_counts[persona.case_id]["missed"],
                notices=notices[persona.case_id],
                protection_notices=protection_notices[persona.case_id],
                **age,
            )
        )
    timeline.sort(key=lambda e: e.at)
    agency_reports = list(reports.values())
    if agency_key is not None:
        agency_reports = [a for a in agency_reports if a.key == agency_key]
        timeline = [e for e in timeline if e.agency == agency_key]
    return Debrief(
        exercise,
        now,
        persona_reports,
        agency_reports,
        timeline,
        list(exercise.injects.all()),
    )


def _recorder_agency(user_id, exercise: Exercise) -> str:
    account = exercise.accounts.filter(user_id=user_id).select_related("agency").first()
    return account.agency.key if account and account.agency else ""
