"""Vault benchmark: the cost of sealing personal data.

Prints seal and open time per field, the time to list 100 people with their
names opened (through the ORM, on PostgreSQL), and the ratio of a Person
save with and without sealing. Runs on its own throw-away test database and
key file:

    DATABASE_URL=$(scripts/find_postgres.sh) .venv/bin/python bench/bench_vault.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
_KEYS = tempfile.TemporaryDirectory(prefix="bench-vault-")
os.environ["VAULT_KEY_FILE"] = str(Path(_KEYS.name) / "keys.json")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from referral import persons, vault  # noqa: E402
from referral.models import Person  # noqa: E402
from referral.vault import datakeys  # noqa: E402

NAME = "Synthia Benchmarkova"
NOTES = "synthetic free text " * 50  # 1,000 characters
SEALED = persons.SEALED_FIELDS


def fields(n: int) -> dict:
    return {
        "given_names": f"Synthia{n:05d} Benchmarkova",
        "family_name": f"Fabricata{n:05d}",
        "date_of_birth": None,
        "sex": "female",
        "age_group": "25-34",
        "citizenship": "AL",
        "is_child": False,
        "aliases": f"Alias{n:05d}",
        "place_of_birth": "Placetown",
        "contact_details": f"contact-{n:05d}@example.invalid",
        "identity_documents": f"ID-{n:07d}",
        "notes": NOTES,
    }


def per_op_us(func, number: int, repeat: int = 5) -> float:
    """Best of `repeat` runs of the time per call, in microseconds (the best
    run is the least disturbed by other work on the machine)."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        runs.append((time.perf_counter() - start) / number * 1e6)
    return min(runs)


def bench_fields(person: Person) -> None:
    for label, name, value in (
        ("name, 20 chars", "given_names", NAME),
        ("notes, 1,000 chars", "notes", NOTES),
    ):
        field = Person._meta.get_field(name)
        state = datakeys.state_of(person)

        def seal(field=field, value=value):
            field.set_value(person, value)
            field.pre_save(person, add=True)

        def open_(field=field, state=state):
            state.opened.clear()
            field.opened_value(person)

        print(
            f"  {label:<20} seal {per_op_us(seal, 5000):7.1f} µs   "
            f"open {per_op_us(open_, 5000):7.1f} µs"
        )
    dek = os.urandom(32)
    blob = vault.seal_value(dek, "k", NAME, binding="b")
    seal_us = per_op_us(lambda: vault.seal_value(dek, "k", NAME, binding="b"), 5000)
    open_us = per_op_us(lambda: vault.open_value(dek, blob, binding="b"), 5000)
    print(f"  {'primitive (name)':<20} seal {seal_us:7.1f} µs   open {open_us:7.1f} µs")


def bench_list(count: int = 100, runs: int = 30) -> None:
    queryset = Person.objects.with_keys().order_by("registered_at", "id")

    def plain():
        return [p.pk for p in queryset[:count]]

    def opened():
        return [(p.given_names, p.family_name) for p in queryset[:count]]

    assert len(opened()) == count
    plain_ms = per_op_us(plain, 1, runs) / 1000
    opened_ms = per_op_us(opened, 1, runs) / 1000
    print(
        f"  list {count} people, names opened: {opened_ms:6.2f} ms "
        f"(same query, nothing opened: {plain_ms:6.2f} ms; "
        f"{(opened_ms - plain_ms) * 1000 / count:5.1f} µs a person to open)"
    )


def bench_save(number: int = 500) -> None:
    template = persons.person_build(**fields(0))
    blobs = {}
    for name in SEALED:
        Person._meta.get_field(name).pre_save(template, add=True)
        blobs[name] = template.__dict__[f"{name}_sealed"]

    def with_sealing() -> list[Person]:
        people = []
        for _ in range(number):
            person = Person(sex="female", age_group="25-34", citizenship="AL")
            datakeys.state_of(person).key = datakeys.state_of(template).key
            for name in SEALED:
                setattr(person, name, fields(1).get(name))
            people.append(person)
        return people

    def without_sealing() -> list[Person]:
        people = []
        for _ in range(number):
            person = Person(sex="female", age_group="25-34", citizenship="AL")
            for name in SEALED:
                person.__dict__[f"{name}_sealed"] = blobs[name]  # ready ciphertext
            people.append(person)
        return people

    def timed(build) -> float:
        people = build()
        with transaction.atomic():
            start = time.perf_counter()
            for person in people:
                person.save(force_insert=True)
            elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
        return elapsed / number * 1e6

    sealed = min(timed(with_sealing) for _ in range(5))
    plain = min(timed(without_sealing) for _ in range(5))
    print(
        f"  Person save (insert): {sealed:7.1f} µs sealing 8 fields, "
        f"{plain:7.1f} µs with ready ciphertext: ratio {sealed / plain:4.2f}"
    )

    def create():
        with transaction.atomic():
            persons.person_create(**fields(2))
            transaction.set_rollback(True)

    print(
        f"  person_create (data key, blind index, 8 seals, 2 inserts): "
        f"{per_op_us(create, 200):7.1f} µs"
    )


def main() -> None:
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"bench_vault_{os.getpid()}"
    )
    old = setup_databases(verbosity=0, interactive=False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(f"vault benchmark: PostgreSQL {version}, Python {sys.version.split()[0]}")
        built = persons.person_bulk_create(people=[fields(n) for n in range(1000)])
        print("seal and open, per field (through the model field):")
        bench_fields(built[0])
        print("lists (1,000 people in the table):")
        bench_list()
        print("saves:")
        bench_save()
    finally:
        teardown_databases(old, verbosity=0)
        _KEYS.cleanup()


if __name__ == "__main__":
    main()
