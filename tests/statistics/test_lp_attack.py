"""The attacker's own correctness, on hand-made leaky and safe tables (no
database: the documents are written here, in the API's response shape)."""

from __future__ import annotations

from datetime import date

from tests.statistics.lp_attack import Attack, solve_intervals

MEASURES = ("registered", "referred")
DIRECTORY = {"org-a": ("ngo", "north"), "org-b": ("police_border", "south")}


def _scope(scope: str) -> dict:
    if scope == "national":
        return {"level": "national", "organisation": None}
    return {"level": "organisation", "organisation": scope}


def _table(name: str, rows: list[tuple[str, int, dict]], columns=MEASURES) -> dict:
    return {
        "name": name,
        "columns": [{"key": c, "kind": "count"} for c in columns],
        "rows": [{"key": k, "level": level, "values": v} for k, level, v in rows],
    }


def _document(scope: str, period: str, *tables: dict) -> dict:
    return {
        "period": period,
        "scope": _scope(scope),
        "threshold": 5,
        "tables": list(tables),
    }


def _overview(scope: str, month: str, registered, referred=0) -> dict:
    values = {"registered": registered, "referred": referred}
    return _document(scope, month, _table("overview", [(month, 0, values)]))


def test_a_lone_suppressed_cell_of_a_2x2_table_is_pinned():
    # a b | 12      a suppressed; b, c, d and every total published
    # c d | 20
    cells = {"a": 3, "b": 9, "c": 11, "d": 9}
    lines = [("a", "b"), ("c", "d"), ("a", "c"), ("b", "d")]
    constraints = [
        ({x: 1.0, y: 1.0}, cells[x] + cells[y], cells[x] + cells[y], (x, y))
        for x, y in lines
    ]
    for name in ("b", "c", "d"):
        constraints.append(({name: 1.0}, cells[name], cells[name], (name,)))
    constraints.append(({"a": 1.0}, 1.0, float("inf"), ("a",)))
    for certify in (True, False):
        (bound,), calls = solve_intervals(
            constraints, [{"a": 1.0}], threshold=5, certify=certify
        )
        assert bound == (3.0, 3.0)  # by substitution, before any LP


def test_lower_bounds_of_one_pin_a_fully_suppressed_2x2_table():
    # a b | 2       every cell suppressed (so each is at least 1): a = b = 1,
    # c d | 20      then c = d = 10; only an LP (not substitution) sees it.
    # 11 11
    lines = [(("a", "b"), 2), (("c", "d"), 20), (("a", "c"), 11), (("b", "d"), 11)]
    constraints = [({x: 1.0, y: 1.0}, n, n, (x, y)) for (x, y), n in lines]
    constraints += [({x: 1.0}, 1.0, float("inf"), (x,)) for x in "abcd"]
    targets = [{x: 1.0} for x in "abcd"]
    bounds, calls = solve_intervals(constraints, targets, threshold=5)
    assert bounds == [(1.0, 1.0), (1.0, 1.0), (10.0, 10.0), (10.0, 10.0)]
    assert calls > 0


def test_four_suppressed_cells_with_wide_margins_are_safe():
    lines = [("a", "b"), ("c", "d"), ("a", "c"), ("b", "d")]
    constraints = [({x: 1.0, y: 1.0}, 10.0, 10.0, (x, y)) for x, y in lines]
    constraints += [({x: 1.0}, 1.0, float("inf"), (x,)) for x in "abcd"]
    targets = [{x: 1.0} for x in "abcd"]
    bounds, _calls = solve_intervals(constraints, targets, threshold=5, certify=False)
    assert bounds == [(1.0, 9.0)] * 4  # 9 integers each
    bounds, _calls = solve_intervals(constraints, targets, threshold=5)
    assert all(b == (None, None) for b in bounds)  # certified by feasible points


def test_national_minus_an_organisation_recovers_the_other():
    attack = Attack(year=2025, organisations=DIRECTORY)
    day = date(2025, 2, 1)
    attack.add_report(_overview("national", "2025-01", 12), day=day)
    attack.add_report(_overview("org-a", "2025-01", None), day=day)
    attack.add_report(_overview("org-b", "2025-01", 9), day=day)
    result = attack.run()
    assert [(b.cell, b.low, b.high) for b in result.narrow] == [
        (("org-a", "overview", "2025-01", "registered"), 3.0, 3.0)
    ]
    assert len(result.exact) == 1 and result.suppressed == 1


def test_a_quarter_pins_its_suppressed_month_across_releases():
    attack = Attack(year=2025, organisations=DIRECTORY)
    for month, value in (("2025-01", 20), ("2025-02", None), ("2025-03", 30)):
        attack.add_report(_overview("org-a", month, value), day=date(2025, 4, 1))
    quarter = _table(
        "overview",
        [
            ("2025-01", 2, {"registered": 20, "referred": 0}),
            ("2025-02", 2, {"registered": None, "referred": 0}),
            ("2025-03", 2, {"registered": 30, "referred": 0}),
            ("2025-Q1", 0, {"registered": 52, "referred": 0}),
        ],
    )
    attack.add_report(_document("org-a", "2025-Q1", quarter), day=date(2025, 4, 1))
    result = attack.run()
    assert [(b.cell[2], b.low, b.high) for b in result.exact] == [("2025-02", 2, 2)]


def test_an_age_hierarchy_is_read_from_the_levels():
    # total = child + adult + unknown; child = 0-11 + 12-14; adult = 18-24.
    rows = [
        ("total", 0, {"registered": 30}),
        ("child", 1, {"registered": None}),
        ("0-11", 2, {"registered": None}),
        ("12-14", 2, {"registered": 8}),
        ("adult", 1, {"registered": 20}),
        ("18-24", 2, {"registered": 20}),
        ("unknown", 1, {"registered": 0}),
    ]
    table = _table("by-age-group", rows, columns=("registered",))
    overview = _table(
        "overview", [("2025-Q1", 0, {"registered": 30})], columns=("registered",)
    )
    attack = Attack(year=2025, organisations=DIRECTORY)
    attack.add_report(_document("org-a", "2025-Q1", overview, table))
    result = attack.run()
    # child = 30 - 20 - 0 = 10 and 0-11 = 10 - 8 = 2: both pinned.
    assert sorted((b.cell[2], b.low) for b in result.exact) == [
        ("0-11", 2.0),
        ("child", 10.0),
    ]


def test_safe_suppression_passes_and_changes_are_reported():
    attack = Attack(year=2025, organisations=DIRECTORY)
    for org, value in (("org-a", None), ("org-b", None)):
        attack.add_report(_overview(org, "2025-01", value), day=date(2025, 2, 1))
    attack.add_report(_overview("national", "2025-01", 40), day=date(2025, 2, 1))
    attack.add_report(_overview("national", "2025-01", 41), day=date(2025, 3, 1))
    result = attack.run()
    assert not result.narrow  # 1..39 each
    assert result.changed == [
        (("national", "overview", "2025-01", "registered"), [40, 41])
    ]


def test_a_cell_published_once_and_suppressed_once_is_flipped():
    attack = Attack(year=2025, organisations=DIRECTORY)
    attack.add_report(_overview("org-a", "2025-01", 7), day=date(2025, 2, 1))
    attack.add_report(_overview("org-a", "2025-01", None), day=date(2025, 3, 1))
    result = attack.run()
    assert len(result.flipped) == 1 and not result.narrow


def test_durations_against_the_old_rule_bound_the_count():
    # A duration published for a month's referrals says the count is >= 5, a
    # missing one that it is <= 4: with the quarter, a suppressed month is
    # pinned.
    attack = Attack(year=2025, organisations=DIRECTORY, durations_group_rule=5)
    months = {"2025-01": (None, None), "2025-02": (None, 12.5), "2025-03": (20, 9.0)}
    for month, (referred, median) in months.items():
        overview = _table(
            "overview", [(month, 0, {"referred": referred})], ("referred",)
        )
        durations = {
            "name": "durations",
            "columns": [{"key": "all_median", "kind": "days"}],
            "rows": [
                {
                    "key": "registration_to_referral",
                    "level": 1,
                    "values": {"all_median": median},
                }
            ],
        }
        attack.add_report(_document("org-a", month, overview, durations))
    quarter = _table("overview", [("2025-Q1", 0, {"referred": 29})], ("referred",))
    attack.add_report(_document("org-a", "2025-Q1", quarter))
    result = attack.run()
    # Jan + Feb = 9, Jan in 1..4, Feb >= 5: Jan in 1..4, Feb in 5..8.
    bounds = {b.cell[2]: (b.low, b.high) for b in result.narrow}
    assert bounds == {"2025-01": (1.0, 4.0), "2025-02": (5.0, 8.0)}
    # 12.5 days is not whole; a duration beside a suppressed count.
    problems = {p[0] for p in result.duration_problems}
    assert problems == {
        "not whole days",
        "published beside a suppressed or small count",
    }


def test_the_case_level_export_bounds_the_cells_its_classes_fall_in():
    # female + male = 12, both suppressed: 1..11 each; the export shows 9
    # records of women registered in the quarter, so women are 9..11 and men
    # 1..3.
    rows = [
        ("total", 0, {"registered": 12}),
        ("female", 1, {"registered": None}),
        ("male", 1, {"registered": None}),
        ("other", 1, {"registered": 0}),
        ("unknown", 1, {"registered": 0}),
    ]
    table = _table("by-sex", rows, columns=("registered",))
    overview = _table(
        "overview", [("2025-Q1", 0, {"registered": 12})], columns=("registered",)
    )
    export = {
        "period": "2025",
        "k": 5,
        "records_published": 9,
        "records_dropped": 0,
        "fields": [
            {"name": "RegistrationPeriod", "level": 0},
            {"name": "Gender", "level": 0},
            {"name": "TraffickingStatus", "level": 0},
        ],
        "records": [
            {
                "RegistrationPeriod": "2025-Q1",
                "Gender": "Female",
                "TraffickingStatus": s,
            }
            for s in ["Possible victim of trafficking"] * 5 + ["Not yet determined"] * 4
        ],
    }
    safe = Attack(year=2025, organisations=DIRECTORY)
    safe.add_report(_document("national", "2025-Q1", overview, table))
    assert not safe.run().narrow
    attack = Attack(year=2025, organisations=DIRECTORY)
    attack.add_report(_document("national", "2025-Q1", overview, table))
    attack.add_case_level(export)
    bounds = {b.cell[2]: (b.low, b.high) for b in attack.run().narrow}
    assert bounds == {"female": (9.0, 11.0), "male": (1.0, 3.0)}
