"""The case API, mounted under /api/v1/ by config/urls.py."""

from django.urls import path

from referral import api, audit_api, duplicate_api
from referral.statistics.api import statistics_api_urlpatterns

api_urlpatterns = [
    path("cases/", api.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<str:case_id>/", api.CaseDetailApi.as_view(), name="case-detail"),
    path(
        "cases/<str:case_id>/transitions/",
        api.CaseTransitionListApi.as_view(),
        name="case-transitions",
    ),
    path(
        "cases/<str:case_id>/transitions/<slug:name>/",
        api.CaseTransitionApi.as_view(),
        name="case-transition",
    ),
    path(
        "cases/<str:case_id>/screenings/",
        api.CaseScreeningsApi.as_view(),
        name="case-screenings",
    ),
    path(
        "cases/<str:case_id>/consents/",
        api.CaseConsentsApi.as_view(),
        name="case-consents",
    ),
    path(
        "cases/<str:case_id>/referrals/",
        api.CaseReferralsApi.as_view(),
        name="case-referrals",
    ),
    path(
        "cases/<str:case_id>/decisions/",
        api.CaseDecisionsApi.as_view(),
        name="case-decisions",
    ),
    path(
        "cases/<str:case_id>/history/",
        api.CaseHistoryApi.as_view(),
        name="case-history",
    ),
    path(
        "cases/<str:case_id>/erase-person/",
        api.CaseErasePersonApi.as_view(),
        name="case-erase-person",
    ),
    path(
        "consents/<str:consent_id>/withdraw/",
        api.ConsentWithdrawApi.as_view(),
        name="consent-withdraw",
    ),
    path("referrals/inbox/", api.ReferralInboxApi.as_view(), name="referral-inbox"),
    path("referrals/outbox/", api.ReferralOutboxApi.as_view(), name="referral-outbox"),
    path(
        "referrals/<str:referral_id>/",
        api.ReferralDetailApi.as_view(),
        name="referral-detail",
    ),
    path(
        "referrals/<str:referral_id>/accept/",
        api.ReferralAcceptApi.as_view(),
        name="referral-accept",
    ),
    path(
        "referrals/<str:referral_id>/decline/",
        api.ReferralDeclineApi.as_view(),
        name="referral-decline",
    ),
    path(
        "referrals/<str:referral_id>/withdraw/",
        api.ReferralWithdrawApi.as_view(),
        name="referral-withdraw",
    ),
    path(
        "referrals/<str:referral_id>/expire/",
        api.ReferralExpireApi.as_view(),
        name="referral-expire",
    ),
    path(
        "referrals/<str:referral_id>/complete/",
        api.ReferralCompleteApi.as_view(),
        name="referral-complete",
    ),
    path(
        "anonymous-notifications/inbox/",
        api.AnonymousInboxApi.as_view(),
        name="anonymous-inbox",
    ),
    path("deadlines/", api.DeadlineListApi.as_view(), name="deadline-list"),
    path("audit/events/", audit_api.AuditEventListApi.as_view(), name="audit-events"),
    path(
        "cases/<str:case_id>/subject-access/",
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
        "duplicate-reviews/<str:review_id>/",
        duplicate_api.DuplicateReviewDetailApi.as_view(),
        name="duplicate-review-detail",
    ),
    path(
        "duplicate-reviews/<str:review_id>/resolve/",
        duplicate_api.DuplicateReviewResolveApi.as_view(),
        name="duplicate-review-resolve",
    ),
    *statistics_api_urlpatterns,
]
