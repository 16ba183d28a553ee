"""The indicator catalogue API: read the catalogues, assess a set of
indicators without storing anything. Any signed-in, active user."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api import Api as BaseApi
from core.errors import InvalidInput, NotVisible
from core.serializers import QuerySerializer
from indicators import assessment, presenters
from indicators import catalogue as catalogues
from indicators import serializers as s


class LanguageQuery(QuerySerializer):
    lang = serializers.CharField(
        required=False,
        max_length=16,
        help_text="Language of the texts (e.g. en, ru, el); else Accept-Language; "
        "English when the catalogue lacks it.",
    )


def _accepted(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first."""
    weighted = []
    for n, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, n, tag))
    return [tag for _, _, tag in sorted(weighted)]


def _language(request, catalogue: catalogues.Catalogue) -> str:
    """?lang= first, then Accept-Language (any language the catalogue has,
    not only the site's), then the request's language; else English."""
    requested = LanguageQuery.parse(request).get("lang")
    if requested:
        return catalogue.language(requested)
    for tag in _accepted(request.headers.get("Accept-Language", "")):
        language = catalogue.language(tag)
        if language != catalogues.FALLBACK_LANGUAGE or tag.lower().startswith("en"):
            return language
    return catalogue.language(getattr(request, "LANGUAGE_CODE", None))


def _get_catalogue(catalogue_id: str) -> catalogues.Catalogue:
    try:
        return catalogues.get(catalogue_id)
    except catalogues.UnknownCatalogue:
        raise NotVisible() from None


class Api(BaseApi):
    pagination_class = None  # a few catalogues: never paged
    query_serializer = LanguageQuery


class IndicatorCatalogueListApi(Api):
    @extend_schema(
        operation_id="indicator_catalogues_list",
        responses=s.CatalogueSummarySerializer(many=True),
    )
    def get(self, request):
        rows = [
            presenters.catalogue_summary(c, _language(request, c))
            for c in catalogues.all_catalogues()
        ]
        return Response(s.CatalogueSummarySerializer(rows, many=True).data)


class IndicatorCatalogueDetailApi(Api):
    @extend_schema(
        operation_id="indicator_catalogues_retrieve",
        responses=s.CatalogueDetailSerializer,
    )
    def get(self, request, catalogue_id: str):
        catalogue = _get_catalogue(catalogue_id)
        language = _language(request, catalogue)
        body = s.CatalogueDetailSerializer(
            presenters.catalogue_detail(catalogue, language)
        ).data
        return Response(body, headers={"Content-Language": language})


class IndicatorCatalogueAssessApi(Api):
    @extend_schema(
        operation_id="indicator_catalogues_assess",
        request=s.AssessInputSerializer,
        responses=s.AssessmentSerializer,
        description="Assess observed indicators against the catalogue's rules. "
        "Stateless: nothing is stored. Unknown codes answer 400 with "
        "code `unknown_indicators` and the codes in `detail.codes`.",
    )
    def post(self, request, catalogue_id: str):
        catalogue = _get_catalogue(catalogue_id)
        serializer = s.AssessInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = assessment.assess(catalogue.id, serializer.validated_data["codes"])
        except assessment.UnknownIndicators as exc:
            raise InvalidInput(
                _("Unknown indicator codes for this catalogue."),
                code="unknown_indicators",
                detail={"codes": list(exc.codes)},
            ) from None
        return Response(s.AssessmentSerializer(result.to_dict()).data)
