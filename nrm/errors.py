"""Moved to `core.errors`, so that apps which must not import `nrm` can raise
them too. This alias keeps older imports working; import from `core.errors`."""

from core.errors import (  # noqa: F401
    ApplicationError,
    Conflict,
    DataErased,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotVisible,
)
