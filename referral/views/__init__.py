"""The case-work pages (issue 8); the routes are in referral/urls.py."""

from referral.views.cases import (
    case_list,
    case_page,
    case_register,
    case_screen,
    case_search,
    case_step,
    consent_new,
    referral_new,
)
from referral.views.referrals import (
    decision_queue,
    overdue_deadlines,
    referral_inbox,
    referral_page,
)

__all__ = [
    "case_list",
    "case_page",
    "case_register",
    "case_screen",
    "case_search",
    "case_step",
    "consent_new",
    "decision_queue",
    "overdue_deadlines",
    "referral_inbox",
    "referral_new",
    "referral_page",
]
