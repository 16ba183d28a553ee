"""Home pages per role: the reception officer's open cases by next deadline
and the answers to their referrals, the case worker's inbox, the decision
maker's queue, the overdue work, the rapporteur's way to the dashboard."""

from __future__ import annotations

import pytest

from referral import services
from tests.support.casework import consent, page_client, refer, register, screen

pytestmark = pytest.mark.django_db


def panel(body: str, panel_id: str) -> str:
    start = body.index(f'id="{panel_id}"')
    return body[start : body.index("</section>", start)]


def test_each_role_sees_its_work_on_the_home_page(mechanism):
    reception = mechanism.user["reception"]
    waiting = register(reception)
    referred = screen(reception, register(reception))
    consent(reception, referred, mechanism.authority)
    referral = refer(reception, referred, mechanism.authority)

    home = page_client("reception").get("/").content.decode()
    cases = panel(home, "home-open-cases")
    # The case with a deadline (the referral's answer) comes first.
    assert cases.index(referred.reference) < cases.index(waiting.reference)
    assert "No referral answered yet." in panel(home, "home-answers")

    inbox = panel(page_client("idworker").get("/").content.decode(), "home-inbox")
    assert "Identification, North Reception Centre" in inbox
    assert referred.reference not in inbox  # not disclosed before acceptance

    services.referral_accept(actor=mechanism.user["idworker"], referral_id=referral.pk)
    home = page_client("reception").get("/").content.decode()
    assert "Accepted" in panel(home, "home-answers")

    decisions = page_client("decider").get("/").content.decode()
    assert "Reasonable-grounds decision" in panel(decisions, "home-decisions")
    assert 'id="home-overdue"' in page_client("supervisor").get("/").content.decode()
    rapporteur = page_client("rapporteur").get("/").content.decode()
    assert 'href="/statistics/"' in panel(rapporteur, "home-statistics")
    assert 'id="home-open-cases"' not in rapporteur
