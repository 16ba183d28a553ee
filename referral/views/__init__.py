"""The case-work pages (issue 8); the routes are in referral/urls.py."""

from referral.views.cases import (
    case_list,
    case_page,
    case_register,
    case_screen,
    case_search,
    case_step,
    consent_new,
    consent_withdraw,
    referral_new,
)
from referral.views.referrals import (
    anonymous_inbox,
    decision_queue,
    overdue_deadlines,
    referral_inbox,
    referral_page,
)

__all__ = [
    "anonymous_inbox",
    "case_list",
    "case_page",
    "case_register",
    "case_screen",
    "case_search",
    "case_step",
    "consent_new",
    "consent_withdraw",
    "decision_queue",
    "overdue_deadlines",
    "referral_inbox",
    "referral_new",
    "referral_page",
]
