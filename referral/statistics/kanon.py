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

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
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


def _step_maps(
    attributes: Sequence[Attribute], domains: Sequence[set[str]]
) -> list[list[dict[str, str]]]:
    """For each attribute and level l, the map from level-l to level-(l+1)
    values; checks that the hierarchy nests (coarser levels only merge)."""
    maps: list[list[dict[str, str]]] = []
    for attribute, domain in zip(attributes, domains, strict=True):
        steps: list[dict[str, str]] = []
        for level in range(attribute.top):
            step: dict[str, str] = {}
            for raw in domain:
                finer = attribute.generalise(raw, level)
                coarser = attribute.generalise(raw, level + 1)
                if step.setdefault(finer, coarser) != coarser:
                    raise ValueError(f"{attribute.field}: levels do not nest")
            steps.append(step)
        maps.append(steps)
    return maps


def _small(counts: Mapping[tuple[str, ...], int], k: int) -> int:
    return sum(n for n in counts.values() if n < k)


def _raise_level(
    counts: Mapping[tuple[str, ...], int], position: int, step: Mapping[str, str]
) -> dict[tuple[str, ...], int]:
    rolled: Counter = Counter()
    for key, n in counts.items():
        rolled[(*key[:position], step[key[position]], *key[position + 1 :])] += n
    return dict(rolled)


def plan(
    counts: Mapping[tuple[str, ...], int],
    attributes: Sequence[Attribute],
    *,
    k: int,
    max_dropped_share: float = 0.05,
) -> Plan:
    """Choose the levels from the counts of the recorded combinations."""
    if k < 1:
        raise ValueError("k is at least 1")
    domains: list[set[str]] = [set() for _ in attributes]
    for key in counts:
        for position, value in enumerate(key):
            domains[position].add(value)
    steps = _step_maps(attributes, domains)
    levels = [0] * len(attributes)
    current: dict[tuple[str, ...], int] = {}
    for key, n in counts.items():
        if n > 0:
            generalised = tuple(
                a.generalise(v, 0) for a, v in zip(attributes, key, strict=True)
            )
            current[generalised] = current.get(generalised, 0) + n
    total = sum(current.values())
    budget = int(total * max_dropped_share)
    while _small(current, k) > budget:
        options = []
        for position, attribute in enumerate(attributes):
            if levels[position] >= attribute.top:
                continue
            rolled = _raise_level(current, position, steps[position][levels[position]])
            loss = (levels[position] + 1) / attribute.top
            options.append((_small(rolled, k), loss, position, rolled))
        if not options:
            break
        _, _, position, current = min(options, key=lambda o: o[:3])
        levels[position] += 1
    classes = {key: n for key, n in current.items() if n >= k}
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
