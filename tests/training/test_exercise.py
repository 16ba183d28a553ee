"""A whole exercise from a shipped pack, on PostgreSQL: the trainer starts
it, trainees of three agencies work the cases through the services the
pages call, the clock jumps past a recovery period, injects fire, and the
debrief's figures are what was done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from core import clock
from core.errors import Conflict
from nrm.models import AuditEvent, OutboxMessage
from referral import services
from referral.deadlines import end_of_day
from referral.models import (
    Case,
    CaseState,
    Deadline,
    DeadlineKind,
    Handover,
    Referral,
)
from tests.support.auth import signed_in
from tests.support.exchange import use_own_keys
from tests.support.training import trainee, trainer
from training import debrief
from training import services as training
from training.models import Exercise, InjectState
from training.packs import find, load

PACK = "reception-mixed-arrival"


def _persona_cases(exercise):
    return {p.key: p.case_id for p in exercise.personas.all()}


def _consent_and_refer(actor, case_id, agency, purpose):
    services.rights_inform(
        actor=actor,
        case_id=case_id,
        script="rights_script_v1",
        language="ru",
        interpreter_present=True,
    )
    services.consent_record(
        actor=actor,
        case_id=case_id,
        to_organisation_id=agency.organisation_id,
        purpose=purpose,
        given=True,
        language="ru",
        interpreter_used=True,
    )
    return services.referral_send(
        actor=actor,
        case_id=case_id,
        to_organisation_id=agency.organisation_id,
        purpose=purpose,
    )


@pytest.mark.django_db
def test_a_whole_exercise_and_its_debrief(training_mechanism, tmp_path):
    use_own_keys(training_mechanism, tmp_path)
    pack = load(find(PACK))
    boss = trainer()
    # The trainer starts it on the exercise-control page; the accounts for
    # every trainee of the pack, each with a password and a one-time-password
    # key, are printed on the answer.
    control = signed_in(Client(), boss)
    page = control.post("/training/start/", {"pack": PACK, "speed": "60"})
    assert page.status_code == 200
    exercise = Exercise.objects.get(state="running")
    expected_accounts = sum(
        t["count"] for a in pack.data["agencies"] for t in a["trainees"]
    )
    assert exercise.accounts.count() == expected_accounts == 7
    for account in exercise.accounts.select_related("user"):
        assert account.user.username in page.content.decode()
        assert TOTPDevice.objects.filter(user=account.user, confirmed=True).exists()
    day_one = exercise.day_zero
    assert clock.now() == day_one  # the clock waits, paused, at day 1 08:00

    # Day 1: the boat group arrives (the first inject fires on the jump).
    fired = training.clock_jump_to_next_inject(actor=boss, exercise_id=exercise.pk)
    assert [i.key for i in fired] == ["boat-group-arrives"]
    cases = _persona_cases(exercise)
    assert all(cases.values())
    agencies = {a.key: a for a in exercise.agencies.all()}

    reception = trainee(exercise, "reception", "reception_officer")
    farmhand, dancer, traveller = (
        cases[k] for k in ("farmhand", "dancer", "traveller")
    )
    # The reception officer misses one of the farmhand's indicators.
    farmhand_codes = pack.persona("farmhand")["expected"]["indicators"]
    services.screening_record(
        actor=reception,
        case_id=farmhand,
        catalogue_id="ilo-2009-adult-labour",
        indicator_codes=farmhand_codes[:-1],
        interpreter_language="ru",
    )
    services.screening_record(
        actor=reception,
        case_id=dancer,
        catalogue_id="ilo-2009-adult-sexual",
        indicator_codes=pack.persona("dancer")["expected"]["indicators"],
        interpreter_language="ru",
    )
    services.screening_record(
        actor=reception,
        case_id=traveller,
        catalogue_id="ilo-2009-adult-labour",
        indicator_codes=[],
        interpreter_language="ru",
    )
    to_authority = {
        key: _consent_and_refer(
            reception, cases[key], agencies["authority"], "identification"
        )
        for key in ("farmhand", "dancer")
    }
    _consent_and_refer(reception, dancer, agencies["ngo"], "shelter")

    # Day 2: the shelter has no bed (inject), the authority accepts.
    fired = training.clock_jump_to_next_inject(actor=boss, exercise_id=exercise.pk)
    assert [i.key for i in fired] == ["shelter-full"]
    assert Referral.objects.get(case_id=dancer, purpose="shelter").state == "declined"
    idworker = trainee(exercise, "authority", "case_worker")
    decider = trainee(exercise, "authority", "decision_maker")
    for referral in to_authority.values():
        services.referral_accept(actor=idworker, referral_id=referral.pk)
    # The farmhand is referred to the shelter, whose second case worker takes
    # him in.
    shelter = _consent_and_refer(reception, farmhand, agencies["ngo"], "shelter")
    services.referral_accept(
        actor=trainee(exercise, "ngo", "case_worker", 2), referral_id=shelter.pk
    )
    services.decision_reasonable_grounds(
        actor=decider, case_id=farmhand, positive=True, reasons="Synthetic reasons."
    )
    case = Case.objects.get(pk=farmhand)
    assert case.state == CaseState.PRESUMED_VICTIM
    with pytest.raises(Conflict) as running:
        services.decision_conclusive_grounds(
            actor=decider, case_id=farmhand, positive=True, reasons="Synthetic."
        )
    assert running.value.code == "recovery_period_running"

    # Day 3: the traveller leaves; day 5: the farmhand's country's mechanism
    # sends a hand-over of him, through the real inbox.
    fired = training.clock_jump_to_next_inject(actor=boss, exercise_id=exercise.pk)
    assert [i.key for i in fired] == ["traveller-leaves"]
    assert Case.objects.get(pk=traveller).state == CaseState.SUSPENDED
    fired = training.clock_jump_to_next_inject(actor=boss, exercise_id=exercise.pk)
    assert [(i.key, i.outcome) for i in fired] == [("foreign-handover", "received")]
    persona = exercise.personas.get(key="farmhand")
    assert persona.case_id == farmhand  # he arrived on day 1: a second case
    inbound = Case.objects.get(pk=persona.handover_case_id)
    # At the contact point the pack names (the start made it the profile's).
    assert inbound.organisation_id == agencies["authority"].organisation_id
    assert inbound.registered_at == fired[0].due_at  # the exercise clock
    handover = Handover.objects.get(case=inbound, direction="inbound")
    assert handover.partner.organisation.kind == "foreign_nrm"
    assert handover.partner.country == pack.persona("farmhand")["citizenship"]
    assert {"handover.received", "person.registered"} <= set(
        AuditEvent.objects.filter(case_id=inbound.pk).values_list("action", flat=True)
    )
    # A trainee of the contact point opens the person's name.
    contact = signed_in(APIClient(), trainee(exercise, "authority", "case_worker"))
    detail = contact.get(f"/api/v1/cases/{inbound.pk}/")
    assert detail.status_code == 200, detail.json()
    assert (
        detail.json()["person"]["given_names"]
        == (pack.persona("farmhand")["given_names"])
    )

    # The clock jumps past the recovery period: the conclusive decision is
    # now possible, and the dancer's decision deadline has passed.
    training.clock_jump(
        actor=boss,
        exercise_id=exercise.pk,
        to=end_of_day(case.recovery_ends_on) + timedelta(hours=9),
    )
    assert clock.now() > end_of_day(case.recovery_ends_on)
    services.decision_conclusive_grounds(
        actor=decider, case_id=farmhand, positive=True, reasons="Synthetic reasons."
    )
    overdue = services.deadlines_sweep()
    assert overdue >= 1

    report = debrief.build(exercise)
    by_key = {p.key: p for p in report.personas}
    assert (len(by_key["farmhand"].recognised), by_key["farmhand"].missed) == (
        5,
        [farmhand_codes[-1]],
    )
    assert (len(by_key["dancer"].recognised), by_key["dancer"].missed) == (6, [])
    # Missing a strong indicator cost the farmhand his "presumed" outcome.
    assert [p.outcome for p in report.personas] == ["possible", "presumed", "none"]
    assert [p.outcome_matches for p in report.personas] == [False, True, True]
    assert by_key["farmhand"].decision == "positive"
    assert by_key["dancer"].decision == "none"  # expected positive: not matching
    assert by_key["farmhand"].referrals_missing == []
    assert sorted(
        (r.to_agency, r.state, r.consent_before) for r in by_key["dancer"].referrals
    ) == [("authority", "accepted", True), ("ngo", "declined", True)]
    totals = report.totals()
    assert totals == {
        "indicators_expected": 12,
        "indicators_recognised": 11,
        "indicators_missed": 1,
        "outcomes_matching": 2,
        "decisions_matching": 2,
        "referrals_sent": 4,
        "referrals_missing": 0,
        "consent_before_sharing": 4,
        "shared_without_consent": 0,
        "deadlines_met": 5,
        "deadlines_missed": 1,
        "notices": 0,
        "protection_notices": totals["protection_notices"],
    }
    # The farmhand's positive reasonable-grounds decision told the migration
    # authority (the pack's border police): the debrief counts the protection
    # notices the outbox holds for his case.
    farmhand_case = Case.objects.get(pk=exercise.personas.get(key="farmhand").case_id)
    sent = OutboxMessage.objects.filter(
        kind__in=["recovery.protection_notice", "recovery.protection_ended"],
        payload__case_reference=farmhand_case.reference,
    ).count()
    assert by_key["farmhand"].protection_notices == sent >= 1
    assert totals["protection_notices"] == sent
    # Met: four referral answers and the farmhand's decision; missed: the
    # dancer's reasonable-grounds decision, due and never taken.
    assert by_key["dancer"].deadlines_missed == 1
    assert [(a.key, a.deadlines_met, a.deadlines_missed) for a in report.agencies] == [
        ("reception", 0, 0),
        ("ngo", 2, 0),
        ("authority", 3, 1),
        ("police", 0, 0),
    ]
    authority = next(a for a in report.agencies if a.key == "authority")
    assert authority.actions == {"referral answered": 2, "decision": 2}
    reception_report = next(a for a in report.agencies if a.key == "reception")
    assert reception_report.actions["screening"] == 3
    assert reception_report.referrals_sent == 4
    ngo = next(a for a in report.agencies if a.key == "ngo")
    assert ngo.actions == {"referral answered": 2}
    # The printable debrief shows the same figures.
    printed = control.get(f"/training/{exercise.pk}/debrief/").content.decode()
    assert '<dd id="fig-recognised">11 / 12</dd>' in printed
    assert '<dd id="fig-referrals">4</dd>' in printed
    assert '<dd id="fig-deadlines">5 / 1</dd>' in printed
    assert by_key["farmhand"].handover_received == "authority"
    assert by_key["farmhand"].handover_at == "day 5 10:00"
    assert "inbound case opened at authority" in printed


@pytest.mark.django_db
def test_the_transit_child_pack(training_mechanism):
    boss = trainer()
    exercise = training.exercise_start(
        actor=boss, pack_name="transit-child", speed=60
    ).exercise
    # The van is stopped before the day starts: the arrival fires at once.
    fired = training.injects_fire_due(actor=boss)
    assert [i.key for i in fired] == ["van-stopped"]
    assert debrief.day_label(exercise, fired[0].due_at) == "day 1 07:40"
    cases = _persona_cases(exercise)
    boy = cases["boy"]
    # The child was referred to child protection at once, without consent.
    (protection,) = Referral.objects.filter(case_id=boy)
    agencies = {a.key: a for a in exercise.agencies.all()}
    assert protection.to_organisation_id == agencies["childcare"].organisation_id

    # The boy leaves the shelter before child protection took the case: the
    # inject says why it cannot be played.
    missing = exercise.injects.get(key="boy-leaves-shelter")
    with pytest.raises(Conflict) as refused:
        training.inject_fire(actor=boss, inject_id=missing.pk)
    assert refused.value.code == "inject_case_not_visible"
    childcare = trainee(exercise, "childcare", "case_worker")
    services.referral_accept(actor=childcare, referral_id=protection.pk)
    # Day 1 15:00, the uncle says the boy is nineteen: the review of his age
    # is raised for the registering border police, as the majority sweep
    # raises it, notified and on the case page.
    fired = training.clock_jump_to_next_inject(actor=boss, exercise_id=exercise.pk)
    assert [(i.key, i.outcome) for i in fired] == [("age-doubted", "age_review_raised")]
    (review,) = Deadline.objects.filter(case_id=boy, kind=DeadlineKind.MAJORITY_REVIEW)
    assert review.organisation_id == agencies["border"].organisation_id
    assert review.met_at is None
    assert OutboxMessage.objects.filter(
        kind="child.majority_reached", organisation=review.organisation
    ).exists()
    assert AuditEvent.objects.filter(
        action="child.majority_reached", case_id=boy, reason_code="age_contested"
    ).exists()
    page = signed_in(Client(), childcare).get(f"/cases/{boy}/").content.decode()
    assert str(DeadlineKind.MAJORITY_REVIEW.label) in page
    # Child protection answers with an age assessment: in doubt, a child.
    services.age_assessment_record(
        actor=childcare,
        case_id=boy,
        method="multidisciplinary",
        result="child",
        assessed_on=clock.today(),
    )
    review.refresh_from_db()
    assert review.met_at == clock.now()
    training.clock_jump_to_next_inject(actor=boss, exercise_id=exercise.pk)
    missing.refresh_from_db()
    assert missing.state == InjectState.FIRED
    assert Case.objects.get(pk=boy).state == CaseState.SUSPENDED

    report = debrief.build(exercise)
    by_key = {p.key: p for p in report.personas}
    (row,) = by_key["boy"].referrals
    assert (row.to_agency, row.state, row.consent_before) == (
        "childcare",
        "accepted",
        None,
    )
    assert by_key["boy"].referrals_missing == ["authority"]
    assert by_key["boy"].outcome == ""  # never screened
    assert (
        by_key["boy"].age_contested,
        by_key["boy"].age_assessment,
        by_key["boy"].age_assessed_by,
        by_key["boy"].age_assessed_at,
    ) == ("day 1 15:00", "child", "childcare", "day 1 15:00")
    control = signed_in(Client(), boss)
    printed = control.get(f"/training/{exercise.pk}/debrief/").content.decode()
    assert "age assessed by childcare on day 1 15:00: child" in printed
