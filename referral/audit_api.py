"""Oversight: a supervisor reads the organisation's audit trail (JSON or CSV)
and produces a data subject's whole history for an access request (GDPR art.
15). Both are audited events."""

from __future__ import annotations

import csv
from datetime import datetime

from django.http import StreamingHttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from core.api import Api
from core.errors import InvalidInput
from core.serializers import QuerySerializer
from nrm.audit import Event
from referral import serializers as s
from referral import services

CSV_COLUMNS = [
    "id",
    "occurred_at",
    "actor",
    "organisation",
    "role",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "from_state",
    "to_state",
    "reason_code",
]


class _Echo:
    def write(self, value):
        return value


def _moment(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        day = None if parsed else parse_date(value)
    except ValueError:  # well-formed but impossible, like 2024-02-30
        parsed = day = None
    if parsed is None:
        if day is None:
            raise InvalidInput(
                _("Not a date."),
                code="invalid_date",
                detail={name: ["Use YYYY-MM-DD or an ISO datetime."]},
            )
        from django.utils import timezone

        parsed = datetime.combine(
            day, datetime.max.time() if end else datetime.min.time()
        )
        parsed = timezone.make_aware(parsed)
    return parsed


class CsvRenderer(BaseRenderer):
    """Lets `?format=csv` (or Accept: text/csv) negotiate; the view streams."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):  # an error body
            return JSONRenderer().render(data)
        return data


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentField(serializers.CharField):
    """An ISO 8601 moment, or a day (read by `_moment`)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)


class AuditEventQuery(QuerySerializer):
    organisation = serializers.UUIDField(
        required=False, help_text="One of your organisations (else your first)."
    )
    case = serializers.UUIDField(required=False)
    user = serializers.UUIDField(required=False)
    action = serializers.ChoiceField(choices=Event.choices, required=False)
    since = MomentField(help_text="From this moment (or this day, YYYY-MM-DD).")
    until = MomentField(help_text="To this moment (or the end of this day).")
    format = serializers.ChoiceField(
        choices=["json", "csv"], required=False, help_text="csv: the whole trail."
    )


class AuditEventListApi(Api):
    renderer_classes = [JSONRenderer, CsvRenderer]
    query_serializer = AuditEventQuery

    @extend_schema(
        responses={
            (200, "application/json"): s.AuditEventSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request):
        params = self.query(request)
        membership, queryset = services.audit_trail_read(
            actor=request.user,
            organisation_id=params.get("organisation"),
            case_id=params.get("case"),
            user_id=params.get("user"),
            action=params.get("action"),
            since=_moment(params.get("since"), "since"),
            until=_moment(params.get("until"), "until", end=True),
            export=request.accepted_renderer.format == "csv",
        )
        if request.accepted_renderer.format == "csv":
            writer = csv.writer(_Echo())

            def rows():
                yield writer.writerow(CSV_COLUMNS)
                for event in queryset.iterator(chunk_size=2000):
                    yield writer.writerow(
                        [
                            event.id,
                            event.occurred_at.isoformat(),
                            event.actor.username if event.actor else "",
                            event.organisation.name if event.organisation else "",
                            event.role,
                            event.action,
                            event.object_type,
                            event.object_id,
                            event.case_id if event.case_visible else "",
                            event.from_state,
                            event.to_state,
                            event.reason_code,
                        ]
                    )

            response = StreamingHttpResponse(rows(), content_type="text/csv")
            response["Content-Disposition"] = 'attachment; filename="audit.csv"'
            return response
        return self.paginate(request, queryset, s.AuditEventSerializer)


class SubjectAccessApi(Api):
    @extend_schema(responses={200: dict})
    def get(self, request, case_id):
        document = services.subject_access_export(actor=request.user, case_id=case_id)
        return Response(document)
