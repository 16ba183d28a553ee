"""k-anonymity by global recoding: pure Python, no database.

Each published attribute has a generalisation hierarchy: level 0 is the
value as recorded, each higher level merges values (a band into child/adult,
a month into its quarter, ...), and the top level publishes nothing ("*").
`plan()` chooses one level per attribute for the whole release (global
recoding, so one value means the same thing on every row), greedily: while
more records than `max_dropped_share` sit in combinations shared by fewer
than k records, it raises by one level the attribute whose generalisation
leaves the fewest such records (ties: the one least generalised so far, then
the order of the attributes). The records still in combinations smaller than
k are then dropped and counted. Every published combination of attributes is
shared by at least k published records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ANY", "Attribute", "Plan", "plan"]

ANY = "*"


@dataclass(frozen=True)
class Attribute:
    """A published attribute and its hierarchy (`levels[0]` is usually the
    identity, `levels[-1]` maps everything to ANY)."""

    field: str
    levels: tuple[Callable[[str], str], ...]
    level_names: tuple[str, ...]
    source: str = "HTCDS"
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.levels) != len(self.level_names) or len(self.levels) < 2:
            raise ValueError("an attribute has at least two named levels")

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def generalise(self, value: str, level: int) -> str:
        return self.levels[level](value)


@dataclass(frozen=True)
class Plan:
    levels: tuple[int, ...]
    k: int
    classes: Mapping[tuple[str, ...], int]  # published combinations -> records
    published: int
    dropped: int

    def keeps(self, generalised: tuple[str, ...]) -> bool:
        return generalised in self.classes


_BITS = 16
_MASK = (1 << _BITS) - 1


class _Coder:
    """Each attribute's values at each level, numbered; a combination is one
    integer (16 bits an attribute), so the counts of even a million records
    take little memory and roll up with integer arithmetic."""

    def __init__(self, attributes: Sequence[Attribute]):
        self.attributes = attributes
        self.raw: list[set[str]] = [set() for _ in attributes]
        self.values: list[list[list[str]]] = [[[]] for _ in attributes]
        self.codes: list[list[dict[str, int]]] = [[{}] for _ in attributes]

    def encode(self, raw: Sequence[str]) -> int:
        key = 0
        for position, (attribute, value) in enumerate(
            zip(self.attributes, raw, strict=True)
        ):
            self.raw[position].add(value)
            generalised = attribute.generalise(value, 0)
            codes = self.codes[position][0]
            code = codes.get(generalised)
            if code is None:
                code = codes[generalised] = len(codes)
                if code > _MASK:
                    raise ValueError(f"{attribute.field}: too many values")
                self.values[position][0].append(generalised)
            key |= code << (_BITS * position)
        return key

    def steps(self) -> list[list[list[int]]]:
        """For each attribute and level l, level-l code -> level-(l+1) code;
        checks that the hierarchy nests (coarser levels only merge)."""
        result = []
        for position, attribute in enumerate(self.attributes):
            per_level = []
            for level in range(attribute.top):
                finer = self.codes[position][level]
                if len(self.codes[position]) == level + 1:
                    self.codes[position].append({})
                    self.values[position].append([])
                coarser = self.codes[position][level + 1]
                step = [-1] * len(finer)
                for raw in self.raw[position]:
                    f = finer[attribute.generalise(raw, level)]
                    value = attribute.generalise(raw, level + 1)
                    if value not in coarser:
                        coarser[value] = len(coarser)
                        self.values[position][level + 1].append(value)
                    if step[f] not in (-1, coarser[value]):
                        raise ValueError(f"{attribute.field}: levels do not nest")
                    step[f] = coarser[value]
                per_level.append(step)
            result.append(per_level)
        return result

    def decode(self, key: int, levels: Sequence[int]) -> tuple[str, ...]:
        return tuple(
            self.values[position][level][(key >> (_BITS * position)) & _MASK]
            for position, level in enumerate(levels)
        )


def _small(counts: Mapping[int, int], k: int) -> int:
    return sum(n for n in counts.values() if n < k)


def _raise_level(counts: Mapping[int, int], position: int, step: list[int]):
    shift = _BITS * position
    rolled: dict[int, int] = {}
    for key, n in counts.items():
        code = (key >> shift) & _MASK
        new = key + ((step[code] - code) << shift)
        rolled[new] = rolled.get(new, 0) + n
    return rolled


def plan(
    counts: Mapping[tuple[str, ...], int] | Iterable[tuple[tuple[str, ...], int]],
    attributes: Sequence[Attribute],
    *,
    k: int,
    max_dropped_share: float = 0.05,
) -> Plan:
    """Choose the levels from the counts of the recorded combinations (a
    mapping, or (combination, count) pairs streamed from the database)."""
    if k < 1:
        raise ValueError("k is at least 1")
    coder = _Coder(attributes)
    current: dict[int, int] = {}
    pairs = counts.items() if isinstance(counts, Mapping) else counts
    for raw, n in pairs:
        if n > 0:
            key = coder.encode(raw)
            current[key] = current.get(key, 0) + n
    steps = coder.steps()
    levels = [0] * len(attributes)
    total = sum(current.values())
    budget = int(total * max_dropped_share)
    while _small(current, k) > budget:
        best = None
        for position, attribute in enumerate(attributes):
            if levels[position] >= attribute.top:
                continue
            rolled = _raise_level(current, position, steps[position][levels[position]])
            rank = (_small(rolled, k), (levels[position] + 1) / attribute.top, position)
            del rolled  # rebuilt for the chosen one: two tables in memory at most
            if best is None or rank < best:
                best = rank
        if best is None:
            break
        position = best[2]
        current = _raise_level(current, position, steps[position][levels[position]])
        levels[position] += 1
    classes = {coder.decode(key, levels): n for key, n in current.items() if n >= k}
    published = sum(classes.values())
    return Plan(
        levels=tuple(levels),
        k=k,
        classes=classes,
        published=published,
        dropped=total - published,
    )


def generaliser(
    attributes: Sequence[Attribute], levels: Sequence[int]
) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """A function from a recorded combination to its published one."""
    pairs = list(zip(attributes, levels, strict=True))

    def apply(values: Sequence[str]) -> tuple[str, ...]:
        return tuple(
            a.generalise(v, level) for (a, level), v in zip(pairs, values, strict=True)
        )

    return apply
