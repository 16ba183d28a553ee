"""A catalogue as one language's reader sees it: plain dicts for the API."""

from __future__ import annotations

from indicators.catalogue import CLAUSE_KEYS, Catalogue


def catalogue_summary(catalogue: Catalogue, language: str) -> dict:
    return {
        "id": catalogue.id,
        "version": catalogue.version,
        "person": catalogue.person,
        "form": catalogue.form,
        "language": language,
        "title": catalogue.title[language],
        "languages": list(catalogue.languages),
        "indicator_count": len(catalogue.indicators),
        "builtin": catalogue.builtin,
    }


def catalogue_detail(catalogue: Catalogue, language: str) -> dict:
    source = catalogue.source
    return {
        "id": catalogue.id,
        "version": catalogue.version,
        "person": catalogue.person,
        "form": catalogue.form,
        "language": language,
        "machine_translation": catalogue.is_machine_translated(language),
        "title": catalogue.title[language],
        "languages": list(catalogue.languages),
        "translation_quality": dict(catalogue.translation_quality),
        "source": {
            "citation": source["citation"],
            "edition": source.get("edition", ""),
            "urls": list(source.get("urls", [])),
            "ratings_basis": source.get("ratings_basis", ""),
        },
        "dimension_rule": {
            "clauses": [
                {key: getattr(clause, key) for key in CLAUSE_KEYS}
                for clause in catalogue.dimension_rule.clauses
            ],
            "source": catalogue.dimension_rule.source,
        },
        "combination_rule": {
            "groups": [list(group) for group in catalogue.combination_rule.groups],
            "source": catalogue.combination_rule.source,
        },
        "dimensions": [
            {
                "id": dimension.id,
                "label": dimension.label[language],
                "indicators": [
                    {
                        "code": indicator.code,
                        "strength": indicator.strength,
                        "label": indicator.label[language],
                        "prompt": indicator.prompt[language],
                        "rating_confirmed": indicator.rating_confirmed,
                        "rating_note": indicator.rating_note,
                    }
                    for indicator in indicators
                ],
            }
            for dimension, indicators in catalogue.grouped()
        ],
    }
