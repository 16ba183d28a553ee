"""Helpers for the indicator tests: catalogues to break, codes to pick."""

from indicators import catalogue as catalogues

ADULT_LABOUR = "ilo-2009-adult-labour"
CHILD_LABOUR = "ilo-2009-child-labour"
ALL_IDS = (
    "ilo-2009-adult-labour",
    "ilo-2009-adult-sexual",
    "ilo-2009-child-labour",
    "ilo-2009-child-sexual",
)

TEXT = {"en": "Text", "ru": "Текст", "el": "Κείμενο"}


def minimal_catalogue(catalogue_id: str = "xx-test-adult-labour") -> dict:
    """A small valid national catalogue: three dimensions, default rules."""
    return {
        "format": 1,
        "id": catalogue_id,
        "version": "1",
        "person": "adult",
        "form": "labour",
        "title": dict(TEXT),
        "source": {"citation": "Test list."},
        "languages": ["en", "ru", "el"],
        "translation_quality": {"en": "source", "ru": "machine", "el": "machine"},
        "dimensions": [
            {"id": "deceptive_recruitment", "label": dict(TEXT)},
            {"id": "exploitative_conditions", "label": dict(TEXT)},
            {"id": "coercion_at_destination", "label": dict(TEXT)},
        ],
        "indicators": [
            {
                "code": f"xx.{dim}.{n}",
                "dimension": dimension,
                "strength": strength,
                "label": dict(TEXT),
                "prompt": dict(TEXT),
                "rating_confirmed": True,
            }
            for dim, dimension in (
                ("dr", "deceptive_recruitment"),
                ("ec", "exploitative_conditions"),
                ("cd", "coercion_at_destination"),
            )
            for n, strength in enumerate(("strong", "strong", "medium", "weak"))
        ],
    }


def codes_of(catalogue_id, dimension, strength):
    catalogue = catalogues.get(catalogue_id)
    return [
        i.code
        for i in catalogue.indicators
        if i.dimension == dimension and i.strength == strength
    ]


def pick(catalogue_id, dimension, strong=0, medium=0, weak=0):
    """That many indicators of each strength from one dimension."""
    chosen = []
    for strength, count in (("strong", strong), ("medium", medium), ("weak", weak)):
        available = codes_of(catalogue_id, dimension, strength)
        assert len(available) >= count, (dimension, strength, count)
        chosen += available[:count]
    return chosen


def make_positive(catalogue_id, dimension):
    """Codes that make `dimension` positive in that catalogue."""
    strong = codes_of(catalogue_id, dimension, "strong")
    medium = codes_of(catalogue_id, dimension, "medium")
    if len(strong) >= 2:
        return strong[:2]
    if strong and medium:
        return [strong[0], medium[0]]
    return medium[:3]
