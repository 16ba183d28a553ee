"""The statistics API, under /api/v1/statistics/.

    GET statistics/                   every table for a period
    GET statistics/<table>/           one table
    GET statistics/case-level/        the k-anonymised case-level export

JSON by default; CSV with `?format=csv` or `Accept: text/csv` (streamed).
`period` is a calendar year, quarter or month that has ended (2026,
2026-Q1, 2026-03; default: the last quarter that ended); breakdowns are
published by quarter and year, months carry the totals. Only the national
rapporteur (national figures; the case-level export) and supervisors (their
organisation's own figures) may call them; everybody else gets 403. Every
response is an audited event. Errors are JSON whatever format was asked.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput, NotVisible
from core.permissions import IsSignedIn
from referral.statistics import access, export, services, tables
from referral.statistics.periods import (
    YEAR,
    Period,
    default_period,
    last_complete_year,
    parse_period,
)

__all__ = [
    "StatisticsCaseLevelApi",
    "StatisticsReportApi",
    "StatisticsTableApi",
    "statistics_api_urlpatterns",
]


class CSVRenderer(BaseRenderer):
    """Selects CSV in content negotiation; the views stream their CSV
    themselves, so this renders only what reaches it as a plain Response."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "tables" in data:
            rows: Iterable = tables.csv_rows(data)
        else:
            rows = [("code", "message")]
        return "".join(_csv_lines(rows)).encode(self.charset)


class _Line:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\n")
    for row in rows:
        yield writer.writerow(row)


def _streamed(lines: Iterator[str], content_type: str, filename: str = ""):
    response = StreamingHttpResponse(lines, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Documentation of the responses (drf-spectacular) ---------------------------


class _ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["count", "days", "share"])


class _RowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    level = serializers.IntegerField()
    values = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Column key -> value; null where suppressed.",
    )


class _TableSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    columns = _ColumnSerializer(many=True)
    rows = _RowSerializer(many=True)


class _ScopeSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["national", "organisation"])
    organisation = serializers.UUIDField(allow_null=True)


class _ReleaseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    month = serializers.CharField(help_text="The last month the release covers.")
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    content_hash = serializers.CharField(help_text="SHA-256 of the stored document.")


class StatisticsReportSerializer(serializers.Serializer):
    period = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    scope = _ScopeSerializer()
    threshold = serializers.IntegerField()
    rule = serializers.CharField()
    definitions = serializers.DictField(child=serializers.CharField())
    generated_at = serializers.DateTimeField()
    release = _ReleaseSerializer()
    tables = _TableSerializer(many=True)


class _FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    source = serializers.ChoiceField(choices=["HTCDS", "NRM"])
    level = serializers.IntegerField()
    level_name = serializers.CharField()
    description = serializers.CharField()


class CaseLevelExportSerializer(serializers.Serializer):
    period = serializers.CharField()
    k = serializers.IntegerField()
    l = serializers.IntegerField(  # noqa: E741 - the l of l-diversity
        help_text="Distinct TraffickingStatus values per class."
    )
    records_published = serializers.IntegerField()
    records_dropped = serializers.IntegerField()
    rule = serializers.CharField()
    fields = _FieldSerializer(many=True)
    records = serializers.ListField(child=serializers.DictField())


_PARAMETERS = [
    OpenApiParameter(
        "period",
        str,
        description="A calendar year (2026), quarter (2026-Q1) or month (2026-03) "
        "that has ended; default: the last quarter that ended.",
    ),
    OpenApiParameter(
        "scope",
        str,
        enum=["national", "organisation"],
        description="National figures (rapporteur) or the organisation's own "
        "(supervisor); default: the widest the user may read.",
    ),
    OpenApiParameter(
        "organisation", OpenApiTypes.UUID, description="For users of several."
    ),
    OpenApiParameter("format", str, enum=["json", "csv"]),
]
_ERRORS = {
    400: OpenApiResponse(description="A bad period, scope or table."),
    403: OpenApiResponse(description="Not the rapporteur or a supervisor."),
    404: OpenApiResponse(description="The period has not been published yet."),
}


class _StatisticsApi(APIView):
    permission_classes = [IsSignedIn]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def handle_exception(self, exc):
        # Errors are JSON whatever format was asked.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def wants_csv(self, request) -> bool:
        renderer = getattr(request, "accepted_renderer", None)
        return getattr(renderer, "format", "json") == "csv"

    def period(self, request, default: Period) -> Period:
        text = request.query_params.get("period")
        if not text:
            return default
        return parse_period(text, today=timezone.localdate())

    def respond(self, request, names: tuple[str, ...], table: str):
        today = timezone.localdate()
        membership, scope = access.resolve_scope(request.user, request.query_params)
        period = self.period(request, default_period(today))
        if period.kind not in ("quarter", YEAR):
            unpublished = [n for n in names if n not in tables.MONTHLY_TABLES]
            if table != "report" and unpublished:
                raise InvalidInput(
                    _(
                        "This table is published by quarter and by year; for a "
                        "month, the overview and the durations are published."
                    ),
                    detail={"period": [_("Ask for a quarter or a year.")]},
                )
        if not scope.national and table in tables.NATIONAL_TABLES:
            raise InvalidInput(
                _("This table is published for the national figures only."),
                detail={"scope": [_("Ask for the national scope.")]},
            )
        data = tables.report(scope, period, names=names)
        file_format = "csv" if self.wants_csv(request) else "json"
        services.statistics_exported(
            actor=request.user,
            membership=membership,
            table=table,
            period=period.key,
            format=file_format,
            scope=scope.code,
        )
        if file_format == "csv":
            filename = f"statistics-{table}-{scope.code}-{period.key}.csv"
            return _streamed(
                _csv_lines(tables.csv_rows(data)), "text/csv; charset=utf-8", filename
            )
        return Response(data)


class StatisticsReportApi(_StatisticsApi):
    @extend_schema(
        operation_id="statistics_report",
        parameters=_PARAMETERS,
        responses={200: StatisticsReportSerializer, **_ERRORS},
        description="Every table for a period, with the disclosure rule and the "
        "counting definitions.",
    )
    def get(self, request):
        return self.respond(request, tables.TABLE_NAMES, "report")


class StatisticsTableApi(_StatisticsApi):
    @extend_schema(
        operation_id="statistics_table",
        parameters=_PARAMETERS,
        responses={200: StatisticsReportSerializer, **_ERRORS},
        description="One table (in `tables`): " + ", ".join(tables.TABLE_NAMES) + ".",
    )
    def get(self, request, table: str):
        if table not in tables.TABLE_NAMES:
            raise NotVisible(_("There is no such statistics table."))
        return self.respond(request, (table,), table)


class StatisticsCaseLevelApi(_StatisticsApi):
    @extend_schema(
        operation_id="statistics_case_level",
        parameters=[
            OpenApiParameter(
                "period",
                str,
                description="A calendar year that has ended (default: the last).",
            ),
            OpenApiParameter("organisation", OpenApiTypes.UUID),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={200: CaseLevelExportSerializer, **_ERRORS},
        description="Cases registered in a calendar year, one row each, "
        "generalised until every combination of the published attributes is "
        "shared by at least k records (the country profile's k); records that "
        "cannot be are dropped and counted. HTCDS field names where they exist.",
    )
    def get(self, request):
        membership = access.require_case_level(request.user, request.query_params)
        period = self.period(request, last_complete_year(timezone.localdate()))
        if period.kind != YEAR:
            raise InvalidInput(
                _("The case-level export is by calendar year (for example 2026)."),
                detail={"period": [_("Ask for a year.")]},
            )
        release = tables.latest_release(export.SCOPE, period.year)
        if release is None:
            raise NotVisible(
                _("The case-level export of %(year)s has not been published yet.")
                % {"year": period.key}
            )
        document = release.document
        file_format = "csv" if self.wants_csv(request) else "json"
        summary = {
            "k": document["k"],
            "l": document["l"],
            "records_published": document["records_published"],
            "records_dropped": document["records_dropped"],
            "levels": {f["name"]: f["level_name"] for f in document["fields"]},
        }
        services.statistics_exported(
            actor=request.user,
            membership=membership,
            table="case-level",
            period=period.key,
            format=file_format,
            scope="national",
            case_level=True,
            extra=summary,
        )
        if file_format == "csv":
            response = _streamed(
                export.csv_lines(document),
                "text/csv; charset=utf-8",
                f"cases-{period.key}-k{document['k']}-l{document['l']}.csv",
            )
        else:
            response = _streamed(export.json_chunks(document), "application/json")
        response["X-Disclosure-Rule"] = document["rule"]
        response["X-K-Anonymity"] = str(document["k"])
        response["X-L-Diversity"] = str(document["l"])
        response["X-Records-Published"] = str(document["records_published"])
        response["X-Records-Dropped"] = str(document["records_dropped"])
        return response


statistics_api_urlpatterns = [
    path(
        "statistics/",
        StatisticsReportApi.as_view(),
        name="statistics-report",
    ),
    path(
        "statistics/case-level/",
        StatisticsCaseLevelApi.as_view(),
        name="statistics-case-level",
    ),
    path(
        "statistics/<slug:table>/",
        StatisticsTableApi.as_view(),
        name="statistics-table",
    ),
]
