"""Property tests of the assessment engine (hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from indicators import catalogue as catalogues
from indicators.assessment import Outcome, assess
from indicators.catalogue import Clause, DimensionRule
from tests.support.indicators import ALL_IDS


@st.composite
def answers(draw, extra=False):
    """A catalogue id and a list of its codes (repeats allowed); with
    extra=True also one more code of the same catalogue."""
    catalogue_id = draw(st.sampled_from(ALL_IDS))
    codes = [i.code for i in catalogues.get(catalogue_id).indicators]
    chosen = draw(st.lists(st.sampled_from(codes), max_size=40))
    if extra:
        return catalogue_id, chosen, draw(st.sampled_from(codes))
    return catalogue_id, chosen


@given(answers(extra=True))
def test_adding_an_indicator_never_lowers_the_outcome(data):
    catalogue_id, codes, one_more = data
    before = assess(catalogue_id, codes)
    after = assess(catalogue_id, [*codes, one_more])
    assert after.outcome.rank >= before.outcome.rank
    assert after.positive_dimensions >= before.positive_dimensions


@given(answers(), st.randoms(use_true_random=False), st.integers(0, 3))
def test_order_and_repeats_do_not_matter(data, rnd, repeats):
    catalogue_id, codes = data
    shuffled = codes + codes[:repeats] * repeats
    rnd.shuffle(shuffled)
    first, second = assess(catalogue_id, codes), assess(catalogue_id, shuffled)
    assert first == second
    assert first.to_dict() == second.to_dict()


@given(answers())
def test_none_exactly_when_nothing_positive_and_nothing_strong(data):
    catalogue_id, codes = data
    catalogue = catalogues.get(catalogue_id)
    result = assess(catalogue_id, codes)
    any_strong = any(catalogue.by_code[c].strength == "strong" for c in codes)
    assert (result.outcome == Outcome.NONE) == (
        not result.positive_dimensions and not any_strong
    )


@given(answers())
def test_presumed_exactly_when_every_group_has_a_positive_dimension(data):
    catalogue_id, codes = data
    catalogue = catalogues.get(catalogue_id)
    result = assess(catalogue_id, codes)
    met = all(
        result.positive_dimensions & set(group)
        for group in catalogue.combination_rule.groups
    )
    assert (result.outcome == Outcome.PRESUMED) == met


@given(answers())
def test_explanation_and_record_cover_every_positive_dimension(data):
    catalogue_id, codes = data
    catalogue = catalogues.get(catalogue_id)
    result = assess(catalogue_id, codes)
    record = result.to_dict()
    assert set(record["positive_dimensions"]) == result.positive_dimensions
    assert sorted(record["codes"]) == sorted(set(codes))
    for dimension in result.positive_dimensions:
        assert f"{catalogue.dimension(dimension).label['en']}: positive" in (
            result.explanation
        )


@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 12))
def test_the_default_dimension_rule_is_the_ilo_rule(strong, medium, weak):
    rule = DimensionRule(
        clauses=tuple(Clause(**c) for c in catalogues.DEFAULT_DIMENSION_CLAUSES)
    )
    ilo = (
        strong >= 2
        or (strong >= 1 and medium + weak >= 1)
        or medium >= 3
        or (medium >= 2 and weak >= 1)
    )
    assert (rule.first_met(strong, medium, weak) is not None) is ilo
