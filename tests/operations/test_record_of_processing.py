"""Every stored field has a data-protection class, in one place; the record
of processing is written from it, the pathways, the profile and settings."""

from __future__ import annotations

import csv
import io

import pytest
from django.apps import apps
from django.core.management import call_command

from referral import classification
from referral.classification import CLASSES, CLASSIFICATION

PROJECT_APPS = ("nrm", "indicators", "referral")


def test_every_field_of_every_project_model_is_classified():
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    assert models
    assert classification.unclassified(models) == []


def test_every_installed_model_is_classified_and_no_entry_is_stale():
    models = apps.get_models()
    assert classification.unclassified(models) == []
    assert classification.stale(models) == []
    used = {c for entry in CLASSIFICATION.values() for c in entry.fields.values()}
    assert used == set(CLASSES)


def test_sealed_fields_are_personal_or_special():
    from referral.vault import SealedField

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, SealedField):
                found = CLASSIFICATION[model._meta.label].fields[field.name]
                assert found in ("personal", "special"), (model, field.name)


def test_a_new_field_without_a_class_is_named(monkeypatch):
    from referral.models import Person

    entry = CLASSIFICATION["referral.Person"]
    fields = dict(entry.fields)
    del fields["citizenship"]
    monkeypatch.setitem(
        CLASSIFICATION,
        "referral.Person",
        classification.Entry(entry.subjects, entry.purpose, fields),
    )
    assert classification.unclassified([Person]) == ["referral.Person.citizenship"]


@pytest.mark.django_db
def test_the_record_names_recipients_retention_and_measures(mechanism, tmp_path):
    out = io.StringIO()
    call_command("record_of_processing", "--output", str(tmp_path), stdout=out)
    text = (tmp_path / "record-of-processing.md").read_text()
    for heading in (
        "Purposes",
        "Categories of data subjects",
        "Categories of personal data",
        "Recipients",
        "Retention",
        "security measures",
    ):
        assert heading in text
    assert "National Identification Authority" in text  # from the pathways
    assert "Foreign NRM Contact Point" in text.split("Transfers")[1]
    assert "1825 days" in text and "AES-256-GCM" in text
    assert "`referral.Person` (people): given_names, family_name" in text

    rows = list(
        csv.DictReader(io.StringIO((tmp_path / "record-of-processing.csv").read_text()))
    )
    by_field = {(r["model"], r["field"]): r for r in rows}
    assert by_field[("referral.Person", "family_name")]["class"] == "personal"
    assert by_field[("referral.Screening", "indicator_codes")]["class"] == "special"
    assert by_field[("referral.Person", "sex")]["class"] == "coarse"
    assert "unclassified" not in {r["class"] for r in rows}
