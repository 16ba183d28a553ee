"""An intruder's tools against published tables, written independently of
`referral.statistics.disclosure`: what can be recovered from the published
cells and the sums that hold between them.

- `difference`: the everyday attack, subtracting published cells from a
  published total, repeated while it yields anything.
- `determined`: exact linear algebra over the rationals (fractions) on every
  line at once.
- `narrowed`: interval reasoning, knowing suppressed counts are at least 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction

Line = tuple[Hashable, Sequence[Hashable]]  # (total, parts)


def difference(
    lines: Iterable[Line], published: Mapping[Hashable, int]
) -> dict[Hashable, int]:
    """Cells recovered by subtracting: a line with one unknown cell gives it."""
    known = dict(published)
    recovered: dict[Hashable, int] = {}
    lines = list(lines)
    progress = True
    while progress:
        progress = False
        for total, parts in lines:
            cells = [total, *parts]
            unknown = [c for c in cells if c not in known]
            if len(unknown) != 1:
                continue
            cell = unknown[0]
            if cell == total:
                value = sum(known[p] for p in parts)
            else:
                value = known[total] - sum(known[p] for p in parts if p != cell)
            known[cell] = recovered[cell] = value
            progress = True
    return recovered


def determined(lines: Iterable[Line], unknown: Iterable[Hashable]) -> set[Hashable]:
    """Unknown cells whose value the lines fix (their unit vector is in the
    row space of the system restricted to the unknown cells)."""
    unknown = list(dict.fromkeys(unknown))
    column = {cell: i for i, cell in enumerate(unknown)}
    rows: list[dict[int, Fraction]] = []
    for total, parts in lines:
        row: dict[int, Fraction] = {}
        if total in column:
            row[column[total]] = row.get(column[total], Fraction(0)) + 1
        for part in parts:
            if part in column:
                row[column[part]] = row.get(column[part], Fraction(0)) - 1
        row = {c: v for c, v in row.items() if v}
        if row:
            rows.append(row)
    pivots: dict[int, dict[int, Fraction]] = {}
    for row in rows:
        for col in [c for c in row if c in pivots]:
            factor = row.get(col)
            if factor:
                for c, v in pivots[col].items():
                    row[c] = row.get(c, Fraction(0)) - factor * v
                    if not row[c]:
                        del row[c]
        if not row:
            continue
        pivot = min(row)
        inverse = 1 / row[pivot]
        row = {c: v * inverse for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(pivot)
            if factor:
                for c, v in row.items():
                    other[c] = other.get(c, Fraction(0)) - factor * v
                    if not other[c]:
                        del other[c]
        pivots[pivot] = row
    return {unknown[c] for c, row in pivots.items() if len(row) == 1}


def narrowed(
    lines: Iterable[Line],
    published: Mapping[Hashable, int],
    unknown: Iterable[Hashable],
    passes: int = 500,
) -> set[Hashable]:
    """Unknown cells that interval reasoning pins to one value, knowing every
    suppressed count is at least 1."""
    big = 10**12
    lo = dict(published)
    hi = dict(lo)
    for cell in unknown:
        lo[cell], hi[cell] = 1, big
    lines = list(lines)
    for _ in range(passes):
        changed = False
        for total, parts in lines:
            s_lo = sum(lo[p] for p in parts)
            s_hi = sum(hi[p] for p in parts)
            new = (max(lo[total], s_lo), min(hi[total], s_hi))
            if new != (lo[total], hi[total]):
                lo[total], hi[total] = new
                changed = True
            for p in parts:
                new = (
                    max(lo[p], lo[total] - (s_hi - hi[p])),
                    min(hi[p], hi[total] - (s_lo - lo[p])),
                )
                if new != (lo[p], hi[p]):
                    lo[p], hi[p] = new
                    changed = True
        if not changed:
            break
    return {c for c in unknown if lo[c] >= hi[c]}


def table_lines(table, key=lambda cell: cell) -> list[Line]:
    """The sums that hold in a `disclosure.Table`, with cells renamed by `key`."""
    lines = []
    for total, parts in table.lines:
        lines.append((key(table.cells[total]), [key(table.cells[p]) for p in parts]))
    return lines


def recoverable(tables_and_patterns, key=lambda name, cell: (name, cell)):
    """Everything an intruder can recover from several published tables at
    once: [(name, Table, suppressed cells)]; `key` names a cell so that the
    tables' shared cells are one. Returns the recovered cells (any attack)."""
    lines: list[Line] = []
    published: dict[Hashable, int] = {}
    unknown: set[Hashable] = set()
    for name, table, suppressed in tables_and_patterns:
        lines += table_lines(table, key=lambda cell, n=name: key(n, cell))
        for cell, value in zip(table.cells, table.values, strict=True):
            k = key(name, cell)
            if cell in suppressed:
                unknown.add(k)
            else:
                published[k] = value
    assert not unknown & set(published), "a shared cell differs between tables"
    found = set(difference(lines, published))
    found |= determined(lines, unknown)
    found |= narrowed(lines, published, unknown)
    return found
