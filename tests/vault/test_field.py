"""SealedField on a model other than Person (the subject reached by a path)."""

from __future__ import annotations

import uuid

import pytest
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from referral import persons
from referral.models import Person
from referral.vault import PersonErased, SealedField, VaultError
from tests.support.vault import person_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe_model():
    with isolate_apps("referral"):

        class Probe(models.Model):
            id = models.UUIDField(primary_key=True, default=uuid.uuid4)
            notes = SealedField(subject="holder.person")
            payload = SealedField(subject="holder.person", kind=SealedField.JSON)

            class Meta:
                app_label = "referral"

        yield Probe


class Holder:
    """Stands for a case: anything with a `person` attribute."""

    def __init__(self, person):
        self.person = person


def seal_row(model, instance):
    """What Django does on insert, without a table."""
    for name in ("notes", "payload"):
        model._meta.get_field(name).pre_save(instance, add=True)


def reload_row(model, instance, holder):
    copy = model(
        id=instance.id,
        notes_sealed=instance.notes_sealed,
        payload_sealed=instance.payload_sealed,
    )
    copy.holder = holder
    return copy


def test_values_seal_under_the_subject_and_open(probe_model):
    person = persons.person_create(**person_fields(1))
    row = probe_model()
    row.holder = Holder(person)
    row.notes = "synthetic screening note"
    row.payload = {"answers": ["a", "b"]}
    seal_row(probe_model, row)
    assert b"synthetic" not in row.notes_sealed
    loaded = reload_row(probe_model, row, Holder(Person.objects.get(pk=person.pk)))
    assert loaded.notes == "synthetic screening note"
    assert loaded.payload == {"answers": ["a", "b"]}


def test_binding_names_the_model_field_and_row(probe_model):
    person = persons.person_create(**person_fields(1))
    row = probe_model()
    row.holder = Holder(person)
    row.notes = "synthetic"
    seal_row(probe_model, row)
    other_row = probe_model(notes_sealed=row.notes_sealed)
    other_row.holder = Holder(person)
    with pytest.raises(VaultError):
        _ = other_row.notes
    field = probe_model._meta.get_field("notes")
    assert field.binding(row) == f"referral.Probe|notes|{row.id}"


def test_another_persons_key_does_not_open(probe_model):
    first = persons.person_create(**person_fields(1))
    second = persons.person_create(**person_fields(2))
    row = probe_model()
    row.holder = Holder(first)
    row.notes = "synthetic"
    seal_row(probe_model, row)
    with pytest.raises(VaultError):
        _ = reload_row(probe_model, row, Holder(second)).notes


def test_erased_subject(probe_model):
    person = persons.person_create(**person_fields(1))
    row = probe_model()
    row.holder = Holder(person)
    row.notes = "synthetic"
    seal_row(probe_model, row)
    persons.person_erase(person_id=person.pk)
    erased = Person.objects.get(pk=person.pk)
    with pytest.raises(PersonErased):
        _ = reload_row(probe_model, row, Holder(erased)).notes
    # A new row with nothing personal can still be written for the case.
    empty = probe_model()
    empty.holder = Holder(erased)
    seal_row(probe_model, empty)
    assert empty.notes == "" and empty.payload is None
    with pytest.raises(PersonErased):
        late = probe_model()
        late.holder = Holder(erased)
        late.notes = "synthetic"
        seal_row(probe_model, late)


def test_checks_refuse_integer_keys_and_bad_subjects():
    with isolate_apps("referral"):

        class IntegerKeyed(models.Model):
            notes = SealedField(subject="self")

            class Meta:
                app_label = "referral"

        class Wrong(models.Model):
            id = models.UUIDField(primary_key=True, default=uuid.uuid4)
            notes = SealedField(subject="nowhere.person")

            class Meta:
                app_label = "referral"

        ids = {e.id for e in IntegerKeyed._meta.get_field("notes").check()}
        assert "vault.E002" in ids
        ids = {e.id for e in Wrong._meta.get_field("notes").check()}
        assert "vault.E003" in ids
    person_field = Person._meta.get_field("given_names")
    assert [e for e in person_field.check() if isinstance(e, checks.Error)] == []
    assert person_field.column == "given_names_sealed"


def test_the_field_deconstructs_for_migrations():
    field = SealedField(subject="case.person", kind=SealedField.DATE)
    _name, path, args, kwargs = field.deconstruct()
    assert path == "referral.vault.SealedField"
    assert kwargs == {"subject": "case.person", "kind": "date"}
    assert SealedField(**kwargs).kind == "date"
