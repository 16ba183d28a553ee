"""The case API, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from referral import api, audit_api, duplicate_api, transnational_api
from referral.statistics.api import statistics_api_urlpatterns
from referral.steps import REFERRAL_STEPS, STEPS

# One route per step, from its declaration (referral.steps); an unknown step
# name answers 404 like an invisible case.
step_urlpatterns = [
    *(
        path(
            f"cases/<uuid:case_id>/transitions/{step.name}/",
            api.StepApi.for_step(step).as_view(),
            name=f"case-step-{step.name}",
        )
        for step in STEPS.values()
    ),
    path(
        "cases/<uuid:case_id>/transitions/<slug:name>/",
        api.UnknownStepApi.as_view(),
        name="case-step-unknown",
    ),
]

api_urlpatterns = [
    path("cases/", api.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<uuid:case_id>/", api.CaseDetailApi.as_view(), name="case-detail"),
    path(
        "cases/<uuid:case_id>/transitions/",
        api.CaseTransitionListApi.as_view(),
        name="case-transitions",
    ),
    *step_urlpatterns,
    path(
        "cases/<uuid:case_id>/screenings/",
        api.CaseScreeningsApi.as_view(),
        name="case-screenings",
    ),
    path(
        "cases/<uuid:case_id>/consents/",
        api.CaseConsentsApi.as_view(),
        name="case-consents",
    ),
    path(
        "cases/<uuid:case_id>/referrals/",
        api.CaseReferralsApi.as_view(),
        name="case-referrals",
    ),
    path(
        "cases/<uuid:case_id>/decisions/",
        api.CaseDecisionsApi.as_view(),
        name="case-decisions",
    ),
    path(
        "cases/<uuid:case_id>/handovers/",
        transnational_api.CaseHandoversApi.as_view(),
        name="case-handovers",
    ),
    path(
        "cases/<uuid:case_id>/handover-package/",
        transnational_api.CaseHandoverPackageApi.as_view(),
        name="case-handover-package",
    ),
    path(
        ".well-known/jwks.json",
        transnational_api.WellKnownKeysApi.as_view(),
        name="exchange-keys",
    ),
    path(
        "transnational/inbox/",
        transnational_api.InboxApi.as_view(),
        name="transnational-inbox",
    ),
    path(
        "cases/<uuid:case_id>/history/",
        api.CaseHistoryApi.as_view(),
        name="case-history",
    ),
    path(
        "cases/<uuid:case_id>/erase-person/",
        api.CaseErasePersonApi.as_view(),
        name="case-erase-person",
    ),
    path(
        "consents/<uuid:consent_id>/withdraw/",
        api.ConsentWithdrawApi.as_view(),
        name="consent-withdraw",
    ),
    path("referrals/inbox/", api.ReferralInboxApi.as_view(), name="referral-inbox"),
    path("referrals/outbox/", api.ReferralOutboxApi.as_view(), name="referral-outbox"),
    path(
        "referrals/<uuid:referral_id>/",
        api.ReferralDetailApi.as_view(),
        name="referral-detail",
    ),
    *(
        path(
            f"referrals/<uuid:referral_id>/{step.name}/",
            api.ReferralStepApi.for_step(step).as_view(),
            name=f"referral-{step.name}",
        )
        for step in REFERRAL_STEPS.values()
    ),
    path(
        "anonymous-notifications/inbox/",
        api.AnonymousInboxApi.as_view(),
        name="anonymous-inbox",
    ),
    path("deadlines/", api.DeadlineListApi.as_view(), name="deadline-list"),
    path("audit/events/", audit_api.AuditEventListApi.as_view(), name="audit-events"),
    path(
        "cases/<uuid:case_id>/subject-access/",
        audit_api.SubjectAccessApi.as_view(),
        name="case-subject-access",
    ),
    path("organisations/", api.OrganisationListApi.as_view(), name="organisation-list"),
    path(
        "duplicate-reviews/",
        duplicate_api.DuplicateReviewListApi.as_view(),
        name="duplicate-review-list",
    ),
    path(
        "duplicate-reviews/<uuid:review_id>/",
        duplicate_api.DuplicateReviewDetailApi.as_view(),
        name="duplicate-review-detail",
    ),
    path(
        "duplicate-reviews/<uuid:review_id>/resolve/",
        duplicate_api.DuplicateReviewResolveApi.as_view(),
        name="duplicate-review-resolve",
    ),
    *statistics_api_urlpatterns,
]
