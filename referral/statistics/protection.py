"""Disclosure control checked exactly: linear programming over everything a
year's releases publish (HiGHS, through highspy).

A `Family` is a set of cells tied by linear equalities (a total is the sum of
its parts; a quarter the sum of its months; the national figure the sum of
the organisations'...), as an attacker who downloads every release of the
year, every table, period and scope, can write them. Some cells are
published (their value is known), the others suppressed (known only to be
at least 1, since zeros are always published; or bounded below by the
case-level export). For a suppressed cell, the attacker's best knowledge is
the interval [min, max] of the linear program "minimise / maximise this cell
subject to everything published"; the rule holds when that interval holds
at least `threshold` whole numbers.

`protect` decides the cells that are new in a release: counts from 1 to
threshold - 1 are suppressed (primary), then, while some suppressed cell
(old or new) breaks the rule, the smallest new published count on one of
its equalities is suppressed too (secondary), widening the search when its
own equalities have none. Cells published or suppressed by earlier releases
never change. Suppressing a cell only removes a known value from the linear
program, so intervals only widen: a cell that passed stays passed, and the
loop only re-checks the cells that failed.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import highspy
import numpy as np

__all__ = ["DisclosureError", "Family", "intervals", "protect"]

Cell = Hashable


class DisclosureError(RuntimeError):
    """A release could not be protected: nothing of it may be published."""


@dataclass
class Family:
    """Cells and the equalities between them: each equality is
    `sum(coefficient * cell) == 0`, over cells that all appear in `values`."""

    values: dict[Cell, int] = field(default_factory=dict)
    equalities: list[dict[Cell, int]] = field(default_factory=list)
    lower: dict[Cell, int] = field(default_factory=dict)
    """Known lower bounds beyond "suppressed means at least 1"."""
    free: set[Cell] = field(default_factory=set)
    """Cells never published (auxiliary parts): non-negative and unknown."""

    def add(self, cell: Cell, value: int) -> None:
        self.values[cell] = value

    def equal(self, total: Cell, parts: Iterable[Cell]) -> None:
        row: dict[Cell, int] = {total: 1}
        for part in parts:
            row[part] = row.get(part, 0) - 1
        row = {c: v for c, v in row.items() if v}
        if row:
            self.equalities.append(row)


class _Program:
    """The attacker's linear program over a family, kept between solves."""

    def __init__(self, family: Family, suppressed: set[Cell]):
        self.family = family
        self.cells = list(family.values)
        self.column = {cell: i for i, cell in enumerate(self.cells)}
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        lower = np.zeros(len(self.cells))
        upper = np.zeros(len(self.cells))
        for i, cell in enumerate(self.cells):
            lower[i], upper[i] = self._bounds(cell, cell in suppressed)
        self.highs.addVars(len(self.cells), lower, upper)
        starts, indices, coefficients = [], [], []
        for row in family.equalities:
            starts.append(len(indices))
            for cell, coefficient in row.items():
                indices.append(self.column[cell])
                coefficients.append(float(coefficient))
        count = len(family.equalities)
        if count:
            zeros = np.zeros(count)
            self.highs.addRows(
                count,
                zeros,
                zeros,
                len(indices),
                np.array(starts, dtype=np.int32),
                np.array(indices, dtype=np.int32),
                np.array(coefficients),
            )
        self.costly: int | None = None

    def _bounds(self, cell: Cell, suppressed: bool) -> tuple[float, float]:
        if cell in self.family.free:
            return float(self.family.lower.get(cell, 0)), highspy.kHighsInf
        if not suppressed:
            value = float(self.family.values[cell])
            return value, value
        return float(max(1, self.family.lower.get(cell, 1))), highspy.kHighsInf

    def suppress(self, cell: Cell, suppressed: bool = True) -> None:
        low, high = self._bounds(cell, suppressed)
        self.highs.changeColBounds(self.column[cell], low, high)

    def determined(self, cell: Cell) -> bool:
        """The published cells alone fix this cell's value."""
        return self.optimum(cell, True) - self.optimum(cell, False) < 0.5

    def optimum(self, cell: Cell, maximise: bool) -> float:
        column = self.column[cell]
        if self.costly is not None and self.costly != column:
            self.highs.changeColCost(self.costly, 0.0)
        self.highs.changeColCost(column, 1.0)
        self.costly = column
        sense = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        self.highs.changeObjectiveSense(sense)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kUnknown:
            self.highs.clearSolver()  # start afresh rather than from the basis
            self.highs.run()
            status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return self.highs.getInfo().objective_function_value
        if status == highspy.HighsModelStatus.kUnbounded:
            return math.inf if maximise else -math.inf
        # Infeasible cannot happen with the true values in the family; a
        # solver failure must not pass as protection.
        raise DisclosureError(f"the linear program ended {status}")

    def wide_enough(self, cell: Cell, threshold: int) -> bool:
        value = self.family.values[cell]
        high = self.optimum(cell, maximise=True)
        if high >= value + threshold - 1 - 1e-6:
            return True  # [value, value + threshold - 1] is inside the interval
        low = self.optimum(cell, maximise=False)
        return math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1 >= threshold


def intervals(family: Family, suppressed: set[Cell]) -> dict[Cell, tuple[float, float]]:
    """The attacker's interval of every suppressed cell (for tests and tools)."""
    program = _Program(family, suppressed)
    return {
        cell: (program.optimum(cell, False), program.optimum(cell, True))
        for cell in suppressed
        if cell not in family.free
    }


def protect(
    family: Family,
    *,
    threshold: int,
    held: Mapping[Cell, bool],
    priority: Mapping[Cell, int] | None = None,
) -> set[Cell]:
    """The suppressed cells of the family: `held` maps the cells of earlier
    releases to published (True) or suppressed (False); the other cells are
    new and decided here. `priority` ranks candidates for secondary
    suppression (lower first, e.g. detail cells before totals)."""
    priority = priority or {}
    values = family.values
    new = [c for c in values if c not in held and c not in family.free]
    suppressed = {c for c, published in held.items() if not published}
    suppressed |= {c for c in new if 0 < values[c] < threshold}
    if not suppressed:
        return suppressed
    lines: dict[Cell, list[int]] = {}
    for index, row in enumerate(family.equalities):
        for cell in row:
            lines.setdefault(cell, []).append(index)
    program = _Program(family, suppressed)
    candidates = {c for c in new if c not in suppressed and values[c] > 0}

    def rank(cell: Cell) -> tuple:
        return (priority.get(cell, 0), values[cell], str(cell))

    def neighbours(cells: Iterable[Cell]) -> set[Cell]:
        found: set[Cell] = set()
        for cell in cells:
            for index in lines.get(cell, ()):
                found.update(family.equalities[index])
        return found

    secondary: set[Cell] = set()
    deferred: list[Cell] = []
    queue = sorted(suppressed, key=str)
    while queue or deferred:
        if not queue:
            # Every primary and earlier cell passes; now the secondary ones
            # that did not. One the published cells fix anyway protects
            # nothing and is published after all (fixing a value the
            # program already implies narrows nothing); the others get
            # partners of their own.
            cell = deferred.pop()
            if program.wide_enough(cell, threshold):
                continue
            if program.determined(cell):
                secondary.discard(cell)
                suppressed.discard(cell)
                program.suppress(cell, False)
                continue
            secondary.discard(cell)
            queue.append(cell)
        cell = queue.pop()
        while not program.wide_enough(cell, threshold):
            if cell in secondary:
                deferred.append(cell)
                break
            choice = _partner(cell, candidates, suppressed, family, neighbours, rank)
            candidates.discard(choice)
            suppressed.add(choice)
            secondary.add(choice)
            program.suppress(choice)
            queue.append(choice)  # a new suppressed cell must pass too
    return suppressed


def _partner(cell, candidates, suppressed, family, neighbours, rank) -> Cell:
    """The new published cell to suppress for `cell`: among the cells on its
    equalities and on those of the suppressed cells connected to it, the
    best-ranked (detail before totals), then the nearest, then the smallest;
    else the best-ranked anywhere in the family."""
    reached, frontier, distance, options = {cell}, {cell}, 0, {}
    while frontier:
        distance += 1
        around = neighbours(frontier) - reached
        for option in around & candidates:
            options.setdefault(option, distance)
        reached |= around
        frontier = {c for c in around if c in suppressed or c in family.free}
    if options:
        return min(options, key=lambda c: (rank(c)[0], options[c], *rank(c)[1:]))
    if not candidates:
        raise DisclosureError("no published cell is left to protect a suppressed one")
    return min(candidates, key=rank)
