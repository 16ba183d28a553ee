"""Cases and what happens to them: screenings, consents, referrals,
decisions, guardians, best-interests assessments, deadlines.

The workflow graph is declared here, by the `@transition` methods; they stay
thin (source, target, fields of the same row). Everything else a transition
needs (locks, policy, guards over other rows, audit, deadlines, outbox) is in
the services (`referral/services/`), and the guards in `referral/workflow.py`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from nrm.choices import ExploitationForm, ServiceKind
from referral.vault import SealedField


class CaseState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    SCREENED = "screened", _("Screened")
    REFERRAL_PENDING = "referral_pending", _("Referral pending")
    REFERRED = "referred", _("Referred")
    ASSESSMENT = "assessment", _("Assessment")
    PRESUMED_VICTIM = "presumed_victim", _("Presumed victim")
    RECOGNISED = "recognised", _("Recognised")
    NOT_IDENTIFIED = "not_identified", _("Not identified")
    TRANSFERRED = "transferred", _("Transferred")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


S = CaseState
# States in which the person is still with the mechanism: screening, referral
# and assistance remain possible.
OPEN_STATES = (
    S.REGISTERED,
    S.SCREENED,
    S.REFERRAL_PENDING,
    S.REFERRED,
    S.ASSESSMENT,
    S.PRESUMED_VICTIM,
    S.RECOGNISED,
    S.NOT_IDENTIFIED,
)
LATER_SCREENING_STATES = tuple(
    state for state in OPEN_STATES if state not in (S.REGISTERED, S.SCREENED)
)
# States a case may be suspended from, and so resumed to.
SUSPENDABLE_STATES = OPEN_STATES
# The transit route is open from every open state, and to a person whose
# contact was lost (they may be found across the border).
TRANSFERABLE_STATES = (*OPEN_STATES, S.SUSPENDED)
CLOSABLE_STATES = (*OPEN_STATES, S.TRANSFERRED, S.SUSPENDED)
# What a transition writes besides `state`, declared on it as
# `custom={"writes": ...}`: the services save exactly these fields.
SUSPENSION_FIELDS = ("state_before_suspension", "suspended_at", "state_changed_at")


class ReceptionStage(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact")
    REGISTRATION = "registration_screening", _("Registration and screening")
    ACCOMMODATION = "accommodation", _("Accommodation")
    ASYLUM_PROCEDURE = "asylum_procedure", _("Asylum procedure")
    TRANSIT = "transit", _("Transit")


class AsylumStatus(models.TextChoices):
    """Runs in parallel; never blocks identification."""

    NONE = "none", _("Not in the asylum procedure")
    INTENDS = "intends_to_apply", _("Intends to apply")
    APPLIED = "applied", _("Applied")
    GRANTED = "granted", _("Protection granted")
    REJECTED = "rejected", _("Rejected")
    UNKNOWN = "unknown", _("Unknown")


class CloseReason(models.TextChoices):
    DURABLE_SOLUTION = "durable_solution", _("Durable solution")
    RETURN = "return", _("Return")
    INTEGRATION = "integration", _("Integration")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn or refused")
    NO_INDICATORS = "no_indicators", _("No indicators")
    NOT_IDENTIFIED = "not_identified", _("Not identified")
    TRANSFERRED = "transferred", _("Transferred")
    DECEASED = "deceased", _("Deceased")


# Closing a child's case on these grounds needs a best-interests assessment.
CLOSE_REASONS_NEEDING_BIA = frozenset(
    {
        CloseReason.RETURN,
        CloseReason.DURABLE_SOLUTION,
        CloseReason.INTEGRATION,
        CloseReason.TRANSFERRED,
        CloseReason.CONSENT_WITHDRAWN,
        CloseReason.NO_INDICATORS,
        CloseReason.NOT_IDENTIFIED,
    }
)


class SuspendReason(models.TextChoices):
    CONTACT_LOST = "contact_lost", _("Contact lost")
    CHILD_MISSING = "child_missing", _("Child reported missing")


class Case(ConcurrentTransitionMixin, models.Model):
    """One person's journey through the mechanism."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "referral.Person", on_delete=models.PROTECT, related_name="cases"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="registered_cases"
    )
    region = models.CharField(max_length=64, help_text=_("Registering region."))
    reception_stage = models.CharField(max_length=32, choices=ReceptionStage.choices)
    language = models.CharField(
        max_length=16, blank=True, help_text=_("Language for interviews (ISO 639).")
    )
    asylum_status = models.CharField(
        max_length=32, choices=AsylumStatus.choices, default=AsylumStatus.UNKNOWN
    )
    state = FSMField(
        max_length=32,
        choices=CaseState.choices,
        default=CaseState.REGISTERED,
        protected=True,
        db_index=True,
    )
    state_before_suspension = models.CharField(max_length=32, blank=True)
    latest_outcome = models.CharField(max_length=16, blank=True)
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Dates of state changes, kept coarse and in clear for statistics.
    first_screened_at = models.DateTimeField(null=True, blank=True)
    referred_at = models.DateTimeField(null=True, blank=True)
    assessment_started_at = models.DateTimeField(null=True, blank=True)
    rg_decided_at = models.DateTimeField(null=True, blank=True)
    recovery_ends_on = models.DateField(null=True, blank=True)
    cg_decided_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    transferred_at = models.DateTimeField(null=True, blank=True)
    transfer_country = models.CharField(max_length=2, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(
        max_length=32, choices=CloseReason.choices, blank=True
    )
    state_changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-registered_at"]
        indexes = [
            models.Index(fields=["organisation", "state"]),
            models.Index(fields=["registered_at"]),
        ]

    def __str__(self) -> str:
        return f"case {self.id}"

    @property
    def reference(self) -> str:
        return str(self.id).split("-")[0].upper()

    # The graph. Every method changes this row only.

    @transition(
        field=state,
        source=[S.REGISTERED, S.SCREENED],
        target=RETURN_VALUE(S.SCREENED, S.REFERRAL_PENDING),
        custom={"writes": ("latest_outcome", "first_screened_at", "state_changed_at")},
    )
    def record_screening(self, *, at: datetime, outcome: str, calls_for_referral: bool):
        """A screening before any referral decides whether to refer."""
        self.latest_outcome = outcome
        self.first_screened_at = self.first_screened_at or at
        self.state_changed_at = at
        return S.REFERRAL_PENDING if calls_for_referral else S.SCREENED

    @transition(
        field=state,
        source=LATER_SCREENING_STATES,
        target=None,
        custom={"writes": ("latest_outcome", "first_screened_at")},
    )
    def record_later_screening(self, *, at: datetime, outcome: str):
        """Indicators can surface at any stage: screening is possible in every
        open state; past referral it informs the case without moving it."""
        self.latest_outcome = outcome
        self.first_screened_at = self.first_screened_at or at

    @transition(
        field=state,
        source=[S.REGISTERED, S.SCREENED],
        target=S.REFERRAL_PENDING,
        custom={"writes": ("state_changed_at",)},
    )
    def flag_for_referral(self, *, at: datetime):
        """Professional judgement or urgent danger, whatever the indicators."""
        self.state_changed_at = at

    @transition(
        field=state,
        source=S.REFERRAL_PENDING,
        target=S.REFERRED,
        custom={"writes": ("referred_at", "state_changed_at")},
    )
    def send_identification_referral(self, *, at: datetime):
        self.referred_at = self.referred_at or at
        self.state_changed_at = at

    @transition(
        field=state,
        source=[S.REFERRED, S.ASSESSMENT],
        target=S.REFERRAL_PENDING,
        custom={"writes": ("state_changed_at",)},
    )
    def identification_referral_lapsed(self, *, at: datetime):
        """Declined, withdrawn or expired, or consent withdrawn after it was
        accepted: choose another recipient, or notify anonymously."""
        self.state_changed_at = at

    def forget_lapsed_referral_while_suspended(self) -> None:
        """The identification referral lapsed while contact was lost: resume
        to choosing a recipient, not to a referral that no longer runs."""
        if self.state_before_suspension in (S.REFERRED, S.ASSESSMENT):
            self.state_before_suspension = S.REFERRAL_PENDING

    @transition(
        field=state,
        source=S.REFERRED,
        target=S.ASSESSMENT,
        custom={"writes": ("assessment_started_at", "state_changed_at")},
    )
    def accept_identification_referral(self, *, at: datetime):
        self.assessment_started_at = at
        self.state_changed_at = at

    @transition(
        field=state,
        source=S.ASSESSMENT,
        target=RETURN_VALUE(S.PRESUMED_VICTIM, S.NOT_IDENTIFIED),
        custom={"writes": ("rg_decided_at", "recovery_ends_on", "state_changed_at")},
    )
    def decide_reasonable_grounds(
        self, *, at: datetime, positive: bool, recovery_ends_on: date | None
    ):
        self.rg_decided_at = at
        self.state_changed_at = at
        if positive:
            self.recovery_ends_on = recovery_ends_on
            return S.PRESUMED_VICTIM
        return S.NOT_IDENTIFIED

    @transition(
        field=state,
        source=S.PRESUMED_VICTIM,
        target=RETURN_VALUE(S.RECOGNISED, S.NOT_IDENTIFIED),
        custom={"writes": ("cg_decided_at", "state_changed_at")},
    )
    def decide_conclusive_grounds(self, *, at: datetime, positive: bool):
        self.cg_decided_at = at
        self.state_changed_at = at
        return S.RECOGNISED if positive else S.NOT_IDENTIFIED

    @transition(
        field=state,
        source=S.NOT_IDENTIFIED,
        target=RETURN_VALUE(S.PRESUMED_VICTIM, S.RECOGNISED, S.NOT_IDENTIFIED),
        custom={
            "writes": (
                "rg_decided_at",
                "recovery_ends_on",
                "cg_decided_at",
                "state_changed_at",
            )
        },
    )
    def reconsider(
        self,
        *,
        at: datetime,
        positive: bool,
        of_kind: str,
        recovery_ends_on: date | None,
    ):
        if not positive:
            return S.NOT_IDENTIFIED
        self.state_changed_at = at
        if of_kind == DecisionKind.REASONABLE_GROUNDS:
            self.rg_decided_at = at
            self.recovery_ends_on = recovery_ends_on
            return S.PRESUMED_VICTIM
        self.cg_decided_at = at
        return S.RECOGNISED

    @transition(
        field=state,
        source=SUSPENDABLE_STATES,
        target=S.SUSPENDED,
        custom={"writes": SUSPENSION_FIELDS},
    )
    def suspend(self, *, at: datetime):
        self.state_before_suspension = self.state
        self.suspended_at = at
        self.state_changed_at = at

    @transition(
        field=state,
        source=S.SUSPENDED,
        target=RETURN_VALUE(*OPEN_STATES),
        custom={"writes": SUSPENSION_FIELDS},
    )
    def resume(self, *, at: datetime):
        previous = self.state_before_suspension
        self.state_before_suspension = ""
        self.suspended_at = None
        self.state_changed_at = at
        return previous

    @transition(
        field=state,
        source=TRANSFERABLE_STATES,
        target=S.TRANSFERRED,
        custom={
            "writes": (
                "transferred_at",
                "transfer_country",
                "state_changed_at",
                *SUSPENSION_FIELDS,
            )
        },
    )
    def transfer(self, *, at: datetime, country: str):
        self.transferred_at = at
        self.transfer_country = country
        self.state_changed_at = at
        self.state_before_suspension = ""
        self.suspended_at = None

    @transition(
        field=state,
        source=CLOSABLE_STATES,
        target=S.CLOSED,
        custom={
            "writes": (
                "closed_at",
                "close_reason",
                "state_changed_at",
                *SUSPENSION_FIELDS,
            )
        },
    )
    def close(self, *, at: datetime, reason: str):
        self.closed_at = at
        self.close_reason = reason
        self.state_changed_at = at
        self.state_before_suspension = ""
        self.suspended_at = None


class CaseExploitationForm(models.Model):
    """Forms of exploitation of a case; a row each, so statistics can count."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="forms")
    form = models.CharField(max_length=32, choices=ExploitationForm.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "form"], name="case_form_unique")
        ]

    def __str__(self) -> str:
        return self.form


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """Case access granted to an organisation's group (django-guardian, direct
    foreign key). Only referral/policy.py and the grant service touch it."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Required by guardian beside the group table; never granted: access goes
    to organisations, not individual users."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class Screening(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="screenings")
    catalogue_id = models.CharField(max_length=64)
    indicator_codes = models.JSONField(default=list)
    assessment = models.JSONField(default=dict)
    outcome = models.CharField(max_length=16)
    interpreter_language = models.CharField(max_length=16, blank=True)
    notes = SealedField(subject="case.person")
    screened_at = models.DateTimeField()
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["screened_at"]

    def __str__(self) -> str:
        return f"screening {self.id}"


class ConsentGiver(models.TextChoices):
    PERSON = "person", _("The person")
    GUARDIAN = "guardian", _("The guardian")


class Consent(models.Model):
    """Informed consent (or its refusal) to share personal data with one
    organisation for one purpose."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    to_organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=32, choices=ServiceKind.choices)
    given = models.BooleanField(help_text=_("False records a refusal."))
    given_by = models.CharField(max_length=16, choices=ConsentGiver.choices)
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    language = models.CharField(max_length=16)
    interpreter_used = models.BooleanField(default=False)
    notes = SealedField(subject="case.person")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["recorded_at"]
        indexes = [models.Index(fields=["case", "to_organisation", "purpose"])]

    def __str__(self) -> str:
        return f"consent {self.id}"

    @property
    def is_effective(self) -> bool:
        return self.given and self.withdrawn_at is None


class ReferralState(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")
    COMPLETED = "completed", _("Completed")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    IMMEDIATE_DANGER = "immediate_danger", _("Immediate danger")


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No capacity")
    NOT_COMPETENT = "not_competent", _("Not competent for this purpose or region")
    INCOMPLETE = "incomplete", _("Referral incomplete")
    PERSON_UNREACHABLE = "person_unreachable", _("Person could not be reached")
    OTHER = "other", _("Other")


class Referral(ConcurrentTransitionMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    from_organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    to_organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="referrals_received"
    )
    purpose = models.CharField(max_length=32, choices=ServiceKind.choices)
    urgency = models.CharField(
        max_length=32, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(
        max_length=16,
        choices=ReferralState.choices,
        default=ReferralState.SENT,
        protected=True,
        db_index=True,
    )
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for automatic referrals."),
    )
    answer_due_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decline_reason = models.CharField(
        max_length=32, choices=DeclineReason.choices, blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # The transit route: a minimal hand-over package, sealed for the person.
    handover = SealedField(subject="case.person")

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["to_organisation", "state"])]

    def __str__(self) -> str:
        return f"referral {self.id}"

    @transition(
        field=state,
        source=ReferralState.SENT,
        target=ReferralState.ACCEPTED,
        custom={"writes": ("answered_at", "answered_by")},
    )
    def accept(self, *, at: datetime, by):
        self.answered_at = at
        self.answered_by = by

    @transition(
        field=state,
        source=ReferralState.SENT,
        target=ReferralState.DECLINED,
        custom={"writes": ("answered_at", "answered_by", "decline_reason")},
    )
    def decline(self, *, at: datetime, reason: str, by):
        self.answered_at = at
        self.answered_by = by
        self.decline_reason = reason

    @transition(
        field=state,
        source=[ReferralState.SENT, ReferralState.ACCEPTED],
        target=ReferralState.WITHDRAWN,
        custom={"writes": ("answered_at",)},
    )
    def withdraw(self, *, at: datetime):
        """By the sender before an answer, or by consent withdrawn after."""
        self.answered_at = None

    @transition(
        field=state,
        source=ReferralState.SENT,
        target=ReferralState.EXPIRED,
        custom={"writes": ("answered_at",)},
    )
    def expire(self, *, at: datetime):
        self.answered_at = None

    @transition(
        field=state,
        source=ReferralState.ACCEPTED,
        target=ReferralState.COMPLETED,
        custom={"writes": ("completed_at",)},
    )
    def complete(self, *, at: datetime):
        self.completed_at = at


class AnonymousNotification(models.Model):
    """An adult who does not consent is still counted: the competent authority
    is told that a presumed victim was met, with no personal data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        related_name="anonymous_notifications",
        help_text=_("Known to the sender only; never shown to the recipient."),
    )
    from_organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    sex = models.CharField(max_length=16)
    age_group = models.CharField(max_length=16)
    citizenship = models.CharField(max_length=2, blank=True)
    exploitation_forms = models.JSONField(default=list)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"anonymous notification {self.id}"


class DecisionKind(models.TextChoices):
    REASONABLE_GROUNDS = "reasonable_grounds", _("Reasonable grounds")
    CONCLUSIVE_GROUNDS = "conclusive_grounds", _("Conclusive grounds")
    RECONSIDERATION = "reconsideration", _("Reconsideration")


class Decision(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=32, choices=DecisionKind.choices)
    reconsiders = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    positive = models.BooleanField()
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="decisions"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    # A decision the recovery period would hold back, taken because the
    # person asked for it: the record of their request, never a flag.
    person_request = models.ForeignKey(
        "referral.PersonRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reasons = SealedField(subject="case.person")

    class Meta:
        ordering = ["decided_at"]

    def __str__(self) -> str:
        return f"decision {self.id}"


class GuardianshipEndReason(models.TextChoices):
    REPLACED = "replaced", _("Another guardian appointed")
    MAJORITY_CONFIRMED = "majority_confirmed", _("Age assessment confirmed majority")


class GuardianAppointment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="guardian_appointments"
    )
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    appointed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(
        max_length=32, choices=GuardianshipEndReason.choices, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(ended_at__isnull=True),
                name="one_active_guardian_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"guardian appointment {self.id}"


class BestInterestsRecommendation(models.TextChoices):
    REMAIN = "remain", _("Remain and integrate")
    RETURN = "return", _("Return to the country of origin")
    RELOCATE = "relocate", _("Relocate to a third country")
    FAMILY_REUNIFICATION = "family_reunification", _("Family reunification")


class BestInterestsAssessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="best_interests_assessments"
    )
    recommendation = models.CharField(
        max_length=32, choices=BestInterestsRecommendation.choices
    )
    summary = SealedField(subject="case.person")
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["assessed_at"]

    def __str__(self) -> str:
        return f"best-interests assessment {self.id}"


class ChildViews(models.Model):
    """The child's views, heard and recorded by their appointed guardian
    (CETS 197 art. 10(4); Directive 2011/36/EU art. 14(2))."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    views = SealedField(subject="case.person")
    language = models.CharField(max_length=16)
    interpreter_present = models.BooleanField(default=False)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"child's views {self.id}"


class AgeAssessmentMethod(models.TextChoices):
    DOCUMENTS = "documents", _("Identity documents")
    INTERVIEW = "interview", _("Interview by trained staff")
    MULTIDISCIPLINARY = "multidisciplinary", _("Multidisciplinary assessment")
    MEDICAL = "medical", _("Medical examination, least invasive")


class AgeAssessmentResult(models.TextChoices):
    """The benefit of the doubt stays with the person: only `adult` ends the
    presumption of minority."""

    CHILD = "child", _("A child")
    UNDETERMINED = "undetermined", _("Undetermined: presumed a child")
    ADULT = "adult", _("An adult: majority confirmed")


class AgeAssessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=32, choices=AgeAssessmentMethod.choices)
    result = models.CharField(max_length=16, choices=AgeAssessmentResult.choices)
    assessed_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"age assessment {self.id}"


class RightsScript(models.TextChoices):
    """What the person was given: the spoken script shown on the step's page,
    or a printed leaflet."""

    SCRIPT = "rights_script_v1", _("The rights script (spoken)")
    LEAFLET = "rights_leaflet_v1", _("The rights leaflet (printed)")
    CHILD_LEAFLET = "child_rights_leaflet_v1", _("The child-friendly rights leaflet")


class RightsInformation(models.Model):
    """That the person was informed of their rights, before any consent
    (CETS 197 arts. 12(1)(d), 15(1); Directive 2011/36/EU art. 11(6))."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    script = models.CharField(max_length=32, choices=RightsScript.choices)
    language = models.CharField(max_length=16)
    interpreter_present = models.BooleanField(default=False)
    informed_on = models.DateField()
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"rights information {self.id}"


class ReconsiderationRequest(models.Model):
    """A request to reconsider a negative decision, made by the person through
    an organisation assisting them, or by the registering organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey(
        "referral.Decision", on_delete=models.PROTECT, related_name="+"
    )
    by_person = models.BooleanField(
        help_text=_("The person asked, through the requesting organisation.")
    )
    grounds = SealedField(subject="case.person")
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    answered_by = models.ForeignKey(
        "referral.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"reconsideration request {self.id}"


class DeadlineKind(models.TextChoices):
    REFERRAL_ANSWER = "referral_answer", _("Referral answer")
    RG_DECISION = "rg_decision", _("Reasonable-grounds decision")
    RECOVERY_PERIOD_END = "recovery_period_end", _("Recovery period ends")
    MISSING_CHILD = "missing_child", _("Missing child found")
    MAJORITY_REVIEW = "majority_review", _("Review: recorded age of majority")
    RECONSIDERATION = "reconsideration", _("Reconsideration decided")
    REINTEGRATION_FOLLOW_UP = "reintegration_follow_up", _("Reintegration follow-up")
    # The transnational exchange (referral/transnational.py): the partner's
    # acknowledgement of a sent hand-over; referring on a received one.
    HANDOVER_ACKNOWLEDGEMENT = "handover_ack", _("Hand-over acknowledgement")
    HANDOVER_ONWARD = "handover_onward", _("Refer on a received hand-over")


class Deadline(models.Model):
    """A due date a named organisation answers for; overdue work is one query."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=DeadlineKind.choices)
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="deadlines"
    )
    due_at = models.DateTimeField(db_index=True)
    met_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_open_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    def status(self, now: datetime) -> str:
        if self.cancelled_at:
            return "cancelled"
        if self.met_at:
            return "met_late" if self.met_at > self.due_at else "met"
        return "overdue" if now > self.due_at else "open"
