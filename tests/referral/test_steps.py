"""Every step of the workflow is declared once (`@step` on its service) and
everything that offers steps reads that declaration: the API schema (one
operation per step, its body the step's input), the pages (each step has a
page, the generic one built from the step's input, and the case page lists
what `steps.available` says), and the workflow document."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.conf import settings
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers as drf

from nrm.roles import Capability
from referral import forms, steps
from referral.steps import REFERRAL_STEPS, STEPS, Context, step
from referral.views.cases import step_url

NAMES = sorted(STEPS)


def test_the_steps_of_todays_workflow_are_declared():
    assert set(NAMES) == {
        "screen",
        "flag-for-referral",
        "record-consent",
        "send-referral",
        "notify-anonymously",
        "appoint-guardian",
        "record-best-interests",
        "decide-reasonable-grounds",
        "decide-conclusive-grounds",
        "reconsider",
        "suspend",
        "resume",
        "transfer",
        "close",
        "inform-of-rights",
        "record-child-views",
        "record-age-assessment",
        "request-reconsideration",
        "record-person-request",
        "notify-non-punishment",
        "assess-risk",
        "record-reintegration-follow-up",
        "record-residence-permit",
        "answer-handover",
    }
    assert set(REFERRAL_STEPS) == {
        "accept",
        "decline",
        "withdraw",
        "expire",
        "complete",
    }


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _properties(schema, body) -> set[str]:
    if body is None:
        return set()
    ref = body["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return set(component.get("properties", {}))


@pytest.mark.parametrize("name", NAMES)
def test_every_step_is_an_operation_of_the_schema_with_its_input(schema, name):
    declared = STEPS[name]
    operation = schema["paths"][f"/api/v1/cases/{{case_id}}/transitions/{name}/"]
    body = operation["post"].get("requestBody")
    assert _properties(schema, body) == set(declared.input().fields)


@pytest.mark.parametrize("name", NAMES)
def test_every_step_has_a_page_and_a_form_from_its_input(name):
    declared = STEPS[name]
    url = step_url(SimpleNamespace(pk=uuid4()), declared)
    assert resolve(url).url_name == (declared.page or "case-step")
    if not declared.page:
        form = forms.step_form_class(declared, choices_for=lambda field: [])()
        assert set(declared.input().fields) <= set(form.fields)


def test_every_step_is_in_the_workflow_document():
    text = (Path(settings.BASE_DIR) / "docs" / "workflow.md").read_text()
    listed = re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.MULTILINE)
    assert listed == [*STEPS, *REFERRAL_STEPS]


@pytest.mark.parametrize("name", sorted(REFERRAL_STEPS))
def test_every_step_on_a_referral_is_an_operation_of_the_schema(schema, name):
    declared = REFERRAL_STEPS[name]
    operation = schema["paths"][f"/api/v1/referrals/{{referral_id}}/{name}/"]
    body = operation["post"].get("requestBody")
    assert _properties(schema, body) == set(declared.input().fields)


def test_a_declaration_whose_input_is_not_the_services_arguments_is_refused():
    class Renamed(drf.Serializer):
        to_organisation = drf.UUIDField()

    def body(ctx: Context, *, to_organisation_id):
        raise AssertionError("never run")

    with pytest.raises(TypeError, match="keyword arguments"):
        step("test-renamed", label="x", capability=Capability.CASE_VIEW, input=Renamed)(
            body
        )
    assert "test-renamed" not in STEPS


@pytest.mark.django_db
def test_the_case_page_lists_what_the_declarations_make_available(mechanism):
    from referral.models import Case
    from tests.support.casework import page_client, register

    reception = mechanism.user["reception"]
    case = register(reception)
    body = page_client("reception").get(f"/cases/{case.pk}/").content.decode()
    shown = re.findall(r'data-step="([a-z-]+)"', body)
    expected = steps.available(reception, Case.objects.get(pk=case.pk))
    assert shown == [s.name for s in expected if not s.grave] + [
        s.name for s in expected if s.grave
    ]
    assert {"screen", "close"} <= set(shown)
