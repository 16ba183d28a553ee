"""Tablet first: no page scrolls sideways on a 10-inch tablet held upright
(800 px wide), for every demo role, the statistics page (with a published
history) included. Refusals are pages too and are measured like the rest.
The rapporteur's dashboard with a history is saved as a screenshot."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nrm.demo import USERS, demo_password
from nrm.demo_otp import needs_one_time_password
from nrm.models import User
from referral import caseload
from referral.statistics import releases
from tests.browser.conftest import TABLET_PORTRAIT
from tests.support.auth import device_of, unused_code
from tests.support.browser import SCREENSHOTS, screenshot
from tests.support.casework import consent, refer, register, screen
from tests.support.mechanism import Mechanism

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = sorted(name for name, _role, _organisation in USERS)
# The new pages, as each role sees them, for docs/screenshots/.
SCREENSHOTS_OF = {
    ("reception", "/"): "home-reception",
    ("idworker", "/"): "home-case-worker",
    ("decider", "/"): "home-decision-maker",
    ("supervisor", "/"): "home-supervisor",
    ("rapporteur", "/"): "home-rapporteur",
    ("idworker", "/referrals/anonymous/"): "anonymous-notifications",
    ("reception", "/cases/search/"): "case-search-form",
}


@pytest.fixture
def pages(transactional_db) -> list[str]:
    """Every page a role may reach, on a mechanism with a referred case and a
    published history for the statistics."""
    mechanism = Mechanism()
    reception = mechanism.user["reception"]
    case = screen(reception, register(reception))
    given = consent(reception, case, mechanism.authority)
    referral = refer(reception, case, mechanism.authority)
    return [
        "/",
        "/cases/",
        "/cases/new/",
        "/cases/search/",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/screen/",
        f"/cases/{case.pk}/consents/new/",
        f"/cases/{case.pk}/referrals/new/",
        f"/cases/{case.pk}/consents/{given.pk}/withdraw/",
        f"/cases/{case.pk}/steps/suspend/",
        f"/cases/{case.pk}/rights/",
        "/referrals/inbox/",
        "/referrals/anonymous/",
        f"/referrals/{referral.pk}/",
        "/decisions/",
        "/deadlines/overdue/",
        "/duplicates/",
        "/statistics/",
    ]


def sign_in(page, username: str) -> None:
    user = User.objects.get(username=username)
    device = device_of(user) if needs_one_time_password(username) else None
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo_password(username))
    page.get_by_role("button", name="Continue").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).not_to_have_text("Sign in")
    if device is not None:
        page.get_by_label("One-time password").fill(unused_code(device))
        page.get_by_role("button", name="Sign in").click()
    expect(heading).to_contain_text(username)


def load_history() -> None:
    """Past months through the caseload generator, published (as the demo)."""
    first_of_month = timezone.localtime().replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    start = date(timezone.localdate().year - 1, 1, 1)
    caseload.generate(1200, seed=7, start=start, end=first_of_month)
    releases.publish_due()


@pytest.mark.parametrize("username", ROLES)
def test_no_page_scrolls_sideways_at_800_px(browsing, pages, username):
    if username == "rapporteur":
        load_history()  # the statistics page with its charts and tables
    session = browsing(viewport=TABLET_PORTRAIT)
    page = session.page
    sign_in(page, username)
    too_wide = {}
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > TABLET_PORTRAIT["width"]:
            too_wide[path] = width
        if username == "reception" and path.endswith("/withdraw/"):
            screenshot(page, "consent-withdraw")
        if username == "reception" and path.endswith("/screen/"):
            page.screenshot(
                path=str(SCREENSHOTS / "screening-section-index.png"),
                animations="disabled",
                caret="hide",
            )
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if (
            username == "reception"
            and path.startswith("/referrals/")
            and last not in ("inbox", "anonymous")
        ):
            screenshot(page, "referral-sender-steps")
        if (username, path) in SCREENSHOTS_OF:
            screenshot(page, SCREENSHOTS_OF[username, path])
        if username == "rapporteur" and path == "/statistics/":
            expect(page.locator(".statistics-chart svg").first).to_be_visible()
            page.screenshot(
                path=str(SCREENSHOTS / "statistics-dashboard-history.png"),
                animations="disabled",
                caret="hide",
            )
    assert too_wide == {}
    assert "/sign-in/" not in page.url  # measured signed in, to the end
    # Refusals (403) and pages absent for the role (404) are logged by Chromium.
    session.console_errors[:] = [
        e for e in session.console_errors if "403" not in e and "404" not in e
    ]
