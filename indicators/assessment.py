"""The assessment engine: which dimensions a set of indicators makes positive,
and what that means for referral. Pure Python, no database.

- A dimension is positive when one clause of the catalogue's dimension rule
  is met by the indicators present in it.
- `presumed`: the catalogue's combination rule is met (every group has a
  positive dimension): refer for identification.
- `possible`: some dimension is positive, or some strong indicator is present:
  refer for identification (reasonable suspicion is enough to refer).
- `none`: neither; the person can be screened again at any stage.

Indicators support, never replace, a professional judgement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from indicators import catalogue as catalogues
from indicators.catalogue import Catalogue, Clause, Indicator


class Outcome(StrEnum):
    NONE = "none"
    POSSIBLE = "possible"
    PRESUMED = "presumed"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Outcome.NONE: 0, Outcome.POSSIBLE: 1, Outcome.PRESUMED: 2}


class UnknownIndicators(ValueError):
    """Codes that are not in the catalogue; all of them, sorted."""

    def __init__(self, catalogue_id: str, codes: Iterable[str]):
        self.catalogue_id = catalogue_id
        self.codes = tuple(sorted(codes))
        super().__init__(
            f"Unknown indicator code(s) for catalogue {catalogue_id}: "
            f"{', '.join(self.codes)}."
        )


@dataclass(frozen=True, slots=True)
class DimensionResult:
    dimension: str
    positive: bool
    codes: tuple[str, ...]
    strong: int
    medium: int
    weak: int
    clause: Clause | None

    def to_dict(self) -> dict:
        return {
            "dimension": self.dimension,
            "positive": self.positive,
            "codes": list(self.codes),
            "counts": {"strong": self.strong, "medium": self.medium, "weak": self.weak},
            "clause": self.clause.as_dict() if self.clause else None,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    catalogue_id: str
    catalogue_version: str
    outcome: Outcome
    positive_dimensions: frozenset[str]
    combination_met: bool
    codes: tuple[str, ...]  # in catalogue order, each once
    strong_codes: tuple[str, ...]
    dimensions: tuple[DimensionResult, ...]  # in interview order
    catalogue: Catalogue = field(repr=False, compare=False)

    @property
    def explanation(self) -> str:
        """Which indicators made which dimension positive, in plain English."""
        catalogue = self.catalogue

        def name(dimension_id: str) -> str:
            return catalogue.dimension(dimension_id).label["en"]

        def listed(codes: tuple[str, ...]) -> str:
            return ", ".join(
                f"{code} ({catalogue.by_code[code].strength})" for code in codes
            )

        lines = [f"Outcome: {self.outcome.value}."]
        groups = " AND ".join(
            "[" + " or ".join(name(d) for d in group) + "]"
            for group in catalogue.combination_rule.groups
        )
        verdict = "met" if self.combination_met else "not met"
        lines.append(f"Combination rule {verdict}: {groups}.")
        for result in self.dimensions:
            if result.positive:
                lines.append(
                    f"{name(result.dimension)}: positive "
                    f"({result.clause.describe()}): {listed(result.codes)}."
                )
            elif result.codes:
                lines.append(
                    f"{name(result.dimension)}: not positive: {listed(result.codes)}."
                )
        if not self.positive_dimensions and self.strong_codes:
            lines.append(
                "No dimension is positive, but a strong indicator is present: "
                f"{', '.join(self.strong_codes)}."
            )
        if not self.codes:
            lines.append("No indicator was recorded.")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """A JSON-ready record, for storage with the screening."""
        return {
            "catalogue_id": self.catalogue_id,
            "catalogue_version": self.catalogue_version,
            "outcome": self.outcome.value,
            "positive_dimensions": [r.dimension for r in self.dimensions if r.positive],
            "combination_met": self.combination_met,
            "codes": list(self.codes),
            "strong_codes": list(self.strong_codes),
            "dimensions": [r.to_dict() for r in self.dimensions],
            "explanation": self.explanation,
        }


_STRENGTH_INDEX = {"strong": 0, "medium": 1, "weak": 2}


def _indicators(catalogue: Catalogue, codes: Iterable[str]) -> list[Indicator]:
    """The catalogue's indicators for `codes`, each once, in catalogue order."""
    if isinstance(codes, str | bytes):
        raise TypeError("codes must be a collection of indicator codes, not a string")
    by_code = catalogue.by_code
    found: dict[str, Indicator] = {}
    unknown = set()
    for code in codes:
        if not isinstance(code, str):
            raise TypeError("every indicator code must be a string")
        indicator = by_code.get(code)
        if indicator is None:
            unknown.add(code)
        else:
            found[code] = indicator
    if unknown:
        raise UnknownIndicators(catalogue.id, unknown)
    return sorted(found.values(), key=lambda i: i.position)


def assess(catalogue_id: str, codes: Iterable[str]) -> Assessment:
    """Assess the indicators `codes` (order and repeats do not matter)."""
    catalogue = catalogues.get(catalogue_id)
    ordered = _indicators(catalogue, codes)
    present: dict[str, list[str]] = {d.id: [] for d in catalogue.dimensions}
    counts = {d.id: [0, 0, 0] for d in catalogue.dimensions}
    strong_codes = []
    for indicator in ordered:
        present[indicator.dimension].append(indicator.code)
        counts[indicator.dimension][_STRENGTH_INDEX[indicator.strength]] += 1
        if indicator.strength == "strong":
            strong_codes.append(indicator.code)

    first_met = catalogue.dimension_rule.first_met
    results = []
    positive = set()
    for dimension_id, dimension_codes in present.items():
        strong, medium, weak = counts[dimension_id]
        clause = first_met(strong, medium, weak) if dimension_codes else None
        if clause is not None:
            positive.add(dimension_id)
        results.append(
            DimensionResult(
                dimension_id,
                clause is not None,
                tuple(dimension_codes),
                strong,
                medium,
                weak,
                clause,
            )
        )

    positive_dimensions = frozenset(positive)
    combination_met = catalogue.combination_rule.is_met(positive_dimensions)
    if combination_met:
        outcome = Outcome.PRESUMED
    elif positive_dimensions or strong_codes:
        outcome = Outcome.POSSIBLE
    else:
        outcome = Outcome.NONE
    return Assessment(
        catalogue_id=catalogue.id,
        catalogue_version=catalogue.version,
        outcome=outcome,
        positive_dimensions=positive_dimensions,
        combination_met=combination_met,
        codes=tuple(i.code for i in ordered),
        strong_codes=tuple(strong_codes),
        dimensions=tuple(results),
        catalogue=catalogue,
    )
