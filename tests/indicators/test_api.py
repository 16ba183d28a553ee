"""The indicator catalogue API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from nrm.models import User
from tests.support.indicators import ADULT_LABOUR, ALL_IDS

pytestmark = pytest.mark.django_db

LIST = reverse("v1:indicator-catalogue-list")


def detail(catalogue_id):
    return reverse("v1:indicator-catalogue-detail", args=[catalogue_id])


def assess_url(catalogue_id):
    return reverse("v1:indicator-catalogue-assess", args=[catalogue_id])


@pytest.fixture
def api():
    user = User.objects.create_user(username="officer-api-1", password="x" * 20)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list(api):
    response = api.get(LIST)
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == sorted(ALL_IDS)
    first = rows[0]
    assert set(first) == {
        "id",
        "version",
        "person",
        "form",
        "language",
        "title",
        "languages",
        "indicator_count",
        "builtin",
    }
    assert first["indicator_count"] == 67
    assert first["title"].startswith("Adults, labour exploitation")


def test_list_titles_follow_the_requested_language(api):
    rows = api.get(LIST, {"lang": "el"}).json()
    assert {r["language"] for r in rows} == {"el"}
    assert rows[0]["title"].startswith("Ενήλικες")


@pytest.mark.parametrize(
    ("params", "headers", "language", "label"),
    [
        ({}, {}, "en", "Deceived about the nature of the job, location or employer"),
        (
            {"lang": "ru"},
            {},
            "ru",
            "Обман относительно характера работы, места работы или работодателя",
        ),
        (
            {},
            {"HTTP_ACCEPT_LANGUAGE": "el-GR,el;q=0.9,en;q=0.5"},
            "el",
            "Εξαπάτηση ως προς τη φύση της εργασίας, τον τόπο ή τον εργοδότη",
        ),
        (
            {},
            {"HTTP_ACCEPT_LANGUAGE": "de, ru;q=0.8"},
            "ru",
            "Обман относительно характера работы, места работы или работодателя",
        ),
        (
            {"lang": "fr"},
            {"HTTP_ACCEPT_LANGUAGE": "ru"},
            "en",
            "Deceived about the nature of the job, location or employer",
        ),
    ],
)
def test_read_one_catalogue_in_a_language(api, params, headers, language, label):
    response = api.get(detail(ADULT_LABOUR), params, **headers)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    body = response.json()
    assert body["language"] == language
    assert body["machine_translation"] is (language != "en")
    dimensions = body["dimensions"]
    assert [len(d["indicators"]) for d in dimensions] == [10, 10, 16, 9, 15, 7]
    first = dimensions[0]["indicators"][0]
    assert first["code"] == "al.dr.nature_of_job"
    assert first["strength"] == "strong"
    assert first["label"] == label
    assert first["prompt"].endswith(("?", ";"))  # Greek asks with ";"
    assert body["dimension_rule"]["clauses"][1] == {
        "strong": 1,
        "medium": 0,
        "weak": 0,
        "medium_or_weak": 1,
    }
    assert len(body["combination_rule"]["groups"]) == 3
    assert "WCMS_105023" in body["source"]["citation"]


def test_assess(api):
    codes = ["al.dr.nature_of_job", "al.dr.wages", "al.ec.excessive_hours"]
    codes += ["al.ec.wage_manipulation", "al.cd.isolation", "al.cd.violence"]
    response = api.post(assess_url(ADULT_LABOUR), {"codes": codes}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "presumed"
    assert body["combination_met"] is True
    assert body["positive_dimensions"] == [
        "deceptive_recruitment",
        "exploitative_conditions",
        "coercion_at_destination",
    ]
    assert body["catalogue_version"] == "1.0"
    assert "Outcome: presumed." in body["explanation"]
    assert len(body["dimensions"]) == 6


def test_assess_nothing(api):
    response = api.post(assess_url(ADULT_LABOUR), {"codes": []}, format="json")
    assert response.status_code == 200
    assert response.json()["outcome"] == "none"


def test_assess_unknown_codes_lists_them(api):
    response = api.post(
        assess_url(ADULT_LABOUR),
        {"codes": ["al.dr.wages", "cl.dr.education", "nope"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "unknown_indicators",
        "message": "Unknown indicator codes for this catalogue.",
        "detail": {"codes": ["cl.dr.education", "nope"]},
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "codes"),
        ({"codes": "al.dr.wages"}, "codes"),
        ({"codes": [1, ["x"]]}, "codes"),
        ({"codes": [""]}, "codes"),
        ({"codes": ["x" * 101]}, "codes"),
        (["al.dr.wages"], "non_field_errors"),
    ],
)
def test_assess_with_a_malformed_body(api, body, field):
    response = api.post(assess_url(ADULT_LABOUR), body, format="json")
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "invalid"
    assert field in payload["detail"]


def test_assess_with_unparseable_json(api):
    response = api.post(
        assess_url(ADULT_LABOUR), "{codes:", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST),
        ("get", detail(ADULT_LABOUR)),
        ("post", assess_url(ADULT_LABOUR)),
    ],
)
def test_not_signed_in(method, url):
    response = getattr(APIClient(), method)(url, {"codes": []}, format="json")
    # 403 with session sign-in; 401 where a token scheme answers first.
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_an_inactive_user_is_refused():
    user = User.objects.create_user(username="officer-api-2", is_active=False)
    client = APIClient()
    client.force_authenticate(user)
    assert client.get(LIST).status_code == 403


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_catalogue(api, method):
    url = detail("no-such-list") if method == "get" else assess_url("no-such-list")
    response = getattr(api, method)(url, {"codes": []}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_queries_do_not_grow_with_the_catalogues(api, extra_dir, national):
    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url).status_code == 200
        return len(queries)

    count(LIST)  # warm up whatever the middleware reads once
    small = count(LIST), count(detail(ADULT_LABOUR))
    for n in range(5):
        national["id"] = f"xx-list-{n}-adult-labour"
        extra_dir.write(national)
    # Files, not rows: the catalogues add no query, however many there are.
    assert (count(LIST), count(detail(ADULT_LABOUR))) == small
    assert small == (0, 0)


def test_the_schema_describes_the_endpoints(api):
    response = api.get(reverse("v1:schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assess_op = paths["/api/v1/indicator-catalogues/{catalogue_id}/assess/"]["post"]
    assert assess_op["operationId"] == "indicator_catalogues_assess"
    assert "requestBody" in assess_op
    assert "/api/v1/indicator-catalogues/" in paths
    assert "/api/v1/indicator-catalogues/{catalogue_id}/" in paths
