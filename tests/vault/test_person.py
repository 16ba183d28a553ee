"""Person: sealed fields through the model, binding, services, rules."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.errors import NotVisible
from referral import persons, vault
from referral.models import DataKey, Person
from referral.vault import VaultError, datakeys
from tests.support.vault import SYNTHETIC, person_fields

pytestmark = pytest.mark.django_db

SEALED = persons.SEALED_FIELDS


def fresh(person: Person) -> Person:
    return Person.objects.with_keys().get(pk=person.pk)


def raw(person: Person, name: str) -> bytes:
    return bytes(
        Person.objects.values_list(f"{name}_sealed", flat=True).get(pk=person.pk)
    )


def store(person: Person, name: str, blob: bytes) -> None:
    """Write a raw column, as an attacker with database access could."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE referral_person SET "{name}_sealed" = %s WHERE id = %s',  # noqa: S608
            [blob, person.pk],
        )


def test_values_round_trip_through_the_database():
    person = persons.person_create(**SYNTHETIC)
    loaded = fresh(person)
    for name in SEALED:
        assert getattr(loaded, name) == SYNTHETIC[name]
    assert loaded.date_of_birth == date(1987, 3, 14)
    assert loaded.citizenship == "MD"
    assert loaded.sex == "female" and loaded.age_group == "35-49"


def test_columns_hold_ciphertext_only():
    person = persons.person_create(**SYNTHETIC)
    for name in SEALED:
        blob = raw(person, name)
        assert blob[0] == vault.FORMAT_V1
        assert str(SYNTHETIC[name]).encode() not in blob
    data_key = DataKey.objects.get(person=person)
    assert data_key.kek_id == vault.keyring().active
    assert len(bytes(data_key.wrapped)) > 32


def test_unknown_date_of_birth_and_empty_fields():
    person = persons.person_create(**person_fields(1, date_of_birth=None, notes=""))
    loaded = fresh(person)
    assert loaded.date_of_birth is None
    assert loaded.notes == ""
    # Empty and unknown values are sealed too: presence is not revealed.
    assert raw(person, "notes")[0] == vault.FORMAT_V1
    assert raw(person, "date_of_birth")[0] == vault.FORMAT_V1


def test_ciphertext_swapped_between_rows_does_not_open():
    first = persons.person_create(**person_fields(1))
    second = persons.person_create(**person_fields(2))
    store(second, "family_name", raw(first, "family_name"))
    with pytest.raises(VaultError):
        _ = fresh(second).family_name
    assert fresh(first).family_name == person_fields(1)["family_name"]


def test_ciphertext_swapped_between_fields_does_not_open():
    person = persons.person_create(**SYNTHETIC)
    store(person, "notes", raw(person, "given_names"))
    loaded = fresh(person)
    with pytest.raises(VaultError):
        _ = loaded.notes
    assert loaded.given_names == SYNTHETIC["given_names"]


def test_wrapped_key_swapped_between_people_does_not_open():
    first = persons.person_create(**person_fields(1))
    second = persons.person_create(**person_fields(2))
    DataKey.objects.filter(person=second).update(
        wrapped=DataKey.objects.get(person=first).wrapped
    )
    with pytest.raises(VaultError):
        _ = fresh(second).given_names


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_flipped_bit_in_the_database_does_not_open(where):
    person = persons.person_create(**SYNTHETIC)
    blob = bytearray(raw(person, "notes"))
    position = {"start": 0, "middle": len(blob) // 2, "end": len(blob) - 1}[where]
    blob[position] ^= 0x10
    store(person, "notes", bytes(blob))
    with pytest.raises(VaultError):
        _ = fresh(person).notes


@pytest.mark.parametrize("keep", [0, 1, 10, 30, -1])
def test_truncated_ciphertext_does_not_open(keep):
    person = persons.person_create(**SYNTHETIC)
    blob = raw(person, "notes")
    store(person, "notes", blob[:keep])
    loaded = fresh(person)
    if keep == 0:
        assert loaded.notes == ""  # an empty column is "never set"
        return
    with pytest.raises(VaultError):
        _ = loaded.notes


def test_wrong_kek_does_not_open(key_file):
    person = persons.person_create(**SYNTHETIC)
    data = __import__("json").loads(key_file.read_text())
    data["keys"][data["active"]] = vault.new_key_set()["blind_index_key"]
    key_file.write_text(__import__("json").dumps(data))
    vault.reload_keys()
    with pytest.raises(VaultError) as caught:
        _ = fresh(person).given_names
    assert SYNTHETIC["given_names"] not in str(caught.value)


def test_missing_kek_does_not_open(key_file):
    person = persons.person_create(**SYNTHETIC)
    vault.add_kek(key_file)
    data = __import__("json").loads(key_file.read_text())
    old = DataKey.objects.get(person=person).kek_id
    del data["keys"][old]
    key_file.write_text(__import__("json").dumps(data))
    vault.reload_keys()
    with pytest.raises(VaultError, match="not in the key set"):
        _ = fresh(person).given_names


def test_opens_lazily_and_unwraps_once_per_instance(monkeypatch):
    person = persons.person_create(**SYNTHETIC)
    calls = []
    original = datakeys._unwrap
    monkeypatch.setattr(
        datakeys, "_unwrap", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    with CaptureQueriesContext(connection) as queries:
        loaded = fresh(person)
        assert calls == []  # nothing opened before a read
        for _ in range(3):
            for name in SEALED:
                getattr(loaded, name)
    assert len(calls) == 1
    assert len(queries) == 1


def test_lists_open_names_in_one_query(django_assert_num_queries):
    persons.person_bulk_create(people=[person_fields(n) for n in range(30)])
    with django_assert_num_queries(1):
        names = [
            (p.given_names, p.family_name)
            for p in Person.objects.with_keys().order_by("registered_at")
        ]
    assert len(names) == 30


def test_setting_a_value_seals_it_on_save():
    person = persons.person_create(**SYNTHETIC)
    loaded = fresh(person)
    loaded.notes = "a synthetic replacement note"
    assert loaded.notes == "a synthetic replacement note"
    loaded.save(update_fields=["notes"])
    assert fresh(person).notes == "a synthetic replacement note"
    assert fresh(person).given_names == SYNTHETIC["given_names"]


def test_queryset_update_and_filters_refuse_plaintext():
    person = persons.person_create(**SYNTHETIC)
    with pytest.raises(TypeError, match="sealed"), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(notes="plain")
    with pytest.raises(TypeError, match="sealed"):
        list(Person.objects.filter(given_names=SYNTHETIC["given_names"]))
    assert fresh(person).notes == SYNTHETIC["notes"]


def test_create_without_the_service_is_refused():
    with pytest.raises(VaultError, match="no data key"):
        Person.objects.create(given_names="Nobodia")


def test_pickles_and_copies_carry_no_plaintext_or_key():
    person = fresh(persons.person_create(**SYNTHETIC))
    assert person.given_names == SYNTHETIC["given_names"]
    dumped = pickle.dumps(person)
    assert SYNTHETIC["given_names"].encode() not in dumped
    restored = pickle.loads(dumped)  # noqa: S301 - our own bytes
    assert datakeys.STATE not in restored.__dict__
    assert restored.given_names == SYNTHETIC["given_names"]  # reopens with the key


def test_str_and_repr_name_the_id_only():
    person = persons.person_create(**SYNTHETIC)
    for text in (str(person), repr(person)):
        assert str(person.pk) in text
        assert SYNTHETIC["family_name"] not in text


def test_seal_text_is_bound_to_person_and_context():
    first = persons.person_create(**person_fields(1))
    second = persons.person_create(**person_fields(2))
    blob = vault.seal_text(first, "a synthetic reason", context="audit-reason:case-1")
    assert vault.open_text(fresh(first), blob, context="audit-reason:case-1") == (
        "a synthetic reason"
    )
    with pytest.raises(VaultError):
        vault.open_text(first, blob, context="audit-reason:case-2")
    with pytest.raises(VaultError):
        vault.open_text(second, blob, context="audit-reason:case-1")
    with pytest.raises(VaultError):
        vault.open_text(first, blob[:-3], context="audit-reason:case-1")


def test_update_reseals_and_moves_the_blind_index():
    person = persons.person_create(**person_fields(1))
    before = person.blind_index
    updated = persons.person_update(
        person_id=person.pk, family_name="Renamova", notes="synthetic update"
    )
    assert updated.blind_index != before
    loaded = fresh(person)
    assert loaded.family_name == "Renamova"
    assert loaded.notes == "synthetic update"
    assert persons.possible_duplicates(
        family_name="Renamova",
        given_names=person_fields(1)["given_names"],
        date_of_birth=person_fields(1)["date_of_birth"],
    ) == [person.pk]


def test_update_refuses_unknown_fields_and_missing_people():
    person = persons.person_create(**person_fields(1))
    with pytest.raises(TypeError):
        persons.person_update(person_id=person.pk, blind_index="00")
    with pytest.raises(NotVisible):
        persons.person_update(
            person_id="00000000-0000-4000-8000-000000000000", notes="x"
        )


@pytest.mark.parametrize(
    ("age_group", "is_child", "expected"),
    [
        ("12-14", False, ("12-14", True)),
        ("unknown", True, ("unknown_child", True)),
        ("unknown_child", False, ("unknown_child", True)),
        ("unknown", False, ("unknown", False)),
        ("25-34", False, ("25-34", False)),
    ],
)
def test_presumption_of_minority(age_group, is_child, expected):
    person = persons.person_create(
        **person_fields(1, age_group=age_group, is_child=is_child)
    )
    assert (person.age_group, person.is_child) == expected


def test_an_adult_age_group_contradicts_is_child():
    with pytest.raises(ValidationError):
        persons.person_create(**person_fields(1, age_group="25-34", is_child=True))


@pytest.mark.parametrize("citizenship", ["", "XX", "sy", " ua "])
def test_citizenship_codes(citizenship):
    person = persons.person_create(**person_fields(1, citizenship=citizenship))
    assert person.citizenship == citizenship.strip().upper()


@pytest.mark.parametrize("citizenship", ["Syria", "S", "1A"])
def test_citizenship_must_be_a_code(citizenship):
    with pytest.raises(ValidationError):
        persons.person_create(**person_fields(1, citizenship=citizenship))


def test_system_checks_pass():
    from django.core import checks

    errors = [e for e in checks.run_checks() if e.id and e.id.startswith("vault")]
    assert errors == []


def test_full_clean_keeps_and_refresh_drops_unsaved_values():
    person = fresh(persons.person_create(**SYNTHETIC))
    person.notes = "synthetic unsaved note"
    person.full_clean()
    assert person.notes == "synthetic unsaved note"
    person.refresh_from_db()
    assert person.notes == SYNTHETIC["notes"]


def test_deferred_sealed_columns_load_on_read():
    person = persons.person_create(**SYNTHETIC)
    loaded = Person.objects.with_keys().only("id", "data_key").get(pk=person.pk)
    assert loaded.given_names == SYNTHETIC["given_names"]
