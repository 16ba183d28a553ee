"""Browser tests: Playwright for Python driving Debian's Chromium.

The browser is /usr/bin/chromium (scripts/test.sh installs Debian's package
when it is missing); `playwright install`, which downloads a browser build, is
never used. Playwright's wheel brings its own driver. Each test gets a fresh
browser context (no cookies, no storage) against pytest-django's live server,
with a transactional database, and a network that reaches the live server
only: any other request (a CDN, a font service) is refused and fails the test.

Why DJANGO_ALLOW_ASYNC_UNSAFE: Playwright's sync API runs an asyncio event loop
in a greenlet on the test's own thread, so while Playwright is started asyncio
reports a running loop on that thread, and Django refuses the test's ORM calls
(creating users, reading the audit trail, flushing the database) as
"async-unsafe", although nothing runs concurrently with them: the live server
answers from its own thread with its own connection. The variable is set only
while this package's browser fixture is alive, and removed after it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nrm import services
from nrm.choices import OrganisationKind
from nrm.roles import Role
from tests.support.browser import staff

CHROMIUM = Path(os.environ.get("NRM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A 10-inch tablet in landscape, the smallest screen the pages are made for.
TABLET = {"width": 1280, "height": 800}
# The same tablet held upright: the narrowest width no page may scroll across.
TABLET_PORTRAIT = {"width": 800, "height": 1280}


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/test.sh (it installs Debian's "
            "chromium) or apt-get install chromium"
        )
    from playwright.sync_api import sync_playwright

    patch = pytest.MonkeyPatch()
    patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as playwright:
            # Playwright gives every launch a fresh, temporary user-data-dir.
            instance = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield instance
            instance.close()
    finally:
        patch.undo()


class Browsing:
    """A fresh browser context on the live server, and what it went through."""

    def __init__(self, browser, base_url: str, viewport=TABLET, **options):
        self.base_url = base_url
        self.context = browser.new_context(
            base_url=base_url, viewport=viewport, locale="en-GB", **options
        )
        self.foreign_requests: list[str] = []
        self.console_errors: list[str] = []
        self.context.route("**/*", self._only_the_live_server)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )

    def _only_the_live_server(self, route):
        if route.request.url.startswith(self.base_url):
            route.continue_()
        else:
            self.foreign_requests.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture
def browsing(browser, live_server):
    """Open browser contexts with `browsing()`; each is closed after the test.

    Also checks that no page tried to reach another host and that the console
    logged no error (a CSP violation would).
    """
    opened: list[Browsing] = []

    def open_context(**options) -> Browsing:
        session = Browsing(browser, live_server.url, **options)
        opened.append(session)
        return session

    yield open_context
    for session in opened:
        session.close()
    for session in opened:
        assert session.foreign_requests == []
        assert session.console_errors == []


@pytest.fixture
def organisation(transactional_db):
    return services.organisation_create(
        name="Test Reception Centre",
        kind=OrganisationKind.RECEPTION_CENTRE,
        region="north",
        country="XA",
    )


@pytest.fixture
def caseworker(organisation):
    return staff("caseworker1", Role.CASE_WORKER, organisation, device=True)


@pytest.fixture
def rapporteur(organisation):
    user, _device = staff("rapporteur1", Role.RAPPORTEUR, organisation, device=False)
    return user
