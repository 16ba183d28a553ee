"""This app's staff pages, mounted at the site root by config/urls.py."""

from django.urls import path

from referral import views
from referral.statistics import views as statistics_views
from referral.views import duplicates as duplicate_views
from referral.views import subject as subject_views

urlpatterns: list = [
    # Case work: referral/views/.
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_register, name="case-new"),
    path("cases/search/", views.case_search, name="case-search"),
    path("cases/<uuid:case_id>/", views.case_page, name="case"),
    path("cases/<uuid:case_id>/screen/", views.case_screen, name="case-screen"),
    path("cases/<uuid:case_id>/steps/<slug:name>/", views.case_step, name="case-step"),
    path(
        "cases/<uuid:case_id>/consents/new/",
        views.consent_new,
        name="case-consent-new",
    ),
    path(
        "cases/<uuid:case_id>/consents/<uuid:consent_id>/withdraw/",
        views.consent_withdraw,
        name="case-consent-withdraw",
    ),
    path(
        "cases/<uuid:case_id>/referrals/new/",
        views.referral_new,
        name="case-referral-new",
    ),
    path("referrals/inbox/", views.referral_inbox, name="referral-inbox"),
    path("referrals/anonymous/", views.anonymous_inbox, name="anonymous-notifications"),
    path("referrals/<uuid:referral_id>/", views.referral_page, name="referral"),
    path("decisions/", views.decision_queue, name="decision-queue"),
    path("deadlines/overdue/", views.overdue_deadlines, name="deadlines-overdue"),
    path("statistics/", statistics_views.dashboard, name="statistics"),
    path("duplicates/", duplicate_views.duplicate_reviews, name="duplicate-reviews"),
    path(
        "duplicates/<uuid:review_id>/",
        duplicate_views.duplicate_review,
        name="duplicate-review",
    ),
    # The person's rights over their data referral/views/subject.py.
    path(
        "cases/<uuid:case_id>/rights/",
        subject_views.subject_rights,
        name="case-subject-rights",
    ),
    path(
        "cases/<uuid:case_id>/rights/access/",
        subject_views.subject_access,
        name="case-subject-access",
    ),
    path(
        "cases/<uuid:case_id>/rights/erase/",
        subject_views.person_erase,
        name="case-person-erase",
    ),
]
