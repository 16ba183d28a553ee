"""What the engine refuses, and how it says so."""

import json

import pytest

from indicators import catalogue as catalogues
from indicators.assessment import UnknownIndicators, assess
from tests.support.indicators import ADULT_LABOUR


def test_unknown_codes_raise_one_error_that_lists_them_all():
    with pytest.raises(UnknownIndicators) as caught:
        assess(ADULT_LABOUR, ["al.dr.wages", "zz.nope", "cl.dr.education", "zz.nope"])
    assert caught.value.codes == ("cl.dr.education", "zz.nope")
    assert isinstance(caught.value, ValueError)
    assert "cl.dr.education, zz.nope" in str(caught.value)


def test_unknown_catalogue():
    with pytest.raises(catalogues.UnknownCatalogue) as caught:
        assess("no-such-list", [])
    assert isinstance(caught.value, LookupError)
    assert "no-such-list" in str(caught.value)
    assert ADULT_LABOUR in str(caught.value)


def test_a_bare_string_is_not_a_list_of_codes():
    with pytest.raises(TypeError):
        assess(ADULT_LABOUR, "al.dr.wages")


def test_no_indicator_means_no_outcome():
    result = assess(ADULT_LABOUR, [])
    assert result.outcome == "none"
    assert result.codes == ()
    assert "No indicator was recorded." in result.explanation


def test_the_record_is_json_and_carries_the_catalogue_version():
    result = assess(ADULT_LABOUR, ["al.cd.violence", "al.cd.debt_bondage"])
    record = json.loads(json.dumps(result.to_dict()))
    assert record["catalogue_id"] == ADULT_LABOUR
    assert record["catalogue_version"] == catalogues.get(ADULT_LABOUR).version
    assert record["outcome"] == "possible"
    assert record["positive_dimensions"] == ["coercion_at_destination"]
    cd = next(d for d in record["dimensions"] if d["positive"])
    assert cd == {
        "dimension": "coercion_at_destination",
        "positive": True,
        "codes": ["al.cd.debt_bondage", "al.cd.violence"],
        "counts": {"strong": 2, "medium": 0, "weak": 0},
        "clause": {"strong": 2},
    }


def test_the_assessment_is_frozen():
    result = assess(ADULT_LABOUR, [])
    with pytest.raises(AttributeError):
        result.outcome = "presumed"
