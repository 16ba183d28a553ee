"""Every write of the workflow: one function per operation, by area.

Each runs in one transaction: it locks the case row, asks the access policy,
checks the guards, changes the state through the graph on the model, and
writes the audit event, the deadlines and any outgoing notification (an
outbox row, delivered after commit). Arguments are keyword-only ids (UUID)
and values; audit rows carry ids and codes only.

The steps a user takes on a case are declared with `@step` on their service
(see `referral.steps`); `services.<name>(actor=..., case_id=..., ...)` runs
the same execution the API and the pages run. The names below are the
package's interface: import them from here.
"""

# The import order is the order of the steps in the "next steps" lists: the
# workflow's order (each module registers its steps when imported).
# isort: off
from referral.services.screening import ScreeningResult, screening_record
from referral.services.cases import (
    Registration,
    case_close,
    case_flag_for_referral,
    case_register,
    case_resume,
    case_suspend,
    case_transfer,
)
from referral.services.consent import consent_record, consent_withdraw, rights_inform
from referral.services.referrals import (
    anonymous_notification_send,
    referral_accept,
    referral_complete,
    referral_decline,
    referral_expire,
    referral_send,
    referral_withdraw,
)
from referral.services.children import (
    age_assessment_record,
    best_interests_record,
    child_views_record,
    guardian_appoint,
    majority_review_raise,
    majority_sweep,
)
from referral.services.decisions import (
    decision_conclusive_grounds,
    decision_reasonable_grounds,
    decision_reconsider,
    reconsideration_request,
)
from referral.services.protection import (
    non_punishment_notify,
    person_request_record,
    reintegration_follow_up,
    residence_permit_record,
    risk_assess,
)
from referral.services.transnational import (
    handover_answer,
    handover_package_download,
    handover_send,
    inbox_receive,
    inbox_refusal_record,
)
from referral.services.deadlines import deadlines_sweep
from referral.services.oversight import audit_trail_read, subject_access_export
from referral.services.persons import PERSON_FIELDS, person_erase, person_read
from referral.services.search import case_search
# isort: on

__all__ = [
    "PERSON_FIELDS",
    "Registration",
    "ScreeningResult",
    "age_assessment_record",
    "anonymous_notification_send",
    "audit_trail_read",
    "best_interests_record",
    "case_close",
    "case_flag_for_referral",
    "case_register",
    "case_resume",
    "case_search",
    "case_suspend",
    "case_transfer",
    "child_views_record",
    "consent_record",
    "consent_withdraw",
    "deadlines_sweep",
    "decision_conclusive_grounds",
    "decision_reasonable_grounds",
    "decision_reconsider",
    "guardian_appoint",
    "majority_review_raise",
    "majority_sweep",
    "non_punishment_notify",
    "handover_answer",
    "handover_package_download",
    "handover_send",
    "inbox_receive",
    "inbox_refusal_record",
    "person_erase",
    "person_request_record",
    "person_read",
    "reconsideration_request",
    "referral_accept",
    "referral_complete",
    "referral_decline",
    "referral_expire",
    "referral_send",
    "referral_withdraw",
    "rights_inform",
    "reintegration_follow_up",
    "residence_permit_record",
    "risk_assess",
    "screening_record",
    "subject_access_export",
]
