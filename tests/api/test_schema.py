"""The schema's generic rules (config/schema.py) and query validation, through
the public interface: the schema endpoint and the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from nrm.demo import load_directory
from nrm.models import User
from tests.support.auth import signed_in

SECURED_ERRORS = {"401", "403", "404"}


@pytest.fixture
def schema(db):
    load_directory()
    client = signed_in(APIClient(), User.objects.get(username="reception"))
    response = client.get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def reception(db):
    load_directory()
    return signed_in(APIClient(), User.objects.get(username="reception"))


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_paginated_lists_are_documented_as_pages(schema):
    cases = schema["paths"]["/api/v1/cases/"]["get"]
    page = cases["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["$ref"].endswith("/PaginatedCaseListList")
    names = {p["name"]: p["schema"] for p in cases["parameters"]}
    assert names["limit"]["minimum"] == 1
    assert names["offset"]["minimum"] == 0
    assert "enum" in names["state"]


def test_every_secured_operation_documents_its_errors_with_the_error_body(schema):
    for path, method, operation in _operations(schema):
        if operation.get("security") and {} not in operation["security"]:
            missing = SECURED_ERRORS - set(operation["responses"])
            assert not missing, (method, path, missing)
            for status in SECURED_ERRORS:
                body = operation["responses"][status]["content"]["application/json"]
                assert body["schema"]["$ref"] == "#/components/schemas/Error"
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "message", "detail"]
    assert error["additionalProperties"] is False


def test_writes_document_conflicts_and_refused_bodies(schema):
    create = schema["paths"]["/api/v1/cases/"]["post"]
    assert {"400", "409"} <= set(create["responses"])
    body = create["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert component["additionalProperties"] is False


def test_nullable_moments_and_coded_fields(schema):
    detail = schema["components"]["schemas"]["CaseDetail"]["properties"]
    assert detail["closed_at"]["nullable"] is True
    assert detail["state"]["allOf"] == [{"$ref": "#/components/schemas/CaseStateEnum"}]


@pytest.mark.parametrize(
    "query",
    [
        "overdue=-1",
        "overdue=",
        "state=nonsense",
        "limit=-1",
        "limit=0",
        "limit=abc",
        "limit=",
        "offset=-5",
        "colour=blue",
    ],
)
def test_malformed_query_parameters_are_a_400(reception, query):
    response = reception.get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_well_formed_query_parameters_are_taken(reception):
    response = reception.get("/api/v1/cases/?overdue=false&state=registered&limit=5")
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_an_unrouted_api_path_answers_with_the_error_body(reception):
    response = reception.get("/api/v1/cases/not/a/route/")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Not found.",
        "detail": None,
    }
