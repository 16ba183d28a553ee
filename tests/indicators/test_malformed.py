"""National catalogues from INDICATOR_CATALOGUE_DIRS: a good file is used
as is; a malformed one is refused at load, naming the file and the entry."""

import pytest

from indicators import catalogue as catalogues
from indicators.assessment import assess
from indicators.checks import catalogues_load


def test_a_national_list_is_loaded_without_code_changes(extra_dir, national):
    extra_dir.write(national)
    catalogue = catalogues.get("xx-test-adult-labour")
    assert not catalogue.builtin
    assert [c.id for c in catalogues.all_catalogues()][-1] == "xx-test-adult-labour"
    # A country's own list comes before the built-in one for its person and form.
    assert catalogues.suggest(False, "labour") == "xx-test-adult-labour"
    assert catalogues.suggest(True, "labour") == "ilo-2009-child-labour"
    # No rules in the file: the ILO defaults, restricted to its dimensions.
    assert catalogue.combination_rule.groups == (
        ("deceptive_recruitment",),
        ("exploitative_conditions",),
        ("coercion_at_destination",),
    )
    codes = ["xx.dr.0", "xx.dr.1", "xx.ec.0", "xx.ec.2", "xx.cd.2", "xx.cd.3"]
    assert assess("xx-test-adult-labour", codes).outcome == "possible"
    assert assess("xx-test-adult-labour", [*codes, "xx.cd.0"]).outcome == "presumed"


def test_a_national_list_can_state_its_own_rules(extra_dir, national):
    national["id"] = "xx-strict-adult-begging"
    national["form"] = "begging"
    national["dimension_rule"] = {"clauses": [{"strong": 2}]}
    national["combination_rule"] = {
        "groups": [["deceptive_recruitment", "exploitative_conditions"]],
        "source": "Test rule.",
    }
    extra_dir.write(national)
    assert catalogues.suggest(False, "begging") == "xx-strict-adult-begging"
    # One strong and one medium no longer make a dimension positive here.
    result = assess("xx-strict-adult-begging", ["xx.ec.0", "xx.ec.2"])
    assert result.positive_dimensions == frozenset()
    assert assess("xx-strict-adult-begging", ["xx.ec.0", "xx.ec.1"]).outcome == (
        "presumed"
    )


def _set(path, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


DELETE = object()
A = "indicators[0] (xx.dr.0)"

MALFORMED = [
    # (what, mutation, entry, words in the problem)
    (
        "unknown dimension",
        _set(["indicators", 1, "dimension"], "recruitment"),
        "indicators[1] (xx.dr.1).dimension",
        "unknown dimension 'recruitment'",
    ),
    (
        "dimension the list does not use",
        _set(["indicators", 1, "dimension"], "coercive_recruitment"),
        "indicators[1] (xx.dr.1).dimension",
        "unknown dimension",
    ),
    (
        "unknown strength",
        _set(["indicators", 0, "strength"], "very strong"),
        f"{A}.strength",
        "unknown strength 'very strong'",
    ),
    (
        "duplicate code",
        _set(["indicators", 1, "code"], "xx.dr.0"),
        "indicators[1] (xx.dr.0)",
        "duplicate code",
    ),
    (
        "bad code",
        _set(["indicators", 0, "code"], "XX DR 0"),
        "indicators[0] (XX DR 0).code",
        "lower-case",
    ),
    (
        "missing label language",
        _set(["indicators", 0, "label", "ru"], DELETE),
        f"{A}.label",
        "missing language(s): ru",
    ),
    (
        "missing prompt language",
        _set(["indicators", 0, "prompt", "el"], DELETE),
        f"{A}.prompt",
        "missing language(s): el",
    ),
    (
        "empty label",
        _set(["indicators", 0, "label", "en"], "  "),
        f"{A}.label.en",
        "non-empty string",
    ),
    (
        "undeclared language",
        _set(["indicators", 0, "label", "de"], "Text"),
        f"{A}.label",
        "not declared",
    ),
    (
        "missing dimension label",
        _set(["dimensions", 0, "label", "el"], DELETE),
        "dimensions[0].label",
        "missing language(s): el",
    ),
    (
        "missing title language",
        _set(["title", "ru"], DELETE),
        "title",
        "missing language(s): ru",
    ),
    (
        "required language not declared",
        _set(["languages"], ["en", "ru"]),
        "languages",
        "must include el",
    ),
    (
        "no translation quality",
        _set(["translation_quality", "ru"], DELETE),
        "translation_quality.ru",
        "must be one of",
    ),
    (
        "unconfirmed rating without a note",
        _set(["indicators", 0, "rating_confirmed"], False),
        f"{A}.rating_note",
        "non-empty string",
    ),
    (
        "rating flag not a boolean",
        _set(["indicators", 0, "rating_confirmed"], "yes"),
        f"{A}.rating_confirmed",
        "true or false",
    ),
    (
        "unknown indicator key",
        _set(["indicators", 0, "strenght"], "strong"),
        A,
        "unknown key(s): strenght",
    ),
    (
        "unknown top-level key",
        _set(["indicator"], []),
        "top level",
        "unknown key(s): indicator",
    ),
    (
        "missing top-level key",
        _set(["person"], DELETE),
        "top level",
        "missing key(s): person",
    ),
    ("unknown person", _set(["person"], "minor"), "person", "unknown person"),
    ("bad form", _set(["form"], "Labour!"), "form", "lower case"),
    (
        "no citation",
        _set(["source", "citation"], DELETE),
        "source",
        "missing key(s): citation",
    ),
    (
        "unknown dimension id",
        _set(["dimensions", 0, "id"], "deception"),
        "dimensions[0].id",
        "unknown dimension 'deception'",
    ),
    (
        "repeated dimension",
        _set(["dimensions", 1, "id"], "deceptive_recruitment"),
        "dimensions",
        "repeats a dimension",
    ),
    ("empty list", _set(["indicators"], []), "indicators", "non-empty list"),
    ("wrong format", _set(["format"], 2), "format", "must be 1"),
    (
        "rule: no clauses",
        _set(["dimension_rule"], {"clauses": []}),
        "dimension_rule.clauses",
        "non-empty list",
    ),
    (
        "rule: unknown count",
        _set(["dimension_rule"], {"clauses": [{"strongs": 2}]}),
        "dimension_rule.clauses[0]",
        "unknown count(s): strongs",
    ),
    (
        "rule: zero count",
        _set(["dimension_rule"], {"clauses": [{"medium": 3}, {"strong": 0}]}),
        "dimension_rule.clauses[1].strong",
        "at least 1",
    ),
    (
        "rule: count not a number",
        _set(["dimension_rule"], {"clauses": [{"strong": "2"}]}),
        "dimension_rule.clauses[0].strong",
        "whole number",
    ),
    (
        "rule: empty clause",
        _set(["dimension_rule"], {"clauses": [{}]}),
        "dimension_rule.clauses[0]",
        "non-empty object",
    ),
    (
        "combination: unknown dimension",
        _set(["combination_rule"], {"groups": [["exploitation"]]}),
        "combination_rule.groups[0]",
        "unknown dimension 'exploitation'",
    ),
    (
        "combination: empty group",
        _set(["combination_rule"], {"groups": [["exploitative_conditions"], []]}),
        "combination_rule.groups[1]",
        "non-empty list",
    ),
    (
        "combination: no groups",
        _set(["combination_rule"], {"groups": []}),
        "combination_rule.groups",
        "non-empty list",
    ),
    (
        "combination: unknown key",
        _set(["combination_rule"], {"groups": [["deceptive_recruitment"]], "any": 1}),
        "combination_rule",
        "unknown key(s): any",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "entry", "problem"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_a_malformed_file_names_file_and_entry(
    extra_dir, national, mutate, entry, problem
):
    mutate(national)
    path = extra_dir.write(national, name="xx-test-adult-labour.json")
    with pytest.raises(catalogues.CatalogueError) as caught:
        catalogues.get("ilo-2009-adult-labour")
    error = caught.value
    assert error.path == str(path)
    assert error.entry == entry
    assert problem in error.problem
    assert str(error).startswith(f"{path}: {entry}: ")


def test_invalid_json_names_the_line(extra_dir):
    path = extra_dir.write('{"format": 1,\n "id": }', name="xx-broken.json")
    with pytest.raises(catalogues.CatalogueError) as caught:
        catalogues.registry()
    assert caught.value.path == str(path)
    assert caught.value.entry == "line 2 column 8"
    assert "not valid JSON" in str(caught.value)


def test_the_id_must_match_the_file_name(extra_dir, national):
    path = extra_dir.write(national, name="xx-other-name.json")
    with pytest.raises(catalogues.CatalogueError) as caught:
        catalogues.registry()
    assert (caught.value.path, caught.value.entry) == (str(path), "id")
    assert "file name" in caught.value.problem


def test_an_id_may_not_repeat_a_built_in_one(extra_dir, national):
    national["id"] = "ilo-2009-adult-labour"
    path = extra_dir.write(national)
    with pytest.raises(catalogues.CatalogueError) as caught:
        catalogues.registry()
    assert (caught.value.path, caught.value.entry) == (str(path), "id")
    assert "duplicate catalogue id" in caught.value.problem
    assert "indicators/catalogues/ilo-2009-adult-labour.json" in caught.value.problem


def test_a_missing_directory_is_named(settings, tmp_path):
    missing = tmp_path / "nowhere"
    settings.INDICATOR_CATALOGUE_DIRS = [str(missing)]
    with pytest.raises(catalogues.CatalogueError) as caught:
        catalogues.registry()
    assert (caught.value.path, caught.value.entry) == (str(missing), "directory")


def test_the_system_check_reports_a_malformed_file(extra_dir, national):
    national["indicators"][0]["strength"] = "strongest"
    path = extra_dir.write(national)
    errors = catalogues_load()
    assert [e.id for e in errors] == ["indicators.E001"]
    assert str(path) in errors[0].msg
    assert "indicators[0] (xx.dr.0).strength" in errors[0].msg


def test_the_system_check_passes_for_the_built_in_lists(settings):
    settings.INDICATOR_CATALOGUE_DIRS = []
    assert catalogues_load() == []
