"""The suite's independent attacker: one linear program over everything a
year's downloads published, solved with HiGHS through scipy's `linprog`.

Written from the published definitions (`referral/statistics/definitions.py`,
the API's documented response shape) and the public directory, never from the
engine's code: nothing here imports `referral.statistics`. The engine protects
with the highspy API; this solves with `scipy.optimize.linprog`, so the two
share no code beyond the HiGHS library itself.

The model
    The attacker reasons about hidden true counts ("latents"), one per
    registering organisation and calendar unit (a month for the totals; a
    month or a quarter for the breakdowns, whichever is the finest period any
    download published that table for) and per leaf category. Every published
    cell is a sum of latents:

    - overview (scope s, row = a month, quarter or year, measure m):
      the sum over the organisations of s and the months of the row;
    - a breakdown (sex, age group, citizenship, form of exploitation,
      reception stage): the sum over the organisations of s, the units of the
      period and the leaves under the row (the rows' `level` gives the
      hierarchy: age total = child + adult + unknown, child = its bands...);
      every organisation's breakdown leaves of a unit add up to its total of
      that unit (so each breakdown's `total` row equals the overview);
    - citizenship: one latent per code ever shown on its own in any download,
      plus unknown, stateless and the codes never shown ("rest"); "other" is
      the sum of the codes not shown in that download (display groups may
      differ between scopes and days; a cell "other" is named with its
      display group);
    - organisation kind and region: at any scope, the row of kind K is the
      total of the scope's organisations of kind K (the directory is public);
    - declines by reason (total = sum of reasons) and deadline compliance
      (met = on time + late), with latents of their own;
    - national = sum over every organisation of the directory, whether or not
      any of its releases was downloaded (an organisation never downloaded
      contributes unconstrained non-negative latents).

    Published cells are equalities, suppressed cells are ">= 1" (zeros are
    published). Durations: whole days, published only where the count cell is
    published and at least twice the threshold - checked, not modelled; an
    engine that publishes a duration whenever the group reaches the threshold
    (`durations_group_rule=threshold`) leaks, and the attacker then uses it:
    the registration-to-referral group of everybody is the `referred` count,
    so a published duration means that count is >= the threshold, a missing
    one that it is below. The case-level export gives lower bounds: the
    records of one registration period with one determinable value of one
    attribute are at most the registered cases of that cell, and all the
    records of a period at most its registrations.

    For every suppressed cell (deduplicated by its expression), HiGHS finds
    the minimum and the maximum; the cell fails when ceil(min)..floor(max)
    holds fewer integers than the threshold. To keep this fast, the problem
    is split into independent components and a few feasible points (found by
    pushing all the component's suppressed cells down, then up) certify most
    cells wide before any cell gets its own pair of LPs.

Usage
    attack = Attack(year=2025, organisations={id: (kind, region), ...})
    attack.add_report(json_document, day=date(...))    # every download
    attack.add_case_level(json_document, day=date(...))
    result = attack.run()
    result.narrow  # [Bound], cells whose interval is too narrow
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

__all__ = ["Attack", "Bound", "Result", "solve_intervals"]

NATIONAL = "national"
CAP = 10**6
"""An upper bound on every latent: far above any count, so it narrows
nothing, and it keeps every objective bounded."""
EPS = 1e-6

MEASURES = (
    "registered",
    "screened",
    "referred",
    "presumed_victim",
    "recognised",
    "not_identified",
    "transferred",
)
"""The published measures (definitions.py), named as the API's columns."""
BREAKDOWNS = {
    "by-sex",
    "by-age-group",
    "by-citizenship",
    "by-exploitation-form",
    "by-reception-stage",
}
DIRECTORY_BREAKDOWNS = {"by-organisation-kind": 0, "by-region": 1}
SPECIAL_CITIZENSHIP = {"total", "other", "stateless", "unknown"}
REST = "~rest"  # the codes never shown on their own anywhere
COMPLIANCE_PARTS = ("on_time", "late")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def months_of(period: str) -> tuple[int, tuple[int, ...]]:
    """(year, months) of a period key: 2025, 2025-Q2 or 2025-04."""
    if m := _MONTH.match(period):
        return int(m.group(1)), (int(m.group(2)),)
    if m := _QUARTER.match(period):
        q = int(m.group(2))
        return int(m.group(1)), tuple(range(3 * q - 2, 3 * q + 1))
    if m := _YEAR.match(period):
        return int(m.group(1)), tuple(range(1, 13))
    raise ValueError(f"not a period: {period!r}")


def duration_measure(interval: str) -> str | None:
    """The measure counting a duration's group: the later milestone of the
    interval (registration_to_referral: referred; referral_to_<measure>)."""
    if interval == "registration_to_referral":
        return "referred"
    later = interval.removeprefix("referral_to_")
    if later != interval and later in MEASURES:
        return later
    return None


def units_of(period: str, monthly: bool) -> tuple[int | str, ...]:
    _year, months = months_of(period)
    if monthly:
        return months
    if len(months) == 1:
        raise ValueError(f"{period} is finer than the quarterly latents")
    return tuple(f"Q{q}" for q in sorted({(mo - 1) // 3 + 1 for mo in months}))


def unit_months(unit: int | str) -> tuple[int, ...]:
    if isinstance(unit, int):
        return (unit,)
    q = int(unit[1:])
    return tuple(range(3 * q - 2, 3 * q + 1))


def tree(rows: list[dict]) -> dict[str, list[str]]:
    """Row key -> its direct children, from the rows' order and `level`."""
    children: dict[str, list[str]] = {r["key"]: [] for r in rows}
    stack: list[tuple[int, str]] = []
    for row in rows:
        while stack and stack[-1][0] >= row["level"]:
            stack.pop()
        if stack:
            children[stack[-1][1]].append(row["key"])
        stack.append((row["level"], row["key"]))
    return children


def leaves_under(children: Mapping[str, list[str]], key: str) -> list[str]:
    if not children.get(key):
        return [key]
    out: list[str] = []
    for child in children[key]:
        out.extend(leaves_under(children, child))
    return out


Expr = dict[Hashable, float]


@dataclass(frozen=True)
class Bound:
    """A suppressed cell and what linear programming derives for it."""

    cell: tuple
    low: float
    high: float

    @property
    def integers(self) -> int:
        return max(0, math.floor(self.high + EPS) - math.ceil(self.low - EPS) + 1)

    @property
    def exact(self) -> bool:
        return self.integers <= 1


@dataclass
class Result:
    threshold: int
    published: int = 0
    suppressed: int = 0
    targets: int = 0  # distinct suppressed expressions solved
    narrow: list[Bound] = field(default_factory=list)
    changed: list[tuple] = field(default_factory=list)  # (cell, values)
    flipped: list[tuple] = field(default_factory=list)  # published and suppressed
    small: list[tuple] = field(default_factory=list)  # counts 1..threshold-1
    display_groups_changed: list[tuple] = field(default_factory=list)
    duration_problems: list[tuple] = field(default_factory=list)
    share_problems: list[tuple] = field(default_factory=list)
    export_problems: list[tuple] = field(default_factory=list)
    lp_calls: int = 0

    @property
    def exact(self) -> list[Bound]:
        return [b for b in self.narrow if b.exact]

    def summary(self) -> dict:
        return {
            "threshold": self.threshold,
            "published": self.published,
            "suppressed": self.suppressed,
            "targets": self.targets,
            "narrow": len(self.narrow),
            "exact": len(self.exact),
            "changed": len(self.changed),
            "flipped": len(self.flipped),
            "small": len(self.small),
            "display_groups_changed": len(self.display_groups_changed),
            "duration_problems": len(self.duration_problems),
            "share_problems": len(self.share_problems),
            "export_problems": len(self.export_problems),
            "lp_calls": self.lp_calls,
        }


class Infeasible(AssertionError):
    """What was published contradicts the model: the encoding (or the engine's
    arithmetic) is wrong."""


class Attack:
    def __init__(
        self,
        *,
        year: int,
        organisations: Mapping[str, tuple[str, str]],
        durations_group_rule: int | None = None,
    ):
        """`organisations`: the public directory, id -> (kind, region).
        `durations_group_rule`: for an engine whose rule publishes a duration
        exactly when its group has at least this many cases (today's engine:
        the threshold), the attacker uses it; None (the rule of issue 11:
        only where the count cell is published) adds nothing to the model."""
        self.year = year
        self.organisations = {str(k): v for k, v in organisations.items()}
        self.durations_group_rule = durations_group_rule
        self.threshold: int | None = None
        # cell -> [(day, value or None)]
        self.seen: dict[tuple, list[tuple[date | None, float | None]]] = defaultdict(
            list
        )
        # cell -> how to build its expression (kept until every display group
        # is known)
        self.recipe: dict[tuple, tuple] = {}
        self.trees: dict[str, dict[str, list[str]]] = {}
        self.monthly_tables: set[str] = set()
        self.codes: set[str] = set()  # citizenships ever shown on their own
        self.display: dict[str, set[frozenset]] = defaultdict(set)
        self.durations: list[tuple] = []  # (scope, period, row, column, value, day)
        self.shares: list[tuple] = []
        self.exports: list[tuple[date | None, dict]] = []

    # --- Reading downloads ---------------------------------------------------

    def _scope(self, document: dict) -> str:
        scope = document["scope"]
        if scope["level"] == NATIONAL:
            return NATIONAL
        return str(scope["organisation"])

    def _orgs(self, scope: str) -> list[str]:
        return list(self.organisations) if scope == NATIONAL else [scope]

    def add_report(self, document: dict, *, day: date | None = None) -> None:
        period = document["period"]
        year, _months = months_of(period)
        if year != self.year:
            return
        threshold = int(document["threshold"])
        if self.threshold is None:
            self.threshold = threshold
        assert threshold == self.threshold, "the threshold changed within a year"
        scope = self._scope(document)
        if scope != NATIONAL:
            assert scope in self.organisations, "an organisation outside the directory"
        is_month = _MONTH.match(period) is not None
        for table in document["tables"]:
            name = table["name"]
            rows = table["rows"]
            counts = [c["key"] for c in table["columns"] if c["kind"] == "count"]
            if name == "durations":
                for row in rows:
                    for column, value in row["values"].items():
                        self.durations.append(
                            (scope, period, row["key"], column, value, day)
                        )
                continue
            if is_month and name != "overview":
                self.monthly_tables.add(name)
            children = tree(rows)
            display = None
            if name == "by-citizenship":
                shown = frozenset(r["key"] for r in rows) - SPECIAL_CITIZENSHIP
                self.codes |= shown
                self.display[scope].add(shown)
                display = shown
            elif name in BREAKDOWNS or name == "referrals-declined":
                self.trees.setdefault(name, {})
                for key, kids in children.items():
                    known = self.trees[name].setdefault(key, kids)
                    assert known == kids, f"the hierarchy of {name} changed"
            for row in rows:
                key = row["key"]
                for column in counts:
                    value = row["values"].get(column)
                    if name == "overview":
                        cell = (scope, name, key, column)
                        recipe = ("overview", scope, key, column)
                    elif name == "deadline-compliance":
                        cell = (scope, name, key, column, period)
                        recipe = ("compliance", scope, key, column, period)
                    elif name in DIRECTORY_BREAKDOWNS:
                        cell = (scope, name, key, column, period)
                        recipe = ("directory", scope, name, key, column, period)
                    elif name == "by-citizenship":
                        row_name = key
                        if key == "other":
                            row_name = "other[" + ",".join(sorted(display)) + "]"
                        cell = (scope, name, row_name, column, period)
                        recipe = ("citizenship", scope, key, column, period, display)
                    elif name in BREAKDOWNS or name == "referrals-declined":
                        cell = (scope, name, key, column, period)
                        recipe = ("breakdown", scope, name, key, column, period)
                    else:
                        raise AssertionError(f"an unknown table: {name}")
                    self.seen[cell].append((day, value))
                    self.recipe[cell] = recipe
                if name == "deadline-compliance":
                    share = row["values"].get("share_on_time")
                    self.shares.append((scope, period, key, row["values"], share))

    def add_case_level(self, document: dict, *, day: date | None = None) -> None:
        if str(document["period"]) != str(self.year):
            return
        self.exports.append((day, document))

    # --- Expressions ---------------------------------------------------------

    def _total(self, org: str, measure: str, months: Iterable[int]) -> Expr:
        return {("T", org, measure, mo): 1.0 for mo in months}

    def _family_units(self, table: str, period: str) -> tuple:
        return units_of(period, table in self.monthly_tables)

    def _leaf_var(self, org, table, column, leaf, unit):
        self._families[(org, table, column, unit)] = None
        return ("B", org, table, column, leaf, unit)

    def expression(self, recipe: tuple) -> Expr:
        kind = recipe[0]
        expr: Expr = {}
        if kind == "overview":
            _k, scope, key, column = recipe
            _y, months = months_of(key)
            for org in self._orgs(scope):
                expr.update(self._total(org, column, months))
        elif kind == "directory":
            _k, scope, table, key, column, period = recipe
            _y, months = months_of(period)
            position = DIRECTORY_BREAKDOWNS[table]
            wanted = key.removesuffix(" (region)")
            for org in self._orgs(scope):
                if key == "total" or self.organisations[org][position] == wanted:
                    expr.update(self._total(org, column, months))
        elif kind == "breakdown":
            _k, scope, table, key, column, period = recipe
            leaves = leaves_under(self.trees[table], key)
            for org in self._orgs(scope):
                for unit in self._family_units(table, period):
                    for leaf in leaves:
                        expr[self._leaf_var(org, table, column, leaf, unit)] = 1.0
        elif kind == "citizenship":
            _k, scope, key, column, period, display = recipe
            if key == "total":
                leaves = self._citizenship_leaves()
            elif key == "other":
                leaves = [c for c in sorted(self.codes) if c not in display] + [REST]
            else:
                leaves = [key]
            for org in self._orgs(scope):
                for unit in self._family_units("by-citizenship", period):
                    for leaf in leaves:
                        expr[
                            self._leaf_var(org, "by-citizenship", column, leaf, unit)
                        ] = 1.0
        elif kind == "citizen-leaf":  # one citizenship, national, from the export
            _k, leaf, column, period = recipe
            for org in self.organisations:
                for unit in self._family_units("by-citizenship", period):
                    expr[self._leaf_var(org, "by-citizenship", column, leaf, unit)] = (
                        1.0
                    )
        elif kind == "compliance":
            _k, scope, key, column, period = recipe
            parts = COMPLIANCE_PARTS if column == "met" else (column,)
            for org in self._orgs(scope):
                for unit in self._family_units("deadline-compliance", period):
                    for part in parts:
                        expr[("C", org, key, part, unit)] = 1.0
        else:
            raise AssertionError(kind)
        return expr

    def _citizenship_leaves(self) -> list[str]:
        return [*sorted(self.codes), REST, "stateless", "unknown"]

    def _all_leaves(self, table: str) -> list[str]:
        if table == "by-citizenship":
            return self._citizenship_leaves()
        return leaves_under(self.trees[table], "total")

    # --- The program ---------------------------------------------------------

    def run(self, *, certify: bool = True) -> Result:
        assert self.threshold is not None, "nothing was downloaded for the year"
        t = self.threshold
        result = Result(threshold=t)
        self._families: dict[tuple, None] = {}
        constraints: list[tuple[Expr, float, float, tuple]] = []
        targets: dict[frozenset, tuple[Expr, list[tuple]]] = {}
        published_value: dict[tuple, float] = {}

        for cell, history in sorted(self.seen.items(), key=lambda kv: str(kv[0])):
            values = {v for _d, v in history if v is not None}
            if len(values) > 1:
                result.changed.append((cell, sorted(values)))
            if values and any(v is None for _d, v in history):
                result.flipped.append((cell, history))
            for v in values:
                assert v >= 0 and float(v).is_integer(), f"a count is not whole: {cell}"
                if 0 < v < t:
                    result.small.append((cell, v))
            expr = self.expression(self.recipe[cell])
            if values:
                result.published += 1
                # A cell published with two values contradicts itself: keep the
                # first, the change is reported.
                value = next(v for _d, v in history if v is not None)
                published_value[cell] = value
                if not expr:
                    if value != 0:
                        raise Infeasible(f"a non-zero cell of nobody: {cell}")
                    continue
                constraints.append((expr, value, value, cell))
            else:
                result.suppressed += 1
                if not expr:
                    raise Infeasible(f"a suppressed cell of nobody: {cell}")
                frozen = frozenset(expr.items())
                targets.setdefault(frozen, (expr, []))[1].append(cell)
                constraints.append((expr, 1.0, math.inf, cell))

        for scope, groups in self.display.items():
            if len(groups) > 1:
                result.display_groups_changed.append((scope, len(groups)))

        self._durations(result, constraints, published_value)
        self._shares(result)
        self._case_level(result, constraints, published_value)

        # Every organisation's breakdown of a unit adds up to its total.
        for org, table, column, unit in list(self._families):
            expr: Expr = {}
            for leaf in self._all_leaves(table):
                expr[self._leaf_var(org, table, column, leaf, unit)] = 1.0
            if table in ("referrals-declined", "deadline-compliance"):
                continue  # no published total of their own beside the table
            for var in self._total(org, column, unit_months(unit)):
                expr[var] = -1.0
            constraints.append((expr, 0.0, 0.0, ("sum", org, table, column, unit)))

        result.targets = len(targets)
        bounds, calls = solve_intervals(
            constraints,
            [e for e, _c in targets.values()],
            threshold=t,
            certify=certify,
        )
        result.lp_calls = calls
        for (_expr, cells), (low, high) in zip(targets.values(), bounds, strict=True):
            if low is None:
                continue  # certified wide
            for cell in cells:
                bound = Bound(cell, low, high)
                if bound.integers < t:
                    result.narrow.append(bound)
        return result

    def _durations(self, result, constraints, published_value) -> None:
        t = self.threshold
        seen_groups: dict[tuple, list] = defaultdict(list)
        for scope, period, row, column, value, day in self.durations:
            if value is not None and not float(value).is_integer():
                result.duration_problems.append(
                    ("not whole days", scope, period, row, column, day)
                )
            group = column.rsplit("_", 1)[0]
            seen_groups[(scope, period, row, group)].append(value)
        for (scope, period, row, group), values in sorted(seen_groups.items()):
            published = any(v is not None for v in values)
            measure = duration_measure(row)
            if measure is None:
                if published:
                    result.duration_problems.append(
                        ("an interval without a count", scope, period, row)
                    )
                continue
            # The group: the cases reaching the later milestone in the period
            # (of the group's age, for children and adults).
            if group == "all":
                recipe = ("overview", scope, period, measure)
                count_cell = (scope, "overview", period, measure)
            else:
                recipe = ("breakdown", scope, "by-age-group", group, measure, period)
                count_cell = (scope, "by-age-group", group, measure, period)
            count = published_value.get(count_cell)
            if published and (count is None or count < 2 * t):
                result.duration_problems.append(
                    ("published beside a suppressed or small count", *count_cell)
                )
            if self.durations_group_rule is not None and group == "all":
                # Today's engine: published exactly when the group reaches the
                # rule (the age groups are the person's, not the age bands': not
                # used).
                expr = self.expression(recipe)
                rule = self.durations_group_rule
                if published:
                    constraints.append((expr, rule, math.inf, ("dur", *count_cell)))
                else:
                    constraints.append((expr, 0.0, rule - 1, ("dur", *count_cell)))

    def _shares(self, result) -> None:
        for scope, period, key, values, share in self.shares:
            counts = [values.get(c) for c in ("on_time", "late", "met")]
            if share is not None and None in counts:
                result.share_problems.append((scope, period, key))

    def _case_level(self, result, constraints, published_value) -> None:
        """Lower bounds from the records (national scope, `registered`)."""
        for day, document in self.exports:
            fields = {f["name"]: f["level"] for f in document["fields"]}
            records = document["records"]
            total = document["records_published"] + document["records_dropped"]
            if len(records) != document["records_published"]:
                result.export_problems.append(("record count", day))
            year_total = published_value.get(
                (NATIONAL, "overview", str(self.year), "registered")
            )
            if year_total is not None and year_total != total:
                result.export_problems.append(("published + dropped != total", day))
            counted: dict[tuple, int] = defaultdict(int)
            for record in records:
                period = record.get("RegistrationPeriod", "*")
                periods = [str(self.year)]
                if _QUARTER.match(str(period)):
                    periods.append(period)
                for p in periods:  # every record is a registration of its period
                    counted[("overview", NATIONAL, p, "registered")] += 1
                for recipe_of in self._record_cells(fields, record):
                    for p in periods:
                        recipe = recipe_of(p)
                        if recipe is not None:
                            counted[recipe] += 1
            for recipe, n in counted.items():
                expr = self.expression(recipe)
                constraints.append((expr, float(n), math.inf, ("export", recipe)))

    def _record_cells(self, fields: Mapping[str, int], record: Mapping[str, str]):
        """For each attribute whose published value names one row: a function
        period -> the recipe of the cell that contains the record."""
        m = "registered"
        out = []

        def breakdown(table: str, key: str):
            if table in self.trees and key in self.trees[table]:
                out.append(lambda p: ("breakdown", NATIONAL, table, key, m, p))

        gender = record.get("Gender")
        if fields.get("Gender") == 0 and gender:
            breakdown("by-sex", gender.lower())
        age = record.get("AgeGroup")
        if age and fields.get("AgeGroup") == 0:
            breakdown("by-age-group", age)
        elif age and fields.get("AgeGroup") == 1:
            breakdown("by-age-group", age.lower())
        form = record.get("TypeOfExploitation")
        if form and fields.get("TypeOfExploitation") == 0:
            breakdown("by-exploitation-form", form)
        stage = record.get("ReceptionStage")
        if stage and fields.get("ReceptionStage") == 0:
            breakdown("by-reception-stage", stage)
        nationality = record.get("Nationality")
        if nationality and fields.get("Nationality") == 0:
            leaf = {"Unknown": "unknown", "Stateless": "stateless"}.get(
                nationality, nationality if nationality in self.codes else REST
            )
            out.append(lambda p, leaf=leaf: ("citizen-leaf", leaf, m, p))
        kind = record.get("RegisteringOrganisationType")
        if kind and fields.get("RegisteringOrganisationType") == 0:
            out.append(
                lambda p: ("directory", NATIONAL, "by-organisation-kind", kind, m, p)
            )
        region = record.get("Region")
        if region and fields.get("Region") == 0:
            out.append(lambda p: ("directory", NATIONAL, "by-region", region, m, p))
        return out


# --- Solving -----------------------------------------------------------------------


class _Components:
    def __init__(self):
        self.parent: dict = {}

    def find(self, x):
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def _floor(x: float) -> int:
    return math.floor(x + EPS)


def _ceil(x: float) -> int:
    return math.ceil(x - EPS)


def solve_intervals(
    constraints: list[tuple[Expr, float, float, tuple]],
    targets: list[Expr],
    *,
    threshold: int,
    certify: bool = True,
) -> tuple[list[tuple[float | None, float | None]], int]:
    """For each target expression, (min, max) over the polytope of the
    constraints (latents in [0, CAP]); (None, None) for a target certified
    to have at least `threshold` integers by feasible points. Returns the
    bounds and the number of LPs solved."""
    constraints, reduced, fixed = _presolve(constraints, targets)
    components = _Components()
    for expr, _lo, _hi, _name in constraints:
        variables = list(expr)
        components.find(variables[0])
        for var in variables[1:]:
            components.union(variables[0], var)
    by_root_constraints: dict = defaultdict(list)
    for c in constraints:
        by_root_constraints[components.find(next(iter(c[0])))].append(c)
    by_root_targets: dict = defaultdict(list)
    bounds: list[tuple[float | None, float | None]] = [(None, None)] * len(targets)
    for i, (expr, constant) in enumerate(reduced):
        if not expr:
            bounds[i] = (constant, constant)  # fixed by the published cells alone
            continue
        for var in expr:
            components.find(var)
        by_root_targets[components.find(next(iter(expr)))].append(i)
    calls = 0
    for root, indices in by_root_targets.items():
        found, n = _solve_component(
            by_root_constraints[root],
            [reduced[i][0] for i in indices],
            threshold=threshold,
            certify=certify,
            shifts=[reduced[i][1] for i in indices],
        )
        calls += n
        for i, bound in zip(indices, found, strict=True):
            bounds[i] = bound
    return bounds, calls


def _presolve(constraints, targets):
    """Substitute what the published cells fix on their own: every latent of
    a published zero is 0, a constraint on one latent that is an equality
    fixes it. Returns the remaining constraints, each target as (remaining
    expression, constant) and the fixed latents."""
    fixed: dict = {}
    live = [
        [dict(expr), float(lo), float(hi), name] for expr, lo, hi, name in constraints
    ]
    users: dict = defaultdict(list)
    for i, (expr, *_rest) in enumerate(live):
        for var in expr:
            users[var].append(i)
    work = list(range(len(live)))
    while work:
        i = work.pop()
        expr, lo, hi, name = live[i]
        for var in [v for v in expr if v in fixed]:
            shift = expr.pop(var) * fixed[var]
            lo, hi = lo - shift, hi - shift
        live[i][1:3] = lo, hi
        if not expr:
            if lo > EPS or hi < -EPS:
                raise Infeasible(f"the published cells contradict the model: {name}")
            continue
        newly = {}
        if lo == hi and abs(lo) <= EPS and all(c > 0 for c in expr.values()):
            newly = dict.fromkeys(expr, 0.0)
        elif lo == hi and len(expr) == 1:
            ((var, c),) = expr.items()
            newly = {var: lo / c}
        for var, value in newly.items():
            if value < -EPS or value > CAP:
                raise Infeasible(f"the published cells contradict the model: {name}")
            fixed[var] = value
            work.extend(users[var])
    remaining = [(e, lo, hi, name) for e, lo, hi, name in live if e]
    reduced = []
    for expr in targets:
        constant = sum(c * fixed[v] for v, c in expr.items() if v in fixed)
        rest = {v: c for v, c in expr.items() if v not in fixed}
        reduced.append((rest, constant))
    return remaining, reduced, fixed


def _solve_component(constraints, targets, *, threshold, certify, shifts):
    index: dict = {}
    for expr, *_rest in constraints:
        for var in expr:
            index.setdefault(var, len(index))
    n = len(index)
    eq_rows, eq_b, ub_rows, ub_b = [], [], [], []
    for expr, lo, hi, _name in constraints:
        row = {index[v]: c for v, c in expr.items()}
        if lo == hi:
            eq_rows.append(row)
            eq_b.append(lo)
            continue
        if lo > -math.inf:
            ub_rows.append({k: -c for k, c in row.items()})
            ub_b.append(-lo)
        if hi < math.inf:
            ub_rows.append(row)
            ub_b.append(hi)

    def matrix(rows):
        if not rows:
            return None
        data, cols, ptr = [], [], [0]
        for row in rows:
            cols.extend(row)
            data.extend(row.values())
            ptr.append(len(cols))
        return csr_matrix((data, cols, ptr), shape=(len(rows), n))

    a_eq, a_ub = matrix(eq_rows), matrix(ub_rows)
    b_eq = np.array(eq_b) if eq_rows else None
    b_ub = np.array(ub_b) if ub_rows else None
    vectors = []
    for expr in targets:
        vec = np.zeros(n)
        for v, c in expr.items():
            vec[index[v]] = c
        vectors.append(vec)
    calls = 0

    def solve(objective: np.ndarray) -> np.ndarray:
        nonlocal calls
        calls += 1
        res = linprog(
            objective,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=(0, CAP),
            method="highs",
        )
        if res.status == 2:
            names = sorted({str(name[:3]) for *_e, name in constraints})[:10]
            raise Infeasible(f"the published cells contradict the model: {names}")
        if res.status != 0:
            raise RuntimeError(f"HiGHS: {res.message}")
        return res.x

    low_seen = [math.inf] * len(targets)
    high_seen = [-math.inf] * len(targets)

    def record(x: np.ndarray) -> None:
        for i, vec in enumerate(vectors):
            value = float(vec @ x) + shifts[i]
            low_seen[i] = min(low_seen[i], value)
            high_seen[i] = max(high_seen[i], value)

    def wide(i: int) -> bool:
        return _floor(high_seen[i]) - _ceil(low_seen[i]) + 1 >= threshold

    open_ = list(range(len(targets)))
    if certify:
        # Feasible points: all open targets pushed down then up, then random
        # directions (a fixed seed: the same run gives the same points).
        rng = np.random.default_rng(11)
        rounds = 0
        while open_ and rounds < 6:
            before = len(open_)
            if rounds == 0:
                weights = np.ones(len(open_))
            else:
                weights = rng.uniform(0.1, 1.0, len(open_)) * rng.choice(
                    (-1.0, 1.0), len(open_)
                )
            rounds += 1
            direction = sum(w * vectors[i] for w, i in zip(weights, open_, strict=True))
            record(solve(direction))
            record(solve(-direction))
            open_ = [i for i in open_ if not wide(i)]
            if rounds > 2 and len(open_) == before:
                break
    result: list[tuple[float | None, float | None]] = [(None, None)] * len(targets)
    for i in open_:
        low = float(vectors[i] @ solve(vectors[i])) + shifts[i]
        high = float(vectors[i] @ solve(-vectors[i])) + shifts[i]
        result[i] = (low, high)
    return result, calls


def main(argv: list[str] | None = None) -> int:
    """Attack a dump written by `test_release_attack` (STATISTICS_ATTACK_DUMP):

        python -m tests.statistics.lp_attack DUMP.json [--durations-rule N]

    prints the findings and, when the dump holds the true values (a
    diagnostic the attacker never reads), checks every narrow interval
    contains the truth."""
    import argparse
    import json
    import time
    from collections import Counter

    parser = argparse.ArgumentParser()
    parser.add_argument("dump")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--durations-rule", type=int, default=None)
    args = parser.parse_args(argv)
    with open(args.dump) as file:
        data = json.load(file)
    began = time.monotonic()
    attack = Attack(
        year=args.year,
        organisations={k: tuple(v) for k, v in data["directory"].items()},
        durations_group_rule=args.durations_rule,
    )
    for day, document in data["reports"]:
        attack.add_report(document, day=date.fromisoformat(day))
    for day, document in data["exports"]:
        attack.add_case_level(document, day=date.fromisoformat(day))
    result = attack.run()
    out = {"seconds": round(time.monotonic() - began, 1), **result.summary()}
    truth = {}
    for item in data.get("truth", []):
        if isinstance(item, dict):  # a whole unsuppressed report (older dumps)
            reader = Attack(year=args.year, organisations=attack.organisations)
            reader.add_report(item)
            truth.update({c: h[0][1] for c, h in reader.seen.items()})
        else:
            truth[tuple(item[0])] = item[1]
    if truth:
        checked = [b for b in result.narrow if b.cell in truth]
        outside = [
            b for b in checked if not b.low - EPS <= truth[b.cell] <= b.high + EPS
        ]
        out["narrow_checked_against_truth"] = len(checked)
        out["truth_outside_interval"] = len(outside)

    def where(bound: Bound) -> str:
        scope = NATIONAL if bound.cell[0] == NATIONAL else "organisation"
        return f"{scope}/{bound.cell[1]}"

    out["exact_by_table"] = dict(Counter(where(b) for b in result.exact))
    out["narrow_by_table"] = dict(Counter(where(b) for b in result.narrow))
    out["duration_problems_by_kind"] = dict(
        Counter(p[0] for p in result.duration_problems)
    )
    print(json.dumps(out, indent=1))  # noqa: T201 - a command-line report
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
