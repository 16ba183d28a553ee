"""The blind index: spelling variants the normaliser equates match across
scripts' own conventions; anything else does not. Synthetic names only."""

from __future__ import annotations

from datetime import date

import pytest

from referral import persons, vault
from tests.support.vault import person_fields, read_keys, write_keys

DOB = date(1994, 7, 2)


def index(family: str, given: str, dob: date | None = DOB) -> str | None:
    return vault.blind_index(family_name=family, given_names=given, date_of_birth=dob)


# (family, given) pairs that must give one index, per group.
SAME = {
    "latin case, diacritics, whitespace, order": [
        ("Ångström-Müller", "Zoë Brîgitta"),
        ("ANGSTROM MULLER", "ZOE BRIGITTA"),
        ("  müller\tångström ", "brigitta   zoë"),
        ("Zoë", "Brigitta Ångström Müller"),  # names in the other field
        ("Angström Müller", "Zoe\u00a0Brigitta"),  # no-break space
    ],
    "latin letters without decomposition": [
        ("Søgaard-Łęcka", "Æsa Straße"),
        ("SOGAARD LECKA", "AESA STRASSE"),
    ],
    "latin apostrophes": [
        ("O'Quillavan", "Deirbhe"),
        ("O’Quillavan", "Deirbhe"),
        ("OQuillavan", "Deirbhe"),
    ],
    "latin dotted capital I": [("İlkayova", "Tesma"), ("Ilkayova", "Tesma")],
    "cyrillic ё/е, й/и, case and order": [
        ("Фёдорчукова", "Алёна Андрейевна"),
        ("ФЕДОРЧУКОВА", "АЛЕНА АНДРЕЙЕВНА"),
        ("федорчукова", "алена андреиевна"),
        ("Алёна", "Фёдорчукова Андрейевна"),
    ],
    "arabic harakat, tatweel, alef and final letters": [
        ("الزُّهَيْرِيّ", "مُصْطَفَى آمِنَة"),
        ("الزهيري", "مصطفى آمنة"),
        ("الزهـــيري", "مصطفي امنه"),
        ("ٱلزهيري", "مصطفى آمنة"),
        ("مصطفى آمنة", "الزهيري"),  # name order
    ],
    "arabic hamza forms": [("أبوفارس", "إيناس"), ("ابوفارس", "ايناس")],
    "persian yeh and keheh, zero-width non-joiner": [
        ("کریمی\u200cزاده", "علی"),
        ("كريميزاده", "علي"),
    ],
}

# Pairs that must not match.
DIFFERENT = [
    (("Fabricata", "Synthia"), ("Fabricato", "Synthia")),
    (("Fabricata", "Synthia"), ("Fabricata", "Synthia Maria")),
    (("Fabricata", "Synthia"), ("Fabricata", "Synthiaa")),
    (("Ivanchorova", "Telma"), ("Иванчорова", "Тельма")),  # no transliteration
    (("حسنوف", "علي"), ("حسينوف", "علي")),
    (("Фёдорчукова", "Алёна"), ("Федорчуков", "Алена")),
]


@pytest.fixture(autouse=True)
def _keys(key_file):
    return key_file


@pytest.mark.parametrize("group", sorted(SAME))
def test_variants_the_normaliser_equates_match(group):
    indexes = {index(family, given) for family, given in SAME[group]}
    assert len(indexes) == 1
    assert None not in indexes


def test_groups_do_not_match_each_other():
    indexes = [index(*SAME[group][0]) for group in sorted(SAME)]
    assert len(set(indexes)) == len(indexes)


@pytest.mark.parametrize("case", range(len(DIFFERENT)))
def test_different_names_do_not_match(case):
    first, second = DIFFERENT[case]
    assert index(*first) != index(*second)


def test_a_different_date_of_birth_does_not_match():
    assert index("Fabricata", "Synthia") != index(
        "Fabricata", "Synthia", date(1994, 7, 3)
    )
    assert index("Fabricata", "Synthia") != index("Fabricata", "Synthia", None)
    assert index("Fabricata", "Synthia", None) == index("fabricata", "SYNTHIA", None)


def test_no_name_no_index():
    assert index("", "  ") is None
    assert index("-", "'") is None


def test_the_index_is_keyed(key_file):
    before = index("Fabricata", "Synthia")
    data = read_keys(key_file)
    data["blind_index_key"] = vault.new_key_set()["blind_index_key"]
    write_keys(key_file, data)
    after = index("Fabricata", "Synthia")
    assert before != after
    assert len(after) == 64 and int(after, 16) >= 0


def test_identity_string_sorts_tokens():
    assert vault.identity_string(
        family_name="Zed-Alpha", given_names="Mu  beta", date_of_birth=DOB
    ) == ("v1\x1falpha beta mu zed\x1f1994-07-02")


@pytest.mark.django_db
def test_possible_duplicates_finds_registrations_by_index_only():
    first = persons.person_create(
        **person_fields(
            1, family_name="Фёдорчукова", given_names="Алёна", date_of_birth=DOB
        )
    )
    persons.person_create(
        **person_fields(
            2, family_name="Федорчукова", given_names="Алина", date_of_birth=DOB
        )
    )
    erased = persons.person_create(
        **person_fields(
            3, family_name="ФЕДОРЧУКОВА", given_names="алена", date_of_birth=DOB
        )
    )
    persons.person_erase(person_id=erased.pk)
    found = persons.possible_duplicates(
        family_name="Алена", given_names="федорчукова", date_of_birth=DOB
    )
    assert found == [first.pk]
    assert (
        persons.possible_duplicates(
            family_name="Алена",
            given_names="федорчукова",
            date_of_birth=DOB,
            exclude_person_id=first.pk,
        )
        == []
    )
    assert (
        persons.possible_duplicates(
            family_name="Алена",
            given_names="федорчукова",
            date_of_birth=date(1994, 7, 3),
        )
        == []
    )
