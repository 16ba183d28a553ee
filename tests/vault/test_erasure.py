"""Crypto-shredding: the data key is destroyed; sealed values are gone, the
coarse attributes stay."""

from __future__ import annotations

import pytest

from core.errors import DataErased
from referral import persons, vault
from referral.models import DataKey, Person
from referral.vault import PersonErased
from tests.support.vault import SYNTHETIC

pytestmark = pytest.mark.django_db


def test_erased_person_is_unreadable_and_statistics_remain():
    person = persons.person_create(**SYNTHETIC)
    blob = vault.seal_text(person, "a synthetic reason", context="audit-reason:x")
    erased = persons.person_erase(person_id=person.pk)
    assert erased.is_erased

    loaded = Person.objects.with_keys().get(pk=person.pk)
    for name in persons.SEALED_FIELDS:
        with pytest.raises(PersonErased):
            getattr(loaded, name)
    with pytest.raises(PersonErased):
        vault.open_text(loaded, blob, context="audit-reason:x")
    with pytest.raises(PersonErased):
        _ = erased.given_names  # the instance that was open forgets too

    assert (loaded.sex, loaded.age_group, loaded.citizenship, loaded.is_child) == (
        "female",
        "35-49",
        "MD",
        False,
    )
    assert loaded.registered_at == person.registered_at
    assert loaded.blind_index is None
    data_key = DataKey.objects.get(person=person)
    assert data_key.wrapped is None
    assert data_key.destroyed_at == loaded.erased_at


def test_even_with_the_key_file_the_values_are_gone():
    """Nothing left in the database opens: the key itself was destroyed."""
    person = persons.person_create(**SYNTHETIC)
    persons.person_erase(person_id=person.pk)
    loaded = Person.objects.with_keys().get(pk=person.pk)
    loaded.erased_at = None  # pretend the flag was tampered with
    with pytest.raises(PersonErased):
        _ = loaded.given_names


def test_erased_is_the_api_410_error():
    assert issubclass(PersonErased, DataErased)
    error = PersonErased("6f1c2a3e-0000-4000-8000-000000000001")
    assert error.status == 410 and error.code == "erased"
    assert not isinstance(error, vault.VaultError)


def test_erasure_is_idempotent_and_blocks_updates():
    person = persons.person_create(**SYNTHETIC)
    first = persons.person_erase(person_id=person.pk)
    again = persons.person_erase(person_id=person.pk)
    assert first.erased_at == again.erased_at
    with pytest.raises(PersonErased):
        persons.person_update(person_id=person.pk, notes="synthetic")
    with pytest.raises(PersonErased):
        vault.seal_text(again, "synthetic", context="audit-reason:x")
