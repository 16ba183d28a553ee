"""The API's error contract: one exception handler, one default policy.

Application errors become `{"code", "message", "detail"}` with their status;
Django validation errors become 400 with field errors; anything else is a
logged 500 whose body says nothing about the data.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_fsm import ConcurrentTransition
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError, Conflict

logger = logging.getLogger("nrm.api")


def _body(code: str, message: str, detail: object = None) -> dict:
    return {"code": code, "message": message, "detail": detail}


def exception_handler(exc, context):
    if isinstance(exc, ConcurrentTransition):
        # Two writers raced past their locks' reach: the loser is told so.
        exc = Conflict(_("The case changed meanwhile; reload it."), code="conflict")
    if isinstance(exc, OperationalError | InterfaceError):
        # The database went away (connection killed, server restarting) or
        # gave up on a lock: the step's transaction did not commit, so the
        # client can retry (with the same Idempotency-Key).
        logger.warning("database unavailable: %s", type(exc).__name__)
        response = Response(
            _body("unavailable", "The service is briefly unavailable; retry."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "5"
        return response
    if isinstance(exc, ApplicationError):
        return Response(_body(exc.code, exc.message, exc.detail), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return Response(
            _body("invalid", "The request is not valid.", detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("unhandled API error", exc_info=exc)
        return Response(
            _body("server_error", "An internal error occurred."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body("invalid", "The request is not valid.", response.data)
    else:
        code = getattr(exc, "default_code", "error")
        detail = (
            response.data.get("detail") if isinstance(response.data, dict) else None
        )
        response.data = _body(code, str(detail or exc), None)
    return response


def page_not_found(request, exception):
    """Django's 404 (`handler404`): under /api/ the error contract's JSON
    body, as for every other API error (a malformed id in a path matches no
    route); elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)
