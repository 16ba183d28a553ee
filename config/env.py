"""Reading settings from the environment, with errors that name the variable.

Every value the service takes from its environment goes through this module,
so a missing or malformed variable stops start-up with one clear message.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

_MISSING = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, default: object) -> str | object:
    value = os.environ.get(name)
    if value is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Set the {name} environment variable.")
        return default
    return value


def string(name: str, default: object = _MISSING) -> str:
    value = _raw(name, default)
    if isinstance(value, str) and not value.strip() and default is _MISSING:
        raise ImproperlyConfigured(f"The {name} environment variable is empty.")
    return value  # type: ignore[return-value]


def boolean(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"The {name} environment variable must be a boolean (true/false, 1/0)."
    )


def integer(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"The {name} environment variable must be an integer."
        ) from None


def string_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


_DB_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


def database(name: str = "DATABASE_URL", default: object = _MISSING) -> dict:
    url = _raw(name, default)
    if not isinstance(url, str):
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    scheme = urlsplit(url).scheme
    if scheme not in _DB_SCHEMES:
        raise ImproperlyConfigured(
            f"The {name} environment variable must be a postgres:// or sqlite:// URL."
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception:  # noqa: BLE001 - any parse failure is a configuration error
        raise ImproperlyConfigured(
            f"The {name} environment variable is not a valid database URL."
        ) from None
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ImproperlyConfigured(
            f"The {name} environment variable names no database."
        )
    return config
