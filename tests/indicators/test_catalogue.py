"""The built-in catalogues: what they contain and what they say of it."""

from collections import Counter

import pytest

from indicators import catalogue as catalogues
from tests.support.indicators import ADULT_LABOUR, ALL_IDS

DIMENSIONS = catalogues.DIMENSIONS


def per_dimension(catalogue_id):
    counts = Counter(i.dimension for i in catalogues.get(catalogue_id).indicators)
    return [counts[d] for d in DIMENSIONS]


def test_adult_labour_has_67_indicators_in_the_published_counts():
    catalogue = catalogues.get(ADULT_LABOUR)
    assert len(catalogue.indicators) == 67
    assert per_dimension(ADULT_LABOUR) == [10, 10, 16, 9, 15, 7]
    # In the order of the reference: the six dimensions, interview order.
    assert [d.id for d, _ in catalogue.grouped()] == list(DIMENSIONS)
    assert [len(items) for _, items in catalogue.grouped()] == [10, 10, 16, 9, 15, 7]


def test_adult_labour_strengths_match_the_reference_table():
    catalogue = catalogues.get(ADULT_LABOUR)
    table = Counter((i.dimension, i.strength) for i in catalogue.indicators)
    expected = {
        "deceptive_recruitment": (1, 8, 1),
        "coercive_recruitment": (1, 9, 0),
        "recruitment_abuse_of_vulnerability": (0, 14, 2),
        "exploitative_conditions": (1, 7, 1),
        "coercion_at_destination": (4, 10, 1),
        "abuse_of_vulnerability_at_destination": (0, 5, 2),
    }
    for dimension, (strong, medium, weak) in expected.items():
        assert (
            table[(dimension, "strong")],
            table[(dimension, "medium")],
            table[(dimension, "weak")],
        ) == (strong, medium, weak), dimension
    strong = {i.code for i in catalogue.indicators if i.strength == "strong"}
    assert strong == {
        "al.dr.nature_of_job",
        "al.cr.violence",
        "al.ec.excessive_hours",
        "al.cd.confiscation_of_documents",
        "al.cd.debt_bondage",
        "al.cd.isolation",
        "al.cd.violence",
    }


def test_the_two_uncertain_adult_labour_ratings_are_flagged():
    catalogue = catalogues.get(ADULT_LABOUR)
    unconfirmed = {i.code for i in catalogue.indicators if not i.rating_confirmed}
    assert unconfirmed == {"al.rv.past_difficulties", "al.rv.travel_difficulty"}


@pytest.mark.parametrize(
    ("catalogue_id", "person", "form", "counts"),
    [
        ("ilo-2009-adult-labour", "adult", "labour", [10, 10, 16, 9, 15, 7]),
        ("ilo-2009-adult-sexual", "adult", "sexual", [10, 10, 16, 9, 15, 7]),
        ("ilo-2009-child-labour", "child", "labour", [10, 10, 15, 8, 15, 7]),
        ("ilo-2009-child-sexual", "child", "sexual", [10, 10, 15, 8, 15, 7]),
    ],
)
def test_the_four_lists(catalogue_id, person, form, counts):
    catalogue = catalogues.get(catalogue_id)
    assert (catalogue.person, catalogue.form) == (person, form)
    assert per_dimension(catalogue_id) == counts
    assert catalogue.version
    assert "WCMS_105023" in catalogue.source["citation"]
    assert catalogue.source["ratings_basis"]
    assert catalogue.builtin


@pytest.mark.parametrize("catalogue_id", ALL_IDS)
def test_every_text_is_in_english_russian_and_greek(catalogue_id):
    catalogue = catalogues.get(catalogue_id)
    assert set(catalogue.languages) >= {"en", "ru", "el"}
    assert catalogue.translation_quality["ru"] == "machine"
    assert catalogue.translation_quality["el"] == "machine"
    for indicator in catalogue.indicators:
        for language in ("en", "ru", "el"):
            assert indicator.label[language].strip()
            assert indicator.prompt[language].strip()
        assert indicator.prompt["en"].endswith("?"), indicator.code
        assert indicator.label["ru"] != indicator.label["en"], indicator.code
        assert indicator.label["el"] != indicator.label["en"], indicator.code


@pytest.mark.parametrize("catalogue_id", ALL_IDS)
def test_codes_follow_the_documented_scheme(catalogue_id):
    catalogue = catalogues.get(catalogue_id)
    prefix = {"adult": "a", "child": "c"}[catalogue.person] + catalogue.form[0]
    abbreviations = dict(
        zip(DIMENSIONS, ("dr", "cr", "rv", "ec", "cd", "vd"), strict=True)
    )
    for indicator in catalogue.indicators:
        parts = indicator.code.split(".")
        assert parts[:2] == [prefix, abbreviations[indicator.dimension]]
        assert len(parts) == 3


@pytest.mark.parametrize("catalogue_id", ALL_IDS)
def test_every_unconfirmed_rating_says_why(catalogue_id):
    for indicator in catalogues.get(catalogue_id).indicators:
        if not indicator.rating_confirmed:
            assert len(indicator.rating_note) > 20, indicator.code


def test_children_lists_have_no_weak_tier_and_need_no_means():
    for catalogue_id in ("ilo-2009-child-labour", "ilo-2009-child-sexual"):
        catalogue = catalogues.get(catalogue_id)
        assert {i.strength for i in catalogue.indicators} == {"strong", "medium"}
        assert catalogue.combination_rule.groups == (
            catalogues.RECRUITMENT_DIMENSIONS,
            ("exploitative_conditions",),
        )


@pytest.mark.parametrize(
    ("catalogue_id", "code"),
    [
        ("ilo-2009-adult-sexual", "as.cd.forced_tasks_or_clients"),
        ("ilo-2009-child-sexual", "cs.cd.forced_tasks_or_clients"),
    ],
)
def test_forced_tasks_or_clients_is_strong_in_both_sexual_lists(catalogue_id, code):
    indicator = catalogues.get(catalogue_id).by_code[code]
    assert indicator.strength == "strong"
    assert indicator.rating_confirmed


def test_listing_and_lookup():
    assert [c.id for c in catalogues.all_catalogues()] == sorted(ALL_IDS)
    assert catalogues.get(ADULT_LABOUR) is catalogues.get(ADULT_LABOUR)  # cached
    with pytest.raises(catalogues.UnknownCatalogue, match="no-such-list"):
        catalogues.get("no-such-list")


@pytest.mark.parametrize(
    ("is_child", "form", "expected"),
    [
        (False, "labour", "ilo-2009-adult-labour"),
        (False, "sexual", "ilo-2009-adult-sexual"),
        (True, "labour", "ilo-2009-child-labour"),
        (True, "sexual", "ilo-2009-child-sexual"),
        (False, "begging", "ilo-2009-adult-labour"),
        (True, "criminality", "ilo-2009-child-labour"),
        (True, "unknown", "ilo-2009-child-labour"),
    ],
)
def test_suggest(is_child, form, expected):
    assert catalogues.suggest(is_child, form) == expected


def test_language_falls_back_to_english():
    catalogue = catalogues.get(ADULT_LABOUR)
    assert catalogue.language("ru-RU") == "ru"
    assert catalogue.language("el") == "el"
    assert catalogue.language("de") == "en"
    assert catalogue.language(None) == "en"
