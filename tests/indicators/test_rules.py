"""Table tests: each clause of the dimension rule and of both combination
rules, at its boundaries, through the real catalogues."""

import pytest

from indicators import catalogue as catalogues
from indicators.assessment import assess
from indicators.catalogue import Clause, DimensionRule
from tests.support.indicators import ADULT_LABOUR, CHILD_LABOUR, make_positive, pick

DEFAULT = DimensionRule(
    clauses=tuple(Clause(**c) for c in catalogues.DEFAULT_DIMENSION_CLAUSES)
)

# (strong, medium, weak) in one dimension -> positive, and the clause that holds.
DIMENSION_TABLE = [
    # Two strong.
    ((2, 0, 0), True, {"strong": 2}),
    ((1, 0, 0), False, None),
    # One strong and one medium or weak.
    ((1, 1, 0), True, {"strong": 1, "medium_or_weak": 1}),
    ((1, 0, 1), True, {"strong": 1, "medium_or_weak": 1}),
    # Three medium.
    ((0, 3, 0), True, {"medium": 3}),
    ((0, 2, 0), False, None),
    # Two medium and one weak.
    ((0, 2, 1), True, {"medium": 2, "weak": 1}),
    ((0, 1, 1), False, None),
    ((0, 1, 2), False, None),
    # Weak alone, never.
    ((0, 0, 1), False, None),
    ((0, 0, 0), False, None),
]


@pytest.mark.parametrize(("counts", "positive", "clause"), DIMENSION_TABLE)
def test_dimension_rule_in_coercion_at_destination(counts, positive, clause):
    strong, medium, weak = counts
    # Abuse of vulnerability at recruitment has two weak indicators, coercion
    # at destination four strong: between them every row can be built.
    dimension = (
        "recruitment_abuse_of_vulnerability" if weak > 1 else "coercion_at_destination"
    )
    codes = pick(ADULT_LABOUR, dimension, strong=strong, medium=medium, weak=weak)
    result = assess(ADULT_LABOUR, codes)
    assert (dimension in result.positive_dimensions) is positive
    row = next(r for r in result.dimensions if r.dimension == dimension)
    assert (row.strong, row.medium, row.weak) == counts
    assert (row.clause.as_dict() if row.clause else None) == clause


@pytest.mark.parametrize(("counts", "positive", "clause"), DIMENSION_TABLE)
def test_dimension_rule_as_data(counts, positive, clause):
    met = DEFAULT.first_met(*counts)
    assert (met is not None) is positive
    assert (met.as_dict() if met else None) == clause


@pytest.mark.parametrize("weak", [1, 2, 3, 10, 1000])
def test_weak_indicators_alone_never_make_a_dimension_positive(weak):
    assert DEFAULT.first_met(0, 0, weak) is None


def test_all_weak_indicators_of_a_list_give_no_outcome():
    weak = [
        i.code for i in catalogues.get(ADULT_LABOUR).indicators if i.strength == "weak"
    ]
    assert len(weak) == 7
    result = assess(ADULT_LABOUR, weak)
    assert result.positive_dimensions == frozenset()
    assert result.outcome == "none"


def test_one_strong_alone_is_not_positive_but_possible():
    result = assess(ADULT_LABOUR, ["al.dr.nature_of_job"])
    assert result.positive_dimensions == frozenset()
    assert result.outcome == "possible"
    assert result.strong_codes == ("al.dr.nature_of_job",)
    assert "strong indicator is present" in result.explanation


def test_two_medium_is_not_positive_and_gives_no_outcome():
    codes = pick(ADULT_LABOUR, "coercive_recruitment", medium=2)
    result = assess(ADULT_LABOUR, codes)
    assert result.positive_dimensions == frozenset()
    assert result.outcome == "none"


def test_one_positive_dimension_alone_is_possible():
    codes = pick(ADULT_LABOUR, "coercive_recruitment", medium=3)
    result = assess(ADULT_LABOUR, codes)
    assert result.positive_dimensions == {"coercive_recruitment"}
    assert result.outcome == "possible"


@pytest.mark.parametrize(
    ("medium", "medium_or_weak", "counts", "met"),
    [
        (1, 1, (0, 1, 0), False),  # one medium cannot count twice
        (1, 1, (0, 2, 0), True),
        (1, 1, (0, 1, 1), True),
        (0, 2, (0, 0, 2), True),
    ],
)
def test_medium_or_weak_counts_what_is_left_over(medium, medium_or_weak, counts, met):
    clause = Clause(medium=medium, medium_or_weak=medium_or_weak)
    assert clause.is_met(*counts) is met


DR, CR, RV, EC, CD, VD = catalogues.DIMENSIONS

ADULT_TABLE = [
    ({DR, EC, CD}, "presumed"),
    ({CR, EC, VD}, "presumed"),
    ({RV, EC, CD}, "presumed"),
    ({DR, CR, RV, EC, CD, VD}, "presumed"),
    ({DR, EC}, "possible"),  # no means at destination
    ({DR, CD, VD}, "possible"),  # no exploitation
    ({EC, CD, VD}, "possible"),  # no recruitment
    ({DR, CR, RV, CD, VD}, "possible"),
    (set(), "none"),
]
CHILD_TABLE = [
    ({DR, EC}, "presumed"),
    ({CR, EC}, "presumed"),
    ({RV, EC}, "presumed"),  # no means needed for a child
    ({EC, CD, VD}, "possible"),  # no recruitment
    ({DR, CR, RV, CD, VD}, "possible"),  # no exploitation
    (set(), "none"),
]


@pytest.mark.parametrize(
    ("catalogue_id", "positive", "outcome"),
    [(ADULT_LABOUR, p, o) for p, o in ADULT_TABLE]
    + [("ilo-2009-adult-sexual", p, o) for p, o in ADULT_TABLE]
    + [(CHILD_LABOUR, p, o) for p, o in CHILD_TABLE]
    + [("ilo-2009-child-sexual", p, o) for p, o in CHILD_TABLE],
)
def test_combination_rules(catalogue_id, positive, outcome):
    codes = [c for d in sorted(positive) for c in make_positive(catalogue_id, d)]
    result = assess(catalogue_id, codes)
    assert result.positive_dimensions == positive
    assert result.outcome == outcome
    assert result.combination_met is (outcome == "presumed")


def test_explanation_names_the_indicators_that_made_each_dimension_positive():
    codes = ["al.dr.nature_of_job", "al.dr.wages", "al.ec.excessive_hours"]
    codes += ["al.ec.low_or_no_salary", "al.cd.violence", "al.cd.debt_bondage"]
    result = assess(ADULT_LABOUR, codes)
    assert result.outcome == "presumed"
    text = result.explanation
    assert "Outcome: presumed." in text
    assert "Combination rule met" in text
    assert (
        "Deceptive recruitment (including transfer and transport): positive "
        "(1 strong + 1 medium or weak): al.dr.nature_of_job (strong), "
        "al.dr.wages (medium)."
    ) in text
    assert "Coercion at destination: positive (2 strong)" in text
