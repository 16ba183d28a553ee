"""Sessions end after inactivity; the next page says so."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.support.sign_in import sign_in_post

pytestmark = pytest.mark.django_db


def session_row(client) -> Session:
    return Session.objects.get(
        session_key=client.cookies[settings.SESSION_COOKIE_NAME].value
    )


def test_session_settings_expire_idle_sessions():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_each_request_restarts_the_idle_clock(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    Session.objects.update(expire_date=timezone.now() + timedelta(seconds=5))
    assert client.get("/").status_code == 200
    remaining = session_row(client).expire_date - timezone.now()
    assert remaining > timedelta(minutes=29)


def test_the_cookie_ends_with_the_browser(client, rapporteur):
    response = sign_in_post(client, "rapporteur1")
    morsel = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not morsel["max-age"] and not morsel["expires"]
    assert morsel["httponly"]


def test_an_idle_session_expires_and_the_next_page_says_so(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    assert client.get("/").status_code == 200
    # Thirty idle minutes, in the database rather than by sleeping.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=%2F&expired=1"
    page = client.get(response["Location"]).content.decode()
    assert "Your session expired because you were inactive. Sign in again." in page
    # Only once: the stale cookie is gone, and a later visit is a plain one.
    assert client.get("/")["Location"] == "/sign-in/?next=%2F"


def test_signing_out_is_not_reported_as_an_expiry(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    client.post("/sign-out/")
    assert client.get("/")["Location"] == "/sign-in/?next=%2F"


def test_signed_in_pages_carry_the_timer_for_the_warning(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    page = client.get("/").content.decode()
    assert 'data-session-idle="1800"' in page
    assert 'data-session-warning="60"' in page
    assert 'id="session-notice"' in page
    anonymous = client.post("/sign-out/") and client.get("/sign-in/")
    assert "data-session-idle" not in anonymous.content.decode()


def test_keep_alive_restarts_the_clock(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    Session.objects.update(expire_date=timezone.now() + timedelta(seconds=50))
    assert client.post("/session/keep-alive/").status_code == 204
    remaining = session_row(client).expire_date - timezone.now()
    assert remaining > timedelta(minutes=29)


def test_a_request_restarts_the_idle_clock_in_one_statement(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]
    assert [sql.split()[0] for sql in writes] == ["SELECT", "UPDATE"]


def test_a_session_deleted_meanwhile_is_not_saved_again(client, rapporteur):
    sign_in_post(client, "rapporteur1")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    assert "_auth_user_id" in store  # the request has read it...
    Session.objects.filter(session_key=key).delete()  # ...and it was ended
    store["touched"] = True
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.filter(session_key=key).exists()
