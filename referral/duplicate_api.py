"""Possible duplicate registrations, for the registering organisation's
supervisors: the open reviews, one review with the matching cases (an
audited read), and its resolution (referral/duplicates.py)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from referral import duplicates
from referral.api import Api
from referral.models import DuplicateOutcome
from referral.serializers import OrganisationRefSerializer, StrictSerializer


class DuplicateReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    case_id = serializers.UUIDField(read_only=True)
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    opened_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True)
    outcome = serializers.CharField(read_only=True)


class DuplicateMatchSerializer(serializers.Serializer):
    """A case of a person the registration matched: no personal data, and the
    case's id only when the reviewer may open it (another organisation's case
    is named by its reference and organisation, to ask them)."""

    case_id = serializers.SerializerMethodField()
    case_reference = serializers.CharField(source="reference", read_only=True)
    organisation = OrganisationRefSerializer(read_only=True)
    registered_at = serializers.DateTimeField(read_only=True)
    state = serializers.CharField(read_only=True)

    def get_case_id(self, case) -> str | None:
        return str(case.pk) if case.visible_to_reviewer else None


class DuplicateReviewDetailSerializer(DuplicateReviewSerializer):
    matches = DuplicateMatchSerializer(many=True, read_only=True)


class DuplicateResolveSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=DuplicateOutcome.choices)


class DuplicateReviewListApi(Api):
    @extend_schema(
        parameters=[
            OpenApiParameter("open", bool, description="Only unresolved (default).")
        ],
        responses=DuplicateReviewSerializer(many=True),
    )
    def get(self, request):
        open_only = request.query_params.get("open", "true").lower() != "false"
        queryset = duplicates.duplicate_review_list(request.user, open_only=open_only)
        return self.paginate(request, queryset, DuplicateReviewSerializer)


class DuplicateReviewDetailApi(Api):
    @extend_schema(responses=DuplicateReviewDetailSerializer)
    def get(self, request, review_id):
        detail = duplicates.duplicate_review_read(
            actor=request.user, review_id=review_id
        )
        body = DuplicateReviewSerializer(detail.review).data
        body["matches"] = DuplicateMatchSerializer(detail.matches, many=True).data
        return Response(body)


class DuplicateReviewResolveApi(Api):
    @extend_schema(
        request=DuplicateResolveSerializer, responses=DuplicateReviewSerializer
    )
    def post(self, request, review_id):
        serializer = DuplicateResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = duplicates.duplicate_review_resolve(
            actor=request.user, review_id=review_id, **serializer.validated_data
        )
        return Response(DuplicateReviewSerializer(review).data)
