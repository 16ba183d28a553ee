"""The questionnaire page for screening interviews."""

import re

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from nrm.models import User

pytestmark = pytest.mark.django_db

URL = reverse("indicators:catalogue-questionnaire", args=["ilo-2009-adult-labour"])


@pytest.fixture
def officer(client):
    user = User.objects.create_user(username="officer-page-1", password="x" * 20)
    client.force_login(user)
    return client


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))
    assert "next=" in response.url


def test_renders_grouped_by_dimension_in_interview_order(officer):
    response = officer.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<main[ >]", html)
    assert re.search(r"<h1>Adults, labour exploitation", html)
    legends = re.findall(r"<legend>(.*?)</legend>", html)
    assert legends == [
        "1. Deceptive recruitment (including transfer and transport)",
        "2. Coercive recruitment (including transfer and transport)",
        "3. Recruitment by abuse of vulnerability",
        "4. Exploitative conditions of work (exploitation)",
        "5. Coercion at destination",
        "6. Abuse of vulnerability at destination",
    ]
    fieldsets = html.split('<fieldset id="dimension-')[1:]
    counts = [chunk.count('type="checkbox"') for chunk in fieldsets]
    assert counts == [10, 10, 16, 9, 15, 7]
    assert html.count("<label for=") == 67
    assert 'id="indicator-al.dr.nature_of_job"' in html
    assert "Did the work, the place or the employer turn out" in html
    assert "machine quality" not in html
    # CSP: no inline style or script, static files only.
    assert "<style" not in html and "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "cdn" not in html.lower()


@pytest.mark.parametrize(
    ("query", "language", "text"),
    [
        ("?lang=ru", "ru", "Обман относительно характера работы"),
        ("?lang=el", "el", "Εξαπάτηση ως προς τη φύση της εργασίας"),
        ("", "ru", "Оказались ли работа, место"),
    ],
)
def test_renders_in_the_officers_language(client, query, language, text):
    # The officer's language: their browser's (LocaleMiddleware) and their
    # saved preference agree here, so either source gives Russian.
    user = User.objects.create_user(
        username="officer-page-2", password="x" * 20, preferred_language="ru"
    )
    client.force_login(user)
    response = client.get(URL + query, HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert re.search(f'<html lang="{language}"[ >]', html)
    assert response["Content-Language"] == language
    assert text in html
    # The page's own words are translated too, and the translation is flagged.
    assert 'role="note"' in html
    assert 'href="?lang=en" hreflang="en"' in html
    assert f'<strong aria-current="true">{language}</strong>' in html


def test_posting_the_ticked_indicators_shows_the_assessment(officer):
    codes = ["al.dr.nature_of_job", "al.dr.wages", "al.ec.excessive_hours"]
    codes += ["al.ec.wage_manipulation", "al.cd.isolation", "al.cd.violence"]
    response = officer.post(URL, {"codes": codes})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Presumed: the combination rule is met." in html
    assert html.count(" checked>") == 6
    assert html.count('class="positive"') == 3


def test_posting_an_unknown_code_shows_a_message(officer):
    response = officer.post(URL, {"codes": ["al.dr.wages", "zz.nope"]})
    assert response.status_code == 200
    assert "Unknown indicator codes: zz.nope" in response.content.decode()


def test_unknown_catalogue_is_404(officer):
    url = reverse("indicators:catalogue-questionnaire", args=["no-such-list"])
    assert officer.get(url).status_code == 404


def test_child_list_reminds_of_child_protection(officer):
    url = reverse("indicators:catalogue-questionnaire", args=["ilo-2009-child-sexual"])
    response = officer.post(url, {"codes": []})
    assert "child protection whatever the outcome" in response.content.decode()


def test_stands_alone_without_the_site_shell(officer, settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [], "OPTIONS": {"context_processors": []}}
    ]
    html = officer.get(URL + "?lang=el").content.decode()
    assert '<html lang="el">' in html
    assert '<main id="main">' in html
    assert html.count("<label for=") == 67
