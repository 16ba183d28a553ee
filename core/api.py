"""The base of the API views: the door, pagination and query parameters,
each declared once per view and read by both the code and the schema."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from core.pagination import LimitOffsetPagination
from core.permissions import IsSignedIn
from core.serializers import QuerySerializer


class Api(APIView):
    # No docstring: the schema would show it as every operation's description.
    # Signed-in callers only (what each may do is the access policy's answer,
    # asked by the view or the service). A list is paginated
    # (`pagination_class`, which the schema follows). A GET's query parameters
    # are its `query_serializer`: documented from it (config/schema.py),
    # parsed by `self.query(request)`, and any other parameter is a 400.

    permission_classes = [IsSignedIn]
    pagination_class = LimitOffsetPagination
    query_serializer: type[QuerySerializer] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "GET":
            known = (
                set(self.query_serializer().fields) if self.query_serializer else set()
            )
            if self.pagination_class is not None:
                paginator = self.pagination_class()
                known |= {paginator.limit_query_param, paginator.offset_query_param}
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise ValidationError(
                    {name: ["Unknown query parameter."] for name in unknown}
                )

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        # An error is the JSON error body, whatever format was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def query(self, request) -> dict:
        """The query parameters, validated (400 with field messages)."""
        return self.query_serializer.parse(request) if self.query_serializer else {}

    def paginate(self, request, queryset, serializer_class, **context):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = serializer_class(page, many=True, context=context).data
        return paginator.get_paginated_response(data)
