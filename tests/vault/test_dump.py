"""A dump of the database reveals no personal value: pg_dump the test
database and search the raw bytes. Synthetic identities only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date

import pytest
from django.db import connection

from nrm import audit
from referral import persons, vault
from referral.models import Person
from tests.support.vault import SYNTHETIC

OTHERS = [
    {
        **SYNTHETIC,
        "given_names": "Ярославина Всеволодовна",
        "family_name": "Зюзьмеркина",
        "aliases": "Фёклушка Огневская",
        "date_of_birth": date(2009, 11, 23),
        "age_group": "15-17",
        "is_child": True,
        "place_of_birth": "Краснобурьевск",
        "notes": "синтетическая заметка о переводчике Шмырёве",
    },
    {
        **SYNTHETIC,
        "given_names": "زُبَيْدَةُ نَوَالِيَّة",
        "family_name": "القرطمشاوي",
        "aliases": "أم الضياغم",
        "date_of_birth": None,
        "place_of_birth": "كفرالزيتونات",
        "notes": "ملاحظة اصطناعية عن الميناء الشمالي",
    },
]
REASON = "Gorrowind Quillbeck Brackwaterly"


def needles(values: list[object]) -> set[bytes]:
    """Every value, its longer words, in several cases and encodings,
    and as PostgreSQL prints bytea (hex)."""
    texts: set[str] = set()
    for value in values:
        if isinstance(value, date):
            texts |= {
                value.isoformat(),
                value.strftime("%d.%m.%Y"),
                value.strftime("%d/%m/%Y"),
                value.strftime("%Y%m%d"),
            }
        elif isinstance(value, str) and value:
            texts.add(value)
            texts |= {w for w in re.split(r"\W+", value) if len(w) >= 6}
    variants = set()
    for text in texts:
        for form in {text, text.lower(), text.upper(), text.casefold()}:
            variants.add(form)
    found: set[bytes] = set()
    for text in variants:
        encoded = text.encode("utf-8")
        found |= {encoded, encoded.hex().encode(), text.encode("utf-16-le")}
    return found


@pytest.mark.django_db(transaction=True)
def test_pg_dump_reveals_no_personal_value():
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is not installed (apt-get install postgresql-client)")
    people = [persons.person_create(**fields) for fields in (SYNTHETIC, *OTHERS)]
    audit.record(
        audit.Event.CASE_TRANSITION,
        actor=None,
        object_type="referral.person",
        object_id=people[0].pk,
        reason_code="correction",
        reason_sealed=vault.seal_text(people[0], REASON, context="audit-reason:x"),
    )
    loaded = Person.objects.with_keys().get(pk=people[1].pk)
    assert loaded.family_name == OTHERS[0]["family_name"]  # it is all there

    db = connection.settings_dict
    command = ["pg_dump", "--no-password", "--format=plain", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(
        command, capture_output=True, env=env, timeout=120, check=True
    )
    raw = dump.stdout

    # The dump holds the rows: ids, coarse attributes, ciphertext.
    for person in people:
        assert str(person.pk).encode() in raw
    assert b"referral_person" in raw and b"given_names_sealed" in raw
    assert b"15-17" in raw and b"MD" in raw

    values: list[object] = [REASON]
    for fields in (SYNTHETIC, *OTHERS):
        values += [fields[name] for name in persons.SEALED_FIELDS]
    leaked = [needle for needle in needles(values) if needle in raw]
    assert leaked == [], f"{len(leaked)} personal values found in the dump"
