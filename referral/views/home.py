"""The home page's panels for case work, by what the user's roles may do:
the reception officer's open cases by next deadline and the answers to their
referrals, the case worker's inbox and assisted cases, the decision maker's
queue, the overdue work, the statistics. The home page (nrm/views.py) calls
`panels` through the HOME_PANELS setting, so nrm does not import referral.

A panel is a title, rows (link, text, a badge) and a link to the full list.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import clock
from nrm.roles import Capability as C
from referral import policy, selectors
from referral.models import OPEN_STATES, ReferralState
from referral.views.presenters import DEADLINE_STATUS_LABELS

ROWS = 8


def _when(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _case_row(case) -> dict:
    due = getattr(case, "next_due", None)
    return {
        "url": reverse("case", args=[case.pk]),
        "text": _("Case %(reference)s") % {"reference": case.reference},
        "detail": case.get_state_display(),
        "badge": _("due %(when)s") % {"when": _when(due)} if due else "",
    }


def _referral_row(user, referral, *, received: bool = False) -> dict:
    other = referral.from_organisation if received else referral.to_organisation
    discloses = policy.referral_discloses_case(user, referral)
    return {
        "url": reverse("referral", args=[referral.pk]),
        "text": f"{referral.get_purpose_display()}, {other.name}",
        "detail": _("Case %(reference)s") % {"reference": referral.case.reference}
        if discloses
        else "",
        "badge": referral.get_state_display(),
        "state": referral.state,
    }


def _deadline_row(deadline, now) -> dict:
    status = deadline.status(now)
    return {
        "url": reverse("case", args=[deadline.case_id]),
        "text": deadline.get_kind_display(),
        "detail": _("due %(when)s") % {"when": _when(deadline.due_at)},
        "badge": DEADLINE_STATUS_LABELS.get(status, ""),
        "state": status,
    }


def panels(request) -> list[dict]:
    user = request.user
    now = clock.now()
    found: list[dict] = []
    if policy.may_globally(user, C.PERSON_REGISTER):
        cases = selectors.open_cases_by_deadline(user)[:ROWS]
        found.append(
            {
                "id": "home-open-cases",
                "title": _("Your open cases, by next deadline"),
                "rows": [_case_row(c) for c in cases],
                "more": reverse("cases"),
                "empty": _("No open case."),
            }
        )
        answers = selectors.referral_answers(user)[:ROWS]
        found.append(
            {
                "id": "home-answers",
                "title": _("Answers to your referrals"),
                "rows": [_referral_row(user, r) for r in answers],
                "more": "",
                "empty": _("No referral answered yet."),
            }
        )
    if policy.may_globally(user, C.REFERRAL_INBOX):
        inbox = selectors.referral_inbox(user, state=ReferralState.SENT)[:ROWS]
        found.append(
            {
                "id": "home-inbox",
                "title": _("Referrals waiting for your answer"),
                "rows": [_referral_row(user, r, received=True) for r in inbox],
                "more": reverse("referral-inbox"),
                "empty": _("Nothing waiting."),
            }
        )
    if policy.may_globally(user, C.CASE_ASSIST) and not policy.may_globally(
        user, C.PERSON_REGISTER
    ):
        assisted = selectors.case_list(user).filter(state__in=OPEN_STATES)[:ROWS]
        found.append(
            {
                "id": "home-assisted",
                "title": _("Cases you assist"),
                "rows": [_case_row(c) for c in assisted],
                "more": reverse("cases"),
                "empty": _("No open case."),
            }
        )
    if policy.may_globally(user, C.DECISION_TAKE):
        queue = selectors.decision_queue(user)[:ROWS]
        found.append(
            {
                "id": "home-decisions",
                "title": _("Decisions due, earliest first"),
                "rows": [_deadline_row(d, now) for d in queue],
                "more": reverse("decision-queue"),
                "empty": _("No decision due."),
            }
        )
    if policy.may_globally(user, C.DEADLINES_VIEW):
        overdue = selectors.deadlines_for(user, overdue_only=True)[:ROWS]
        found.append(
            {
                "id": "home-overdue",
                "title": _("Overdue work"),
                "rows": [_deadline_row(d, now) for d in overdue],
                "more": reverse("deadlines-overdue"),
                "empty": _("Nothing overdue."),
            }
        )
    if policy.may_globally(user, C.STATISTICS_NATIONAL) or policy.may_globally(
        user, C.STATISTICS_ORGANISATION
    ):
        found.append(
            {
                "id": "home-statistics",
                "title": _("Statistics"),
                "rows": [],
                "more": reverse("statistics"),
                "empty": _(
                    "The published figures, with charts, for the latest period."
                ),
            }
        )
    return found
