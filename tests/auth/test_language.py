"""The language switcher: Django's set_language plus the user's preference."""

import pytest
from django.test import Client

from nrm.models import User
from tests.auth.conftest import sign_in_post
from tests.support.auth import signed_in

pytestmark = pytest.mark.django_db


def test_switching_language_stores_it_for_the_user(rapporteur):
    client = signed_in(Client(), rapporteur)
    response = client.post("/language/", {"language": "ru", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies["django_language"].value == "ru"
    assert User.objects.get(pk=rapporteur.pk).preferred_language == "ru"
    page = client.get("/")
    assert page["Content-Language"] == "ru"
    assert '<html lang="ru"' in page.content.decode()


def test_the_users_language_follows_them_to_another_browser(rapporteur):
    rapporteur.preferred_language = "el"
    rapporteur.save(update_fields=["preferred_language"])
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in_post(browser, "rapporteur1")
    assert response.cookies["django_language"].value == "el"
    page = browser.get("/")
    assert '<html lang="el"' in page.content.decode()


def test_unknown_languages_are_ignored(rapporteur):
    client = signed_in(Client(), rapporteur)
    client.post("/language/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=rapporteur.pk).preferred_language == "en"


def test_anonymous_visitors_switch_by_cookie_only(client):
    response = client.post("/language/", {"language": "el", "next": "/sign-in/"})
    assert response.cookies["django_language"].value == "el"
    assert '<html lang="el"' in client.get("/sign-in/").content.decode()


def test_the_language_cookie_is_http_only_and_same_site(rapporteur, client):
    for response in (
        client.post("/language/", {"language": "el", "next": "/sign-in/"}),
        sign_in_post(Client(), "rapporteur1"),
    ):
        cookie = response.cookies["django_language"]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
