"""What every stored field is, for data protection: the one place.

Each model field of the installed models carries one class:

- `personal`: identifies a person or is about them, in clear or sealed by
  the vault (names, contact details, free texts, staff accounts);
- `special`: special categories (GDPR art. 9) and data as sensitive (the
  trafficking indicators, forms of exploitation, the decisions on victim
  status, health or sexual life as free text may reveal them);
- `pseudonymous`: ids and links that single a person out only with other
  data (row ids, foreign keys, the blind index, wrapped keys);
- `coarse`: the coarse attributes the anonymised statistics are computed
  from (sex, age group, citizenship, region, states, dates of steps);
- `operational`: configuration and workings of the service, about no person.

A test fails when a field of a project model (nrm, indicators, referral) has
no class here, or when an entry names a field that no longer exists.
`manage.py record_of_processing` writes the GDPR article 30 record from this
module, the pathways, the country profile and the settings.
"""

from __future__ import annotations

from dataclasses import dataclass

PERSONAL = "personal"
SPECIAL = "special"
PSEUDONYMOUS = "pseudonymous"
COARSE = "coarse"
OPERATIONAL = "operational"
CLASSES = {
    PERSONAL: "Personal data",
    SPECIAL: "Special categories and data on victimisation",
    PSEUDONYMOUS: "Pseudonymous identifiers and links",
    COARSE: "Coarse statistical attributes",
    OPERATIONAL: "Operational data (about no person)",
}

# Categories of data subjects.
PEOPLE = "people"
STAFF = "staff"
NOBODY = "nobody"
SUBJECTS = {
    PEOPLE: "People met at reception and screened, presumed and identified "
    "victims of trafficking, including children",
    STAFF: "Staff of the participating organisations (including appointed "
    "guardians and national rapporteurs)",
    NOBODY: "No data subject (configuration and the service's workings)",
}

# Purposes of the processing.
CASEWORK = "casework"
SECURITY = "security"
STATISTICS = "statistics"
SERVICE = "service"
PURPOSES = {
    CASEWORK: "Identification of and referral to assistance and protection of "
    "presumed victims of trafficking (OSCE Uniform Guidelines; CETS 197 arts. "
    "10-16): screening, consent, referral, decisions, deadlines, transfer",
    SECURITY: "Security and accountability: sign-in, second factor, lockout, "
    "access grants and the audit trail of every access and change",
    STATISTICS: "Anonymised statistics for the national rapporteur (CETS 197 "
    "art. 29(4)), from coarse attributes only",
    SERVICE: "Running the service: configuration, notifications between organisations",
}


@dataclass(frozen=True)
class Entry:
    subjects: str
    purpose: str
    fields: dict[str, str]


# Short names for the table below (X: operational).
P, S, Y, C, X = PERSONAL, SPECIAL, PSEUDONYMOUS, COARSE, OPERATIONAL

CLASSIFICATION: dict[str, Entry] = {
    # The people the mechanism serves -------------------------------------
    "referral.Person": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "given_names": P,
            "family_name": P,
            "aliases": P,
            "date_of_birth": P,
            "place_of_birth": P,
            "contact_details": P,
            "identity_documents": P,
            "notes": S,
            "sex": C,
            "age_group": C,
            "citizenship": C,
            "is_child": C,
            "registered_at": C,
            "blind_index": Y,
            "erased_at": X,
        },
    ),
    "referral.DataKey": Entry(
        PEOPLE,
        SECURITY,
        {
            "person": Y,
            "key_id": Y,
            "kek_id": X,
            "wrapped": Y,
            "created_at": X,
            "rewrapped_at": X,
            "destroyed_at": X,
        },
    ),
    "referral.Case": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "person": Y,
            "organisation": C,
            "region": C,
            "reception_stage": C,
            "language": C,
            "asylum_status": S,
            "state": C,
            "state_before_suspension": C,
            "latest_outcome": C,
            "registered_at": C,
            "registered_by": Y,
            "first_screened_at": C,
            "referred_at": C,
            "assessment_started_at": C,
            "rg_decided_at": C,
            "recovery_ends_on": C,
            "cg_decided_at": C,
            "suspended_at": C,
            "transferred_at": C,
            "transfer_country": C,
            "closed_at": C,
            "close_reason": C,
            "state_changed_at": C,
        },
    ),
    "referral.CaseExploitationForm": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "form": S,
        },
    ),
    "referral.Screening": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "catalogue_id": X,
            "indicator_codes": S,
            "assessment": S,
            "outcome": C,
            "interpreter_language": C,
            "notes": S,
            "screened_at": C,
            "screened_by": Y,
            "organisation": C,
        },
    ),
    "referral.Consent": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "to_organisation": X,
            "purpose": X,
            "given": P,
            "given_by": P,
            "guardian": Y,
            "language": C,
            "interpreter_used": X,
            "notes": P,
            "recorded_at": X,
            "recorded_by": Y,
            "withdrawn_at": P,
            "withdrawn_by": Y,
        },
    ),
    "referral.Referral": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "from_organisation": C,
            "to_organisation": C,
            "purpose": C,
            "urgency": X,
            "consent": Y,
            "state": C,
            "sent_at": C,
            "sent_by": Y,
            "answer_due_at": X,
            "answered_at": C,
            "answered_by": Y,
            "decline_reason": X,
            "completed_at": C,
            "handover": P,
        },
    ),
    # The transnational exchange: a sent package is ciphertext to the partner
    # (personal data, sealed); a received one leaves ids and codes only.
    "referral.Handover": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "direction": C,
            "kind": C,
            "partner": C,
            "case": Y,
            "referral": Y,
            "package_id": Y,
            "made_at": C,
            "expires_at": X,
            "package": P,
            "partner_reference": Y,
            "status": C,
            "status_at": C,
            "reason_code": X,
        },
    ),
    "referral.PartnerMechanism": Entry(
        NOBODY,
        SERVICE,
        {
            "id": X,
            "mechanism_id": X,
            "country": X,
            "name": X,
            "contact_point": X,
            "inbox_url": X,
            "organisation": X,
            "is_active": X,
        },
    ),
    "referral.PartnerKey": Entry(
        NOBODY,
        SERVICE,
        {
            "id": X,
            "partner": X,
            "use": X,
            "kid": X,
            "jwk": X,
            "fingerprint": X,
            "valid_from": X,
            "valid_until": X,
        },
    ),
    "referral.AnonymousNotification": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "from_organisation": C,
            "to_organisation": C,
            "sex": C,
            "age_group": C,
            "citizenship": C,
            "exploitation_forms": S,
            "sent_at": C,
            "sent_by": Y,
        },
    ),
    "referral.Decision": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "kind": C,
            "reconsiders": Y,
            "positive": S,
            "referral": Y,
            "organisation": C,
            "decided_by": Y,
            "decided_at": C,
            "person_request": Y,
            "reasons": S,
        },
    ),
    "referral.PersonRequest": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "kind": P,
            "language": C,
            "interpreter_present": X,
            "text": P,
            "recorded_at": X,
            "recorded_by": Y,
            "organisation": X,
        },
    ),
    "referral.NonPunishmentNotice": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "notified_organisation": X,
            "notified_on": S,
            "recorded_at": X,
            "recorded_by": Y,
            "organisation": X,
        },
    ),
    "referral.RiskAssessment": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "retrafficking_risk": S,
            "return_risk": S,
            "reasons": S,
            "assessed_at": X,
            "assessed_by": Y,
            "organisation": X,
        },
    ),
    "referral.CaseReturn": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "kind": S,
            "partner_organisation": X,
            "partner_name": P,
            "person_request": Y,
            "recorded_at": X,
            "recorded_by": Y,
        },
    ),
    "referral.ResidencePermit": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "status": S,
            "status_on": P,
            "recorded_at": X,
            "recorded_by": Y,
            "organisation": X,
        },
    ),
    "referral.GuardianAppointment": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "guardian": Y,
            "appointed_at": C,
            "recorded_by": Y,
            "ended_at": C,
            "end_reason": C,
        },
    ),
    "referral.ChildViews": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "views": S,
            "language": C,
            "interpreter_present": X,
            "recorded_at": X,
            "recorded_by": Y,
        },
    ),
    "referral.AgeAssessment": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "method": P,
            "result": P,
            "assessed_on": P,
            "recorded_at": X,
            "recorded_by": Y,
            "organisation": C,
        },
    ),
    "referral.RightsInformation": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "script": X,
            "language": C,
            "interpreter_present": X,
            "informed_on": C,
            "informed_by": Y,
            "organisation": C,
            "recorded_at": X,
        },
    ),
    "referral.ReconsiderationRequest": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "decision": Y,
            "by_person": P,
            "grounds": S,
            "requested_at": C,
            "requested_by": Y,
            "organisation": C,
            "answered_by": Y,
        },
    ),
    "referral.BestInterestsAssessment": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "recommendation": S,
            "summary": S,
            "assessed_at": C,
            "assessed_by": Y,
            "organisation": C,
        },
    ),
    "referral.Deadline": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": Y,
            "case": Y,
            "referral": Y,
            "kind": X,
            "organisation": X,
            "due_at": C,
            "met_at": C,
            "cancelled_at": X,
            "overdue_notified_at": X,
        },
    ),
    "referral.DuplicateReview": Entry(
        PEOPLE,
        CASEWORK,
        {
            "id": X,
            "case": Y,
            "organisation": X,
            "matched_person_ids": Y,
            "opened_at": X,
            "resolved_at": X,
            "resolved_by": Y,
            "outcome": X,
        },
    ),
    # Statistics: one row per case per milestone, tied to the case's id, with
    # its coarse attributes; releases hold only protected counts.
    "referral.Milestone": Entry(
        PEOPLE,
        STATISTICS,
        {
            "id": X,
            "subject": Y,
            "measure": C,
            "occurred_at": C,
            "year": C,
            "month": C,
            "organisation": C,
            "sex": C,
            "age_group": C,
            "is_child": C,
            "citizenship": C,
            "form": S,
            "reception_stage": C,
            "detail": C,
            "days": C,
        },
    ),
    "referral.StatisticsRelease": Entry(
        NOBODY,
        STATISTICS,
        dict.fromkeys(
            (
                "id",
                "scope",
                "year",
                "month",
                "version",
                "published_at",
                "threshold",
                "content_hash",
                "document",
            ),
            X,
        ),
    ),
    "referral.ReleaseCounts": Entry(
        NOBODY,
        STATISTICS,
        dict.fromkeys(
            (
                "id",
                "year",
                "month",
                "version",
                "counts",
                "status",
                "created_at",
            ),
            X,
        ),
    ),
    "referral.CaseGroupObjectPermission": Entry(
        NOBODY,
        SECURITY,
        {
            "id": X,
            "permission": X,
            "group": X,
            "content_object": Y,
        },
    ),
    "referral.CaseUserObjectPermission": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "permission": X,
            "user": Y,
            "content_object": Y,
        },
    ),
    # Staff, organisations, configuration -------------------------------------
    "nrm.User": Entry(
        STAFF,
        SECURITY,
        {
            "id": Y,
            "password": P,
            "last_login": P,
            "is_superuser": X,
            "username": P,
            "first_name": P,
            "last_name": P,
            "email": P,
            "is_staff": X,
            "is_active": X,
            "date_joined": P,
            "preferred_language": P,
            "groups": X,
            "user_permissions": X,
        },
    ),
    "nrm.Membership": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "user": Y,
            "organisation": X,
            "role": P,
            "is_active": X,
            "created_at": X,
        },
    ),
    "nrm.Organisation": Entry(
        NOBODY,
        SERVICE,
        {
            "id": X,
            "name": X,
            "kind": X,
            "region": X,
            "country": X,
            "is_active": X,
            "email": X,
            "group": X,
        },
    ),
    "nrm.CountryProfile": Entry(
        NOBODY,
        SERVICE,
        dict.fromkeys(
            (
                "id",
                "country",
                "name",
                "is_active",
                "rg_decision_working_days",
                "recovery_period_days",
                "referral_answer_working_days",
                "reconsideration_window_days",
                "age_of_majority",
                "statistics_threshold",
                "reconsideration_authority",
                "police_contact",
                "missing_child_search_hours",
                "majority_review_days",
                "migration_authority",
                "reintegration_follow_up_days",
                "k_anonymity",
                "l_diversity",
                "working_weekdays",
                "public_holidays",
                "retention_closed_case_days",
                "retention_refused_case_days",
                "retention_audit_days",
                "retention_outbox_days",
                "retention_statistics_release_days",
                "transnational_contact_point",
            ),
            X,
        ),
    ),
    "nrm.Service": Entry(
        NOBODY, SERVICE, dict.fromkeys(("id", "organisation", "kind", "is_active"), X)
    ),
    "nrm.Pathway": Entry(
        NOBODY,
        SERVICE,
        dict.fromkeys(
            (
                "id",
                "purpose",
                "region",
                "person_group",
                "sex",
                "exploitation_form",
                "service",
                "priority",
                "is_active",
            ),
            X,
        ),
    ),
    "nrm.AuditEvent": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "occurred_at": P,
            "actor": Y,
            "organisation": X,
            "role": P,
            "action": P,
            "object_type": X,
            "object_id": Y,
            "case_id": Y,
            "from_state": C,
            "to_state": C,
            "reason_code": X,
            "reason_sealed": S,
            "extra": Y,
            "prev_hash": X,
            "hash": X,
            "key_id": X,
        },
    ),
    "nrm.IdempotencyKey": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "user": Y,
            "key_digest": X,
            "request_digest": X,
            "created_at": X,
            "expires_at": X,
            "status": X,
            "content_type": X,
            "body": Y,
        },
    ),
    "nrm.AuditChainHead": Entry(
        NOBODY, SECURITY, dict.fromkeys(("id", "last_id", "last_hash"), X)
    ),
    # A transnational package in the payload is ciphertext to the partner.
    "nrm.OutboxMessage": Entry(
        NOBODY,
        SERVICE,
        {
            "id": X,
            "kind": X,
            "organisation": X,
            "payload": P,
            "created_at": X,
            "delivered_at": X,
            "attempts": X,
            "last_error": X,
            "next_attempt_at": X,
        },
    ),
    # Training exercises (training/): synthetic personas only ---------------
    "training.TrainingMarker": Entry(
        NOBODY, SERVICE, dict.fromkeys(("id", "marked_at"), X)
    ),
    "training.Exercise": Entry(
        STAFF,
        SERVICE,
        {
            "id": X,
            "pack_id": X,
            "pack_title": X,
            "state": X,
            "started_by": Y,
            "started_at": X,
            "ended_at": X,
            "day_zero": X,
            "anchor_real": X,
            "anchor_exercise": X,
            "speed": X,
            "paused": X,
        },
    ),
    "training.ExerciseAgency": Entry(
        NOBODY, SERVICE, dict.fromkeys(("id", "exercise", "key", "organisation"), X)
    ),
    "training.ExerciseAccount": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "exercise": X,
            "agency": X,
            "user": Y,
            "role": P,
        },
    ),
    "training.ExercisePersona": Entry(
        NOBODY,
        SERVICE,
        {
            "id": X,
            "exercise": X,
            "key": X,
            "case": Y,
            "handover_case": Y,
        },
    ),
    # The synthetic partner an exercise plays: its private keys are secrets
    # of the exercise, never personal data.
    "training.ExercisePartner": Entry(
        NOBODY,
        SECURITY,
        dict.fromkeys(
            ("id", "exercise", "partner", "signing_key", "encryption_key"), X
        ),
    ),
    "training.Inject": Entry(
        NOBODY,
        SERVICE,
        dict.fromkeys(
            (
                "id",
                "exercise",
                "key",
                "kind",
                "spec",
                "due_at",
                "state",
                "fired_at",
                "outcome",
            ),
            X,
        ),
    ),
    # Installed third-party models (staff sessions and security) --------------
    "sessions.Session": Entry(
        STAFF,
        SECURITY,
        {
            "session_key": Y,
            "session_data": P,
            "expire_date": X,
        },
    ),
    "otp_totp.TOTPDevice": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "user": Y,
            "name": X,
            "confirmed": X,
            "throttling_failure_timestamp": P,
            "throttling_failure_count": X,
            "created_at": X,
            "last_used_at": P,
            "key": P,
            "step": X,
            "t0": X,
            "digits": X,
            "tolerance": X,
            "drift": X,
            "last_t": X,
        },
    ),
    "knox.AuthToken": Entry(
        STAFF,
        SECURITY,
        {
            "digest": Y,
            "token_key": Y,
            "user": Y,
            "created": P,
            "expiry": X,
        },
    ),
    "axes.AccessAttempt": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "user_agent": P,
            "ip_address": P,
            "username": Y,
            "http_accept": X,
            "path_info": X,
            "attempt_time": P,
            "get_data": X,
            "post_data": X,
            "failures_since_start": X,
        },
    ),
    "axes.AccessFailureLog": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "user_agent": P,
            "ip_address": P,
            "username": Y,
            "http_accept": X,
            "path_info": X,
            "attempt_time": P,
            "locked_out": X,
        },
    ),
    "axes.AccessAttemptExpiration": Entry(
        STAFF,
        SECURITY,
        {
            "access_attempt": X,
            "expires_at": X,
        },
    ),
    "axes.AccessLog": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "user_agent": P,
            "ip_address": P,
            "username": Y,
            "http_accept": X,
            "path_info": X,
            "attempt_time": P,
            "logout_time": P,
            "session_hash": Y,
        },
    ),
    "admin.LogEntry": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "action_time": P,
            "user": Y,
            "content_type": X,
            "object_id": Y,
            "object_repr": X,
            "action_flag": X,
            "change_message": X,
        },
    ),
    "guardian.UserObjectPermission": Entry(
        STAFF,
        SECURITY,
        {
            "id": X,
            "permission": X,
            "content_type": X,
            "object_pk": Y,
            "user": Y,
        },
    ),
    "guardian.GroupObjectPermission": Entry(
        NOBODY,
        SECURITY,
        {
            "id": X,
            "permission": X,
            "content_type": X,
            "object_pk": Y,
            "group": X,
        },
    ),
    "auth.Permission": Entry(
        NOBODY, SERVICE, dict.fromkeys(("id", "name", "content_type", "codename"), X)
    ),
    "auth.Group": Entry(
        NOBODY, SERVICE, dict.fromkeys(("id", "name", "permissions"), X)
    ),
    "contenttypes.ContentType": Entry(
        NOBODY, SERVICE, dict.fromkeys(("id", "app_label", "model"), X)
    ),
}


def model_fields(model) -> list[str]:
    """The stored fields of a model (columns and many-to-many tables)."""
    meta = model._meta
    return [f.name for f in meta.concrete_fields] + [f.name for f in meta.many_to_many]


def unclassified(models) -> list[str]:
    """ "app.Model.field" for every field the classification misses."""
    missing = []
    for model in models:
        entry = CLASSIFICATION.get(model._meta.label)
        for name in model_fields(model):
            if entry is None or name not in entry.fields:
                missing.append(f"{model._meta.label}.{name}")
    return missing


def stale(models) -> list[str]:
    """ "app.Model.field" for entries that name no installed field."""
    present = {m._meta.label: set(model_fields(m)) for m in models}
    return [
        f"{label}.{name}"
        for label, entry in CLASSIFICATION.items()
        for name in entry.fields
        if name not in present.get(label, set())
    ]
