"""The case API. Each view parses input, finds the object through the
policy, calls one service and renders the result; no rules here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.response import Response

from core import clock
from core.api import Api
from core.errors import Forbidden, NotVisible
from nrm.roles import Capability
from referral import policy, selectors, services, steps
from referral import serializers as s
from referral.models import Case, Consent, Decision, Screening

C = Capability


def _case_detail(
    request,
    case: Case,
    *,
    with_person: bool = False,
    duplicate_review: str | None = None,
) -> dict:
    """The case as this user may see it. Personal data only on request (the
    detail endpoint), through the audited read, for a role that may read it;
    responses to writes leave it out, so they write no read event."""
    person = None
    if with_person and policy.may(request.user, C.PERSON_READ, case):
        person = services.person_read(actor=request.user, case=case)
    deadlines = list(selectors.case_deadlines(case))
    case.is_overdue = any(d.status(clock.now()) == "overdue" for d in deadlines)
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
        registration = services.case_register(
            actor=request.user, **serializer.validated_data
        )
        # Whether a supervisor will review a possible duplicate; nothing about
        # the matches (referral/duplicates.py).
        body = _case_detail(
            request,
            registration.case,
            duplicate_review="pending" if registration.duplicate_review else None,
        )
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
        case = services.person_erase(actor=request.user, case_id=case_id)
        return Response(_case_detail(request, case))


class CaseTransitionListApi(Api):
    pagination_class = None  # a handful of steps, never paged

    @extend_schema(responses=s.ActionSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        body = [
            {
                "name": step.name,
                "label": str(step.label),
                "method": "POST",
                "url": f"/api/v1/cases/{case.pk}/transitions/{step.name}/",
                "fields": steps.describe_fields(step.input),
            }
            for step in steps.available(request.user, case)
        ]
        return Response(body)


class StepApi(Api):
    """One declared step: `POST /cases/{case_id}/transitions/{step}/`, its
    body the step's input serializer. The answer has one shape for every
    step: the case as the writer sees it (no personal data: a write carries
    no read) and the step's result (the record it wrote, or null)."""

    step: steps.Step

    def post(self, request, case_id):
        serializer = self.step.input(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = self.step.execute(
            actor=request.user, subject_id=case_id, **serializer.validated_data
        )
        return Response(step_response(request, self.step, outcome))

    @classmethod
    def for_step(cls, step: steps.Step):
        view = type(
            f"{step.body.__name__.title().replace('_', '')}Api",
            (cls,),
            {"step": step, "__doc__": step.body.__doc__},
        )
        response = inline_serializer(
            f"{view.__name__[:-3]}Result",
            {
                "case": s.CaseDetailSerializer(),
                "result": step.output() if step.output else drf.JSONField(default=None),
            },
        )

        def post(self, request, case_id):  # its own function: its own schema
            return StepApi.post(self, request, case_id)

        view.post = extend_schema(
            request=step.input,
            responses=response,
            summary=str(step.label),
            operation_id=f"case_step_{step.name.replace('-', '_')}",
        )(post)
        return view


def step_response(request, step: steps.Step, outcome: steps.Outcome) -> dict:
    result = None
    if step.output is not None:
        result = step.output(outcome.result).data
    return {"case": _case_detail(request, outcome.case), "result": result}


class UnknownStepApi(Api):
    @extend_schema(exclude=True)
    def post(self, request, case_id, name):
        policy.get_visible_case(request.user, case_id)  # 404 either way
        raise NotVisible()


class CaseScreeningsApi(Api):
    @extend_schema(responses=s.ScreeningSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = Screening.objects.filter(case=case).select_related("organisation")
        return self.paginate(request, queryset, s.ScreeningSerializer)


class CaseConsentsApi(Api):
    @extend_schema(responses=s.ConsentSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = Consent.objects.filter(case=case).select_related("to_organisation")
        return self.paginate(request, queryset, s.ConsentSerializer)


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


def _referral_body(request, referral) -> dict:
    if policy.referral_discloses_case(request.user, referral):
        return s.ReferralSerializer(referral).data
    return s.ReferralMinimalSerializer(referral).data


class ReferralInboxApi(Api):
    query_serializer = s.ReferralListQuery

    @extend_schema(responses=s.ReferralMinimalSerializer(many=True))
    def get(self, request):
        if not policy.may_globally(request.user, C.REFERRAL_INBOX):
            raise Forbidden(
                _("Your role has no referral inbox."), code="no_referral_inbox"
            )
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


class ReferralStepApi(Api):
    """One declared step on a referral: `POST /referrals/{referral_id}/{step}/`,
    answered with the referral as this user may see it."""

    step: steps.Step

    def post(self, request, referral_id):
        serializer = self.step.input(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = self.step.execute(
            actor=request.user, subject_id=referral_id, **serializer.validated_data
        )
        return Response(_referral_body(request, outcome.result))

    @classmethod
    def for_step(cls, step: steps.Step):
        view = type(
            f"{step.body.__name__.title().replace('_', '')}Api",
            (cls,),
            {"step": step, "__doc__": step.body.__doc__},
        )

        def post(self, request, referral_id):  # its own function: its own schema
            return ReferralStepApi.post(self, request, referral_id)

        view.post = extend_schema(
            request=step.input if step.input().fields else None,
            responses=s.ReferralSerializer,
            summary=str(step.label),
            operation_id=f"referral_step_{step.name}",
        )(post)
        return view


class AnonymousInboxApi(Api):
    @extend_schema(responses=s.AnonymousNotificationSerializer(many=True))
    def get(self, request):
        if not policy.may_globally(request.user, C.REFERRAL_INBOX):
            raise Forbidden(
                _("Your role has no referral inbox."), code="no_referral_inbox"
            )
        queryset = selectors.anonymous_inbox(request.user)
        return self.paginate(request, queryset, s.AnonymousNotificationSerializer)


class CaseDecisionsApi(Api):
    @extend_schema(responses=s.DecisionSerializer(many=True))
    def get(self, request, case_id):
        case = policy.get_visible_case(request.user, case_id)
        queryset = Decision.objects.filter(case=case).select_related("organisation")
        return self.paginate(request, queryset, s.DecisionSerializer)


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
            raise Forbidden(
                _("Your role has no deadline list."), code="no_deadline_list"
            )
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
