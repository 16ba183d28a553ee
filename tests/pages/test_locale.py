"""Dates on the pages in each language's own format: English day-first
(never US-style 11/30/2026), Russian and Greek in theirs; the API keeps
ISO 8601."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.utils import timezone

from nrm.models import User
from tests.support.casework import page_client, register

pytestmark = pytest.mark.django_db

PINNED = datetime(2026, 11, 30, 14, 5, tzinfo=timezone.get_default_timezone())


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "30/11/2026"), ("ru", "30.11.2026"), ("el", "30/11/2026")],
)
def test_dates_are_in_the_languages_own_format(mechanism, language, expected):
    reception = mechanism.user["reception"]
    with time_machine.travel(PINNED, tick=False):
        register(reception, date_of_birth="1992-03-04")
    User.objects.filter(pk=reception.pk).update(preferred_language=language)
    body = page_client("reception").get("/cases/").content.decode()
    assert expected in body
    assert "11/30/2026" not in body


def test_english_long_dates_put_the_day_first(mechanism):
    reception = mechanism.user["reception"]
    case = register(reception, date_of_birth="1992-03-04")
    body = page_client("reception").get(f"/cases/{case.pk}/").content.decode()
    assert "4 Mar 1992" in body
    assert "March 4, 1992" not in body


@pytest.mark.parametrize(
    ("language", "russian", "ukraine"),
    [
        ("en", "Russian", "Ukraine"),
        ("ru", "русский", "Украина"),
        ("el", "Ρωσικά", "Ουκρανία"),
    ],
)
def test_languages_and_countries_are_chosen_by_name_in_the_officers_language(
    mechanism, language, russian, ukraine
):
    reception = mechanism.user["reception"]
    User.objects.filter(pk=reception.pk).update(preferred_language=language)
    body = page_client("reception").get("/cases/new/").content.decode()
    assert f'<option value="ru">{russian}</option>' in body
    assert f'<option value="UA">{ukraine}</option>' in body


def test_a_case_shows_its_language_and_citizenship_by_name(mechanism):
    reception = mechanism.user["reception"]
    case = register(reception, citizenship="UA", language="uk")
    body = page_client("reception").get(f"/cases/{case.pk}/").content.decode()
    assert "<dd>Ukrainian</dd>" in body
    assert "<dd>Ukraine</dd>" in body


def test_lists_and_referrals_show_languages_and_countries_by_name(referred):
    reception = referred.mechanism.user["reception"]
    User.objects.filter(pk=reception.pk).update(preferred_language="ru")
    client = page_client("reception")
    cases = client.get("/cases/").content.decode()
    assert ", XB</td>" in cases  # a user-assigned code keeps its code
    referral = client.get(f"/referrals/{referred.referral.pk}/").content.decode()
    assert "<dd>русский</dd>" in referral
