"""The case API. Each view parses input, finds the object through the
policy, calls one service and renders the result; no rules here."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.response import Response

from core.api import Api
from core.errors import Forbidden, NotVisible
from nrm.roles import Capability
from referral import actions, policy, selectors, services
from referral import serializers as s
from referral.models import Case, Consent, Decision, Screening

C = Capability


def _case_detail(
    request, case: Case, *, with_person: bool = False,
    duplicate_review: str | None = None,
) -> dict:  # fmt: skip
    """The case as this user may see it. Personal data only on request (the
    detail endpoint), through the audited read, for a role that may read it;
    responses to writes leave it out, so they write no read event."""
    person = None
    if with_person and policy.may(request.user, C.PERSON_READ, case):
        person = services.person_read(actor=request.user, case=case)
    deadlines = list(selectors.case_deadlines(case))
    case.is_overdue = any(d.status(timezone.now()) == "overdue" for d in deadlines)
    context = {
        "person": person,
        "deadlines": deadlines,
        "duplicate_review": duplicate_review,
    }
    return s.CaseDetailSerializer(case, context=context).data


class CaseListCreateApi(Api):
    query_serializer = s.CaseListQuery

    @extend_schema(responses=s.CaseListSerializer(many=True))
    def get(self, request):
        queryset = selectors.case_list(request.user, **self.query(request))
        return self.paginate(request, queryset, s.CaseListSerializer)

    @extend_schema(
        request=s.CaseCreateSerializer, responses={201: s.CaseDetailSerializer}
    )
    def post(self, request):
        serializer = s.CaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation_id = data.pop("organisation")
        presumed_child = data.pop("age_uncertain_presumed_child")
        registration = services.case_register(
            actor=request.user, organisation_id=organisation_id,
            is_child=presumed_child, **data,
        )  # fmt: skip
        case = policy.get_visible_case(request.user, registration.case.pk)
        # Whether a supervisor will review a possible duplicate; nothing about
        # the matches (referral/duplicates.py).
        body = _case_detail(
            request, case,
            duplicate_review="pending" if registration.duplicate_review else None,
        )  # fmt: skip
        return Response(body, status=status.HTTP_201_CREATED)


class CaseDetailApi(Api):
    @extend_schema(responses=s.CaseDetailSerializer)
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        return Response(_case_detail(request, case, with_person=True))


class CaseErasePersonApi(Api):
    @extend_schema(request=None, responses=s.CaseDetailSerializer)
    def post(self, request, case_id):
        s.NoInputSerializer(data=request.data).is_valid(raise_exception=True)
        services.person_erase(actor=request.user, case_id=case_id)
        case = policy.get_visible_case(request.user, case_id)
        return Response(_case_detail(request, case))


class CaseTransitionListApi(Api):
    pagination_class = None  # a handful of steps, never paged

    @extend_schema(responses=s.ActionSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        body = [
            {
                "name": action.name,
                "label": str(action.label),
                "method": "POST",
                "url": f"/api/v1/cases/{case.pk}/transitions/{action.name}/",
                "fields": actions.describe_fields(action.serializer),
            }
            for action in actions.available(request.user, case)
        ]
        return Response(body)


class CaseTransitionApi(Api):
    @extend_schema(
        request=inline_serializer("TransitionInput", {"any": drf.JSONField()}),
        responses=s.CaseDetailSerializer,
        description="Run a named step; its input is described by "
        "GET /cases/{id}/transitions/.",
    )
    def post(self, request, case_id, name):
        policy.get_visible_case(request.user, case_id)  # 404 before anything else
        action = actions.ACTIONS.get(name)
        if action is None:
            raise NotVisible("Unknown transition.")
        serializer = action.serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action.run(actor=request.user, case_id=case_id, **serializer.validated_data)
        case = policy.get_visible_case(request.user, case_id)
        return Response(_case_detail(request, case))


class CaseScreeningsApi(Api):
    @extend_schema(responses=s.ScreeningSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = Screening.objects.filter(case=case).select_related("organisation")
        return self.paginate(request, queryset, s.ScreeningSerializer)

    @extend_schema(
        request=s.ScreeningCreateSerializer, responses={201: s.ScreeningSerializer}
    )
    def post(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        serializer = s.ScreeningCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.screening_record(
            actor=request.user, case_id=case.pk, **serializer.validated_data
        )
        body = s.ScreeningSerializer(result.screening).data
        body["case_state"] = result.case.state
        body["warnings"] = list(result.warnings)
        body["child_protection_referral"] = (
            str(result.child_protection_referral.pk)
            if result.child_protection_referral
            else None
        )
        return Response(body, status=status.HTTP_201_CREATED)


class CaseConsentsApi(Api):
    @extend_schema(responses=s.ConsentSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = Consent.objects.filter(case=case).select_related("to_organisation")
        return self.paginate(request, queryset, s.ConsentSerializer)

    @extend_schema(
        request=s.ConsentCreateSerializer, responses={201: s.ConsentSerializer}
    )
    def post(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        serializer = s.ConsentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        consent = services.consent_record(
            actor=request.user, case_id=case.pk,
            to_organisation_id=data.pop("to_organisation"), **data,
        )  # fmt: skip
        return Response(
            s.ConsentSerializer(consent).data, status=status.HTTP_201_CREATED
        )


class ConsentWithdrawApi(Api):
    @extend_schema(request=None, responses=s.ConsentSerializer)
    def post(self, request, consent_id):
        s.NoInputSerializer(data=request.data).is_valid(raise_exception=True)
        consent = services.consent_withdraw(actor=request.user, consent_id=consent_id)
        return Response(s.ConsentSerializer(consent).data)


class CaseReferralsApi(Api):
    @extend_schema(responses=s.ReferralSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = selectors.case_referrals(request.user, case)
        return self.paginate(request, queryset, s.ReferralSerializer)

    @extend_schema(
        request=s.ReferralCreateSerializer, responses={201: s.ReferralSerializer}
    )
    def post(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        serializer = s.ReferralCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        referral = services.referral_send(
            actor=request.user, case_id=case.pk,
            to_organisation_id=data.pop("to_organisation"), **data,
        )  # fmt: skip
        return Response(
            s.ReferralSerializer(referral).data, status=status.HTTP_201_CREATED
        )


def _referral_body(request, referral) -> dict:
    if policy.referral_discloses_case(request.user, referral):
        return s.ReferralSerializer(referral).data
    return s.ReferralMinimalSerializer(referral).data


class ReferralInboxApi(Api):
    query_serializer = s.ReferralListQuery

    @extend_schema(responses=s.ReferralMinimalSerializer(many=True))
    def get(self, request):
        if not policy.may_globally(request.user, C.REFERRAL_INBOX):
            raise Forbidden("Your role has no referral inbox.")
        queryset = selectors.referral_inbox(request.user, **self.query(request))
        # The inbox shows everyone the minimal view; details are on the case.
        return self.paginate(request, queryset, s.ReferralMinimalSerializer)


class ReferralOutboxApi(Api):
    query_serializer = s.ReferralListQuery

    @extend_schema(responses=s.ReferralSerializer(many=True))
    def get(self, request):
        queryset = selectors.referral_outbox(request.user, **self.query(request))
        return self.paginate(request, queryset, s.ReferralSerializer)


class ReferralDetailApi(Api):
    @extend_schema(responses=s.ReferralSerializer)
    def get(self, request, referral_id):
        referral = policy.get_visible_referral(request.user, referral_id)
        return Response(_referral_body(request, referral))


def _referral_action(service, serializer_class=None):
    class ReferralActionApi(Api):
        @extend_schema(request=serializer_class, responses=s.ReferralSerializer)
        def post(self, request, referral_id):
            policy.get_visible_referral(request.user, referral_id)  # 404 first
            serializer = (serializer_class or s.NoInputSerializer)(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            referral = service(actor=request.user, referral_id=referral_id, **data)
            return Response(_referral_body(request, referral))

    ReferralActionApi.__name__ = (
        f"Referral{service.__name__.title().replace('_', '')}Api"
    )
    return ReferralActionApi


ReferralAcceptApi = _referral_action(services.referral_accept)
ReferralDeclineApi = _referral_action(
    services.referral_decline, s.ReferralDeclineSerializer
)
ReferralWithdrawApi = _referral_action(services.referral_withdraw)
ReferralExpireApi = _referral_action(services.referral_expire)
ReferralCompleteApi = _referral_action(services.referral_complete)


class AnonymousInboxApi(Api):
    @extend_schema(responses=s.AnonymousNotificationSerializer(many=True))
    def get(self, request):
        if not policy.may_globally(request.user, C.REFERRAL_INBOX):
            raise Forbidden("Your role has no referral inbox.")
        queryset = selectors.anonymous_inbox(request.user)
        return self.paginate(request, queryset, s.AnonymousNotificationSerializer)


class CaseDecisionsApi(Api):
    @extend_schema(responses=s.DecisionSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = Decision.objects.filter(case=case).select_related("organisation")
        return self.paginate(request, queryset, s.DecisionSerializer)

    @extend_schema(
        request=s.DecisionCreateSerializer, responses={201: s.DecisionSerializer}
    )
    def post(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        serializer = s.DecisionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = services.decision_take(
            actor=request.user, case_id=case.pk, **serializer.validated_data
        )
        return Response(
            s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED
        )


class CaseHistoryApi(Api):
    @extend_schema(responses=s.AuditEventSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        return self.paginate(
            request, selectors.case_history(case), s.AuditEventSerializer
        )


class DeadlineListApi(Api):
    query_serializer = s.DeadlineListQuery

    @extend_schema(responses=s.DeadlineSerializer(many=True))
    def get(self, request):
        if not policy.may_globally(request.user, C.DEADLINES_VIEW):
            raise Forbidden("Your role has no deadline list.")
        overdue = self.query(request)["overdue"]
        queryset = selectors.deadlines_for(request.user, overdue_only=bool(overdue))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        visible = set(
            policy.visible_cases(request.user)
            .filter(pk__in=[d.case_id for d in page])
            .values_list("pk", flat=True)
        )
        data = s.DeadlineSerializer(
            page, many=True, context={"visible_case_ids": visible}
        ).data
        return paginator.get_paginated_response(data)


class OrganisationListApi(Api):
    """The directory of recipients: names and kinds, no personal data."""

    query_serializer = s.OrganisationListQuery

    @extend_schema(responses=s.OrganisationRefSerializer(many=True))
    def get(self, request):
        queryset = selectors.recipients(**self.query(request))
        return self.paginate(request, queryset, s.OrganisationRefSerializer)
