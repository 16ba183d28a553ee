"""Disclosure control for published counts: cell suppression on additive tables.

Pure Python, no database. A `Table` is a set of dimensions, each a hierarchy
of nodes (a total, its parts, their parts...); every cell is one node per
dimension, and every aggregate cell equals the sum of its parts along each
dimension (a "line"). The engine computes the aggregates from the leaf
counts, so the lines hold by construction.

The rule (`protect`):

1. Primary suppression: every count from 1 to `threshold - 1` is suppressed.
   Zeros are published (they are never suppressed, so everybody knows that a
   suppressed count is at least 1; the checks below assume that knowledge).
2. Secondary suppression: more cells are suppressed until no suppressed cell
   can be derived from the published ones, by either of two attacks:
   - interval reasoning along the lines, knowing that suppressed counts are at
     least 1 (the "shuttle" algorithm): no suppressed cell may be narrowed to
     a single value;
   - exact linear algebra over all the table's lines at once: no suppressed
     cell may be a linear combination of published cells (this catches what
     line-by-line subtraction misses, for example a cell recovered through a
     chain of rows and columns).
   The secondary cell is the smallest non-zero published cell on a line of an
   exposed cell, detail cells before totals; the loop repeats until nothing is
   exposed.
3. Linked tables (`protect_family`): tables that share their totals (the same
   count broken down by sex, by age group, ...) are protected top-down, as in
   tau-Argus' HiTaS: the totals table first, then each breakdown with the
   totals' pattern imposed (a published total cannot become a secondary one,
   a suppressed total stays suppressed). When a breakdown cannot be protected
   without suppressing a published total, that total is suppressed in the
   totals table and the family is protected again, so every table of the
   family shows the same pattern for the cells they share.

The determinacy test runs modulo two large primes: a cell determined over the
rationals is determined modulo a prime unless the prime divides one of the
(small) minors of a 0/+-1 matrix, so taking the union over two primes misses
nothing in practice, and a false alarm only suppresses one more cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "TOTAL",
    "Cell",
    "DisclosureError",
    "Dimension",
    "Protection",
    "Table",
    "determined_cells",
    "pinned_cells",
    "protect",
    "protect_family",
]

TOTAL = "total"
"""The root node of a breakdown: linked tables share the cells that have it."""

Cell = tuple[str, ...]

_INFINITY = 10**15
_PRIMES = ((1 << 61) - 1, (1 << 31) - 1)
_MAX_ROUNDS = 10_000
_MAX_SHUTTLE_PASSES = 200


class DisclosureError(RuntimeError):
    """The table could not be protected (a bug: report it, publish nothing)."""


@dataclass(frozen=True)
class Dimension:
    """One dimension of a table: its nodes in display order, and which nodes
    are the sum of which others (`children`: parent -> its parts)."""

    name: str
    nodes: tuple[str, ...]
    children: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = set(self.nodes)
        if len(known) != len(self.nodes):
            raise ValueError(f"dimension {self.name}: duplicate nodes")
        seen: set[str] = set()
        for parent, kids in self.children.items():
            if parent not in known or not set(kids) <= known or not kids:
                raise ValueError(f"dimension {self.name}: unknown node in hierarchy")
            if seen & set(kids) or parent in kids:
                raise ValueError(f"dimension {self.name}: a node has two parents")
            seen |= set(kids)
        for node in self.nodes:  # no cycles: every chain of parents ends
            chain, current = set(), node
            while current is not None:
                if current in chain:
                    raise ValueError(f"dimension {self.name}: cyclic hierarchy")
                chain.add(current)
                current = self.parent(current)

    def parent(self, node: str) -> str | None:
        for parent, kids in self.children.items():
            if node in kids:
                return parent
        return None

    def is_leaf(self, node: str) -> bool:
        return node not in self.children

    @property
    def leaves(self) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if self.is_leaf(n))


class Table:
    """Counts on the product of the dimensions' nodes; aggregates are summed
    from `leaf_values` (cells whose every node is a leaf; missing ones are 0)."""

    def __init__(self, dimensions: Sequence[Dimension], leaf_values: Mapping):
        self.dimensions = tuple(dimensions)
        self.cells: list[Cell] = [
            tuple(c) for c in itertools.product(*(d.nodes for d in self.dimensions))
        ]
        self.index: dict[Cell, int] = {c: i for i, c in enumerate(self.cells)}
        leaves = [set(d.leaves) for d in self.dimensions]
        for cell, value in leaf_values.items():
            if len(cell) != len(self.dimensions) or any(
                node not in nodes for node, nodes in zip(cell, leaves, strict=True)
            ):
                raise ValueError(f"not a leaf cell of this table: {cell!r}")
            if not isinstance(value, int) or value < 0:
                raise ValueError("counts are non-negative integers")
        memo: dict[Cell, int] = {}

        def value_of(cell: Cell) -> int:
            if cell in memo:
                return memo[cell]
            for d, node in enumerate(cell):
                kids = self.dimensions[d].children.get(node)
                if kids:
                    total = sum(value_of((*cell[:d], k, *cell[d + 1 :])) for k in kids)
                    break
            else:
                total = int(leaf_values.get(cell, 0))
            memo[cell] = total
            return total

        self.values: list[int] = [value_of(c) for c in self.cells]
        self.depth: list[int] = [
            sum(not d.is_leaf(n) for d, n in zip(self.dimensions, c, strict=True))
            for c in self.cells
        ]
        self.lines: list[tuple[int, tuple[int, ...]]] = []
        for d, dimension in enumerate(self.dimensions):
            others = [x.nodes for x in self.dimensions]
            for parent, kids in dimension.children.items():
                others[d] = (parent,)
                for cell in itertools.product(*others):
                    total = self.index[cell]
                    parts = tuple(
                        self.index[(*cell[:d], k, *cell[d + 1 :])] for k in kids
                    )
                    self.lines.append((total, parts))
        self.lines_of: list[list[int]] = [[] for _ in self.cells]
        for number, (total, parts) in enumerate(self.lines):
            self.lines_of[total].append(number)
            for part in parts:
                self.lines_of[part].append(number)

    def value(self, cell: Cell) -> int:
        return self.values[self.index[cell]]

    def line_cells(self, number: int) -> tuple[int, ...]:
        total, parts = self.lines[number]
        return (total, *parts)


@dataclass(frozen=True)
class Protection:
    """A table's suppression pattern. `needs`: published cells imposed from
    outside (linked totals) that would have to be suppressed too."""

    table: Table
    threshold: int
    suppressed: frozenset[Cell]
    needs: frozenset[Cell] = frozenset()
    safe: bool = True

    def is_suppressed(self, cell: Cell) -> bool:
        return cell in self.suppressed

    def published(self, cell: Cell) -> int | None:
        """The count to publish, or None where it is suppressed."""
        if cell in self.suppressed:
            return None
        return self.table.value(cell)


def _components(table: Table, unknown: Sequence[bool], lines: Iterable[int]):
    """Groups of suppressed cells linked through lines, with their lines."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent.setdefault(i, i) != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    line_list = list(lines)
    for number in line_list:
        cells = [c for c in table.line_cells(number) if unknown[c]]
        for other in cells[1:]:
            parent[find(other)] = find(cells[0])
    groups: dict[int, list[int]] = {}
    for number in line_list:
        first = next(c for c in table.line_cells(number) if unknown[c])
        groups.setdefault(find(first), []).append(number)
    return list(groups.values())


def _determined_mod(
    table: Table, unknown: Sequence[bool], prime: int
) -> dict[int, set[int]]:
    """Suppressed cells whose unit vector lies in the row space of the lines
    (restricted to the suppressed cells), modulo `prime`; for each, the
    published cells its derivation uses (suppressing one of them breaks it).

    Each row carries its provenance (the combination of lines it is) under
    negative keys, -1 - line number, next to the suppressed cells' columns."""
    relevant = [
        n
        for n in range(len(table.lines))
        if any(unknown[c] for c in table.line_cells(n))
    ]
    determined: dict[int, set[int]] = {}
    for group in _components(table, unknown, relevant):
        pivots: dict[int, dict[int, int]] = {}
        for number in group:
            total, parts = table.lines[number]
            row: dict[int, int] = {-1 - number: 1}
            if unknown[total]:
                row[total] = 1
            for part in parts:
                if unknown[part]:
                    row[part] = (row.get(part, 0) - 1) % prime
            row = {c: v for c, v in row.items() if v}
            for col in [c for c in row if c in pivots]:
                factor = row.get(col, 0)
                if not factor:
                    continue
                for c, v in pivots[col].items():
                    updated = (row.get(c, 0) - factor * v) % prime
                    if updated:
                        row[c] = updated
                    else:
                        row.pop(c, None)
            cells = [c for c in row if c >= 0]
            if not cells:
                continue
            pivot = min(cells)
            inverse = pow(row[pivot], prime - 2, prime)
            row = {c: v * inverse % prime for c, v in row.items()}
            for other in pivots.values():
                factor = other.get(pivot)
                if factor:
                    for c, v in row.items():
                        updated = (other.get(c, 0) - factor * v) % prime
                        if updated:
                            other[c] = updated
                        else:
                            other.pop(c, None)
            pivots[pivot] = row
        for col, row in pivots.items():
            if sum(1 for c in row if c >= 0) != 1:
                continue
            weights: dict[int, int] = {}
            for key, coefficient in row.items():
                if key >= 0:
                    continue
                total, parts = table.lines[-1 - key]
                weights[total] = (weights.get(total, 0) + coefficient) % prime
                for part in parts:
                    weights[part] = (weights.get(part, 0) - coefficient) % prime
            determined[col] = {c for c, w in weights.items() if w and not unknown[c]}
    return determined


def _exposed_linearly(table: Table, unknown: Sequence[bool]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for prime in _PRIMES:
        for cell, uses in _determined_mod(table, unknown, prime).items():
            found.setdefault(cell, set()).update(uses)
    return found


def determined_cells(table: Table, suppressed: Iterable[Cell]) -> set[Cell]:
    """Suppressed cells that the published cells and the lines determine."""
    unknown = [False] * len(table.cells)
    for cell in suppressed:
        unknown[table.index[cell]] = True
    return {table.cells[i] for i in _exposed_linearly(table, unknown)}


def _bounds(table: Table, unknown: Sequence[bool]) -> tuple[list[int], list[int]]:
    lo = [1 if u else v for u, v in zip(unknown, table.values, strict=True)]
    hi = [_INFINITY if u else v for u, v in zip(unknown, table.values, strict=True)]
    relevant = [
        table.lines[n]
        for n in range(len(table.lines))
        if any(unknown[c] for c in table.line_cells(n))
    ]
    for _ in range(_MAX_SHUTTLE_PASSES):
        changed = False
        for total, parts in relevant:
            sum_lo = sum(lo[p] for p in parts)
            sum_hi = sum(hi[p] for p in parts)
            new_lo, new_hi = max(lo[total], sum_lo), min(hi[total], sum_hi)
            if (new_lo, new_hi) != (lo[total], hi[total]):
                lo[total], hi[total], changed = new_lo, new_hi, True
            for p in parts:
                p_lo = max(lo[p], lo[total] - (sum_hi - hi[p]))
                p_hi = min(hi[p], hi[total] - (sum_lo - lo[p]))
                if (p_lo, p_hi) != (lo[p], hi[p]):
                    lo[p], hi[p], changed = p_lo, p_hi, True
        if not changed:
            break
    return lo, hi


def pinned_cells(table: Table, suppressed: Iterable[Cell]) -> set[Cell]:
    """Suppressed cells narrowed to one value by interval reasoning along the
    lines, given that every suppressed count is at least 1."""
    unknown = [False] * len(table.cells)
    for cell in suppressed:
        unknown[table.index[cell]] = True
    lo, hi = _bounds(table, unknown)
    return {table.cells[i] for i, u in enumerate(unknown) if u and lo[i] >= hi[i]}


def protect(
    table: Table, *, threshold: int, fixed: Mapping[Cell, bool] | None = None
) -> Protection:
    """Primary and secondary suppression (see the module's docstring).

    `fixed` imposes a status on some cells: True keeps a cell suppressed, False
    keeps it published (it is never chosen as a secondary; if it would have to
    be, it is reported in `needs`)."""
    if threshold < 1:
        raise ValueError("the threshold is at least 1")
    values = table.values
    locked = [False] * len(table.cells)
    suppressed = [0 < v < threshold for v in values]
    needs: set[Cell] = set()
    for cell, status in (fixed or {}).items():
        i = table.index.get(cell)
        if i is None:
            continue
        locked[i] = True
        if status and values[i] > 0:
            suppressed[i] = True
        elif not status and suppressed[i]:
            suppressed[i] = False
            needs.add(cell)
    if needs:
        return Protection(table, threshold, frozenset(), frozenset(needs), safe=False)

    def useful(c: int) -> bool:
        """A published non-zero cell worth suppressing: not locked, and on no
        line where it would be the only unknown for good (every other cell
        locked or zero, and published)."""
        if suppressed[c] or locked[c] or values[c] <= 0:
            return False
        for number in table.lines_of[c]:
            others = [o for o in table.line_cells(number) if o != c]
            if all(not suppressed[o] and (locked[o] or values[o] == 0) for o in others):
                return False
        return True

    def best(options) -> int | None:
        options = [c for c in options if useful(c)]
        if not options:
            return None
        return min(options, key=lambda c: (table.depth[c] > 0, values[c], c))

    def nearby(i: int) -> int | None:
        """The best cell on the lines of cell i, or else on the lines of the
        suppressed cells those reach, and so on."""
        seen_lines: set[int] = set()
        frontier, visited = [i], {i}
        while frontier:
            found, next_frontier = [], []
            for cell in frontier:
                for number in table.lines_of[cell]:
                    if number in seen_lines:
                        continue
                    seen_lines.add(number)
                    for other in table.line_cells(number):
                        if other not in visited:
                            visited.add(other)
                            (next_frontier if suppressed[other] else found).append(
                                other
                            )
            choice = best(found)
            if choice is not None:
                return choice
            frontier = next_frontier
        return None

    def blocked(i: int) -> None:
        """Nothing can be suppressed for cell i: name the locked cells that
        would do (shared totals, to be suppressed in their own table)."""
        for number in table.lines_of[i]:
            for other in table.line_cells(number):
                if locked[other] and not suppressed[other] and values[other] > 0:
                    needs.add(table.cells[other])

    for _ in range(_MAX_ROUNDS):
        linear = _exposed_linearly(table, suppressed)
        if linear:
            exposed: dict[int, set[int] | None] = dict(linear)
        else:
            unknown_cells = [table.cells[i] for i, s in enumerate(suppressed) if s]
            exposed = dict.fromkeys(
                (table.index[c] for c in pinned_cells(table, unknown_cells)), None
            )
        if not exposed:
            break
        progressed = False
        touched: set[int] = set()
        for i in sorted(exposed):
            if touched.intersection(table.lines_of[i]):
                continue
            uses = exposed[i]
            choice = best(uses) if uses else None
            if choice is None:
                choice = nearby(i)
            if choice is None:
                blocked(i)
                continue
            suppressed[choice] = True
            touched.update(table.lines_of[i])
            touched.update(table.lines_of[choice])
            progressed = True
        if not progressed:
            break
    else:  # pragma: no cover - the loop adds a cell per round and so ends
        raise DisclosureError("secondary suppression did not converge")

    pattern = frozenset(table.cells[i] for i, s in enumerate(suppressed) if s)
    safe = not pinned_cells(table, pattern) and not determined_cells(table, pattern)
    if safe:
        return Protection(table, threshold, pattern)
    if not needs:
        raise DisclosureError("a table could not be protected")
    return Protection(table, threshold, pattern, frozenset(needs), safe=False)


def protect_family(
    totals: Table, breakdowns: Mapping[str, Table], *, threshold: int
) -> tuple[Protection, dict[str, Protection]]:
    """Protect linked tables: `totals` holds the cells every breakdown shares
    (those whose first node is TOTAL, with the same remaining nodes)."""
    forced: set[Cell] = set()
    for _ in range(len(totals.cells) + 1):
        base = protect(totals, threshold=threshold, fixed=dict.fromkeys(forced, True))
        results: dict[str, Protection] = {}
        needs: set[Cell] = set()
        for name, table in breakdowns.items():
            shared = {
                cell: base.is_suppressed(cell)
                for cell in table.cells
                if cell[0] == TOTAL and cell in totals.index
            }
            result = protect(table, threshold=threshold, fixed=shared)
            results[name] = result
            needs |= result.needs
        if not needs:
            return base, results
        if needs <= forced:  # pragma: no cover - defensive
            break
        forced |= needs
    raise DisclosureError("linked tables could not be protected")
