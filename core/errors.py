"""The one family of application errors.

Each carries a stable code, a message safe to show (ids and codes only, never
a personal value) and its HTTP status. `config.api.exception_handler` and the
staff pages render them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, detail=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail = detail


class InvalidInput(ApplicationError):
    status = 400
    code = "invalid"


class NotAuthenticated(ApplicationError):
    """Credentials missing, wrong or incomplete (401)."""

    status = 401
    code = "not_authenticated"


class Forbidden(ApplicationError):
    """Known to the user but not theirs to do (403)."""

    status = 403
    code = "forbidden"


class NotVisible(ApplicationError):
    """Absent, or not visible to this user: the two answer alike (404)."""

    status = 404
    code = "not_found"

    def __init__(self, message: str = _("Not found."), **kwargs):
        super().__init__(message, **kwargs)


class Conflict(ApplicationError):
    """Wrong state, or a lost race (409)."""

    status = 409
    code = "conflict"


class DataErased(ApplicationError):
    """The person's data key was destroyed; their personal data is gone (410)."""

    status = 410
    code = "erased"
