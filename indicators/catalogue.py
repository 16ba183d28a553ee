"""The indicator catalogues: versioned data files, loaded once, validated strictly.

Each catalogue is one JSON file (format in `indicators/catalogues/README.md`):
the built-in ILO/EC 2009 lists live in `indicators/catalogues/`; a country adds
its own lists as new files in a directory named by the INDICATOR_CATALOGUE_DIRS
setting. A malformed file stops the load with a `CatalogueError` naming the
file and the entry.

Pure Python: Django is only asked, if it is configured, for the extra
directories, so the engine also runs in a plain script.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

BUILTIN_DIR = Path(__file__).resolve().parent / "catalogues"

# The six dimensions of the Palermo definition, in interview order.
DIMENSIONS = (
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
    "exploitative_conditions",
    "coercion_at_destination",
    "abuse_of_vulnerability_at_destination",
)
RECRUITMENT_DIMENSIONS = DIMENSIONS[:3]
DESTINATION_MEANS_DIMENSIONS = DIMENSIONS[4:]
STRENGTHS = ("strong", "medium", "weak")
PERSONS = ("adult", "child")
FALLBACK_LANGUAGE = "en"
# Every catalogue speaks the service's languages; it may add more.
REQUIRED_LANGUAGES = ("en", "ru", "el")
TRANSLATION_QUALITIES = ("source", "reviewed", "machine")
CLAUSE_KEYS = ("strong", "medium", "weak", "medium_or_weak")
FORMAT = 1

# The ILO/EC 2009 rule, used when a file states none.
DEFAULT_DIMENSION_CLAUSES = (
    {"strong": 2},
    {"strong": 1, "medium_or_weak": 1},
    {"medium": 3},
    {"medium": 2, "weak": 1},
)
DEFAULT_COMBINATION_GROUPS = {
    # Palermo art. 3(a): act + means + purpose.
    "adult": (
        RECRUITMENT_DIMENSIONS,
        ("exploitative_conditions",),
        DESTINATION_MEANS_DIMENSIONS,
    ),
    # Palermo art. 3(c), CoE Convention art. 4(c): no means needed for a child.
    "child": (RECRUITMENT_DIMENSIONS, ("exploitative_conditions",)),
}

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_FORM = re.compile(r"^[a-z]+(?:_[a-z]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

_TOP_KEYS = {
    "format": True,
    "id": True,
    "version": True,
    "person": True,
    "form": True,
    "title": True,
    "source": True,
    "languages": True,
    "translation_quality": True,
    "dimensions": True,
    "dimension_rule": False,
    "combination_rule": False,
    "indicators": True,
    "notes": False,
}
_SOURCE_KEYS = {
    "citation": True,
    "edition": False,
    "urls": False,
    "ratings_basis": False,
    "references": False,
    "prompts": False,
    "notes": False,
}
_INDICATOR_KEYS = {
    "code": True,
    "dimension": True,
    "strength": True,
    "label": True,
    "prompt": True,
    "rating_confirmed": True,
    "rating_note": False,
}


class CatalogueError(Exception):
    """A catalogue file that cannot be used; names the file and the entry.

    Not a ValueError: a broken file is a configuration fault, not bad input."""

    def __init__(self, path: Path | str, entry: str, problem: str):
        self.path = str(path)
        self.entry = entry
        self.problem = problem
        super().__init__(f"{self.path}: {entry}: {problem}")


class UnknownCatalogue(LookupError):
    def __init__(self, catalogue_id: str, known: Iterable[str]):
        self.catalogue_id = catalogue_id
        known_ids = ", ".join(sorted(known))
        super().__init__(
            f"No indicator catalogue with id {catalogue_id!r}; known: {known_ids}."
        )


@dataclass(frozen=True, slots=True)
class Clause:
    """A minimum count of indicators per strength in one dimension.

    `medium_or_weak` counts the medium and weak indicators left over once the
    `medium` and `weak` minimums are met, so each indicator counts once.
    """

    strong: int = 0
    medium: int = 0
    weak: int = 0
    medium_or_weak: int = 0

    def is_met(self, strong: int, medium: int, weak: int) -> bool:
        return (
            strong >= self.strong
            and medium >= self.medium
            and weak >= self.weak
            and (medium - self.medium) + (weak - self.weak) >= self.medium_or_weak
        )

    def describe(self) -> str:
        parts = [
            f"{count} {key.replace('_', ' ')}"
            for key in CLAUSE_KEYS
            if (count := getattr(self, key))
        ]
        return " + ".join(parts)

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in CLAUSE_KEYS if getattr(self, key)}


@dataclass(frozen=True, slots=True)
class DimensionRule:
    """A dimension is positive when any one clause is met."""

    clauses: tuple[Clause, ...]
    source: str = ""

    def first_met(self, strong: int, medium: int, weak: int) -> Clause | None:
        for clause in self.clauses:
            if clause.is_met(strong, medium, weak):
                return clause
        return None


@dataclass(frozen=True, slots=True)
class CombinationRule:
    """Met when every group has at least one positive dimension (any-of)."""

    groups: tuple[tuple[str, ...], ...]
    source: str = ""

    def is_met(self, positive: frozenset[str]) -> bool:
        return all(not positive.isdisjoint(group) for group in self.groups)


@dataclass(frozen=True, eq=False, slots=True)
class Dimension:
    id: str
    label: Mapping[str, str]


@dataclass(frozen=True, eq=False, slots=True)
class Indicator:
    code: str
    dimension: str
    strength: str
    label: Mapping[str, str]
    prompt: Mapping[str, str]
    rating_confirmed: bool
    rating_note: str = ""
    position: int = 0  # in the file: interview order within a dimension


@dataclass(frozen=True, eq=False)
class Catalogue:
    id: str
    version: str
    person: str
    form: str
    title: Mapping[str, str]
    source: Mapping[str, Any]
    languages: tuple[str, ...]
    translation_quality: Mapping[str, str]
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    dimension_rule: DimensionRule
    combination_rule: CombinationRule
    path: str
    builtin: bool
    by_code: Mapping[str, Indicator]

    @property
    def is_child(self) -> bool:
        return self.person == "child"

    def language(self, requested: str | None) -> str:
        """The catalogue's language closest to `requested` ("ru-RU" -> "ru"),
        else English."""
        if requested:
            primary = re.split(r"[-_]", requested.strip().lower(), maxsplit=1)[0]
            if primary in self.languages:
                return primary
        return FALLBACK_LANGUAGE

    def is_machine_translated(self, language: str) -> bool:
        return self.translation_quality.get(language) == "machine"

    def indicators_in(self, dimension_id: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.dimension == dimension_id)

    def grouped(self) -> tuple[tuple[Dimension, tuple[Indicator, ...]], ...]:
        """Dimensions in interview order, each with its indicators in file order."""
        return tuple((d, self.indicators_in(d.id)) for d in self.dimensions)

    def dimension(self, dimension_id: str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(dimension_id)


# Loading and validation ------------------------------------------------------


def _check(condition: bool, path: Path, entry: str, problem: str) -> None:
    if not condition:
        raise CatalogueError(path, entry, problem)


def _text(value: Any, path: Path, entry: str) -> str:
    _check(
        isinstance(value, str) and bool(value.strip()),
        path,
        entry,
        "must be a non-empty string",
    )
    return value


def _texts(
    value: Any, languages: tuple[str, ...], path: Path, entry: str
) -> Mapping[str, str]:
    _check(
        isinstance(value, dict), path, entry, "must be an object of texts by language"
    )
    missing = [lang for lang in languages if lang not in value]
    _check(not missing, path, entry, f"missing language(s): {', '.join(missing)}")
    extra = sorted(set(value) - set(languages))
    _check(
        not extra,
        path,
        entry,
        f"language(s) not declared in 'languages': {', '.join(extra)}",
    )
    for lang in languages:
        _text(value[lang], path, f"{entry}.{lang}")
    return MappingProxyType({lang: value[lang] for lang in languages})


def _keys(obj: dict, allowed: dict[str, bool], path: Path, entry: str) -> None:
    unknown = sorted(set(obj) - set(allowed))
    _check(not unknown, path, entry, f"unknown key(s): {', '.join(unknown)}")
    missing = [key for key, required in allowed.items() if required and key not in obj]
    _check(not missing, path, entry, f"missing key(s): {', '.join(missing)}")


def _count(value: Any, path: Path, entry: str) -> int:
    _check(
        isinstance(value, int) and not isinstance(value, bool) and value >= 1,
        path,
        entry,
        "must be a whole number of at least 1",
    )
    return value


def _dimension_rule(raw: Any, path: Path) -> DimensionRule:
    if raw is None:
        return DimensionRule(
            clauses=tuple(Clause(**c) for c in DEFAULT_DIMENSION_CLAUSES),
            source="default: ILO/EC 2009",
        )
    entry = "dimension_rule"
    _check(isinstance(raw, dict), path, entry, "must be an object")
    _keys(raw, {"clauses": True, "source": False}, path, entry)
    clauses_raw = raw["clauses"]
    _check(
        isinstance(clauses_raw, list) and bool(clauses_raw),
        path,
        f"{entry}.clauses",
        "must be a non-empty list of clauses",
    )
    clauses = []
    for n, clause in enumerate(clauses_raw):
        where = f"{entry}.clauses[{n}]"
        _check(
            isinstance(clause, dict) and bool(clause),
            path,
            where,
            'must be a non-empty object such as {"strong": 2}',
        )
        unknown = sorted(set(clause) - set(CLAUSE_KEYS))
        _check(
            not unknown,
            path,
            where,
            f"unknown count(s): {', '.join(unknown)}; "
            f"allowed: {', '.join(CLAUSE_KEYS)}",
        )
        counts = {key: _count(v, path, f"{where}.{key}") for key, v in clause.items()}
        clauses.append(Clause(**counts))
    source = raw.get("source", "")
    if "source" in raw:
        _text(source, path, f"{entry}.source")
    return DimensionRule(clauses=tuple(clauses), source=source)


def _combination_rule(
    raw: Any, person: str, dimension_ids: tuple[str, ...], path: Path
) -> CombinationRule:
    if raw is None:
        groups = DEFAULT_COMBINATION_GROUPS[person]
        for group in groups:
            _check(
                not set(group).isdisjoint(dimension_ids),
                path,
                "combination_rule",
                "the default rule needs a dimension of "
                f"{', '.join(group)}; state a rule for this catalogue",
            )
        return CombinationRule(
            groups=tuple(tuple(d for d in g if d in dimension_ids) for g in groups),
            source=f"default: Palermo Protocol ({person})",
        )
    entry = "combination_rule"
    _check(isinstance(raw, dict), path, entry, "must be an object")
    _keys(raw, {"groups": True, "source": False}, path, entry)
    groups_raw = raw["groups"]
    _check(
        isinstance(groups_raw, list) and bool(groups_raw),
        path,
        f"{entry}.groups",
        "must be a non-empty list of groups of dimension ids",
    )
    groups = []
    for n, group in enumerate(groups_raw):
        where = f"{entry}.groups[{n}]"
        _check(
            isinstance(group, list) and bool(group),
            path,
            where,
            "must be a non-empty list of dimension ids",
        )
        for dimension in group:
            _check(
                dimension in dimension_ids,
                path,
                where,
                f"unknown dimension {dimension!r}; "
                f"this catalogue has: {', '.join(dimension_ids)}",
            )
        _check(len(set(group)) == len(group), path, where, "repeats a dimension")
        groups.append(tuple(group))
    source = raw.get("source", "")
    if "source" in raw:
        _text(source, path, f"{entry}.source")
    return CombinationRule(groups=tuple(groups), source=source)


def _indicator(
    raw: Any,
    n: int,
    languages: tuple[str, ...],
    dimension_ids: tuple[str, ...],
    path: Path,
) -> Indicator:
    entry = f"indicators[{n}]"
    _check(isinstance(raw, dict), path, entry, "must be an object")
    code = raw.get("code")
    if isinstance(code, str) and code:
        entry = f"indicators[{n}] ({code})"
    _keys(raw, _INDICATOR_KEYS, path, entry)
    _check(
        isinstance(code, str) and bool(_CODE.match(code)),
        path,
        f"{entry}.code",
        "must be lower-case letters and digits joined by '.', '_' or '-'",
    )
    dimension = raw["dimension"]
    _check(
        dimension in dimension_ids,
        path,
        f"{entry}.dimension",
        f"unknown dimension {dimension!r}; "
        f"this catalogue has: {', '.join(dimension_ids)}",
    )
    strength = raw["strength"]
    _check(
        strength in STRENGTHS,
        path,
        f"{entry}.strength",
        f"unknown strength {strength!r}; allowed: {', '.join(STRENGTHS)}",
    )
    confirmed = raw["rating_confirmed"]
    _check(
        isinstance(confirmed, bool),
        path,
        f"{entry}.rating_confirmed",
        "must be true or false",
    )
    note = raw.get("rating_note", "")
    if not confirmed or "rating_note" in raw:
        _text(note, path, f"{entry}.rating_note")
    return Indicator(
        code=code,
        dimension=dimension,
        strength=strength,
        label=_texts(raw["label"], languages, path, f"{entry}.label"),
        prompt=_texts(raw["prompt"], languages, path, f"{entry}.prompt"),
        rating_confirmed=confirmed,
        rating_note=note,
        position=n,
    )


def parse(raw: Any, path: Path, *, builtin: bool = False) -> Catalogue:
    """Validate one decoded catalogue file; raise CatalogueError on any fault."""
    _check(isinstance(raw, dict), path, "top level", "must be a JSON object")
    _keys(raw, _TOP_KEYS, path, "top level")
    _check(
        raw["format"] == FORMAT and not isinstance(raw["format"], bool),
        path,
        "format",
        f"must be {FORMAT}",
    )
    catalogue_id = raw["id"]
    _check(
        isinstance(catalogue_id, str) and bool(_ID.match(catalogue_id)),
        path,
        "id",
        "must be lower-case letters and digits joined by '-'",
    )
    _check(
        path.stem == catalogue_id,
        path,
        "id",
        f"must match the file name ({path.stem!r})",
    )
    version = _text(raw["version"], path, "version")
    if "notes" in raw:
        _text(raw["notes"], path, "notes")
    person = raw["person"]
    _check(
        person in PERSONS,
        path,
        "person",
        f"unknown person {person!r}; allowed: {', '.join(PERSONS)}",
    )
    form = raw["form"]
    _check(
        isinstance(form, str) and bool(_FORM.match(form)),
        path,
        "form",
        "must be a form of exploitation in lower case, such as 'labour' or 'sexual'",
    )

    languages_raw = raw["languages"]
    _check(
        isinstance(languages_raw, list)
        and all(isinstance(x, str) and _LANGUAGE.match(x) for x in languages_raw),
        path,
        "languages",
        'must be a list of language codes such as "en"',
    )
    _check(
        len(set(languages_raw)) == len(languages_raw),
        path,
        "languages",
        "repeats a language",
    )
    missing = [lang for lang in REQUIRED_LANGUAGES if lang not in languages_raw]
    _check(not missing, path, "languages", f"must include {', '.join(missing)}")
    languages = tuple(languages_raw)

    quality = raw["translation_quality"]
    _check(isinstance(quality, dict), path, "translation_quality", "must be an object")
    for lang in languages:
        _check(
            quality.get(lang) in TRANSLATION_QUALITIES,
            path,
            f"translation_quality.{lang}",
            f"must be one of {', '.join(TRANSLATION_QUALITIES)}",
        )
    extra = sorted(set(quality) - set(languages))
    _check(
        not extra,
        path,
        "translation_quality",
        f"language(s) not declared in 'languages': {', '.join(extra)}",
    )

    source = raw["source"]
    _check(isinstance(source, dict), path, "source", "must be an object")
    _keys(source, _SOURCE_KEYS, path, "source")
    for key in ("citation", "edition", "ratings_basis", "prompts", "notes"):
        if key in source:
            _text(source[key], path, f"source.{key}")
    urls = source.get("urls", [])
    _check(
        isinstance(urls, list) and all(isinstance(u, str) and u for u in urls),
        path,
        "source.urls",
        "must be a list of addresses",
    )
    references = source.get("references", {})
    _check(
        isinstance(references, dict)
        and all(isinstance(v, str) and v.strip() for v in references.values()),
        path,
        "source.references",
        "must be an object of texts",
    )

    dimensions_raw = raw["dimensions"]
    _check(
        isinstance(dimensions_raw, list) and bool(dimensions_raw),
        path,
        "dimensions",
        "must be a non-empty list",
    )
    dimensions = []
    for n, item in enumerate(dimensions_raw):
        entry = f"dimensions[{n}]"
        _check(isinstance(item, dict), path, entry, "must be an object")
        _keys(item, {"id": True, "label": True}, path, entry)
        _check(
            item["id"] in DIMENSIONS,
            path,
            f"{entry}.id",
            f"unknown dimension {item['id']!r}; allowed: {', '.join(DIMENSIONS)}",
        )
        dimensions.append(
            Dimension(
                id=item["id"],
                label=_texts(item["label"], languages, path, f"{entry}.label"),
            )
        )
    dimension_ids = tuple(d.id for d in dimensions)
    _check(
        len(set(dimension_ids)) == len(dimension_ids),
        path,
        "dimensions",
        "repeats a dimension",
    )

    indicators_raw = raw["indicators"]
    _check(
        isinstance(indicators_raw, list) and bool(indicators_raw),
        path,
        "indicators",
        "must be a non-empty list",
    )
    indicators = []
    by_code: dict[str, Indicator] = {}
    for n, item in enumerate(indicators_raw):
        indicator = _indicator(item, n, languages, dimension_ids, path)
        _check(
            indicator.code not in by_code,
            path,
            f"indicators[{n}] ({indicator.code})",
            "duplicate code",
        )
        by_code[indicator.code] = indicator
        indicators.append(indicator)

    return Catalogue(
        id=catalogue_id,
        version=version,
        person=person,
        form=form,
        title=_texts(raw["title"], languages, path, "title"),
        source=MappingProxyType(dict(source)),
        languages=languages,
        translation_quality=MappingProxyType({k: quality[k] for k in languages}),
        dimensions=tuple(dimensions),
        indicators=tuple(indicators),
        dimension_rule=_dimension_rule(raw.get("dimension_rule"), path),
        combination_rule=_combination_rule(
            raw.get("combination_rule"), person, dimension_ids, path
        ),
        path=str(path),
        builtin=builtin,
        by_code=MappingProxyType(by_code),
    )


def load_file(path: Path, *, builtin: bool = False) -> Catalogue:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogueError(
            path, f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(path, "file", f"cannot be read: {exc}") from None
    return parse(raw, path, builtin=builtin)


def _files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise CatalogueError(directory, "directory", "does not exist")
    return sorted(p for p in directory.iterdir() if p.suffix == ".json")


def load_directories(extra_dirs: Iterable[str | os.PathLike]) -> dict[str, Catalogue]:
    """Every catalogue: the built-in ones, then each extra directory's."""
    registry: dict[str, Catalogue] = {}
    sources = [(BUILTIN_DIR, True)] + [(Path(d), False) for d in extra_dirs]
    for directory, builtin in sources:
        for path in _files(directory):
            catalogue = load_file(path, builtin=builtin)
            if catalogue.id in registry:
                raise CatalogueError(
                    path,
                    "id",
                    f"duplicate catalogue id {catalogue.id!r}, "
                    f"already loaded from {registry[catalogue.id].path}",
                )
            registry[catalogue.id] = catalogue
    return registry


@lru_cache(maxsize=8)
def _registry(extra_dirs: tuple[str, ...]) -> Mapping[str, Catalogue]:
    return MappingProxyType(load_directories(extra_dirs))


def _extra_dirs() -> tuple[str, ...]:
    try:
        from django.conf import settings
    except ImportError:  # the engine runs without Django too
        return ()
    if not (settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE")):
        return ()
    return tuple(str(d) for d in getattr(settings, "INDICATOR_CATALOGUE_DIRS", ()))


def registry() -> Mapping[str, Catalogue]:
    """All catalogues by id, loaded once per set of directories."""
    return _registry(_extra_dirs())


def clear_cache() -> None:
    _registry.cache_clear()


# Public API -------------------------------------------------------------------


def get(catalogue_id: str) -> Catalogue:
    catalogues = registry()
    try:
        return catalogues[catalogue_id]
    except (KeyError, TypeError):
        raise UnknownCatalogue(str(catalogue_id), catalogues) from None


def all_catalogues() -> tuple[Catalogue, ...]:
    """Every catalogue, built-in first, then by id."""
    return tuple(sorted(registry().values(), key=lambda c: (not c.builtin, c.id)))


def suggest(is_child: bool, form: str) -> str:
    """The catalogue id to screen a person with.

    A list for exactly this person and form wins, a country's own list before
    a built-in one; any other form falls back to the labour list, the broader
    of the ILO lists (forced criminality, begging and servitude are forced
    labour or services)."""
    person = "child" if is_child else "adult"
    candidates = [c for c in all_catalogues() if c.person == person]
    for wanted in (form, "labour"):
        matches = [c for c in candidates if c.form == wanted]
        if matches:
            return min(matches, key=lambda c: (c.builtin, c.id)).id
    raise UnknownCatalogue(f"{person}/{form}", registry())
