"""Demo journeys: a handful of synthetic cases spread over the states, made
through the real services (so the audit trail and deadlines are real).
Idempotent: nothing is added once the demo cases exist."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from indicators import catalogue
from nrm.models import Organisation, User
from referral import services
from referral.models import Case

# Invented names, clearly synthetic.
PEOPLE = [
    ("Demo", "Alpha", date(1994, 5, 1), "female", "25-34", "XB", False),
    ("Demo", "Bravo", date(1988, 9, 12), "male", "35-49", "XC", False),
    ("Demo", "Charlie", date(2009, 2, 3), "male", "15-17", "XD", True),
    ("Demo", "Delta", date(1999, 11, 30), "female", "25-34", "XB", False),
    ("Demo", "Echo", date(2001, 7, 7), "female", "18-24", "XE", False),
    ("Demo", "Foxtrot", date(1990, 1, 20), "male", "35-49", "XC", False),
    ("Demo", "Golf", date(1985, 3, 14), "female", "35-49", "XF", False),
]


def _presumed_codes() -> list[str]:
    indicators = catalogue.get("ilo-2009-adult-labour").indicators

    def pick(dimension, strength, n):
        pool = [
            i.code
            for i in indicators
            if i.dimension == dimension and i.strength == strength
        ]
        return pool[:n]

    return (
        pick("deceptive_recruitment", "strong", 1)
        + pick("deceptive_recruitment", "medium", 1)
        + pick("exploitative_conditions", "strong", 1)
        + pick("exploitative_conditions", "medium", 1)
        + pick("coercion_at_destination", "strong", 2)
    )


def load_cases() -> int:
    if Case.objects.exists():
        return 0
    users = {u.username: u for u in User.objects.all()}
    orgs = {o.name: o for o in Organisation.objects.all()}
    reception, idworker, decider = (
        users["reception"],
        users["idworker"],
        users["decider"],
    )
    authority = orgs["National Identification Authority"]
    codes = _presumed_codes()
    cases = []
    for given, family, born, sex, age_group, citizenship, child in PEOPLE:
        registration = services.case_register(
            actor=reception,
            given_names=given,
            family_name=family,
            date_of_birth=born,
            sex=sex,
            age_group=age_group,
            citizenship=citizenship,
            is_child=child,
            reception_stage="registration_screening",
            language="ru",
            exploitation_forms=["labour"] if sex == "male" else ["sexual"],
            notes="Synthetic demo narrative.",
        )
        cases.append(registration.case)
    _alpha, bravo, charlie, delta, echo, foxtrot, golf = cases

    def screen(case, indicator_codes):
        services.screening_record(
            actor=reception,
            case_id=case.pk,
            catalogue_id="ilo-2009-adult-labour",
            indicator_codes=indicator_codes,
            interpreter_language="ru",
        )

    def identify(case):
        services.rights_inform(
            actor=reception,
            case_id=case.pk,
            script="rights_script_v1",
            language="ru",
            interpreter_present=True,
        )
        services.consent_record(
            actor=reception,
            case_id=case.pk,
            to_organisation_id=authority.pk,
            purpose="identification",
            given=True,
            language="ru",
            interpreter_used=True,
        )
        referral = services.referral_send(
            actor=reception,
            case_id=case.pk,
            to_organisation_id=authority.pk,
            purpose="identification",
        )
        return referral

    # bravo: screened, no indicators. charlie: a child, referred to child
    # protection automatically. delta: referred, awaiting an answer.
    screen(bravo, [])
    screen(charlie, [])
    for case in (delta, echo, foxtrot, golf):
        screen(case, codes)
    identify(delta)
    # echo: accepted, under assessment. foxtrot: presumed victim.
    # golf: not identified.
    for case in (echo, foxtrot, golf):
        services.referral_accept(actor=idworker, referral_id=identify(case).pk)
    for case, positive in ((foxtrot, True), (golf, False)):
        services.decision_reasonable_grounds(
            actor=decider,
            case_id=case.pk,
            positive=positive,
            reasons="Synthetic demo reasons.",
        )
    return len(cases)


# A history for the statistics: the demo cases are from today, and only ended
# months are published, so the rapporteur's dashboard would show zeros.
HISTORY_CASES = 1200


def load_history(count: int = HISTORY_CASES) -> int:
    """Synthetic past periods through the caseload generator (the one behind
    `generate_caseload`), up to the start of this month, then publish every
    ended month. Idempotent: returns 0 once a history exists."""
    from referral import caseload
    from referral.statistics import releases

    if Case.objects.filter(
        registered_by__username=caseload.GENERATOR_USERNAME
    ).exists():
        return 0
    now = timezone.localtime()
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    summary = caseload.generate(
        count, seed=2026, start=date(now.year - 1, 1, 1), end=this_month
    )
    releases.publish_due()
    return summary.cases
