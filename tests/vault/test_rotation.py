"""Key rotation: every data key re-wrapped under the active KEK, in batches,
resumable, without blocking the service; the old KEK can then go."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from nrm.models import AuditEvent
from referral import persons, vault
from referral.models import DataKey, Person
from tests.support.vault import person_fields, read_keys, write_keys


def create_people(count: int) -> dict:
    """Bulk-create synthetic people; {person id: their fields}."""
    expected = {}
    people = []
    for n in range(count):
        fields = person_fields(n)
        people.append(fields)
    built = persons.person_bulk_create(people=people, batch_size=2000)
    for person, fields in zip(built, people, strict=True):
        expected[person.pk] = fields
    return expected


def rotate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_vault_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def new_kek() -> str:
    out = io.StringIO()
    call_command("vault_keygen", stdout=out)
    return vault.keyring().active


def under(kek_id: str) -> int:
    return DataKey.objects.filter(kek_id=kek_id, wrapped__isnull=False).count()


def assert_all_open(expected: dict) -> None:
    seen = 0
    for person in Person.objects.with_keys().iterator(chunk_size=2000):
        fields = expected[person.pk]
        for name in persons.SEALED_FIELDS:
            assert getattr(person, name) == fields[name]
        seen += 1
    assert seen == len(expected)


@pytest.mark.django_db
def test_rotation_over_10000_people_then_the_old_key_goes(key_file):
    expected = create_people(10_000)
    old = vault.keyring().active
    new = new_kek()
    assert new != old and under(old) == 10_000

    out, err = rotate("--batch-size", "1000")
    assert "Re-wrapped 10000 data keys" in out
    assert "re-wrapping data keys [" in err and "10000/10000 100%" in err
    assert under(old) == 0 and under(new) == 10_000

    data = read_keys(key_file)
    del data["keys"][old]
    write_keys(key_file, data)
    assert vault.keyring().kek_ids == {new}
    assert_all_open(expected)
    event = AuditEvent.objects.get(action="vault.key_rotated")
    assert event.object_id == new and event.extra["rewrapped"] == 10_000


@pytest.mark.django_db
def test_interrupted_rotation_resumes(key_file):
    expected = create_people(1200)
    old = vault.keyring().active
    new = new_kek()

    out, _err = rotate("--batch-size", "200", "--limit", "500")
    assert "Stopped at --limit" in out
    assert under(new) == 500 and under(old) == 700

    out, _err = rotate("--batch-size", "200")
    assert "Re-wrapped 700 data keys" in out
    assert under(old) == 0
    assert_all_open(expected)


@pytest.mark.django_db
def test_rotation_killed_mid_batch_resumes(key_file, monkeypatch):
    expected = create_people(1000)
    old = vault.keyring().active
    new_kek()
    original = vault.rewrap_data_key
    calls = []

    def dies_after_450(data_key):
        calls.append(1)
        if len(calls) > 450:
            raise KeyboardInterrupt
        return original(data_key)

    monkeypatch.setattr(vault, "rewrap_data_key", dies_after_450)
    with pytest.raises(KeyboardInterrupt):
        rotate("--batch-size", "200")
    # Two whole batches committed; the third rolled back with its transaction.
    assert under(old) == 600
    monkeypatch.setattr(vault, "rewrap_data_key", original)
    rotate("--batch-size", "200")
    assert under(old) == 0
    assert_all_open(expected)


@pytest.mark.django_db
def test_retire_removes_only_unused_keys(key_file):
    expected = create_people(50)
    old = vault.keyring().active
    new = new_kek()
    spare = vault.add_kek(key_file, activate=False)
    out, _err = rotate("--retire")
    assert old in out and spare in out
    assert set(read_keys(key_file)["keys"]) == {new}
    assert_all_open(expected)


@pytest.mark.django_db
def test_rotation_refuses_when_a_kek_is_missing(key_file):
    create_people(5)
    old = vault.keyring().active
    new_kek()
    data = read_keys(key_file)
    del data["keys"][old]
    write_keys(key_file, data)
    with pytest.raises(CommandError, match=old):
        rotate()


@pytest.mark.django_db
def test_a_tampered_data_key_is_reported_and_skipped(key_file):
    create_people(20)
    old = vault.keyring().active
    victim = DataKey.objects.order_by("person_id").first()
    blob = bytearray(victim.wrapped)
    blob[-1] ^= 1
    DataKey.objects.filter(pk=victim.pk).update(wrapped=bytes(blob))
    new_kek()
    with pytest.raises(CommandError, match=str(victim.person_id)):
        rotate()
    assert under(old) == 1


@pytest.mark.django_db
def test_nothing_to_do():
    out, _err = rotate("--no-progress")
    assert "Re-wrapped 0 data keys" in out


@pytest.mark.django_db(transaction=True)
def test_rotation_skips_rows_in_use_and_never_blocks(key_file):
    expected = create_people(40)
    old = vault.keyring().active
    held = DataKey.objects.order_by("person_id")[10].person_id
    new_kek()
    locked, release = threading.Event(), threading.Event()

    def hold_a_lock():
        try:
            with transaction.atomic():
                DataKey.objects.select_for_update().get(person_id=held)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_a_lock)
    thread.start()
    try:
        assert locked.wait(10)
        with pytest.raises(CommandError, match="held locked"):
            rotate("--batch-size", "7", "--sweeps", "1")
        assert under(old) == 1
        # Reading goes on meanwhile, the held person's values included.
        assert_all_open(expected)
    finally:
        release.set()
        thread.join(30)
    rotate("--batch-size", "7")
    assert under(old) == 0
