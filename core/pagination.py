"""The API's one pagination: `?limit=&offset=`, checked.

DRF's LimitOffsetPagination quietly falls back to its defaults on a negative
or malformed value; here such a value is a 400 with a message, and the schema
states the bounds, so a client generated from it never sends one.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_LIMIT = 200


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    max_limit = MAX_LIMIT

    @property
    def default_limit(self) -> int:
        return settings.REST_FRAMEWORK["PAGE_SIZE"]

    def _number(self, request, name: str, *, minimum: int, maximum: int | None):
        raw = request.query_params.get(name)
        if raw is None:
            return None
        value = int(raw) if raw.isascii() and raw.isdigit() else None
        if (
            value is None
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            bound = f" and at most {maximum}" if maximum is not None else ""
            raise ValidationError(
                {name: [f"A whole number, at least {minimum}{bound}."]}
            )
        return value

    def get_limit(self, request) -> int:
        limit = self._number(
            request, self.limit_query_param, minimum=1, maximum=self.max_limit
        )
        return self.default_limit if limit is None else limit

    def get_offset(self, request) -> int:
        offset = self._number(request, self.offset_query_param, minimum=0, maximum=None)
        return offset or 0

    def get_schema_operation_parameters(self, view) -> list[dict]:
        limit, offset = super().get_schema_operation_parameters(view)
        limit["schema"] = {
            "type": "integer",
            "minimum": 1,
            "maximum": self.max_limit,
            "default": self.default_limit,
        }
        offset["schema"] = {"type": "integer", "minimum": 0, "default": 0}
        return [limit, offset]
