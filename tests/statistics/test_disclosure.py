"""Cell suppression, k-anonymity and periods: pure logic, property-tested."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from referral.statistics.disclosure import (
    TOTAL,
    Dimension,
    Table,
    protect,
    protect_family,
)
from referral.statistics.kanon import ANY, Attribute, plan
from referral.statistics.periods import parse_period, year_dimension
from tests.statistics.attack import recoverable

THRESHOLD = 5
TODAY = date(2027, 2, 10)
TIME = year_dimension(2026, TODAY)  # 12 months, 4 quarters, the year
QUARTERS = year_dimension(2026, TODAY, months=False)
MONTHS = [n for n in TIME.nodes if TIME.is_leaf(n)]

# Small counts, with zeros and ones common: the hard cases.
small_counts = st.integers(min_value=0, max_value=40).map(
    lambda n: n if n < 12 else n * 3
)


def _published_counts(protection):
    table = protection.table
    return [table.value(c) for c in table.cells if not protection.is_suppressed(c)]


def _assert_protected(*named):
    """No published count below the threshold; nothing recoverable."""
    for _name, protection in named:
        assert not [v for v in _published_counts(protection) if 0 < v < THRESHOLD]
    found = recoverable(
        [(name, p.table, p.suppressed) for name, p in named],
        key=lambda name, cell: ("shared", cell) if cell[0] == TOTAL else (name, cell),
    )
    assert not found, sorted(map(str, found))[:5]


@settings(max_examples=60, deadline=None)
@given(st.lists(small_counts, min_size=2, max_size=9))
def test_one_way_table(values):
    codes = [f"c{i}" for i in range(len(values))]
    dimension = Dimension("d", (TOTAL, *codes), {TOTAL: tuple(codes)})
    table = Table([dimension], {(c,): v for c, v in zip(codes, values, strict=True)})
    _assert_protected(("t", protect(table, threshold=THRESHOLD)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_breakdown_by_month_quarter_and_year(data):
    codes = [f"c{i}" for i in range(data.draw(st.integers(2, 5)))]
    dimension = Dimension("d", (TOTAL, *codes), {TOTAL: tuple(codes)})
    leaves = {
        (c, m): data.draw(small_counts, label=f"{c} {m}") for c in codes for m in MONTHS
    }
    table = Table([dimension, TIME], leaves)
    _assert_protected(("t", protect(table, threshold=THRESHOLD)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_linked_tables_share_their_totals(data):
    """A totals table by month, and two breakdowns by quarter sharing its
    quarterly and yearly totals: protected together, nothing recoverable
    from all three at once."""
    parts = {}
    month_totals: Counter = Counter()
    for name in ("a", "b"):
        codes = [f"{name}{i}" for i in range(data.draw(st.integers(2, 4)))]
        dimension = Dimension(name, (TOTAL, *codes), {TOTAL: tuple(codes)})
        leaves = {}
        for m in MONTHS if name == "a" else []:
            for c in codes:
                leaves[(c, m)] = data.draw(small_counts)
                month_totals[m] += leaves[(c, m)]
        parts[name] = (dimension, codes, leaves)
    # Breakdown b splits the same monthly totals another way.
    b_dimension, b_codes, _ = parts["b"]
    b_leaves: Counter = Counter()
    for m in MONTHS:
        remaining = month_totals[m]
        for c in b_codes[:-1]:
            share = data.draw(st.integers(0, remaining))
            b_leaves[(c, m)] += share
            remaining -= share
        b_leaves[(b_codes[-1], m)] += remaining
    base = Table(
        [Dimension(TOTAL, (TOTAL,)), TIME],
        {(TOTAL, m): n for m, n in month_totals.items()},
    )

    def by_quarter(leaves):
        rolled: Counter = Counter()
        for (c, m), n in leaves.items():
            rolled[(c, f"2026-Q{(int(m[5:]) - 1) // 3 + 1}")] += n
        return rolled

    tables = {
        "a": Table([parts["a"][0], QUARTERS], by_quarter(parts["a"][2])),
        "b": Table([b_dimension, QUARTERS], by_quarter(b_leaves)),
    }
    totals, protections = protect_family(base, tables, threshold=THRESHOLD)
    for cell in totals.table.cells:
        for protection in protections.values():
            if cell in protection.table.index:
                assert protection.is_suppressed(cell) == totals.is_suppressed(cell)
    _assert_protected(("base", totals), *protections.items())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=12, max_size=12))
def test_published_months_add_up_to_their_quarter(values):
    """Where a quarter and its three months are all published, the months
    add up to the quarter; and the quarters to the year."""
    table = Table(
        [Dimension(TOTAL, (TOTAL,)), TIME],
        {(TOTAL, m): v for m, v in zip(MONTHS, values, strict=True)},
    )
    protection = protect(table, threshold=THRESHOLD)
    for parent, kids in TIME.children.items():
        published = [protection.published((TOTAL, k)) for k in (parent, *kids)]
        if None not in published:
            assert published[0] == sum(published[1:])


def test_a_lone_small_cell_takes_a_partner_and_the_total_stays():
    dimension = Dimension("d", (TOTAL, "a", "b", "c"), {TOTAL: ("a", "b", "c")})
    table = Table([dimension], {("a",): 3, ("b",): 40, ("c",): 12})
    protection = protect(table, threshold=THRESHOLD)
    assert protection.suppressed == {("a",), ("c",)}
    assert protection.published((TOTAL,)) == 55


def test_two_ones_are_not_left_to_be_guessed():
    """Suppressing 1 and 1 under a published total would tell both (each
    suppressed count is at least 1): a third cell goes too."""
    dimension = Dimension("d", (TOTAL, "a", "b", "c"), {TOTAL: ("a", "b", "c")})
    table = Table([dimension], {("a",): 1, ("b",): 1, ("c",): 30})
    protection = protect(table, threshold=THRESHOLD)
    assert protection.suppressed == {("a",), ("b",), ("c",)}


# --- k-anonymity ----------------------------------------------------------------

_ATTRIBUTES = (
    Attribute("A", (str, lambda v: v[0], lambda v: ANY), ("value", "initial", "*")),
    Attribute("B", (str, lambda v: ANY), ("value", "*")),
    Attribute("C", (str, lambda v: "low" if v < "m" else "high", lambda v: ANY),
              ("value", "half", "*")),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.tuples(
            st.sampled_from(["ab", "ac", "bd", "be", "cf"]),
            st.sampled_from(["x", "y", "z"]),
            st.sampled_from(["a", "f", "n", "q", "z"]),
        ),
        st.integers(1, 30),
        max_size=40,
    ),
    st.integers(2, 15),
)
def test_every_published_combination_is_shared_by_k_records(counts, k):
    result = plan(counts, _ATTRIBUTES, k=k, max_dropped_share=0.05)
    assert all(n >= k for n in result.classes.values())
    assert result.published + result.dropped == sum(counts.values())
    regrouped: Counter = Counter()
    for key, n in counts.items():
        regrouped[
            tuple(
                a.generalise(v, level)
                for a, v, level in zip(_ATTRIBUTES, key, result.levels, strict=True)
            )
        ] += n
    assert {c: n for c, n in regrouped.items() if n >= k} == result.classes
    top = all(
        level == a.top for a, level in zip(_ATTRIBUTES, result.levels, strict=True)
    )
    assert top or result.dropped <= 0.05 * sum(counts.values())


def test_levels_must_nest():
    broken = Attribute("X", (str, lambda v: v[-1], lambda v: v[0]), ("a", "b", "c"))
    with pytest.raises(ValueError, match="nest"):
        plan({("ab",): 3, ("cb",): 3}, (broken,), k=2)


# --- periods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [("2026", "2026"), ("2026-Q4", "2026-Q4"), ("2026-03", "2026-03")],
)
def test_periods_that_have_ended(text, key):
    assert parse_period(text, today=TODAY).key == key


@pytest.mark.parametrize(
    "text",
    [
        "", "26", "2026-13", "2026-00", "2026-Q5", "2026-q1", "2026-3",
        "2026-03-01", "2026-01/2026-02", "1999", "2027", "2027-Q1", "2027-02",
    ],
)  # fmt: skip
def test_bad_or_unfinished_periods_are_refused_with_a_message(text):
    with pytest.raises(InvalidInput) as refused:
        parse_period(text, today=TODAY)
    assert refused.value.message
    assert "period" in refused.value.detail


def test_the_running_year_holds_its_ended_months_and_complete_quarters():
    dimension = year_dimension(2027, date(2027, 5, 3))
    assert dimension.nodes == ("2027-01", "2027-02", "2027-03", "2027-04", "2027-Q1")
    assert dimension.children == {"2027-Q1": ("2027-01", "2027-02", "2027-03")}


def test_the_attacks_find_what_primary_suppression_alone_leaves():
    """The intruder's tools work: with the small cells alone suppressed,
    they recover them."""
    codes = ["a", "b", "c"]
    dimension = Dimension("d", (TOTAL, *codes), {TOTAL: tuple(codes)})
    table = Table(
        [dimension, TIME],
        {
            (c, m): (2 if (c, m) == ("a", MONTHS[0]) else 9)
            for c in codes
            for m in MONTHS
        },
    )
    primary = {c for c, v in zip(table.cells, table.values, strict=True) if 0 < v < 5}
    assert primary == {("a", MONTHS[0])}
    assert recoverable([("t", table, primary)]) == {("t", ("a", MONTHS[0]))}
    chain = {("a", MONTHS[0]), ("b", MONTHS[0]), ("a", MONTHS[1]), ("b", MONTHS[1])}
    assert not recoverable([("t", table, chain)])  # a rectangle holds
    assert recoverable([("t", table, chain - {("b", MONTHS[1])})])
