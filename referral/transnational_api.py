"""The transnational exchange's API: our public keys at a well-known URL, the
inbox partner mechanisms post to (authenticated by the package's signature,
not by a session), and a case's hand-overs with their delivery attempts and
the package's download. Mounted under /api/v1/ by referral/api_urls.py."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core.api import Api
from core.errors import ApplicationError
from core.serializers import ErrorSerializer
from nrm.models import OutboxMessage
from nrm.outbox import Notification
from referral import policy, services
from referral import serializers as s
from referral import transnational as exchange
from referral.models import Handover


class _Public(Api):
    authentication_classes: tuple = ()
    permission_classes = (AllowAny,)
    pagination_class = None


class WellKnownKeysApi(_Public):
    @extend_schema(
        responses=inline_serializer(
            "ExchangeKeys",
            {
                "mechanism": drf.CharField(),
                "keys": drf.ListField(child=drf.DictField()),
            },
        )
    )
    def get(self, request):
        keys = exchange.own_keys()
        return Response(
            {"mechanism": exchange.mechanism_id(), "keys": keys.public_keys()}
        )


class InboxApi(_Public):
    # Anyone may post here, and every refusal is audited: a per-address rate
    # keeps a flood from filling the trail and holding its lock
    # (TRANSNATIONAL_INBOX_RATE; a partner's relay posts one package a time).
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "transnational-inbox"

    @extend_schema(
        request=s.InboxSerializer,
        responses={
            200: inline_serializer(
                "InboxAnswer",
                {"status": drf.CharField(), "acknowledgement": drf.CharField()},
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
            429: ErrorSerializer,
        },
    )
    def post(self, request):
        body = s.InboxSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            answer = services.inbox_receive(sealed=body.validated_data["package"])
        except ApplicationError as exc:
            services.inbox_refusal_record(exc)
            raise
        return Response(
            {"status": answer.recorded, "acknowledgement": answer.acknowledgement}
        )


class HandoverListSerializer(s.HandoverSerializer):
    deliveries = s.DeliverySerializer(many=True, read_only=True)


class CaseHandoversApi(Api):
    @extend_schema(responses=HandoverListSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = Handover.objects.filter(case=case).select_related("partner")
        page = self.paginator_page(request, queryset)
        kinds = [
            Notification.TRANSNATIONAL_HANDOVER,
            Notification.TRANSNATIONAL_ACKNOWLEDGEMENT,
        ]
        messages = OutboxMessage.objects.filter(
            kind__in=kinds,
            payload__handover_id__in=[str(h.pk) for h in page],
        ).order_by("created_at")
        by_handover: dict[str, list] = {}
        for message in messages:
            message.handover_id = message.payload["handover_id"]
            by_handover.setdefault(message.handover_id, []).append(message)
        for handover in page:
            handover.deliveries = by_handover.get(str(handover.pk), [])
        data = HandoverListSerializer(page, many=True).data
        return self._paginator.get_paginated_response(data)

    def paginator_page(self, request, queryset):
        self._paginator = self.pagination_class()
        return self._paginator.paginate_queryset(queryset, request, view=self)


class CaseHandoverPackageApi(Api):
    pagination_class = None

    @extend_schema(
        responses=inline_serializer(
            "HandoverPackage",
            {
                "package_id": drf.UUIDField(),
                "partner": s.PartnerRefSerializer(),
                "kind": drf.CharField(),
                "made_at": drf.DateTimeField(),
                "expires_at": drf.DateTimeField(),
                "package": drf.CharField(),
            },
        )
    )
    def get(self, request, case_id):
        handover = services.handover_package_download(
            actor=request.user, case_id=case_id
        )
        response = Response(
            {
                "package_id": str(handover.package_id),
                "partner": s.PartnerRefSerializer(handover.partner).data,
                "kind": handover.kind,
                "made_at": handover.made_at,
                "expires_at": handover.expires_at,
                "package": handover.package,
            }
        )
        response["Content-Disposition"] = (
            f'attachment; filename="handover-{handover.package_id}.json"'
        )
        return response
