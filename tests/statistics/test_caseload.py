"""The synthetic caseload is consistent: what the statistics read agrees
with the rows the workflow would have written."""

from __future__ import annotations

from django.core.management import call_command
from django.db.models import F, Q

from referral.models import (
    Case,
    CaseGroupObjectPermission,
    CaseState,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionKind,
    Person,
    Referral,
    ReferralState,
)


def test_milestones_states_and_rows_agree(data):
    assert Case.objects.count() == data.summary.cases
    assert not Case.objects.filter(
        state=CaseState.PRESUMED_VICTIM, recovery_ends_on__isnull=True
    ).exists()
    assert not Case.objects.filter(
        Q(first_screened_at__lt=models_f("registered_at"))
        | Q(referred_at__lt=models_f("first_screened_at"))
        | Q(rg_decided_at__lt=models_f("referred_at"))
        | Q(cg_decided_at__lt=models_f("rg_decided_at"))
    ).exists()
    recognising = Decision.objects.filter(positive=True).filter(
        Q(kind=DecisionKind.CONCLUSIVE_GROUNDS)
        | Q(kind=DecisionKind.RECONSIDERATION, reconsiders__kind="conclusive_grounds")
    )
    recognised = set(
        Case.objects.filter(state=CaseState.RECOGNISED).values_list("pk", flat=True)
    )
    assert recognised <= set(recognising.values_list("case_id", flat=True))
    for decision in Decision.objects.select_related("referral")[:500]:
        assert decision.referral.case_id == decision.case_id
        assert decision.referral.state == ReferralState.ACCEPTED
    rg_met = Deadline.objects.filter(
        kind=DeadlineKind.RG_DECISION, met_at__isnull=False
    )
    assert (
        rg_met.count()
        == Decision.objects.filter(kind=DecisionKind.REASONABLE_GROUNDS).count()
    )
    declined = Referral.objects.filter(state=ReferralState.DECLINED)
    assert declined.exists() and not declined.filter(decline_reason="").exists()
    granted = CaseGroupObjectPermission.objects.filter(
        group__organisation__registered_cases=models_f("content_object")
    )
    assert granted.count() == Case.objects.count()
    assert not Person.objects.exclude(given_names_sealed=b"").exists()


def models_f(name):
    return F(name)


def test_the_command(db, capsys):
    from nrm.demo import load_directory

    load_directory()
    before = Case.objects.count()
    call_command("generate_caseload", "--count", "300", "--batch-size", "100")
    assert "Created 300 cases" in capsys.readouterr().out
    assert Case.objects.count() == before + 300
