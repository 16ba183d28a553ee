"""Structured log lines that never carry personal data.

Log records are rendered as one JSON object a line. Exception messages are
dropped (a database error's DETAIL can quote a row's values); the exception
type and the stack frames (file, line, function) are kept for debugging.
Requests are reduced to method and the URL route name, never query strings or
bodies.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

_SAFE_EXTRA = {"event", "case_id", "referral_id", "status", "method", "duration_ms"}


class PersonalDataFilter(logging.Filter):
    """Removes what could carry personal data before a record is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None:
            match = getattr(request, "resolver_match", None)
            record.route = getattr(match, "view_name", None) or "-"
            record.method = getattr(request, "method", "-")
            record.request = None
        # Django's request logger formats "Internal Server Error: <path>"; the
        # path may contain identifiers a person typed. Keep the route only.
        if record.name in {"django.request", "django.server"}:
            record.msg = (
                "request failed" if record.levelno >= logging.ERROR else "request"
            )
            record.args = ()
        elif record.name.startswith("django.security"):
            # "Forbidden (<reason>): <path>" and the like: keep the logger's name.
            record.msg = "security check failed"
            record.args = ()
        # Any formatter that prints a traceback (the admins' e-mail, pytest's
        # capture, a plain handler) uses exc_text when set: type and frames,
        # never the exception's message.
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = safe_traceback(record.exc_info)
        return True


def safe_traceback(exc_info) -> str:
    """A traceback without the exception's message or any variable."""
    exc_type, _exc, tb = exc_info
    lines = ["Traceback (most recent call last):"]
    lines += [
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
        for frame in traceback.extract_tb(tb)
    ]
    lines.append(f"{exc_type.__module__}.{exc_type.__qualname__}: (message withheld)")
    return "\n".join(lines)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("route", "method", *_SAFE_EXTRA):
            value = getattr(record, key, None)
            if value is not None:
                payload[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            payload["exc_type"] = exc_type.__name__
            payload["stack"] = [
                f"{frame.filename}:{frame.lineno}:{frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(payload, ensure_ascii=False)
