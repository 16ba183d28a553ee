"""Signing in and out, the second factor, the language and the session timer,
in a real browser. Screenshots go to docs/screenshots/."""

import re
from base64 import b32decode

import pytest
from playwright.sync_api import expect

from nrm.models import User
from tests.support.auth import current_code, unused_code
from tests.support.browser import PASSWORD, code_for_key, screenshot, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def enter_password(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def sign_in_with_code(page, username: str, device) -> None:
    page.goto("/")
    enter_password(page, username)
    page.get_by_label("One-time password").fill(unused_code(device))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(username)


def test_sign_in_with_password_and_one_time_password(browsing, caseworker, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the right code straight after a wrong one
    user, device = caseworker
    page = browsing().page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2F$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    screenshot(page, "sign-in")

    enter_password(page, "caseworker1")
    expect(page).to_have_url(re.compile(r"/sign-in/otp/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter your one-time password"
    )
    screenshot(page, "one-time-password")

    page.get_by_label("One-time password").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("#otp-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("That code is not correct or has expired")
    expect(page.get_by_label("One-time password")).to_have_attribute(
        "aria-invalid", "true"
    )
    screenshot(
        page, "one-time-password-wrong", mask=[page.get_by_label("One-time password")]
    )

    page.get_by_label("One-time password").fill(current_code(device))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, caseworker1")
    expect(page.locator("#memberships")).to_contain_text("Case worker")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Cases")
    screenshot(page, "home")


def test_skip_link_comes_first_and_shows_focus(browsing, rapporteur):
    page = browsing().page
    page.goto("/sign-in/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()


def test_language_switch_persists_for_the_user(browsing, caseworker):
    user, device = caseworker
    page = browsing().page
    sign_in_with_code(page, "caseworker1", device)

    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#roles-heading")).to_have_text("Ваши организации и роли")
    screenshot(page, "home-ru")
    assert User.objects.get(pk=user.pk).preferred_language == "ru"

    # Another browser, which asks for English: the user's choice wins.
    other = browsing(extra_http_headers={"Accept-Language": "en"}).page
    other.goto("/")
    # The sign-in page follows the browser; once signed in, the user's choice.
    expect(other.locator("html")).to_have_attribute("lang", "en")
    enter_password(other, "caseworker1")
    other.get_by_label("One-time password").fill(unused_code(device))
    other.get_by_role("button", name="Sign in").click()
    expect(other.locator("html")).to_have_attribute("lang", "ru")

    other.get_by_role("button", name="Ελληνικά").click()
    expect(other.locator("html")).to_have_attribute("lang", "el")
    expect(other.locator("#roles-heading")).to_have_text(
        "Οι οργανισμοί και οι ρόλοι σας"
    )
    screenshot(other, "home-el")
    assert User.objects.get(pk=user.pk).preferred_language == "el"


def test_sign_out(browsing, rapporteur):
    page = browsing().page
    page.goto("/")
    enter_password(page, "rapporteur1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, rapporteur1")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    screenshot(page, "signed-out")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2F$"))
    expect(page.locator("#session-expired")).to_have_count(0)


def test_session_expiry_notice(browsing, rapporteur, settings):
    settings.SESSION_COOKIE_AGE = 8
    settings.SESSION_WARNING_SECONDS = 4
    page = browsing().page
    page.goto("/")
    enter_password(page, "rapporteur1")
    notice = page.locator("#session-notice")
    expect(notice).to_be_hidden()
    expect(notice).to_be_visible(timeout=8_000)
    expect(notice).to_contain_text("Your session is about to end")
    screenshot(page, "session-expiring")

    # Staying signed in restarts the clock.
    page.get_by_role("button", name="Stay signed in").click()
    expect(notice).to_be_hidden()
    expect(notice).to_be_visible(timeout=8_000)

    # Then, idle to the end: the page goes to sign-in and says why.
    expect(page).to_have_url(re.compile(r"/sign-in/\?.*expired=1"), timeout=12_000)
    expired = page.locator("#session-expired")
    expect(expired).to_contain_text("Your session expired because you were inactive")
    screenshot(page, "session-expired")


def test_setting_up_a_device(browsing, organisation):
    staff("newcomer1", "reception_officer", organisation, device=False)
    page = browsing().page
    page.goto("/")
    enter_password(page, "newcomer1")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Set up one-time passwords"
    )
    secret = page.locator("#otp-secret").inner_text()
    expect(page.locator(".qr-code svg")).to_be_visible()
    screenshot(
        page,
        "set-up-one-time-passwords",
        mask=[page.locator("#otp-secret"), page.locator(".qr-code")],
    )
    key = b32decode("".join(secret.split()))
    page.get_by_label("One-time password").fill(code_for_key(key))
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, newcomer1")
    expect(page.get_by_role("status")).to_have_text(
        "Your one-time passwords are set up."
    )
