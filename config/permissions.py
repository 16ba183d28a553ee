"""Moved to `core.permissions` (apps must not import `config`). This alias
keeps older imports working; import from `core.permissions`."""

from core.permissions import DenyAll, HoldsApiToken, IsSignedIn  # noqa: F401
