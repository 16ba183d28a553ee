"""Every case-work page renders for the roles that may use it and refuses
the others: 403 with a message for a page the role has no use of, 404 for an
object the user may not see (the same as one that does not exist).

The case is the reception officer's at North Reception Centre, referred for
identification to the National Identification Authority and not yet
accepted: only the registering organisation sees it; the authority sees the
referral's minimal view."""

from __future__ import annotations

import pytest

from tests.support.casework import ROLES, page_client

pytestmark = pytest.mark.django_db

CASE_VIEWERS = {
    "reception",
    "caseworker",
    "decider",
    "guardian",
    "supervisor",
    "childworker",
    "idworker",
}
INBOX_ROLES = {"caseworker", "decider", "supervisor", "childworker", "idworker"}
REGISTERING_ORG = {"reception", "supervisor"}

# (page, path, who gets 200, what the others get, who of those get 403
# rather than 404 on an object page: they see the case but may not do this)
PAGES = [
    ("case-list", "/cases/", CASE_VIEWERS, 403, set()),
    ("case-new", "/cases/new/", {"reception"}, 403, set()),
    ("case", "/cases/{case}/", REGISTERING_ORG, 404, set()),
    ("case-screen", "/cases/{case}/screen/", {"reception"}, 404, {"supervisor"}),
    ("case-step", "/cases/{case}/steps/suspend/", {"reception"}, 404, {"supervisor"}),
    ("case-step-close", "/cases/{case}/steps/close/", REGISTERING_ORG, 404, set()),
    (
        "case-consent-new",
        "/cases/{case}/consents/new/",
        {"reception"},
        404,
        {"supervisor"},
    ),
    (
        "case-referral-new",
        "/cases/{case}/referrals/new/",
        {"reception"},
        404,
        {"supervisor"},
    ),
    ("referral-inbox", "/referrals/inbox/", INBOX_ROLES, 403, set()),
    (
        "referral",
        "/referrals/{referral}/",
        REGISTERING_ORG | {"decider", "idworker"},
        404,
        set(),
    ),
    ("decision-queue", "/decisions/", {"decider"}, 403, set()),
    ("deadlines-overdue", "/deadlines/overdue/", INBOX_ROLES, 403, set()),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "allowed", "refusal", "forbidden"),
    [pytest.param(*page[1:], id=page[0]) for page in PAGES],
)
def test_page_renders_for_its_roles_and_refuses_the_others(
    referred, role, path, allowed, refusal, forbidden
):
    url = path.format(case=referred.case.pk, referral=referred.referral.pk)
    response = page_client(role).get(url)
    if role in allowed:
        expected = 200
    elif role in forbidden:
        expected = 403
    else:
        expected = refusal
    assert response.status_code == expected, (role, url)
    body = response.content.decode()
    assert "Traceback" not in body
    if expected == 403:
        assert 'id="refusal"' in body
    if expected == 404:
        assert "Not found" in body
        # A 404 says nothing about the case, not even its reference (beyond
        # the address asked for, which the language switch sends back).
        assert referred.case.reference not in body.replace(url, "")


@pytest.mark.parametrize("path", [pytest.param(page[1], id=page[0]) for page in PAGES])
def test_pages_send_visitors_to_sign_in(referred, path):
    from django.test import Client

    url = path.format(case=referred.case.pk, referral=referred.referral.pk)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_pages_ask_for_the_second_factor_first(referred):
    from django.test import Client

    from tests.support.auth import signed_in

    client = signed_in(Client(), referred.user("reception"), otp=False)
    response = client.get(f"/cases/{referred.case.pk}/")
    assert response.status_code == 302
    assert "/sign-in/otp" in response["Location"]
