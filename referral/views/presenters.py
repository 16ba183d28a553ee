"""What the case pages show, shaped for the templates: a screening's
assessment explained in the reader's language, the timeline's event names."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from indicators import catalogue as catalogues
from indicators.views import OUTCOME_TEXTS, STRENGTH_LABELS
from nrm.audit import Event
from nrm.choices import ServiceKind
from referral.models import CaseState

OUTCOME_LABELS = {
    "presumed": pgettext_lazy("screening outcome", "Presumed"),
    "possible": pgettext_lazy("screening outcome", "Possible"),
    "none": pgettext_lazy("screening outcome", "None"),
}

EVENT_LABELS = {
    Event.ACCESS_GRANTED: _("Access granted to an organisation"),
    Event.ACCESS_REVOKED: _("Access revoked from an organisation"),
    Event.PERSON_REGISTERED: _("Person registered, case opened"),
    Event.PERSON_READ: _("Personal data opened"),
    Event.PERSON_UPDATED: _("Personal data updated"),
    Event.PERSON_ERASED: _("Personal data erased"),
    Event.SUBJECT_ACCESS_EXPORTED: _("Subject access export"),
    Event.CASE_TRANSITION: _("State changed"),
    Event.SCREENING_RECORDED: _("Screening recorded"),
    Event.CONSENT_RECORDED: _("Consent recorded"),
    Event.CONSENT_WITHDRAWN: _("Consent withdrawn"),
    Event.GUARDIAN_APPOINTED: _("Guardian appointed"),
    Event.BEST_INTERESTS_RECORDED: _("Best-interests assessment recorded"),
    Event.REFERRAL_SENT: _("Referral sent"),
    Event.REFERRAL_ACCEPTED: _("Referral accepted"),
    Event.REFERRAL_DECLINED: _("Referral declined"),
    Event.REFERRAL_WITHDRAWN: _("Referral withdrawn"),
    Event.REFERRAL_EXPIRED: _("Referral expired"),
    Event.REFERRAL_COMPLETED: _("Referral completed"),
    Event.ANONYMOUS_NOTIFICATION: _("Anonymous notification sent"),
    Event.DECISION_TAKEN: _("Decision taken"),
    Event.DEADLINE_OVERDUE: _("Deadline overdue"),
    Event.RIGHTS_INFORMED: _("Informed of rights"),
    Event.CHILD_VIEWS_RECORDED: _("Child's views recorded"),
    Event.AGE_ASSESSED: _("Age assessment recorded"),
    Event.GUARDIANSHIP_ENDED: _("Guardianship ended"),
    Event.MAJORITY_REACHED: _("Recorded age of majority passed"),
    Event.CHILD_MISSING: _("Missing child alert sent"),
    Event.RECONSIDERATION_REQUESTED: _("Reconsideration requested"),
    Event.PERSON_REQUEST_RECORDED: _("Request of the person recorded"),
    Event.PROTECTION_NOTICE_SENT: _("Protection notice sent"),
    Event.NON_PUNISHMENT_NOTIFIED: _("Non-punishment notice recorded"),
    Event.RISK_ASSESSED: _("Risk assessment recorded"),
    Event.RETURN_RECORDED: _("Return recorded"),
    Event.REINTEGRATION_FOLLOWED_UP: _("Reintegration follow-up recorded"),
    Event.RESIDENCE_PERMIT_RECORDED: _("Residence permit recorded"),
}

STATE_LABELS = dict(CaseState.choices)
DEADLINE_STATUS_LABELS = {
    "open": _("Open"),
    "overdue": _("Overdue"),
    "met": _("Met"),
    "met_late": _("Met late"),
    "cancelled": _("Cancelled"),
}
# Reason codes the timeline shows, where they have a name.
REASON_LABELS = {
    **OUTCOME_LABELS,
    **dict(ServiceKind.choices),
    "given": _("given"),
    "refused": _("refused"),
    "professional_judgement": _("Professional judgement"),
    "urgent_danger": _("Urgent danger"),
    "positive": _("positive"),
    "negative": _("negative"),
}


def event_rows(events) -> tuple[list[dict], int]:
    """The timeline without the reads of personal data, which are counted
    (every opening of the case page is one)."""
    rows, reads = [], 0
    for event in events:
        if event.action == Event.PERSON_READ:
            reads += 1
            continue
        rows.append(
            {
                "at": event.occurred_at,
                "label": EVENT_LABELS.get(event.action, event.action),
                "from_state": STATE_LABELS.get(event.from_state, event.from_state),
                "to_state": STATE_LABELS.get(event.to_state, event.to_state),
                "reason": _reason(event.reason_code),
                "actor": event.actor.get_username() if event.actor else "",
                "organisation": event.organisation.name if event.organisation else "",
            }
        )
    return rows, reads


def _reason(code: str) -> str:
    if not code:
        return ""
    if ":" in code:  # decisions: "<kind>:<outcome>"
        return " ".join(str(REASON_LABELS.get(part, part)) for part in code.split(":"))
    return str(REASON_LABELS.get(code, code))


def screening_view(screening, language: str) -> dict:
    """A recorded screening's assessment, explained in `language` from the
    stored result and the catalogue's labels."""
    assessment = screening.assessment or {}
    outcome = screening.outcome
    view = {
        "screening": screening,
        "outcome": outcome,
        "outcome_label": OUTCOME_LABELS.get(outcome, outcome),
        "outcome_text": OUTCOME_TEXTS.get(outcome, ""),
        "title": screening.catalogue_id,
        "combination_met": assessment.get("combination_met", False),
        "dimensions": [],
        "fallback": "",
    }
    try:
        catalogue = catalogues.get(screening.catalogue_id)
    except catalogues.UnknownCatalogue:
        # The catalogue is gone: the stored English explanation still holds.
        view["fallback"] = assessment.get("explanation", "")
        return view
    language = catalogue.language(language)
    view["title"] = catalogue.title[language]
    for result in assessment.get("dimensions", []):
        codes = result.get("codes") or []
        if not codes:
            continue
        try:
            label = catalogue.dimension(result["dimension"]).label[language]
        except KeyError:
            label = result["dimension"]
        indicators = []
        for code in codes:
            indicator = catalogue.by_code.get(code)
            if indicator is None:
                indicators.append({"label": code, "strength": ""})
            else:
                indicators.append(
                    {
                        "label": indicator.label[language],
                        "strength": STRENGTH_LABELS.get(indicator.strength, ""),
                    }
                )
        view["dimensions"].append(
            {
                "label": label,
                "positive": bool(result.get("positive")),
                "indicators": indicators,
            }
        )
    return view
