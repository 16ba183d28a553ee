"""A system check, so a malformed catalogue file stops `manage.py check` and
start-up with its file and entry named, not the first screening."""

from __future__ import annotations

from django.core import checks

from indicators import catalogue


@checks.register()
def catalogues_load(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    catalogue.clear_cache()
    try:
        catalogue.registry()
    except catalogue.CatalogueError as exc:
        return [
            checks.Error(
                str(exc),
                hint="Fix the catalogue file or remove it from "
                "INDICATOR_CATALOGUE_DIRS.",
                id="indicators.E001",
            )
        ]
    return []
